/**
 * Candidate boxes in struct-of-arrays form and greedy per-class non-maximum suppression over
 * them. Decoders push into a {@link CandidateBuffer} allocated once per detector, so a frame's
 * post-processing allocates nothing but the returned detections.
 */

/** Reusable typed storage for the boxes a decoder found above the score threshold. */
export class CandidateBuffer {
  readonly x1: Float32Array;
  readonly y1: Float32Array;
  readonly x2: Float32Array;
  readonly y2: Float32Array;
  readonly score: Float32Array;
  readonly classId: Int32Array;
  /** Candidate indices, best score first, after {@link nonMaxSuppression}. */
  readonly order: Uint32Array;
  /** Indices of the candidates NMS kept, best first; valid up to the count it returned. */
  readonly kept: Uint32Array;
  private readonly suppressed: Uint8Array;
  /** Number of candidates pushed since the last {@link reset}. */
  count = 0;

  constructor(readonly capacity: number) {
    this.x1 = new Float32Array(capacity);
    this.y1 = new Float32Array(capacity);
    this.x2 = new Float32Array(capacity);
    this.y2 = new Float32Array(capacity);
    this.score = new Float32Array(capacity);
    this.classId = new Int32Array(capacity);
    this.order = new Uint32Array(capacity);
    this.kept = new Uint32Array(capacity);
    this.suppressed = new Uint8Array(capacity);
  }

  reset(): void {
    this.count = 0;
  }

  /** Adds a box; silently ignored when the buffer is full (decoders size it to one box per anchor). */
  push(x1: number, y1: number, x2: number, y2: number, score: number, classId: number): void {
    const i = this.count;
    if (i >= this.capacity) return;
    this.x1[i] = x1;
    this.y1[i] = y1;
    this.x2[i] = x2;
    this.y2[i] = y2;
    this.score[i] = score;
    this.classId[i] = classId;
    this.count = i + 1;
  }

  /** Scratch flags used by NMS. */
  suppressionFlags(): Uint8Array {
    return this.suppressed;
  }
}

/**
 * Greedy non-maximum suppression within each class: walks the candidates from the highest
 * score down and drops any box whose IoU with an already kept box of the same class exceeds
 * `iouThreshold`.
 * @returns how many indices of `candidates.kept` are valid (at most `maxDetections`).
 */
export function nonMaxSuppression(candidates: CandidateBuffer, iouThreshold: number, maxDetections: number): number {
  const n = candidates.count;
  const { x1, y1, x2, y2, score, classId, order, kept } = candidates;
  const suppressed = candidates.suppressionFlags();
  for (let i = 0; i < n; i++) order[i] = i;
  order.subarray(0, n).sort((a, b) => score[b]! - score[a]!);
  suppressed.fill(0, 0, n);
  let keptCount = 0;
  for (let oi = 0; oi < n && keptCount < maxDetections; oi++) {
    const i = order[oi]!;
    if (suppressed[i]) continue;
    kept[keptCount++] = i;
    const ax1 = x1[i]!, ay1 = y1[i]!, ax2 = x2[i]!, ay2 = y2[i]!;
    const areaA = (ax2 - ax1) * (ay2 - ay1);
    const cls = classId[i]!;
    for (let oj = oi + 1; oj < n; oj++) {
      const j = order[oj]!;
      if (suppressed[j] || classId[j] !== cls) continue;
      const iw = Math.min(ax2, x2[j]!) - Math.max(ax1, x1[j]!);
      if (iw <= 0) continue;
      const ih = Math.min(ay2, y2[j]!) - Math.max(ay1, y1[j]!);
      if (ih <= 0) continue;
      const inter = iw * ih;
      const areaB = (x2[j]! - x1[j]!) * (y2[j]! - y1[j]!);
      if (inter / (areaA + areaB - inter) > iouThreshold) suppressed[j] = 1;
    }
  }
  return keptCount;
}

/** Intersection over union of two boxes given as {x1,y1,x2,y2}. */
export function iou(a: { x1: number; y1: number; x2: number; y2: number }, b: { x1: number; y1: number; x2: number; y2: number }): number {
  const iw = Math.min(a.x2, b.x2) - Math.max(a.x1, b.x1);
  const ih = Math.min(a.y2, b.y2) - Math.max(a.y1, b.y1);
  if (iw <= 0 || ih <= 0) return 0;
  const inter = iw * ih;
  return inter / ((a.x2 - a.x1) * (a.y2 - a.y1) + (b.x2 - b.x1) * (b.y2 - b.y1) - inter);
}
