/**
 * Appearance embeddings for re-identification with a ReID ONNX model (OSNet, OpenVINO's
 * retail-0287, or any `[batch, image] → [batch, D]` model described by a manifest entry):
 * crops boxes out of a frame, resizes each to the model input, normalises as the model was
 * trained, runs them in batches — merging the crops of concurrent calls — and returns
 * L2-normalised vectors to compare with `cosineSimilarity` (./similarity.ts).
 */
import { ConfigError } from '../errors.js';
import type { ImageView } from '../streams/frame.js';
import { CropBatcher } from './crop-batcher.js';
import { warningSink } from './detector-options.js';
import { inspectEmbedderModel, type EmbedderModelInfo } from './embedder-model.js';
import { assertImageView, clipBoxToPixels, CropResizer, type PixelRect } from './image-ops.js';
import type { ModelEntryInput, PreprocessSpec } from './manifest.js';
import { chooseModel, type DownloadProgress } from './resolver.js';
import { singleInputOutput, type SessionOptions } from './session.js';
import { WorkerSession } from './worker-session.js';
import { l2Normalize } from './similarity.js';
import { InFlightCalls } from './in-flight.js';

/** How concurrent `embed()` calls share the model. */
export type EmbedBatching = 'merge' | 'per-call';

/** Options of {@link ReidEmbedder.load}. */
export interface ReidEmbedderOptions extends SessionOptions {
  /**
   * Path to an embedder ONNX file. Alone, it is used as is (no search) with OSNet's
   * pre-processing, and any NCHW `[batch, 3, H, W] → [batch, D]` model is accepted. With
   * `modelId` or `modelEntry`, the file is checked against that entry and fed as it says.
   */
  modelPath?: string;
  /**
   * Manifest id of the model to resolve, e.g. `'osnet-x0.25-msmt17'`, `'osnet-x0.5-msmt17'`
   * or `'reid-retail-0287'` (see `manifest` for your own entries).
   * @default 'osnet-x0.25-msmt17'
   */
  modelId?: string;
  /**
   * A manifest entry given inline instead of an id (see `models/README.md` for the fields):
   * validated before any file is read; a missing field is ModelError `INVALID_MODEL_ENTRY`
   * naming it. Not together with `modelId`.
   * @example { id: 'my-osnet', task: 'embedder', format: 'embedding', file: 'osnet_ain_x1_0.onnx', input: { name: 'images', shape: ['batch', 3, 256, 128], layout: 'NCHW' }, output: { name: 'output', shape: ['batch', 512] }, preprocess: { channelOrder: 'rgb', scale: 0.00392156862745098, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], letterbox: 'none', padValue: 0 } }
   */
  modelEntry?: ModelEntryInput;
  /** Manifest file(s) of your own, merged over the package manifest, where `modelId` is looked up. */
  manifest?: string | string[];
  /**
   * Most crops per inference call. Larger batches cost less per crop (about 2.1 ms per crop
   * at batch 1 vs 1.3 ms at batch 8 for OSNet x0.25 on 2 cores) but hold a bigger input
   * buffer (0.4 MB per crop) and delay the first result. For a model whose batch is fixed at 1
   * (retail-0287) this many crops go to the worker in one message and run one after another
   * there; a model with another fixed batch size runs batches of exactly that size.
   * @default 32
   */
  maxBatch?: number;
  /**
   * `'merge'`: crops from concurrent `embed()` calls (several cameras in one tick) share
   * batches of up to `maxBatch` — one inference call for all of them, sent at the end of the
   * event-loop turn or when the running batch finishes. `'per-call'`: every call runs its own
   * batches. Both take every crop before `embed()` returns its promise.
   * @default 'merge'
   */
  batching?: EmbedBatching;
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
  /**
   * Called with a message when the embedder runs differently from what was asked (CUDA not
   * available, so the CPU runs).
   * @default `process.emitWarning`
   */
  onWarning?: (message: string) => void;
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
 * Concurrency: `embed()` may be called concurrently; with `batching: 'merge'` the crops of
 * calls made in the same event-loop turn run as one batch. Every crop is taken before
 * `embed()` returns, so the frame may be reused as soon as the call has been made. Inference
 * runs in a worker thread (see `WorkerSession`), so the event loop stays free.
 */
export class ReidEmbedder {
  /** Length of each embedding (512 for OSNet, 256 for retail-0287). */
  readonly dimension: number;
  /** Crop width fed to the model. */
  readonly inputWidth: number;
  /** Crop height fed to the model. */
  readonly inputHeight: number;
  /** Crops per inference call (worker message). */
  readonly batchSize: number;
  /** Path of the model file in use. */
  readonly modelPath: string;
  /** Manifest id of the model, or undefined for a bare `modelPath`. */
  readonly modelId: string | undefined;
  /** How concurrent calls share the model. */
  readonly batching: EmbedBatching;

  private calls = 0;
  private readonly resizer: CropResizer;
  private readonly batcher: CropBatcher;
  private readonly pool: Float32Array[] = [];
  private readonly rect: PixelRect = { x: 0, y: 0, width: 0, height: 0 };
  private readonly inFlight = new InFlightCalls();
  private released = false;

  private constructor(
    private readonly session: WorkerSession,
    private readonly info: EmbedderModelInfo,
    meta: { modelPath: string; modelId: string | undefined; batchSize: number; batching: EmbedBatching },
    preprocess: PreprocessSpec,
  ) {
    this.inputWidth = info.width;
    this.inputHeight = info.height;
    this.dimension = info.dimension;
    this.batchSize = meta.batchSize;
    this.modelPath = meta.modelPath;
    this.modelId = meta.modelId;
    this.batching = meta.batching;
    this.resizer = new CropResizer(info.width, info.height, preprocess, info.layout);
    this.batcher = new CropBatcher(this.resizer.slotLength, this.batchSize, this.dimension, (tensor, count) => this.runBatch(tensor, count), l2Normalize);
  }

  /** Inference calls (worker messages) made so far; with `batching: 'merge'`, concurrent `embed()` calls share them. */
  get inferenceCalls(): number {
    return this.calls;
  }

  /** The execution providers the session runs on (`['cpu']` after a CUDA fallback). */
  get executionProviders(): readonly string[] {
    return this.session.executionProviders;
  }

  /**
   * Resolves the model, opens an inference session and checks the model's shapes.
   * @throws ConfigError `INVALID_OPTION`; ModelError `INVALID_MODEL_ENTRY`, `MODEL_NOT_FOUND`,
   *   `MODEL_CORRUPT`, `MODEL_MISMATCH` (for example a detector given as the embedder),
   *   `DOWNLOAD_FAILED`, `CHECKSUM_MISMATCH`.
   */
  static async load(options: ReidEmbedderOptions = {}): Promise<ReidEmbedder> {
    const maxBatch = options.maxBatch ?? DEFAULT_MAX_BATCH;
    if (!(Number.isInteger(maxBatch) && maxBatch >= 1)) {
      throw new ConfigError('INVALID_OPTION', `maxBatch must be a positive integer, got ${String(options.maxBatch)}`, { culprit: 'maxBatch' });
    }
    const batching = options.batching ?? 'merge';
    if (batching !== 'merge' && batching !== 'per-call') {
      throw new ConfigError('INVALID_OPTION', `batching must be 'merge' or 'per-call', got ${JSON.stringify(options.batching)}`, { culprit: 'batching' });
    }
    const { modelPath, entry } = await chooseModel(options, 'embedder', DEFAULT_MODEL_ID);

    const session = await WorkerSession.open(modelPath, { ...options, intraOpNumThreads: options.intraOpNumThreads ?? 1 }, 'ReID embedder');
    try {
      if (session.providerWarning !== undefined) warningSink(options.onWarning)(session.providerWarning);
      const { input, output } = singleInputOutput(session, modelPath, 'ReID embedder');
      const info = inspectEmbedderModel(modelPath, input, output, entry);
      // A model fixed at batch 1 loops in the worker, so any number of crops fits one message.
      const batchSize = info.fixedBatch === undefined || info.fixedBatch === 1 ? maxBatch : info.fixedBatch;
      return new ReidEmbedder(session, info, { modelPath, modelId: entry?.id, batchSize, batching }, entry?.preprocess ?? OSNET_PREPROCESS);
    } catch (error) {
      await session.release();
      throw error;
    }
  }

  /**
   * Embeds the crops of `boxes` from one frame. Boxes are clipped to the frame; a box with
   * less than one pixel inside it yields an all-zero vector (similarity 0 to everything)
   * without running the model. Every crop is taken before this returns its promise.
   * @returns One L2-normalised vector of length {@link dimension} per box, in order.
   */
  async embed(image: ImageView, boxes: ReadonlyArray<EmbedBox>): Promise<Float32Array[]> {
    this.assertUsable();
    assertImageView(image, 'ReidEmbedder.embed');
    if (!Array.isArray(boxes)) throw new ConfigError('INVALID_OPTION', `ReidEmbedder.embed: boxes must be an array of {x1,y1,x2,y2}, got ${typeof boxes}`, { culprit: 'boxes' });
    return this.inFlight.track(this.batching === 'merge' ? this.embedMerged(image, boxes) : this.embedPerCall(image, boxes));
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

  private embedMerged(image: ImageView, boxes: ReadonlyArray<EmbedBox>): Promise<Float32Array[]> {
    const vectors: Array<Float32Array | Promise<Float32Array>> = new Array(boxes.length);
    for (let i = 0; i < boxes.length; i++) {
      const box = boxes[i];
      if (!box || !clipBoxToPixels(box, image.width, image.height, this.rect)) vectors[i] = new Float32Array(this.dimension);
      // Written synchronously, so the shared resizer and rect are never interleaved.
      else vectors[i] = this.batcher.add((tensor, slot) => this.resizer.run(image, this.rect, tensor, slot));
    }
    return Promise.all(vectors);
  }

  private async embedPerCall(image: ImageView, boxes: ReadonlyArray<EmbedBox>): Promise<Float32Array[]> {
    const results: Float32Array[] = new Array<Float32Array>(boxes.length);
    const pending: number[] = [];
    for (let i = 0; i < boxes.length; i++) {
      const box = boxes[i];
      if (box && clipBoxToPixels(box, image.width, image.height, this.rect)) pending.push(i);
      else results[i] = new Float32Array(this.dimension);
    }
    if (pending.length === 0) return results;
    // Every crop of the call goes into its own tensors up front, so the frame is free at once.
    const batches: Array<{ tensor: Float32Array; start: number; count: number }> = [];
    for (let start = 0; start < pending.length; start += this.batchSize) {
      const count = Math.min(this.batchSize, pending.length - start);
      const tensor = this.pool.pop() ?? new Float32Array(this.batchSize * this.resizer.slotLength);
      for (let k = 0; k < count; k++) {
        clipBoxToPixels(boxes[pending[start + k]!]!, image.width, image.height, this.rect);
        this.resizer.run(image, this.rect, tensor, k);
      }
      batches.push({ tensor, start, count });
    }
    const d = this.dimension;
    for (const { tensor, start, count } of batches) {
      const { tensor: back, output } = await this.runBatch(tensor, count);
      if (this.pool.length < 2) this.pool.push(back);
      for (let k = 0; k < count; k++) results[pending[start + k]!] = l2Normalize(output.slice(k * d, (k + 1) * d));
    }
    return results;
  }

  /** Runs `count` crops held in the first slots of `tensor` (transferred to the worker and back; a failed run keeps it). */
  private async runBatch(tensor: Float32Array, count: number): Promise<{ tensor: Float32Array; output: Float32Array }> {
    this.calls++;
    const { fixedBatch } = this.info;
    const slot = this.resizer.slotLength;
    const [w, h] = [this.inputWidth, this.inputHeight];
    const dims = (n: number) => (this.info.layout === 'NCHW' ? [n, 3, h, w] : [n, h, w, 3]);
    let rows = count;
    let loop: number | undefined;
    if (fixedBatch === 1) loop = count;
    else if (fixedBatch !== undefined) {
      rows = fixedBatch;
      if (rows > count) tensor.fill(0, count * slot, rows * slot);
    }
    const { input, output } = await this.session.run(this.info.inputName, tensor.subarray(0, rows * slot), dims(loop === undefined ? rows : 1), this.info.outputName, undefined, loop);
    return { tensor: new Float32Array(input.buffer), output };
  }

  private assertUsable(): void {
    if (this.released) throw new ConfigError('INVALID_OPTION', `this ReidEmbedder (${this.modelPath}) was released; load a new one`, { culprit: 'ReidEmbedder' });
  }
}
