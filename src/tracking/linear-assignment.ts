/**
 * Optimal linear assignment (the Hungarian method with row/column potentials, in the
 * shortest-augmenting-path form of Jonker–Volgenant) on a dense row-major cost matrix.
 *
 * One solver instance keeps its work buffers between calls, so a tracker that solves a few
 * small problems per frame allocates nothing once the buffers have grown to the largest size
 * seen. Results are views into those buffers: read them before the next call.
 */

/** Outcome of one assignment. Arrays are views into the solver's buffers, valid until its next call. */
export interface AssignmentResult {
  /** For each row, the assigned column or -1. Length = rows. */
  rowToCol: Int32Array;
  /** For each column, the assigned row or -1. Length = cols. */
  colToRow: Int32Array;
  /** Number of assigned pairs. */
  matches: number;
  /** Sum of the original costs of the assigned pairs. */
  cost: number;
}

/** Reusable solver for rectangular assignment problems. Not shared between trackers. */
export class LinearAssignment {
  // Work matrix (n ≤ m after an optional transpose) and the algorithm's 1-based arrays.
  private work: Float64Array = new Float64Array(0);
  private u: Float64Array = new Float64Array(0);
  private v: Float64Array = new Float64Array(0);
  private minv: Float64Array = new Float64Array(0);
  private p: Int32Array = new Int32Array(0);
  private way: Int32Array = new Int32Array(0);
  private used: Uint8Array = new Uint8Array(0);
  private rowToColBuf: Int32Array = new Int32Array(0);
  private colToRowBuf: Int32Array = new Int32Array(0);
  // Compaction buffers of solveWithLimit.
  private compact: Float64Array = new Float64Array(0);
  private keptRows: Int32Array = new Int32Array(0);
  private keptCols: Int32Array = new Int32Array(0);
  private colUsable: Uint8Array = new Uint8Array(0);
  private fullRowToCol: Int32Array = new Int32Array(0);
  private fullColToRow: Int32Array = new Int32Array(0);

  /**
   * Minimum-cost assignment that assigns every row or every column (whichever side is
   * smaller). All costs must be finite.
   */
  solve(cost: Float64Array, rows: number, cols: number): AssignmentResult {
    this.load(cost, rows, cols, CostMode.Plain, 0);
    return this.finish(cost, rows, cols, CostMode.Plain, 0);
  }

  /**
   * ByteTrack's `lap.lapjv(cost, extend_cost=True, cost_limit=limit)`: a pair is worth
   * assigning only when its cost is below `limit`; among such partial assignments the one
   * with the smallest total `cost + limit × (unassigned pairs)` is returned. Solved as a full
   * assignment on `min(cost − limit, 0)` (a pair at or above the limit is as good as leaving
   * both unassigned), then dropping the pairs at or above the limit. Rows and columns without
   * any pair under the limit are left out first: in tracking most are, and their all-zero
   * rows would otherwise make long tied augmenting paths.
   */
  solveWithLimit(cost: Float64Array, rows: number, cols: number, limit: number): AssignmentResult {
    this.reserveCompaction(rows, cols);
    const { keptRows, keptCols, colUsable } = this;
    colUsable.fill(0, 0, cols);
    let k = 0;
    for (let i = 0; i < rows; i++) {
      let usable = false;
      for (let j = 0; j < cols; j++) {
        if (cost[i * cols + j]! < limit) {
          usable = true;
          colUsable[j] = 1;
        }
      }
      if (usable) keptRows[k++] = i;
    }
    let l = 0;
    for (let j = 0; j < cols; j++) if (colUsable[j]) keptCols[l++] = j;
    if (k === rows && l === cols) {
      this.load(cost, rows, cols, CostMode.Limit, limit);
      return this.finish(cost, rows, cols, CostMode.Limit, limit);
    }

    const compact = this.compact;
    for (let a = 0; a < k; a++) {
      const base = keptRows[a]! * cols;
      for (let b = 0; b < l; b++) compact[a * l + b] = cost[base + keptCols[b]!]!;
    }
    this.load(compact, k, l, CostMode.Limit, limit);
    const inner = this.finish(compact, k, l, CostMode.Limit, limit);
    // Map the compacted answer back to the caller's indices.
    const rowToCol = this.fullRowToCol.subarray(0, rows).fill(-1);
    const colToRow = this.fullColToRow.subarray(0, cols).fill(-1);
    for (let a = 0; a < k; a++) {
      const b = inner.rowToCol[a]!;
      if (b < 0) continue;
      rowToCol[keptRows[a]!] = keptCols[b]!;
      colToRow[keptCols[b]!] = keptRows[a]!;
    }
    return { rowToCol, colToRow, matches: inner.matches, cost: inner.cost };
  }

  /**
   * py-motmetrics' assignment: non-finite costs (NaN, ±Infinity) mark forbidden pairs; the
   * result has the largest possible number of allowed pairs and, among those, the smallest
   * total cost. Forbidden pairs get a cost larger than any allowed assignment could sum to.
   */
  solveMaxCardinality(cost: Float64Array, rows: number, cols: number): AssignmentResult {
    const n = rows * cols;
    let absSum = 0;
    for (let k = 0; k < n; k++) {
      const c = cost[k]!;
      if (Number.isFinite(c)) absSum += Math.abs(c);
    }
    const forbidden = 2 * Math.min(rows, cols) * (absSum + 1) + 1;
    this.load(cost, rows, cols, CostMode.Forbidden, forbidden);
    return this.finish(cost, rows, cols, CostMode.Forbidden, forbidden);
  }

  /** Copies `cost` into the work matrix (transposed when rows > cols), transformed per `mode`. */
  private load(cost: Float64Array, rows: number, cols: number, mode: CostMode, param: number): void {
    if (cost.length < rows * cols) {
      throw new RangeError(`cost matrix has ${cost.length} entries, expected ${rows}×${cols} = ${rows * cols}`);
    }
    const transposed = rows > cols;
    const n = transposed ? cols : rows;
    const m = transposed ? rows : cols;
    this.reserve(n, m);
    const w = this.work;
    for (let i = 0; i < rows; i++) {
      const base = i * cols;
      for (let j = 0; j < cols; j++) {
        const value = workCost(cost[base + j]!, mode, param);
        if (transposed) w[j * m + i] = value;
        else w[base + j] = value;
      }
    }
  }

  /** Runs the solver on the loaded matrix and maps the result back to the caller's rows/cols. */
  private finish(cost: Float64Array, rows: number, cols: number, mode: CostMode, param: number): AssignmentResult {
    const transposed = rows > cols;
    const n = transposed ? cols : rows;
    const m = transposed ? rows : cols;
    const rowToCol = this.rowToColBuf.subarray(0, rows).fill(-1);
    const colToRow = this.colToRowBuf.subarray(0, cols).fill(-1);
    let matches = 0;
    let total = 0;
    if (n > 0) {
      this.hungarian(n, m);
      const p = this.p;
      for (let j = 1; j <= m; j++) {
        const i = p[j]! - 1;
        if (i < 0) continue;
        const r = transposed ? j - 1 : i;
        const c = transposed ? i : j - 1;
        const value = cost[r * cols + c]!;
        if (!isKept(value, mode, param)) continue;
        rowToCol[r] = c;
        colToRow[c] = r;
        matches++;
        total += value;
      }
    }
    return { rowToCol, colToRow, matches, cost: total };
  }

  /**
   * Shortest augmenting paths with potentials u (rows) and v (columns); n ≤ m. After it,
   * p[j] is the 1-based row assigned to column j (0 = none). O(n² m) worst case, close to
   * O(n m) when rows rarely compete for the same column, as in tracking.
   */
  private hungarian(n: number, m: number): void {
    const { work: a, u, v, minv, p, way, used } = this;
    u.fill(0, 0, n + 1);
    v.fill(0, 0, m + 1);
    p.fill(0, 0, m + 1);
    way.fill(0, 0, m + 1);
    for (let i = 1; i <= n; i++) {
      p[0] = i;
      let j0 = 0;
      minv.fill(Infinity, 0, m + 1);
      used.fill(0, 0, m + 1);
      do {
        used[j0] = 1;
        const i0 = p[j0]!;
        const rowBase = (i0 - 1) * m - 1; // a[i0][j] is work[rowBase + j] for 1-based j
        const ui0 = u[i0]!;
        let delta = Infinity;
        let j1 = 0;
        for (let j = 1; j <= m; j++) {
          if (used[j]) continue;
          const reduced = a[rowBase + j]! - ui0 - v[j]!;
          if (reduced < minv[j]!) {
            minv[j] = reduced;
            way[j] = j0;
          }
          if (minv[j]! < delta) {
            delta = minv[j]!;
            j1 = j;
          }
        }
        for (let j = 0; j <= m; j++) {
          if (used[j]) {
            u[p[j]!] += delta;
            v[j] -= delta;
          } else {
            minv[j] -= delta;
          }
        }
        j0 = j1;
      } while (p[j0] !== 0);
      // Flip the augmenting path.
      do {
        const j1 = way[j0]!;
        p[j0] = p[j1]!;
        j0 = j1;
      } while (j0 !== 0);
    }
  }

  private reserveCompaction(rows: number, cols: number): void {
    if (this.compact.length < rows * cols) this.compact = new Float64Array(grow(rows * cols));
    if (this.keptRows.length < rows) {
      this.keptRows = new Int32Array(grow(rows));
      this.fullRowToCol = new Int32Array(grow(rows));
    }
    if (this.keptCols.length < cols) {
      this.keptCols = new Int32Array(grow(cols));
      this.colUsable = new Uint8Array(grow(cols));
      this.fullColToRow = new Int32Array(grow(cols));
    }
  }

  private reserve(n: number, m: number): void {
    if (this.work.length < n * m) this.work = new Float64Array(grow(n * m));
    if (this.u.length < n + 1) this.u = new Float64Array(grow(n + 1));
    if (this.v.length < m + 1) {
      const size = grow(m + 1);
      this.v = new Float64Array(size);
      this.minv = new Float64Array(size);
      this.p = new Int32Array(size);
      this.way = new Int32Array(size);
      this.used = new Uint8Array(size);
    }
    const sides = n + m; // rows and cols are n and m in some order
    if (this.rowToColBuf.length < sides) {
      this.rowToColBuf = new Int32Array(grow(sides));
      this.colToRowBuf = new Int32Array(grow(sides));
    }
  }
}

/** How caller costs become work costs: as they are, against a limit, or with forbidden pairs. */
const enum CostMode {
  Plain,
  Limit,
  Forbidden,
}

function workCost(c: number, mode: CostMode, param: number): number {
  if (mode === CostMode.Limit) return c < param ? c - param : 0;
  if (mode === CostMode.Forbidden) return Number.isFinite(c) ? c : param;
  return c;
}

/** Whether a solved pair is a real assignment (not a stand-in for "unassigned"). */
function isKept(c: number, mode: CostMode, param: number): boolean {
  if (mode === CostMode.Limit) return c < param;
  if (mode === CostMode.Forbidden) return Number.isFinite(c);
  return true;
}

/** Capacity with headroom so that slowly growing problems do not reallocate every frame. */
function grow(size: number): number {
  return Math.max(16, Math.ceil(size * 1.5));
}
