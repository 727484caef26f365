/**
 * Decodes the raw head output of an official YOLOX ONNX export, `[1, anchors, 5 + classes]`:
 * each row is an anchor-free grid cell over strides 8, 16 and 32 holding
 * `[dx, dy, log w, log h, objectness, class scores…]`. Centre = (d + grid) · stride,
 * size = exp(·) · stride, score = objectness × class score.
 */
import type { CandidateBuffer } from './nms.js';

/** The strides of the three YOLOX heads, finest first (the order of the output rows). */
export const YOLOX_STRIDES: readonly number[] = [8, 16, 32];

/** Grid position and stride of every output row, computed once per input size. */
export interface YoloxGrid {
  readonly rows: number;
  readonly gridX: Float32Array;
  readonly gridY: Float32Array;
  readonly stride: Float32Array;
}

/** Builds the grid for a `width × height` input; its `rows` must equal the model's anchor count. */
export function yoloxGrid(width: number, height: number, strides: readonly number[] = YOLOX_STRIDES): YoloxGrid {
  let rows = 0;
  for (const s of strides) rows += Math.floor(width / s) * Math.floor(height / s);
  const gridX = new Float32Array(rows);
  const gridY = new Float32Array(rows);
  const stride = new Float32Array(rows);
  let r = 0;
  for (const s of strides) {
    const cols = Math.floor(width / s);
    const lines = Math.floor(height / s);
    for (let y = 0; y < lines; y++) {
      for (let x = 0; x < cols; x++, r++) {
        gridX[r] = x;
        gridY[r] = y;
        stride[r] = s;
      }
    }
  }
  return { rows, gridX, gridY, stride };
}

/**
 * Pushes every row whose best allowed class scores at least `scoreThreshold` into `out`,
 * as a box in model-input pixels. One candidate per row: its best allowed class.
 * @param classes - Class indices to keep (for example `[0]` for persons).
 */
export function decodeYolox(
  output: Float32Array,
  rowLength: number,
  grid: YoloxGrid,
  classes: Int32Array,
  scoreThreshold: number,
  out: CandidateBuffer,
): void {
  const { rows, gridX, gridY, stride } = grid;
  const nClasses = classes.length;
  for (let r = 0, base = 0; r < rows; r++, base += rowLength) {
    const objectness = output[base + 4]!;
    // Class scores are at most 1, so a low objectness rules the row out without reading them.
    if (objectness < scoreThreshold) continue;
    let best = -1;
    let bestScore = scoreThreshold;
    for (let k = 0; k < nClasses; k++) {
      const s = objectness * output[base + 5 + classes[k]!]!;
      if (s >= bestScore) {
        bestScore = s;
        best = classes[k]!;
      }
    }
    if (best < 0) continue;
    const s = stride[r]!;
    const cx = (output[base]! + gridX[r]!) * s;
    const cy = (output[base + 1]! + gridY[r]!) * s;
    const halfW = Math.exp(output[base + 2]!) * s * 0.5;
    const halfH = Math.exp(output[base + 3]!) * s * 0.5;
    out.push(cx - halfW, cy - halfH, cx + halfW, cy + halfH, bestScore, best);
  }
}
