/**
 * Checks that a loaded ONNX model is a ReID embedder — one image batch in, one vector per image
 * out — in the layout its manifest entry declares, and reads its crop size, vector length and
 * batch axis from the shapes.
 */
import { ModelError } from '../errors.js';
import type { ModelEntry, TensorLayout } from './manifest.js';
import { formatShape, shapeMatches, type TensorSignature } from './session.js';

/** What the embedder needs to know about its model. */
export interface EmbedderModelInfo {
  inputName: string;
  outputName: string;
  layout: TensorLayout;
  /** Crop size fed to the model. */
  width: number;
  height: number;
  /** Length of each embedding. */
  dimension: number;
  /** The batch size when the model fixes it (1 for retail-0287), undefined for a dynamic batch axis. */
  fixedBatch: number | undefined;
}

/**
 * Inspects an embedder: `[batch, 3, H, W]` (NCHW) or `[batch, H, W, 3]` (NHWC) → `[batch, D]`,
 * and the entry's declared names and shapes when it has one.
 * @throws ModelError `MODEL_MISMATCH` naming the shapes found and expected.
 */
export function inspectEmbedderModel(modelPath: string, input: TensorSignature, output: TensorSignature, entry: ModelEntry | undefined): EmbedderModelInfo {
  const inShape = input.shape;
  const outShape = output.shape;
  const found = `input "${input.name}" ${formatShape(inShape)}, output "${output.name}" ${formatShape(outShape)}`;
  if (entry !== undefined && (input.name !== entry.input.name || output.name !== entry.output.name || !shapeMatches(inShape, entry.input.shape) || !shapeMatches(outShape, entry.output.shape))) {
    throw new ModelError(
      'MODEL_MISMATCH',
      `${modelPath} does not match the manifest entry "${entry.id}": it has ${found}, the entry declares input "${entry.input.name}" ${formatShape(entry.input.shape)}, output "${entry.output.name}" ${formatShape(entry.output.shape)}. Check that the file is the ${entry.file} the entry describes, or correct the entry.`,
      { culprit: modelPath },
    );
  }
  const layout: TensorLayout = entry?.input.layout ?? 'NCHW';
  const [batch, a, b, c] = inShape;
  const [channels, height, width] = layout === 'NCHW' ? [a, b, c] : [c, a, b];
  const [outBatch, dimension] = outShape;
  const ok = inShape.length === 4 && outShape.length === 2 && (typeof channels !== 'number' || channels === 3) && typeof height === 'number' && typeof width === 'number' && typeof dimension === 'number';
  if (!ok) {
    const hint = outShape.length === 3 ? ' (a 3-axis output: this looks like a detector)' : '';
    const expected = layout === 'NCHW' ? '[batch, 3, H, W]' : '[batch, H, W, 3]';
    throw new ModelError('MODEL_MISMATCH', `${modelPath} is not a supported ReID embedder: it has ${found}${hint}. Expected input ${expected} and output [batch, D], such as OSNet's [batch, 3, 256, 128] → [batch, 512].`, { culprit: modelPath });
  }
  if (typeof batch === 'number' && typeof outBatch === 'number' && batch !== outBatch) {
    throw new ModelError('MODEL_MISMATCH', `${modelPath} takes a batch of ${batch} but returns ${outBatch} vectors (${found})`, { culprit: modelPath });
  }
  return { inputName: input.name, outputName: output.name, layout, width, height, dimension, fixedBatch: typeof batch === 'number' ? batch : undefined };
}
