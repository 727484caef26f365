/**
 * Works out what kind of detector a loaded ONNX model is, from its tensor shapes, and checks
 * that the shapes are consistent with that format (and with the manifest entry when the model
 * has one). Anything else, such as a ReID embedder passed as the detector, is a
 * `MODEL_MISMATCH` error naming the shapes found and expected.
 */
import { ModelError } from '../errors.js';
import type { ModelEntry, PreprocessSpec, TensorLayout } from './manifest.js';
import { formatShape, shapeMatches, type TensorSignature } from './session.js';
import { YOLOX_STRIDES, yoloxGrid } from './yolox-decode.js';

/** Output layouts the detector decodes. */
export type DetectorFormat = 'yolox' | 'yolov8';

/** What the detector needs to know about its model. */
export interface DetectorModelInfo {
  format: DetectorFormat;
  inputName: string;
  outputName: string;
  /** Layout of the image input. */
  layout: TensorLayout;
  inputWidth: number;
  inputHeight: number;
  /** Number of classes the model scores. */
  classes: number;
  /** Boxes per frame in the raw output (rows for YOLOX, anchors for YOLOv8), or undefined when dynamic. */
  anchors: number | undefined;
  /** Strides of the detection heads, finest first (the order of the output rows). */
  strides: readonly number[];
}

/** Pre-processing of each format's reference export, used when a model comes without an entry. */
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

/** Boxes per frame of a YOLO head over `strides` at a `width × height` input. */
export function gridRows(width: number, height: number, strides: readonly number[]): number {
  return strides.reduce((n, s) => n + Math.floor(width / s) * Math.floor(height / s), 0);
}

/**
 * Inspects a detector model's input and output.
 * @param format - Format named by the user or the entry; detected from the output shape when undefined.
 * @param entry - Manifest entry whose declared shapes and classes the model must match, when known.
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
  if (entry !== undefined && (input.name !== entry.input.name || output.name !== entry.output.name || !shapeMatches(inShape, entry.input.shape) || !shapeMatches(outShape, entry.output.shape))) {
    throw new ModelError(
      'MODEL_MISMATCH',
      `${modelPath} does not match the manifest entry "${entry.id}": it has input "${input.name}" ${formatShape(inShape)} and output "${output.name}" ${formatShape(outShape)}, the entry declares "${entry.input.name}" ${formatShape(entry.input.shape)} and "${entry.output.name}" ${formatShape(entry.output.shape)}. Check that the file is the ${entry.file} the entry describes, or correct the entry.`,
      { culprit: modelPath },
    );
  }
  const layout: TensorLayout = entry?.input.layout ?? 'NCHW';
  const [hAxis, wAxis, cAxis] = layout === 'NCHW' ? [2, 3, 1] : [1, 2, 3];
  if (inShape.length !== 4 || (fixed(inShape[cAxis]) && inShape[cAxis] !== 3) || (fixed(inShape[0]) && inShape[0] !== 1)) {
    throw mismatch(modelPath, `its input is ${formatShape(inShape)}, not a single 3-channel image ${layout === 'NCHW' ? '[1, 3, H, W]' : '[1, H, W, 3]'}`);
  }
  if (outShape.length !== 3) {
    const hint = outShape.length === 2 ? ' (a [batch, features] output: this looks like a ReID embedder)' : '';
    throw mismatch(modelPath, `its output is ${formatShape(outShape)}${hint}`);
  }
  const strides = entry?.strides ?? YOLOX_STRIDES;
  const inputHeight = fixed(inShape[hAxis]) ? inShape[hAxis] : fallbackInputSize;
  const inputWidth = fixed(inShape[wAxis]) ? inShape[wAxis] : fallbackInputSize;
  const [, a, b] = outShape;
  const rows = yoloxGrid(inputWidth, inputHeight, strides).rows;
  let detected = format;
  if (detected === undefined) {
    // YOLOX has one row per grid cell, so its anchor axis comes first and equals the grid size;
    // an Ultralytics export puts the (small) 4 + classes axis first.
    if (a === rows && b !== rows) detected = 'yolox';
    else if (fixed(a) && a !== rows) detected = 'yolov8';
    else if (!fixed(a) && fixed(b)) detected = 'yolox';
    else throw mismatch(modelPath, `its output ${formatShape(outShape)} does not tell the format apart; pass format: 'yolox' or 'yolov8'`);
  }
  let info: DetectorModelInfo;
  if (detected === 'yolox') {
    if (!fixed(b) || b < 6) throw mismatch(modelPath, `as YOLOX, its output ${formatShape(outShape)} needs a last axis of 5 + classes`);
    if (fixed(a) && a !== rows) {
      throw mismatch(modelPath, `as YOLOX with a ${inputWidth}x${inputHeight} input it should have ${rows} rows (strides ${strides.join('/')}), but its output is ${formatShape(outShape)}`);
    }
    info = { format: 'yolox', inputName: input.name, outputName: output.name, layout, inputWidth, inputHeight, classes: b - 5, anchors: rows, strides };
  } else {
    if (!fixed(a) || a < 5) throw mismatch(modelPath, `as YOLOv8, its output ${formatShape(outShape)} needs a second axis of 4 + classes`);
    info = { format: 'yolov8', inputName: input.name, outputName: output.name, layout, inputWidth, inputHeight, classes: a - 4, anchors: fixed(b) ? b : undefined, strides };
  }
  if (entry?.classes !== undefined && entry.classes !== info.classes) {
    throw new ModelError('MODEL_MISMATCH', `${modelPath} scores ${info.classes} classes (output ${formatShape(outShape)}), but its manifest entry "${entry.id}" says classes: ${entry.classes}. Correct the entry or the file.`, { culprit: modelPath });
  }
  return info;
}
