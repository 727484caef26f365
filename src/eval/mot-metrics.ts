/**
 * MOTChallenge metrics of a tracker output against ground truth, with py-motmetrics'
 * definitions (`compare_to_groundtruth(gt, hyp, 'iou', distth=0.5)` then `compute_many` with
 * `motchallenge_metrics`): boxes pair when 1 − IoU ≤ 0.5; MOTA = 1 − (FN + IDSW + FP) / GT;
 * MOTP = mean 1 − IoU of the matched pairs; IDF1 from the global identity matching.
 * All ground-truth rows count (no class or visibility filtering).
 */
import { boxIou } from '../tracking/matching.js';
import { ClearMotAccumulator, type ClearMotCounts } from './clear-mot.js';
import { IdentityAccumulator, type IdentityCounts } from './identity-metrics.js';
import { groupByFrame, type MotRecord } from './mot-file.js';

/** Counts and scores of one sequence, or of several aggregated. */
export interface MotMetrics extends ClearMotCounts, IdentityCounts {
  /** IDF1 = 2·IDTP / (GT boxes + tracker boxes). */
  idf1: number;
  /** IDP = IDTP / (IDTP + IDFP). */
  idp: number;
  /** IDR = IDTP / (IDTP + IDFN). */
  idr: number;
  /** Matched ground-truth boxes / ground-truth boxes. */
  recall: number;
  /** Matched tracker boxes / tracker boxes. */
  precision: number;
  /** 1 − (misses + switches + false positives) / ground-truth boxes. */
  mota: number;
  /** Mean distance (1 − IoU) of matched pairs; lower is better. */
  motp: number;
  /** Matches + switches. */
  numDetections: number;
}

export interface MotMetricsOptions {
  /**
   * Largest distance 1 − IoU at which a ground-truth box and a tracker box may pair
   * (py-motmetrics' `distth`; 0.5 means IoU ≥ 0.5).
   * @default 0.5
   */
  maxDistance?: number;
}

/** Scores one sequence. Frames are taken from both inputs; ids are the records' ids. */
export function computeMotMetrics(
  gt: readonly MotRecord[],
  hyp: readonly MotRecord[],
  options: MotMetricsOptions = {},
): MotMetrics {
  const maxDistance = options.maxDistance ?? 0.5;
  const clear = new ClearMotAccumulator();
  const identity = new IdentityAccumulator();
  const gtFrames = groupByFrame(gt);
  const hypFrames = groupByFrame(hyp);
  const frames = [...new Set([...gtFrames.keys(), ...hypFrames.keys()])].sort((a, b) => a - b);
  for (const frame of frames) {
    const objects = gtFrames.get(frame) ?? [];
    const hypotheses = hypFrames.get(frame) ?? [];
    const distances = iouDistanceMatrix(objects, hypotheses, maxDistance);
    const oids = objects.map((r) => r.id);
    const hids = hypotheses.map((r) => r.id);
    clear.update(oids, hids, distances);
    identity.update(oids, hids, distances);
  }
  return withRatios({ ...clear.counts(), ...identity.counts() });
}

/**
 * The OVERALL row of py-motmetrics' multi-sequence summary: counts are summed over
 * sequences (ids of different sequences are distinct objects), ratios recomputed from the sums.
 */
export function aggregateMotMetrics(parts: readonly MotMetrics[]): MotMetrics {
  const keys: Array<keyof ClearMotCounts | keyof IdentityCounts> = [
    'numFrames',
    'numMatches',
    'numSwitches',
    'numFalsePositives',
    'numMisses',
    'numObjects',
    'numPredictions',
    'numUniqueObjects',
    'mostlyTracked',
    'partiallyTracked',
    'mostlyLost',
    'numFragmentations',
    'distanceSum',
    'idtp',
    'idfp',
    'idfn',
  ];
  const total = Object.fromEntries(keys.map((k) => [k, parts.reduce((s, p) => s + p[k], 0)])) as unknown as ClearMotCounts &
    IdentityCounts;
  return withRatios(total);
}

/**
 * A Markdown table in the column order of PROVENANCE.md / MOTChallenge:
 * IDF1 IDP IDR Rcll Prcn GT MT PT ML FP FN IDsw Frag MOTA MOTP.
 */
export function formatMotTable(rows: ReadonlyArray<{ name: string; metrics: MotMetrics }>): string {
  const header = ['seq', 'IDF1', 'IDP', 'IDR', 'Recall', 'Precision', 'GT', 'MT', 'PT', 'ML', 'FP', 'FN', 'IDsw', 'Frag', 'MOTA', 'MOTP'];
  const lines = [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`];
  for (const { name, metrics: m } of rows) {
    const cells = [
      name,
      ...[m.idf1, m.idp, m.idr, m.recall, m.precision].map(fixed),
      ...[m.numUniqueObjects, m.mostlyTracked, m.partiallyTracked, m.mostlyLost].map(String),
      ...[m.numFalsePositives, m.numMisses, m.numSwitches, m.numFragmentations].map(String),
      fixed(m.mota),
      fixed(m.motp),
    ];
    lines.push(`| ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

/** Distances 1 − IoU between boxes, NaN beyond `maxDistance` (py-motmetrics' `iou_matrix`). */
function iouDistanceMatrix(objects: readonly MotRecord[], hypotheses: readonly MotRecord[], maxDistance: number): Float64Array {
  const nh = hypotheses.length;
  const out = new Float64Array(objects.length * nh);
  for (let i = 0; i < objects.length; i++) {
    const a = objects[i]!;
    for (let j = 0; j < nh; j++) {
      const b = hypotheses[j]!;
      const d = 1 - boxIou(a.x, a.y, a.x + a.width, a.y + a.height, b.x, b.y, b.x + b.width, b.y + b.height);
      out[i * nh + j] = d > maxDistance ? NaN : d;
    }
  }
  return out;
}

function withRatios(c: ClearMotCounts & IdentityCounts): MotMetrics {
  const numDetections = c.numMatches + c.numSwitches;
  return {
    ...c,
    numDetections,
    idf1: divide(2 * c.idtp, c.numObjects + c.numPredictions),
    idp: divide(c.idtp, c.idtp + c.idfp),
    idr: divide(c.idtp, c.idtp + c.idfn),
    recall: divide(numDetections, c.numObjects),
    precision: divide(numDetections, numDetections + c.numFalsePositives),
    mota: 1 - divide(c.numMisses + c.numSwitches + c.numFalsePositives, c.numObjects),
    motp: divide(c.distanceSum, numDetections),
  };
}

/** py-motmetrics' `quiet_divide`: NaN for 0/0, ±Infinity for x/0. */
function divide(a: number, b: number): number {
  if (b === 0) return a === 0 ? NaN : a > 0 ? Infinity : -Infinity;
  return a / b;
}

function fixed(v: number): string {
  return Number.isFinite(v) ? v.toFixed(6) : String(v);
}
