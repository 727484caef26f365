/**
 * Rectangular inference needs a model that accepts other input sizes than the one its export
 * declares. A fully convolutional detector such as YOLOX runs at any multiple of its stride,
 * but its ONNX file states a fixed input shape (and fixed shapes of every intermediate tensor),
 * which onnxruntime enforces. This module writes a copy whose input height and width, and the
 * output's box axis, are symbolic, with the stale intermediate shapes dropped (onnxruntime
 * infers them again). The copy lives in the user cache, named after the original's SHA-256,
 * so it is made once per model file; the original is only read. Whether the graph itself is
 * shape-agnostic is not decided here: the detector checks with a test inference.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import onnxProto from 'onnx-proto';
import { ModelError } from '../errors.js';
import type { TensorLayout } from './manifest.js';

const { onnx } = onnxProto;

/** What to make symbolic. */
export interface SymbolicInputRequest {
  /** Name of the image input. */
  inputName: string;
  /** Its layout, which says where height and width are. */
  layout: TensorLayout;
  /** Name of the output whose box (anchor) axis follows the input size. */
  outputName: string;
  /** Index of that axis in the output shape (1 for YOLOX `[1, rows, 5 + C]`, 2 for YOLOv8 `[1, 4 + C, anchors]`). */
  outputAxis: number;
}

/** Folder of the cache where derived model files are kept. */
export function derivedModelsDir(cacheDir: string): string {
  return path.join(cacheDir, 'derived');
}

/**
 * The path of a copy of the model (`bytes`, read from `modelPath`) with symbolic spatial input
 * axes, written into `<cacheDir>/derived/<sha256>.symbolic-hw.onnx` unless already there.
 * @throws ModelError `MODEL_CORRUPT` when the file does not parse as ONNX or lacks the named
 *   input/output; `MODEL_NOT_FOUND` naming the folder when the cache cannot be written.
 */
export async function symbolicInputCopy(modelPath: string, bytes: Uint8Array, request: SymbolicInputRequest, cacheDir: string): Promise<string> {
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const dir = derivedModelsDir(path.resolve(cacheDir));
  const target = path.join(dir, `${sha256}.symbolic-hw.onnx`);
  if (existsSync(target)) return target;

  let model: InstanceType<typeof onnx.ModelProto>;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (cause) {
    throw new ModelError('MODEL_CORRUPT', `${modelPath} does not parse as an ONNX model, so its input cannot be made rectangular: ${(cause as Error).message}`, { culprit: modelPath, cause });
  }
  const graph = model.graph;
  const input = graph?.input?.find((i) => i.name === request.inputName);
  const output = graph?.output?.find((o) => o.name === request.outputName);
  const inputDims = input?.type?.tensorType?.shape?.dim;
  const outputDims = output?.type?.tensorType?.shape?.dim;
  if (!graph || !inputDims || inputDims.length !== 4 || !outputDims || outputDims.length <= request.outputAxis) {
    throw new ModelError('MODEL_CORRUPT', `${modelPath} has no 4-axis input "${request.inputName}" and output "${request.outputName}" with axis ${request.outputAxis} in its graph, so its input cannot be made rectangular`, { culprit: modelPath });
  }
  const [heightAxis, widthAxis] = request.layout === 'NCHW' ? [2, 3] : [1, 2];
  inputDims[heightAxis] = onnx.TensorShapeProto.Dimension.create({ dimParam: 'height' });
  inputDims[widthAxis] = onnx.TensorShapeProto.Dimension.create({ dimParam: 'width' });
  outputDims[request.outputAxis] = onnx.TensorShapeProto.Dimension.create({ dimParam: 'boxes' });
  // Intermediate shapes recorded for the old size would contradict the new one.
  graph.valueInfo = [];
  const encoded = onnx.ModelProto.encode(model).finish();

  try {
    await mkdir(dir, { recursive: true });
    const partial = `${target}.${process.pid}-${randomBytes(4).toString('hex')}.part`;
    try {
      await writeFile(partial, encoded);
      await rename(partial, target); // atomic: a reader never sees half a file
    } finally {
      await rm(partial, { force: true });
    }
  } catch (cause) {
    throw new ModelError('MODEL_NOT_FOUND', `cannot write the rectangular-input copy of ${modelPath} into ${dir}: ${(cause as Error).message}. Pass a writable cacheDir, or inputShape: 'fixed'.`, { culprit: dir, cause });
  }
  return target;
}
