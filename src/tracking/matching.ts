/**
 * Association costs between tracks (rows) and detections (columns), on packed boxes
 * `[x1, y1, x2, y2, x1, y1, …]` and row-major cost matrices. Everything writes into
 * caller-provided typed arrays so the tracker allocates nothing per frame.
 */

/** Intersection over union of two boxes given as corners; 0 when either box is empty. */
export function boxIou(
  ax1: number,
  ay1: number,
  ax2: number,
  ay2: number,
  bx1: number,
  by1: number,
  bx2: number,
  by2: number,
): number {
  const iw = Math.min(ax2, bx2) - Math.max(ax1, bx1);
  const ih = Math.min(ay2, by2) - Math.max(ay1, by1);
  if (iw <= 0 || ih <= 0) return 0;
  const inter = iw * ih;
  const union = (ax2 - ax1) * (ay2 - ay1) + (bx2 - bx1) * (by2 - by1) - inter;
  return union > 0 ? inter / union : 0;
}

/**
 * IoU with the inclusive-pixel convention of `cython_bbox.bbox_overlaps`, which the official
 * ByteTrack uses: a box from x1 to x2 spans `x2 − x1 + 1` pixels, so widths, heights and the
 * intersection each gain 1. Slightly higher than {@link boxIou} for small boxes.
 */
export function boxIouInclusive(
  ax1: number,
  ay1: number,
  ax2: number,
  ay2: number,
  bx1: number,
  by1: number,
  bx2: number,
  by2: number,
): number {
  const iw = Math.min(ax2, bx2) - Math.max(ax1, bx1) + 1;
  if (iw <= 0) return 0;
  const ih = Math.min(ay2, by2) - Math.max(ay1, by1) + 1;
  if (ih <= 0) return 0;
  const inter = iw * ih;
  return inter / ((ax2 - ax1 + 1) * (ay2 - ay1 + 1) + (bx2 - bx1 + 1) * (by2 - by1 + 1) - inter);
}

/**
 * `out[i·cols + j] = 1 − IoU(rowBoxes[i], colBoxes[j])` (ByteTrack's `iou_distance`).
 * Boxes are packed corners, four numbers each. `inclusive` switches to
 * {@link boxIouInclusive}, the official ByteTrack's convention.
 */
export function iouDistances(
  rowBoxes: Float64Array,
  rows: number,
  colBoxes: Float64Array,
  cols: number,
  out: Float64Array,
  inclusive = false,
): void {
  const iou = inclusive ? boxIouInclusive : boxIou;
  for (let i = 0; i < rows; i++) {
    const a = i * 4;
    const ax1 = rowBoxes[a]!;
    const ay1 = rowBoxes[a + 1]!;
    const ax2 = rowBoxes[a + 2]!;
    const ay2 = rowBoxes[a + 3]!;
    for (let j = 0; j < cols; j++) {
      const b = j * 4;
      out[i * cols + j] = 1 - iou(ax1, ay1, ax2, ay2, colBoxes[b]!, colBoxes[b + 1]!, colBoxes[b + 2]!, colBoxes[b + 3]!);
    }
  }
}

/**
 * ByteTrack's `fuse_score`: turns IoU distances into `1 − IoU × score` with the column's
 * detection score, so that among equal overlaps the more confident detection is cheaper.
 * `out` may be `iouDistance` itself.
 */
export function fuseDetectionScores(
  iouDistance: Float64Array,
  rows: number,
  cols: number,
  scores: Float64Array,
  out: Float64Array,
): void {
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      const k = i * cols + j;
      out[k] = 1 - (1 - iouDistance[k]!) * scores[j]!;
    }
  }
}

/** Cosine distance 1 − a·b of two L2-normalised vectors of equal length (0 same, 2 opposite). */
export function cosineDistance(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  for (let k = 0; k < a.length; k++) dot += a[k]! * b[k]!;
  return 1 - dot;
}

/** Gates and fusion rule for {@link fuseAppearance}; see ByteTrackerOptions for meanings. */
export interface AppearanceFusionRule {
  appearanceFusion: 'min' | 'weighted';
  appearanceWeight: number;
  proximityGate: number;
  appearanceGate: number;
}

/**
 * Mixes appearance into `cost` in place, BoT-SORT style, for pairs where both sides have an
 * embedding. The appearance cost is `(1 − cos) / 2`, set to 1 when the pair fails a gate: raw
 * IoU distance above `proximityGate` or appearance cost above `appearanceGate`.
 * `'min'` keeps `min(cost, appearance)` (appearance can only rescue a match);
 * `'weighted'` uses `(1 − w)·cost + w·appearance` (appearance can also veto one).
 */
export function fuseAppearance(
  cost: Float64Array,
  iouDistance: Float64Array,
  rows: number,
  cols: number,
  rowEmbeddings: ReadonlyArray<Float32Array | undefined>,
  colEmbeddings: ReadonlyArray<Float32Array | undefined>,
  rule: AppearanceFusionRule,
): void {
  const weighted = rule.appearanceFusion === 'weighted';
  const w = rule.appearanceWeight;
  for (let i = 0; i < rows; i++) {
    const te = rowEmbeddings[i];
    if (te === undefined) continue;
    for (let j = 0; j < cols; j++) {
      const de = colEmbeddings[j];
      if (de === undefined) continue;
      const k = i * cols + j;
      let appearance = 1;
      if (iouDistance[k]! <= rule.proximityGate) {
        const d = cosineDistance(te, de) / 2;
        if (d <= rule.appearanceGate) appearance = d;
      }
      const motion = cost[k]!;
      cost[k] = weighted ? (1 - w) * motion + w * appearance : Math.min(motion, appearance);
    }
  }
}

/**
 * Exponential smoothing of an embedding in place, `e ← α·e + (1 − α)·x`, then L2-normalised
 * (BoT-SORT's `update_features`).
 */
export function smoothEmbedding(target: Float32Array, sample: Float32Array, momentum: number): void {
  let norm = 0;
  for (let k = 0; k < target.length; k++) {
    const v = momentum * target[k]! + (1 - momentum) * sample[k]!;
    target[k] = v;
    norm += v * v;
  }
  normalizeInPlace(target, norm);
}

/** Copies an embedding, L2-normalised. */
export function normalizedCopy(embedding: Float32Array): Float32Array {
  const copy = new Float32Array(embedding);
  let norm = 0;
  for (let k = 0; k < copy.length; k++) norm += copy[k]! * copy[k]!;
  normalizeInPlace(copy, norm);
  return copy;
}

function normalizeInPlace(v: Float32Array, squaredNorm: number): void {
  if (squaredNorm <= 0) return;
  const inv = 1 / Math.sqrt(squaredNorm);
  for (let k = 0; k < v.length; k++) v[k] = v[k]! * inv;
}
