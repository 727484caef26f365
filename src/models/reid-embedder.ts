/**
 * Appearance embeddings for re-identification with an OSNet-style ONNX model: crops boxes
 * out of a frame, resizes each to the model input (256×128 for OSNet), normalises as the
 * model was trained (ImageNet mean/std for torchreid models), runs them in batches and returns
 * L2-normalised vectors to compare with `cosineSimilarity` (./similarity.ts).
 */
import { ConfigError, ModelError } from '../errors.js';
import type { ImageView } from '../streams/frame.js';
import { assertImageView, clipBoxToPixels, CropResizer, type PixelRect } from './image-ops.js';
import type { ModelEntry, PreprocessSpec } from './manifest.js';
import { chooseModel, type DownloadProgress } from './resolver.js';
import { formatShape, shapeMatches, singleInputOutput, type SessionOptions } from './session.js';
import { WorkerSession } from './worker-session.js';
import { l2Normalize } from './similarity.js';
import { InFlightCalls } from './in-flight.js';

/** Options of {@link ReidEmbedder.load}. */
export interface ReidEmbedderOptions extends SessionOptions {
  /**
   * Path to an embedder ONNX file, used as is (no search). Checked against the manifest only
   * when `modelId` is also given; otherwise any `[batch, 3, H, W] → [batch, D]` model is accepted.
   */
  modelPath?: string;
  /**
   * Manifest id of the model to resolve when no `modelPath` is given.
   * @default 'osnet-x0.25-msmt17'
   */
  modelId?: string;
  /**
   * Most crops per inference call. Larger batches cost less per crop (about 2.1 ms per crop
   * at batch 1 vs 1.3 ms at batch 8 for OSNet x0.25 on 2 cores) but hold a bigger input
   * buffer (0.4 MB per crop) and delay the first result. Ignored for models with a fixed batch size.
   * @default 32
   */
  maxBatch?: number;
  /**
   * Threads one batch may use (see {@link SessionOptions.intraOpNumThreads}). One thread is
   * the most CPU-efficient on a machine that is also decoding, detecting and encoding; more
   * threads lower the latency of large batches on an otherwise idle machine.
   * @default 1
   */
  intraOpNumThreads?: number;
  /** A folder of model files searched before `MULTICAM_REID_MODELS` (see {@link resolveModel}). */
  modelsDir?: string;
  /** Download the model from the manifest URL into the user cache when it is not found locally. @default false */
  allowDownload?: boolean;
  /** Cache folder searched and used for downloads. */
  cacheDir?: string;
  /** Download progress callback. */
  onProgress?: (progress: DownloadProgress) => void;
}

/** A box to embed, in frame pixels (a {@link Detection} or a track box fits). */
export interface EmbedBox {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
}

/** torchreid's convention: RGB, 0–1, ImageNet mean/std, plain resize (no letterbox). */
const OSNET_PREPROCESS: PreprocessSpec = { channelOrder: 'rgb', scale: 1 / 255, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], letterbox: 'none', padValue: 0 };
const DEFAULT_MODEL_ID = 'osnet-x0.25-msmt17';
const DEFAULT_MAX_BATCH = 32;

/**
 * Computes appearance embeddings of person crops.
 *
 * Concurrency: `embed()` may be called concurrently; each in-flight call uses its own batch
 * buffer from a pool, so concurrent calls never share scratch memory. Inference runs in a
 * worker thread (see `WorkerSession`), so the event loop stays free.
 */
export class ReidEmbedder {
  /** Length of each embedding (512 for OSNet). */
  readonly dimension: number;
  /** Crop width fed to the model. */
  readonly inputWidth: number;
  /** Crop height fed to the model. */
  readonly inputHeight: number;
  /** Crops per inference call. */
  readonly batchSize: number;
  /** Path of the model file in use. */
  readonly modelPath: string;

  private readonly fixedBatch: boolean;
  private readonly resizer: CropResizer;
  private readonly pool: Float32Array[] = [];
  private readonly rect: PixelRect = { x: 0, y: 0, width: 0, height: 0 };
  private readonly inFlight = new InFlightCalls();
  private released = false;

  private constructor(
    private readonly session: WorkerSession,
    private readonly names: { input: string; output: string },
    shape: { width: number; height: number; dimension: number; batchSize: number; fixedBatch: boolean },
    modelPath: string,
    preprocess: PreprocessSpec,
  ) {
    this.inputWidth = shape.width;
    this.inputHeight = shape.height;
    this.dimension = shape.dimension;
    this.batchSize = shape.batchSize;
    this.fixedBatch = shape.fixedBatch;
    this.modelPath = modelPath;
    this.resizer = new CropResizer(shape.width, shape.height, preprocess);
  }

  /**
   * Resolves the model, opens an inference session and checks the model's shapes.
   * @throws ConfigError `INVALID_OPTION`; ModelError `MODEL_NOT_FOUND`, `MODEL_CORRUPT`,
   *   `MODEL_MISMATCH` (for example a detector given as the embedder), `DOWNLOAD_FAILED`, `CHECKSUM_MISMATCH`.
   */
  static async load(options: ReidEmbedderOptions = {}): Promise<ReidEmbedder> {
    const maxBatch = options.maxBatch ?? DEFAULT_MAX_BATCH;
    if (!(Number.isInteger(maxBatch) && maxBatch >= 1)) {
      throw new ConfigError('INVALID_OPTION', `maxBatch must be a positive integer, got ${String(options.maxBatch)}`, { culprit: 'maxBatch' });
    }
    const { modelPath, entry } = await chooseModel(options, 'embedder', DEFAULT_MODEL_ID);

    const session = await WorkerSession.open(modelPath, { ...options, intraOpNumThreads: options.intraOpNumThreads ?? 1 }, 'ReID embedder');
    try {
      const { input, output } = singleInputOutput(session, modelPath, 'ReID embedder');
      const shape = inspectEmbedderModel(modelPath, input.shape, output.shape, entry, maxBatch);
      return new ReidEmbedder(session, { input: input.name, output: output.name }, shape, modelPath, entry?.preprocess ?? OSNET_PREPROCESS);
    } catch (error) {
      await session.release();
      throw error;
    }
  }

  /**
   * Embeds the crops of `boxes` from one frame, in batches of {@link batchSize}.
   * Boxes are clipped to the frame; a box with less than one pixel inside it yields an
   * all-zero vector (similarity 0 to everything) without running the model.
   * The crops of the first batch are taken before this returns; with more boxes than
   * {@link batchSize}, later batches read `image` after awaiting, so keep its pixels unchanged
   * until the promise settles.
   * @returns One L2-normalised vector of length {@link dimension} per box, in order.
   */
  async embed(image: ImageView, boxes: ReadonlyArray<EmbedBox>): Promise<Float32Array[]> {
    this.assertUsable();
    assertImageView(image, 'ReidEmbedder.embed');
    if (!Array.isArray(boxes)) throw new ConfigError('INVALID_OPTION', `ReidEmbedder.embed: boxes must be an array of {x1,y1,x2,y2}, got ${typeof boxes}`, { culprit: 'boxes' });
    return this.inFlight.track(this.runEmbed(image, boxes));
  }

  /** Embeds a whole image as one crop (a reference photo of a person, or a saved crop). */
  async embedImage(image: ImageView): Promise<Float32Array> {
    const [vector] = await this.embed(image, [{ x1: 0, y1: 0, x2: image.width, y2: image.height }]);
    return vector!;
  }

  /** Waits for in-flight calls, then frees the inference session. Further calls throw. */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    await this.inFlight.settled();
    this.pool.length = 0;
    await this.session.release();
  }

  private async runEmbed(image: ImageView, boxes: ReadonlyArray<EmbedBox>): Promise<Float32Array[]> {
    const results: Float32Array[] = new Array<Float32Array>(boxes.length);
    const pending: number[] = [];
    for (let i = 0; i < boxes.length; i++) {
      const box = boxes[i];
      if (box && clipBoxToPixels(box, image.width, image.height, this.rect)) pending.push(i);
      else results[i] = new Float32Array(this.dimension);
    }
    if (pending.length === 0) return results;
    let batch = this.pool.pop() ?? new Float32Array(this.batchSize * this.resizer.slotLength);
    for (let start = 0; start < pending.length; start += this.batchSize) {
      const count = Math.min(this.batchSize, pending.length - start);
      // Crops are written synchronously, so the shared resizer and rect are never interleaved.
      for (let k = 0; k < count; k++) {
        clipBoxToPixels(boxes[pending[start + k]!]!, image.width, image.height, this.rect);
        this.resizer.run(image, this.rect, batch, k);
      }
      const rows = this.fixedBatch ? this.batchSize : count;
      if (rows > count) batch.fill(0, count * this.resizer.slotLength, rows * this.resizer.slotLength);
      const dims = [rows, 3, this.inputHeight, this.inputWidth];
      // The batch buffer travels to the inference worker and back; a failed run keeps it.
      const { input, output } = await this.session.run(this.names.input, batch.subarray(0, rows * this.resizer.slotLength), dims, this.names.output);
      batch = new Float32Array(input.buffer);
      const d = this.dimension;
      for (let k = 0; k < count; k++) results[pending[start + k]!] = l2Normalize(output.slice(k * d, (k + 1) * d));
    }
    this.pool.push(batch);
    return results;
  }

  private assertUsable(): void {
    if (this.released) throw new ConfigError('INVALID_OPTION', `this ReidEmbedder (${this.modelPath}) was released; load a new one`, { culprit: 'ReidEmbedder' });
  }
}

/** Checks `[batch, 3, H, W] → [batch, D]` (and the manifest's declared shapes when known). */
function inspectEmbedderModel(
  modelPath: string,
  inShape: ReadonlyArray<number | string>,
  outShape: ReadonlyArray<number | string>,
  entry: ModelEntry | undefined,
  maxBatch: number,
): { width: number; height: number; dimension: number; batchSize: number; fixedBatch: boolean } {
  const found = `input ${formatShape(inShape)}, output ${formatShape(outShape)}`;
  if (entry !== undefined && (!shapeMatches(inShape, entry.input.shape) || !shapeMatches(outShape, entry.output.shape))) {
    throw new ModelError('MODEL_MISMATCH', `${modelPath} does not match the manifest entry "${entry.id}": it has ${found}, the manifest declares input ${formatShape(entry.input.shape)}, output ${formatShape(entry.output.shape)}. Check that the file is the ${entry.file} the manifest describes.`, { culprit: modelPath });
  }
  const [batch, channels, height, width] = inShape;
  const [, dimension] = outShape;
  const ok = inShape.length === 4 && outShape.length === 2 && (typeof channels !== 'number' || channels === 3) && typeof height === 'number' && typeof width === 'number' && typeof dimension === 'number';
  if (!ok) {
    const hint = outShape.length === 3 ? ' (a 3-axis output: this looks like a detector)' : '';
    throw new ModelError('MODEL_MISMATCH', `${modelPath} is not a supported ReID embedder: it has ${found}${hint}. Expected input [batch, 3, H, W] and output [batch, D], such as OSNet's [batch, 3, 256, 128] → [batch, 512].`, { culprit: modelPath });
  }
  const fixedBatch = typeof batch === 'number';
  return { width, height, dimension, batchSize: fixedBatch ? batch : maxBatch, fixedBatch };
}
