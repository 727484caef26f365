/**
 * HOTA (Luiten et al., "HOTA: A Higher Order Metric for Evaluating Multi-Object Tracking",
 * IJCV 2021) with TrackEval's definitions (`trackeval/metrics/hota.py`):
 *
 * 1. Over the whole sequence, every ground-truth id g and tracker id h get a global alignment
 *    score `A(g,h) = P / (|g| + |h| − P)`, where |g|, |h| are their box counts and P sums, over
 *    frames, the IoU of their boxes normalised by everything else they overlap that frame
 *    (`IoU / (Σ_row + Σ_col − IoU)`).
 * 2. Per frame, boxes are paired by the Hungarian method maximising `A(g,h) · IoU(g,h)` — the
 *    similarity plus association score — once for all α.
 * 3. For each α = 0.05, 0.10, …, 0.95 a pair counts as a true positive when its IoU ≥ α;
 *    the rest are misses (FN) and false positives (FP). DetA = TP / (TP + FN + FP);
 *    AssA = mean over TPs of `TPA / (TPA + FNA + FPA)` for the TP's ids (TPA: frames where that
 *    g–h pair is a TP); HOTA_α = √(DetA_α · AssA_α). LocA is the mean IoU of the TPs.
 * 4. The reported HOTA, DetA, AssA, … are the means of the per-α values.
 *
 * Every ground-truth row counts (TrackEval drops rows whose confidence is 0 for MOT15; the TUD
 * ground truth has none), as in {@link computeMotMetrics}.
 */
import { LinearAssignment } from '../tracking/linear-assignment.js';
import { boxIou } from '../tracking/matching.js';
import { groupByFrame, type MotRecord } from './mot-file.js';

/** The α thresholds, as TrackEval's `np.arange(0.05, 0.99, 0.05)` computes them. */
export const HOTA_ALPHAS: readonly number[] = Object.freeze(Array.from({ length: 19 }, (_, k) => 0.05 + k * 0.05));

/** HOTA and its sub-metrics at every α (index k ↔ {@link HOTA_ALPHAS}[k]). */
export interface HotaCurves {
  hota: number[];
  detA: number[];
  assA: number[];
  detRe: number[];
  detPr: number[];
  assRe: number[];
  assPr: number[];
  locA: number[];
  /** True positives, misses and false positives per α. */
  tp: number[];
  fn: number[];
  fp: number[];
}

/** HOTA of a sequence (or of several combined): the means over α, and the curves. */
export interface HotaMetrics {
  /** Mean over α of √(DetA_α · AssA_α). */
  hota: number;
  /** Detection accuracy TP / (TP + FN + FP), mean over α. */
  detA: number;
  /** Association accuracy, mean over α. */
  assA: number;
  /** Detection recall TP / (TP + FN), mean over α. */
  detRe: number;
  /** Detection precision TP / (TP + FP), mean over α. */
  detPr: number;
  /** Association recall (TPA / (TPA + FNA) averaged over TPs), mean over α. */
  assRe: number;
  /** Association precision (TPA / (TPA + FPA) averaged over TPs), mean over α. */
  assPr: number;
  /** Localisation accuracy: mean IoU of the true positives, mean over α. */
  locA: number;
  curves: HotaCurves;
}

const EPS = Number.EPSILON; // numpy's finfo('float').eps

/** HOTA of one sequence; ids are the records' ids, frames taken from both inputs. */
export function computeHota(gt: readonly MotRecord[], hyp: readonly MotRecord[]): HotaMetrics {
  const A = HOTA_ALPHAS.length;
  const tp = new Array<number>(A).fill(0);
  const fn = new Array<number>(A).fill(0);
  const fp = new Array<number>(A).fill(0);
  const locSum = new Array<number>(A).fill(0);
  const assA = new Array<number>(A).fill(0);
  const assRe = new Array<number>(A).fill(0);
  const assPr = new Array<number>(A).fill(0);
  if (hyp.length === 0 || gt.length === 0) {
    // TrackEval's early exits: everything is a miss (or a false positive), LocA 1.
    if (hyp.length === 0) fn.fill(gt.length);
    else fp.fill(hyp.length);
    return finalise({ tp, fn, fp, assA, assRe, assPr, locA: new Array<number>(A).fill(1) });
  }

  const gtIndex = denseIds(gt);
  const hypIndex = denseIds(hyp);
  const G = gtIndex.size;
  const H = hypIndex.size;
  const gtFrames = groupByFrame(gt);
  const hypFrames = groupByFrame(hyp);
  const frames = [...new Set([...gtFrames.keys(), ...hypFrames.keys()])].sort((a, b) => a - b);

  // Per frame: dense ids of both sides and their IoU matrix (kept for the second pass).
  const perFrame = frames.map((frame) => {
    const g = gtFrames.get(frame) ?? [];
    const h = hypFrames.get(frame) ?? [];
    const similarity = new Float64Array(g.length * h.length);
    for (let i = 0; i < g.length; i++) {
      const a = g[i]!;
      for (let j = 0; j < h.length; j++) {
        const b = h[j]!;
        similarity[i * h.length + j] = boxIou(a.x, a.y, a.x + a.width, a.y + a.height, b.x, b.y, b.x + b.width, b.y + b.height);
      }
    }
    return { g: g.map((r) => gtIndex.get(r.id)!), h: h.map((r) => hypIndex.get(r.id)!), similarity };
  });

  // 1. Global alignment between ids.
  const potential = new Float64Array(G * H);
  const gtCount = new Float64Array(G);
  const hypCount = new Float64Array(H);
  for (const { g, h, similarity } of perFrame) {
    const nh = h.length;
    const rowSum = new Float64Array(g.length);
    const colSum = new Float64Array(nh);
    for (let i = 0; i < g.length; i++) {
      for (let j = 0; j < nh; j++) {
        rowSum[i] += similarity[i * nh + j]!;
        colSum[j] += similarity[i * nh + j]!;
      }
    }
    for (let i = 0; i < g.length; i++) {
      for (let j = 0; j < nh; j++) {
        const s = similarity[i * nh + j]!;
        const denominator = rowSum[i]! + colSum[j]! - s;
        if (denominator > EPS) potential[g[i]! * H + h[j]!] += s / denominator;
      }
    }
    for (const i of g) gtCount[i]++;
    for (const j of h) hypCount[j]++;
  }
  const alignment = new Float64Array(G * H);
  for (let i = 0; i < G; i++) {
    for (let j = 0; j < H; j++) {
      const p = potential[i * H + j]!;
      alignment[i * H + j] = p / (gtCount[i]! + hypCount[j]! - p);
    }
  }

  // 2–3. Per frame, the matching that maximises alignment × IoU, counted per α.
  const solver = new LinearAssignment();
  const matches = new Float64Array(A * G * H);
  for (const { g, h, similarity } of perFrame) {
    const ng = g.length;
    const nh = h.length;
    if (ng === 0 || nh === 0) {
      for (let a = 0; a < A; a++) {
        fp[a] += nh;
        fn[a] += ng;
      }
      continue;
    }
    const negatedScore = new Float64Array(ng * nh);
    for (let i = 0; i < ng; i++) {
      for (let j = 0; j < nh; j++) negatedScore[i * nh + j] = -alignment[g[i]! * H + h[j]!]! * similarity[i * nh + j]!;
    }
    const { rowToCol } = solver.solve(negatedScore, ng, nh);
    for (let a = 0; a < A; a++) {
      const alpha = HOTA_ALPHAS[a]!;
      let matched = 0;
      for (let i = 0; i < ng; i++) {
        const j = rowToCol[i]!;
        if (j < 0) continue;
        const s = similarity[i * nh + j]!;
        if (s < alpha - EPS) continue;
        matched++;
        locSum[a] += s;
        matches[(a * G + g[i]!) * H + h[j]!]++;
      }
      tp[a] += matched;
      fn[a] += ng - matched;
      fp[a] += nh - matched;
    }
  }

  // Association scores per α, averaged over the true positives.
  for (let a = 0; a < A; a++) {
    let sumA = 0;
    let sumRe = 0;
    let sumPr = 0;
    for (let i = 0; i < G; i++) {
      for (let j = 0; j < H; j++) {
        const m = matches[(a * G + i) * H + j]!;
        if (m === 0) continue;
        sumA += (m * m) / Math.max(1, gtCount[i]! + hypCount[j]! - m);
        sumRe += (m * m) / Math.max(1, gtCount[i]!);
        sumPr += (m * m) / Math.max(1, hypCount[j]!);
      }
    }
    const denominator = Math.max(1, tp[a]!);
    assA[a] = sumA / denominator;
    assRe[a] = sumRe / denominator;
    assPr[a] = sumPr / denominator;
  }
  const locA = locSum.map((s, a) => Math.max(1e-10, s) / Math.max(1e-10, tp[a]!));
  return finalise({ tp, fn, fp, assA, assRe, assPr, locA });
}

/**
 * Combines sequences as TrackEval's `combine_sequences`: TP, FN, FP summed; AssA, AssRe,
 * AssPr and LocA averaged with weights TP per α; the rest recomputed from those.
 */
export function aggregateHota(parts: readonly HotaMetrics[]): HotaMetrics {
  const A = HOTA_ALPHAS.length;
  const sum = (pick: (c: HotaCurves) => number[]): number[] =>
    Array.from({ length: A }, (_, a) => parts.reduce((s, p) => s + pick(p.curves)[a]!, 0));
  const tp = sum((c) => c.tp);
  const weighted = (pick: (c: HotaCurves) => number[]): number[] =>
    Array.from({ length: A }, (_, a) => parts.reduce((s, p) => s + pick(p.curves)[a]! * p.curves.tp[a]!, 0) / Math.max(1, tp[a]!));
  const locWeighted = Array.from({ length: A }, (_, a) => parts.reduce((s, p) => s + p.curves.locA[a]! * p.curves.tp[a]!, 0));
  return finalise({
    tp,
    fn: sum((c) => c.fn),
    fp: sum((c) => c.fp),
    assA: weighted((c) => c.assA),
    assRe: weighted((c) => c.assRe),
    assPr: weighted((c) => c.assPr),
    locA: locWeighted.map((s, a) => Math.max(1e-10, s) / Math.max(1e-10, tp[a]!)),
  });
}

/** TrackEval's `_compute_final_fields`, then the means over α. */
function finalise(c: Pick<HotaCurves, 'tp' | 'fn' | 'fp' | 'assA' | 'assRe' | 'assPr' | 'locA'>): HotaMetrics {
  const detRe = c.tp.map((t, a) => t / Math.max(1, t + c.fn[a]!));
  const detPr = c.tp.map((t, a) => t / Math.max(1, t + c.fp[a]!));
  const detA = c.tp.map((t, a) => t / Math.max(1, t + c.fn[a]! + c.fp[a]!));
  const hota = detA.map((d, a) => Math.sqrt(d * c.assA[a]!));
  const curves: HotaCurves = { hota, detA, assA: c.assA, detRe, detPr, assRe: c.assRe, assPr: c.assPr, locA: c.locA, tp: c.tp, fn: c.fn, fp: c.fp };
  return {
    hota: mean(hota),
    detA: mean(detA),
    assA: mean(c.assA),
    detRe: mean(detRe),
    detPr: mean(detPr),
    assRe: mean(c.assRe),
    assPr: mean(c.assPr),
    locA: mean(c.locA),
    curves,
  };
}

function denseIds(records: readonly MotRecord[]): Map<number, number> {
  const index = new Map<number, number>();
  for (const r of records) if (!index.has(r.id)) index.set(r.id, index.size);
  return index;
}

function mean(values: readonly number[]): number {
  return values.reduce((s, v) => s + v, 0) / values.length;
}
