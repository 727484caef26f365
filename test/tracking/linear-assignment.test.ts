import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LinearAssignment } from '../../src/tracking/linear-assignment.js';
import { seededRandom as rng } from '../helpers/random.js';

/** Every partial matching of rows to distinct columns, as rowToCol arrays (-1 = unassigned). */
function* matchings(rows: number, cols: number, row = 0, used = new Set<number>(), acc: number[] = []): Generator<number[]> {
  if (row === rows) {
    yield [...acc];
    return;
  }
  acc.push(-1);
  yield* matchings(rows, cols, row + 1, used, acc);
  acc.pop();
  for (let c = 0; c < cols; c++) {
    if (used.has(c)) continue;
    used.add(c);
    acc.push(c);
    yield* matchings(rows, cols, row + 1, used, acc);
    acc.pop();
    used.delete(c);
  }
}

function pairs(rowToCol: ArrayLike<number>): number {
  let n = 0;
  for (let i = 0; i < rowToCol.length; i++) if (rowToCol[i]! >= 0) n++;
  return n;
}

function sumCost(cost: Float64Array, cols: number, rowToCol: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < rowToCol.length; i++) if (rowToCol[i]! >= 0) s += cost[i * cols + rowToCol[i]!]!;
  return s;
}

function checkConsistent(rowToCol: Int32Array, colToRow: Int32Array): void {
  for (let i = 0; i < rowToCol.length; i++) if (rowToCol[i]! >= 0) assert.equal(colToRow[rowToCol[i]!], i);
  for (let j = 0; j < colToRow.length; j++) if (colToRow[j]! >= 0) assert.equal(rowToCol[colToRow[j]!], j);
}

describe('LinearAssignment', () => {
  it('solves a known 3×3 problem', () => {
    // The six permutations cost 14, 6, 13, 10, 12, 17: (0,0)+(1,2)+(2,1) = 1+3+2 is the unique minimum.
    const cost = Float64Array.from([1, 2, 8, 2, 4, 3, 5, 2, 9]);
    const r = new LinearAssignment().solve(cost, 3, 3);
    assert.deepEqual([...r.rowToCol], [0, 2, 1]);
    assert.equal(r.cost, 6);
    assert.equal(r.matches, 3);
  });

  it('assigns the smaller side fully on rectangular matrices', () => {
    const solver = new LinearAssignment();
    const wide = solver.solve(Float64Array.from([5, 1, 9, 3, 7, 0.5]), 1, 6);
    assert.deepEqual([...wide.rowToCol], [5]);
    const tall = solver.solve(Float64Array.from([5, 1, 9, 3, 7, 0.5]), 6, 1);
    assert.deepEqual([...tall.colToRow], [5]);
    assert.deepEqual([...tall.rowToCol], [-1, -1, -1, -1, -1, 0]);
    const empty = solver.solve(new Float64Array(0), 0, 4);
    assert.equal(empty.matches, 0);
    assert.equal(empty.colToRow.length, 4);
  });

  it('matches brute force on random small matrices (full assignment)', () => {
    const random = rng(1);
    const solver = new LinearAssignment();
    for (let trial = 0; trial < 300; trial++) {
      const rows = 1 + Math.floor(random() * 5);
      const cols = 1 + Math.floor(random() * 5);
      const cost = Float64Array.from({ length: rows * cols }, () => Math.round(random() * 100) / 10);
      let best = Infinity;
      const full = Math.min(rows, cols);
      for (const m of matchings(rows, cols)) if (pairs(m) === full) best = Math.min(best, sumCost(cost, cols, m));
      const r = solver.solve(cost, rows, cols);
      checkConsistent(r.rowToCol, r.colToRow);
      assert.equal(r.matches, full);
      assert.ok(Math.abs(r.cost - best) < 1e-9, `trial ${trial}: ${r.cost} vs brute force ${best}`);
      assert.ok(Math.abs(sumCost(cost, cols, r.rowToCol) - r.cost) < 1e-9);
    }
  });

  it('matches brute force with a cost limit (ByteTrack lapjv extend_cost semantics)', () => {
    const random = rng(2);
    const solver = new LinearAssignment();
    for (let trial = 0; trial < 300; trial++) {
      const rows = 1 + Math.floor(random() * 5);
      const cols = 1 + Math.floor(random() * 5);
      const limit = 0.3 + random() * 0.6;
      const cost = Float64Array.from({ length: rows * cols }, () => random());
      // Objective of lapjv on the extended matrix: matched costs + limit/2 per unmatched row and column.
      const objective = (m: number[]) => sumCost(cost, cols, m) + (limit / 2) * (rows + cols - 2 * pairs(m));
      let best = Infinity;
      for (const m of matchings(rows, cols)) {
        if (m.some((c, i) => c >= 0 && cost[i * cols + c]! >= limit)) continue;
        best = Math.min(best, objective(m));
      }
      const r = solver.solveWithLimit(cost, rows, cols, limit);
      checkConsistent(r.rowToCol, r.colToRow);
      for (let i = 0; i < rows; i++) if (r.rowToCol[i]! >= 0) assert.ok(cost[i * cols + r.rowToCol[i]!]! < limit);
      assert.ok(Math.abs(objective([...r.rowToCol]) - best) < 1e-9, `trial ${trial}`);
    }
  });

  it('maximises the number of allowed pairs first, then minimises cost (py-motmetrics)', () => {
    const random = rng(3);
    const solver = new LinearAssignment();
    for (let trial = 0; trial < 300; trial++) {
      const rows = 1 + Math.floor(random() * 5);
      const cols = 1 + Math.floor(random() * 5);
      const cost = Float64Array.from({ length: rows * cols }, () => (random() < 0.4 ? NaN : random() * 0.5));
      let bestPairs = 0;
      let bestCost = 0;
      for (const m of matchings(rows, cols)) {
        if (m.some((c, i) => c >= 0 && Number.isNaN(cost[i * cols + c]!))) continue;
        const p = pairs(m);
        const c = sumCost(cost, cols, m);
        if (p > bestPairs || (p === bestPairs && c < bestCost)) [bestPairs, bestCost] = [p, c];
      }
      const r = solver.solveMaxCardinality(cost, rows, cols);
      checkConsistent(r.rowToCol, r.colToRow);
      assert.equal(r.matches, bestPairs, `trial ${trial}`);
      assert.ok(Math.abs(r.cost - bestCost) < 1e-9, `trial ${trial}: ${r.cost} vs ${bestCost}`);
    }
  });

  it('prefers two allowed pairs over one cheaper pair', () => {
    // Row 0 could take column 0 for 0.1, but then row 1 (only column 0 allowed) stays unmatched.
    const cost = Float64Array.from([0.1, 0.4, 0.45, NaN]);
    const r = new LinearAssignment().solveMaxCardinality(cost, 2, 2);
    assert.deepEqual([...r.rowToCol], [1, 0]);
  });
});
