/**
 * Works out what kind of detector a loaded ONNX model is, from its tensor shapes, and checks
 * that the shapes are consistent with that format (and with the manifest when the model is a
 * known one). Anything else, such as a ReID embedder passed as the detector, is a
 * `MODEL_MISMATCH` error naming the shapes found and expected.
 */
import { ModelError } from '../errors.js';
import type { ModelEntry, PreprocessSpec } from './manifest.js';
import { formatShape, shapeMatches, type TensorSignature } from './session.js';
import { yoloxGrid } from './yolox-decode.js';

/** Output layouts the detector decodes. */
export type DetectorFormat = 'yolox' | 'yolov8';

/** What the detector needs to know about its model. */
export interface DetectorModelInfo {
  format: DetectorFormat;
  inputName: string;
  outputName: string;
  inputWidth: number;
  inputHeight: number;
  /** Number of classes the model scores. */
  classes: number;
  /** Boxes per frame in the raw output (rows for YOLOX, anchors for YOLOv8), or undefined when dynamic. */
  anchors: number | undefined;
}

/** Pre-processing of each format's reference export, used when the manifest has no entry. */
export const DEFAULT_PREPROCESS: Record<DetectorFormat, PreprocessSpec> = {
  // Official YOLOX export: BGR, 0–255, no normalisation, image at the top-left, pad 114.
  yolox: { channelOrder: 'bgr', scale: 1, mean: [0, 0, 0], std: [1, 1, 1], letterbox: 'top-left', padValue: 114 },
  // Ultralytics export: RGB scaled to 0–1, image centred, pad 114 (grey).
  yolov8: { channelOrder: 'rgb', scale: 1 / 255, mean: [0, 0, 0], std: [1, 1, 1], letterbox: 'center', padValue: 114 },
};

function mismatch(modelPath: string, detail: string): ModelError {
  return new ModelError(
    'MODEL_MISMATCH',
    `${modelPath} is not a supported person detector: ${detail}. Expected a YOLOX export (input [1, 3, H, W], output [1, anchors, 5 + classes]) or an Ultralytics YOLOv8/YOLO11 export (output [1, 4 + classes, anchors]).`,
    { culprit: modelPath },
  );
}

const fixed = (d: number | string | undefined): d is number => typeof d === 'number';

/**
 * Inspects a detector model's input and output.
 * @param format - Format named by the user; detected from the output shape when undefined.
 * @param entry - Manifest entry whose declared shapes the model must match, when known.
 * @param fallbackInputSize - Input size for models whose spatial axes are dynamic.
 */
export function inspectDetectorModel(
  modelPath: string,
  input: TensorSignature,
  output: TensorSignature,
  format: DetectorFormat | undefined,
  entry: ModelEntry | undefined,
  fallbackInputSize: number,
): DetectorModelInfo {
  const inShape = input.shape;
  const outShape = output.shape;
  if (entry !== undefined && (!shapeMatches(inShape, entry.input.shape) || !shapeMatches(outShape, entry.output.shape))) {
    throw new ModelError(
      'MODEL_MISMATCH',
      `${modelPath} does not match the manifest entry "${entry.id}": it has input ${formatShape(inShape)} and output ${formatShape(outShape)}, the manifest declares ${formatShape(entry.input.shape)} and ${formatShape(entry.output.shape)}. Check that the file is the ${entry.file} the manifest describes.`,
      { culprit: modelPath },
    );
  }
  if (inShape.length !== 4 || (fixed(inShape[1]) && inShape[1] !== 3) || (fixed(inShape[0]) && inShape[0] !== 1)) {
    throw mismatch(modelPath, `its input is ${formatShape(inShape)}, not a single 3-channel image [1, 3, H, W]`);
  }
  if (outShape.length !== 3) {
    const hint = outShape.length === 2 ? ' (a [batch, features] output: this looks like a ReID embedder)' : '';
    throw mismatch(modelPath, `its output is ${formatShape(outShape)}${hint}`);
  }
  const inputHeight = fixed(inShape[2]) ? inShape[2] : fallbackInputSize;
  const inputWidth = fixed(inShape[3]) ? inShape[3] : fallbackInputSize;
  const [, a, b] = outShape;
  const rows = yoloxGrid(inputWidth, inputHeight).rows;
  let detected = format;
  if (detected === undefined) {
    // YOLOX has one row per grid cell, so its anchor axis comes first and equals the grid size;
    // an Ultralytics export puts the (small) 4 + classes axis first.
    if (a === rows && b !== rows) detected = 'yolox';
    else if (fixed(a) && a !== rows) detected = 'yolov8';
    else if (!fixed(a) && fixed(b)) detected = 'yolox';
    else throw mismatch(modelPath, `its output ${formatShape(outShape)} does not tell the format apart; pass format: 'yolox' or 'yolov8'`);
  }
  if (detected === 'yolox') {
    if (!fixed(b) || b < 6) throw mismatch(modelPath, `as YOLOX, its output ${formatShape(outShape)} needs a last axis of 5 + classes`);
    if (fixed(a) && a !== rows) {
      throw mismatch(modelPath, `as YOLOX with a ${inputWidth}x${inputHeight} input it should have ${rows} rows (strides 8/16/32), but its output is ${formatShape(outShape)}`);
    }
    return { format: 'yolox', inputName: input.name, outputName: output.name, inputWidth, inputHeight, classes: b - 5, anchors: rows };
  }
  if (!fixed(a) || a < 5) throw mismatch(modelPath, `as YOLOv8, its output ${formatShape(outShape)} needs a second axis of 4 + classes`);
  return { format: 'yolov8', inputName: input.name, outputName: output.name, inputWidth, inputHeight, classes: a - 4, anchors: fixed(b) ? b : undefined };
}
