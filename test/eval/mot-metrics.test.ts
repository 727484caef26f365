import assert from 'node:assert/strict';
import { writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { MotFormatError } from '../../src/errors.js';
import { parseMot, readMotFile, type MotRecord } from '../../src/eval/mot-file.js';
import { aggregateMotMetrics, computeMotMetrics, formatMotTable, type MotMetrics } from '../../src/eval/mot-metrics.js';
import { artifactsDir, media } from '../helpers/shared.js';

// The reference table of ../shared/media/PROVENANCE.md (py-motmetrics' test_motchallenge_files).
const COLUMNS = [
  'idf1', 'idp', 'idr', 'recall', 'precision', 'numUniqueObjects', 'mostlyTracked', 'partiallyTracked',
  'mostlyLost', 'numFalsePositives', 'numMisses', 'numSwitches', 'numFragmentations', 'mota', 'motp',
] as const satisfies ReadonlyArray<keyof MotMetrics>;
const REFERENCE: Record<string, number[]> = {
  'TUD-Campus': [0.557659, 0.72973, 0.451253, 0.582173, 0.941441, 8, 1, 6, 1, 13, 150, 7, 7, 0.526462, 0.277201],
  'TUD-Stadtmitte': [0.644619, 0.81976, 0.531142, 0.608997, 0.93992, 10, 5, 4, 1, 45, 452, 7, 6, 0.564014, 0.345904],
  OVERALL: [0.624296, 0.799176, 0.512211, 0.60264, 0.940268, 18, 6, 10, 2, 58, 602, 14, 13, 0.555116, 0.330177],
};

function box(frame: number, id: number, x: number, width = 10): MotRecord {
  return { frame, id, x, y: 0, width, height: 10, confidence: 1 };
}

describe('MOT metrics (py-motmetrics definitions)', () => {
  it('reproduces every value of the py-motmetrics reference table to 1e-3', async () => {
    const rows: Array<{ name: string; metrics: MotMetrics }> = [];
    for (const seq of ['TUD-Campus', 'TUD-Stadtmitte']) {
      const gt = await readMotFile(media(`mot/py-motmetrics/${seq}/gt.txt`));
      const hyp = await readMotFile(media(`mot/py-motmetrics/${seq}/test.txt`));
      rows.push({ name: seq, metrics: computeMotMetrics(gt, hyp) });
    }
    rows.push({ name: 'OVERALL', metrics: aggregateMotMetrics(rows.map((r) => r.metrics)) });
    console.log(formatMotTable(rows));
    for (const { name, metrics } of rows) {
      COLUMNS.forEach((column, k) => {
        const expected = REFERENCE[name]![k]!;
        assert.ok(Math.abs(metrics[column] - expected) <= 1e-3, `${name} ${column}: ${metrics[column]} vs ${expected}`);
      });
    }
  });

  it('keeps a previous match while it stays valid, even when another pairing is cheaper', () => {
    const gt = [box(1, 1, 0), box(2, 1, 0), box(2, 2, 100)];
    // Frame 1: object 1 ↔ hypothesis 7. Frame 2: hypothesis 8 fits object 1 better, 7 still overlaps enough.
    const hyp = [box(1, 7, 1), box(2, 7, 2), box(2, 8, 0)];
    const m = computeMotMetrics(gt, hyp);
    assert.equal(m.numSwitches, 0);
    assert.equal(m.numMatches, 2);
    assert.equal(m.numFalsePositives, 1);
    assert.equal(m.numMisses, 1);
    // Distances 1 − IoU: 1 − 9/11 for a 1 px shift, 1 − 8/12 for 2 px.
    assert.ok(Math.abs(m.motp - (2 / 11 + 4 / 12) / 2) < 1e-12);
  });

  it('counts switches, fragmentations and MT/PT/ML as py-motmetrics does', () => {
    const gt: MotRecord[] = [];
    const hyp: MotRecord[] = [];
    // Object 1 over 10 frames: tracked by 5 (frames 1–3), missed (4–6), tracked by 6 (7–10): 70 %.
    for (let f = 1; f <= 10; f++) {
      gt.push(box(f, 1, 0));
      if (f <= 3) hyp.push(box(f, 5, 0));
      if (f >= 7) hyp.push(box(f, 6, 0));
    }
    // Object 2 over 10 frames, tracked only in frame 1 (10 % → mostly lost).
    for (let f = 1; f <= 10; f++) gt.push(box(f, 2, 200));
    hyp.push(box(1, 9, 200));
    const m = computeMotMetrics(gt, hyp);
    assert.equal(m.numSwitches, 1, 'object 1 changes from hypothesis 5 to 6');
    assert.equal(m.numFragmentations, 1, 'one tracked → missed transition inside object 1’s tracked span');
    assert.equal(m.numMisses, 3 + 9);
    assert.deepEqual([m.mostlyTracked, m.partiallyTracked, m.mostlyLost], [0, 1, 1]);
    // IDF1: object 1 best matches hypothesis 6 (4 frames), object 2 matches 9 (1 frame).
    assert.equal(m.idtp, 5);
    assert.equal(m.idfn, 20 - 5);
    assert.equal(m.idfp, 8 - 5);
    assert.ok(Math.abs(m.idf1 - (2 * 5) / (20 + 8)) < 1e-12);
    assert.ok(Math.abs(m.mota - (1 - (12 + 1 + 0) / 20)) < 1e-12);
  });

  it('rejects malformed MOTChallenge lines with the file and line number', () => {
    assert.deepEqual(parseMot('1 2 3 4 5 6\n\n2,3,1.5,2,3,4,0.7,-1,-1,-1\n'), [
      { frame: 1, id: 2, x: 3, y: 4, width: 5, height: 6, confidence: 1 },
      { frame: 2, id: 3, x: 1.5, y: 2, width: 3, height: 4, confidence: 0.7 },
    ]);
    for (const [text, why] of [
      ['1,2,3,4,5\n', /5 field/],
      ['1,2,3,4,five,6\n', /not a number/],
      ['1.5,2,3,4,5,6\n', /frame 1.5/],
      ['1,2,3,4,-5,6\n', /negative/],
    ] as const) {
      assert.throws(
        () => parseMot(`1,1,0,0,1,1\n${text}`, 'bad.txt'),
        (e: unknown) => e instanceof MotFormatError && e.code === 'INVALID_MOT_FILE' && /bad\.txt:2/.test(e.message) && why.test(e.message),
      );
    }
  });

  it('reports an unreadable file as INVALID_MOT_FILE', async () => {
    const dir = artifactsDir('eval-mot-file');
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, 'broken.txt');
    writeFileSync(file, '1,1,10,10,5,5,1\nnot a line\n');
    await assert.rejects(readMotFile(file), (e: unknown) => e instanceof MotFormatError && /broken\.txt:2/.test(e.message));
    await assert.rejects(readMotFile(path.join(dir, 'missing.txt')), (e: unknown) => e instanceof MotFormatError && e.code === 'INVALID_MOT_FILE');
  });
});
