import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { aggregateHota, computeHota, HOTA_ALPHAS, type HotaMetrics } from '../../src/eval/hota.js';
import { readMotFile, type MotRecord } from '../../src/eval/mot-file.js';
import { media } from '../helpers/shared.js';

/** A 10×10 box with its left edge at x. */
function box(frame: number, id: number, x: number): MotRecord {
  return { frame, id, x, y: 0, width: 10, height: 10, confidence: 1 };
}

function close(actual: number, expected: number, what: string): void {
  assert.ok(Math.abs(actual - expected) < 1e-9, `${what}: ${actual}, expected ${expected}`);
}

/** α = 0.05 … 0.65 are 13 thresholds, 0.70 … 0.95 the other 6 (of 19). */
const LOW = 13;
const HIGH = 6;

describe('HOTA (TrackEval definitions)', () => {
  it('has the 19 thresholds 0.05 … 0.95', () => {
    assert.equal(HOTA_ALPHAS.length, 19);
    close(HOTA_ALPHAS[0]!, 0.05, 'first');
    close(HOTA_ALPHAS[18]!, 0.95, 'last');
  });

  it('is 1 for a perfect tracker', () => {
    const gt = [box(1, 1, 0), box(2, 1, 5), box(3, 1, 10), box(1, 2, 100), box(2, 2, 100)];
    const hyp = gt.map((r) => ({ ...r, id: r.id + 10 }));
    const m = computeHota(gt, hyp);
    for (const key of ['hota', 'detA', 'assA', 'detRe', 'detPr', 'assRe', 'assPr', 'locA'] as const) close(m[key], 1, key);
  });

  it('halves AssA when one object is covered by two ids in turn (perfect boxes)', () => {
    // One object over 4 frames; id 7 covers frames 1–2, id 8 frames 3–4, IoU 1 throughout.
    // Every α: TP 4, FN 0, FP 0 → DetA 1. Each TP's pair has TPA 2, FNA 4 − 2, FPA 0:
    // A = 2 / (4 + 2 − 2) = 0.5 → AssA 0.5. AssRe = 2/4 = 0.5, AssPr = 2/2 = 1. HOTA = √0.5.
    const gt = [1, 2, 3, 4].map((f) => box(f, 1, 0));
    const hyp = [box(1, 7, 0), box(2, 7, 0), box(3, 8, 0), box(4, 8, 0)];
    const m = computeHota(gt, hyp);
    close(m.detA, 1, 'DetA');
    close(m.assA, 0.5, 'AssA');
    close(m.assRe, 0.5, 'AssRe');
    close(m.assPr, 1, 'AssPr');
    close(m.hota, Math.SQRT1_2, 'HOTA');
  });

  it('scores a localisation error only at the thresholds above its IoU, and averages over α', () => {
    // One object, one id, 2 frames. Frame 1: the box is 2 px off, IoU 80/120 = 2/3; frame 2 exact.
    // α ≤ 0.65 (13 values): TP 2 → DetA 1, AssA 2/(2+2−2) = 1, HOTA_α 1, LocA (2/3 + 1)/2 = 5/6.
    // α ≥ 0.70 (6 values): frame 1 is a miss and a false positive: TP 1, FN 1, FP 1 → DetA 1/3,
    //   DetRe = DetPr = 1/2; AssA = 1/(2+2−1) = 1/3, AssRe = AssPr = 1/2; HOTA_α = 1/3; LocA 1.
    // HOTA = (13·1 + 6·1/3)/19 = 15/19; LocA = (13·5/6 + 6·1)/19.
    const gt = [box(1, 1, 0), box(2, 1, 0)];
    const hyp = [box(1, 5, 2), box(2, 5, 0)];
    const m = computeHota(gt, hyp);
    close(m.hota, 15 / 19, 'HOTA');
    close(m.detA, 15 / 19, 'DetA');
    close(m.assA, 15 / 19, 'AssA');
    close(m.detRe, (LOW + HIGH / 2) / 19, 'DetRe');
    close(m.assPr, (LOW + HIGH / 2) / 19, 'AssPr');
    close(m.locA, (LOW * (5 / 6) + HIGH) / 19, 'LocA');
    assert.deepEqual(m.curves.tp, [...Array(LOW).fill(2), ...Array(HIGH).fill(1)]);
  });

  it('pairs boxes by alignment × IoU, not by IoU alone', () => {
    // Object 1 at x = 0 in frames 1–3, tracked exactly by id 9 in frames 1–2. Frame 3: object 2
    // appears at x = 2 and id 9 sits exactly on it (IoU 1 with object 2, 8·10/120 = 2/3 with object 1).
    // Frame 3 normalised overlaps (IoU / (row sum + column sum − IoU)), column sum 5/3:
    //   object 1: (2/3)/(2/3 + 5/3 − 2/3) = 0.4; object 2: 1/(1 + 5/3 − 1) = 0.6.
    // Alignment: object 1–9: (1 + 1 + 0.4)/(3 + 3 − 2.4) = 2/3; object 2–9: 0.6/(1 + 3 − 0.6) = 3/17.
    // Scores 2/3 · 2/3 = 0.444 > 3/17 · 1 = 0.176: id 9 stays with object 1 (IoU alone would move it).
    // α ≤ 0.65: TP 3, FN 1 (object 2) → DetA 3/4; TPA 3 of |1| = |9| = 3 → AssA 1; HOTA_α √(3/4).
    // α ≥ 0.70: frame 3 unmatched: TP 2, FN 2, FP 1 → DetA 2/5; AssA 2/(3+3−2) = 1/2; HOTA_α √(1/5).
    const gt = [box(1, 1, 0), box(2, 1, 0), box(3, 1, 0), box(3, 2, 2)];
    const hyp = [box(1, 9, 0), box(2, 9, 0), box(3, 9, 2)];
    const m = computeHota(gt, hyp);
    close(m.hota, (LOW * Math.sqrt(3 / 4) + HIGH * Math.sqrt(1 / 5)) / 19, 'HOTA');
    close(m.detA, (LOW * (3 / 4) + HIGH * (2 / 5)) / 19, 'DetA');
    close(m.assA, (LOW * 1 + HIGH * 0.5) / 19, 'AssA');
    close(m.curves.locA[0]!, (1 + 1 + 2 / 3) / 3, 'LocA at α 0.05');
  });

  it('handles an empty side as TrackEval does', () => {
    const gt = [box(1, 1, 0), box(2, 1, 0)];
    const none = computeHota(gt, []);
    assert.deepEqual(none.curves.fn, Array(19).fill(2));
    close(none.hota, 0, 'HOTA');
    close(none.locA, 1, 'LocA');
    const ghosts = computeHota([], gt);
    assert.deepEqual(ghosts.curves.fp, Array(19).fill(2));
  });

  it('on the py-motmetrics TUD files: values in range and consistent at every α, combination = one sequence of both', async () => {
    const parts: HotaMetrics[] = [];
    const joinedGt: MotRecord[] = [];
    const joinedHyp: MotRecord[] = [];
    for (const [k, seq] of ['TUD-Campus', 'TUD-Stadtmitte'].entries()) {
      const gt = await readMotFile(media(`mot/py-motmetrics/${seq}/gt.txt`));
      const hyp = await readMotFile(media(`mot/py-motmetrics/${seq}/test.txt`));
      const m = computeHota(gt, hyp);
      console.log(`${seq}: HOTA ${m.hota.toFixed(4)} DetA ${m.detA.toFixed(4)} AssA ${m.assA.toFixed(4)} LocA ${m.locA.toFixed(4)}`);
      const c = m.curves;
      for (let a = 0; a < 19; a++) {
        for (const key of ['hota', 'detA', 'assA', 'detRe', 'detPr', 'assRe', 'assPr', 'locA'] as const) {
          assert.ok(c[key][a]! >= 0 && c[key][a]! <= 1, `${seq} ${key}[${a}] = ${c[key][a]}`);
        }
        close(c.hota[a]!, Math.sqrt(c.detA[a]! * c.assA[a]!), `${seq} HOTA = √(DetA·AssA) at α ${HOTA_ALPHAS[a]}`);
        assert.ok(c.detA[a]! <= Math.min(c.detRe[a]!, c.detPr[a]!) + 1e-12, `${seq} DetA ≤ DetRe, DetPr`);
        assert.equal(c.tp[a]! + c.fn[a]!, gt.length, `${seq} TP + FN = ground-truth boxes`);
        assert.equal(c.tp[a]! + c.fp[a]!, hyp.length, `${seq} TP + FP = tracker boxes`);
        assert.ok(c.locA[a]! >= HOTA_ALPHAS[a]! - 1e-12, `${seq} LocA ≥ α (every TP has IoU ≥ α)`);
        if (a > 0) assert.ok(c.tp[a]! <= c.tp[a - 1]!, `${seq} TP falls with α`);
      }
      assert.ok(m.hota > 0.2 && m.hota < 0.8, `${seq} HOTA ${m.hota}`);
      parts.push(m);
      // Disjoint frames and ids make one sequence whose HOTA is the combination.
      const frameOffset = k * 1000;
      const idOffset = k * 1000;
      for (const r of gt) joinedGt.push({ ...r, frame: r.frame + frameOffset, id: r.id + idOffset });
      for (const r of hyp) joinedHyp.push({ ...r, frame: r.frame + frameOffset, id: r.id + idOffset });
    }
    const combined = aggregateHota(parts);
    const joined = computeHota(joinedGt, joinedHyp);
    for (const key of ['hota', 'detA', 'assA', 'detRe', 'detPr', 'assRe', 'assPr', 'locA'] as const) close(combined[key], joined[key], `combined ${key}`);
  });
});
