/**
 * Decodes an Ultralytics YOLOv8 / YOLO11 detection export, `[1, 4 + classes, anchors]`
 * (channels first): for anchor i, `cx, cy, w, h` in model-input pixels at
 * `data[0..3 · anchors + i]`, then one already-activated score per class. No objectness.
 */
import type { CandidateBuffer } from './nms.js';

/**
 * Pushes every anchor whose best allowed class scores at least `scoreThreshold` into `out`,
 * as a box in model-input pixels.
 * @param anchors - Size of the last axis (8400 for a 640×640 export).
 * @param classes - Class indices to keep (for example `[0]` for persons).
 */
export function decodeYolov8(
  output: Float32Array,
  anchors: number,
  classes: Int32Array,
  scoreThreshold: number,
  out: CandidateBuffer,
): void {
  const nClasses = classes.length;
  const scoresBase = 4 * anchors;
  for (let i = 0; i < anchors; i++) {
    let best = -1;
    let bestScore = scoreThreshold;
    for (let k = 0; k < nClasses; k++) {
      const s = output[scoresBase + classes[k]! * anchors + i]!;
      if (s >= bestScore) {
        bestScore = s;
        best = classes[k]!;
      }
    }
    if (best < 0) continue;
    const cx = output[i]!;
    const cy = output[anchors + i]!;
    const halfW = output[2 * anchors + i]! * 0.5;
    const halfH = output[3 * anchors + i]! * 0.5;
    out.push(cx - halfW, cy - halfH, cx + halfW, cy + halfH, bestScore, best);
  }
}
