/**
 * Person detection on raw frames with a YOLOX or Ultralytics YOLOv8/YOLO11 ONNX model:
 * letterbox → async inference → decode → score threshold → per-class NMS → boxes in frame
 * pixels. Letterboxing runs in the inference workers by default (`preprocessIn`), and the
 * input may follow the frame's aspect ratio (`inputShape: 'rectangular'`).
 */
import { performance } from 'node:perf_hooks';
import path from 'node:path';
import { ConfigError, ModelError } from '../errors.js';
import type { ImageView } from '../streams/frame.js';
import type { DetectorFormat, DetectorModelInfo } from './detector-model.js';
import { loadDetectorModel } from './detector-loader.js';
import { checkPositiveInteger, validateDetectorOptions, warningSink, type InputShape, type PersonDetectorOptions, type PreprocessLocation } from './detector-options.js';
import { assertImageView, Letterboxer, type LetterboxLayout } from './image-ops.js';
import type { PreprocessSpec } from './manifest.js';
import { CandidateBuffer, nonMaxSuppression } from './nms.js';
import type { SessionPool } from './session-pool.js';
import type { Detection } from './types.js';
import { decodeYolov8 } from './yolov8-decode.js';
import { decodeYolox, yoloxGrid, type YoloxGrid } from './yolox-decode.js';
import { InFlightCalls } from './in-flight.js';

export type { InputShape, PersonDetectorOptions, PreprocessLocation } from './detector-options.js';

/**
 * Buffers one in-flight detect() call owns: output tensor and candidate storage, plus either
 * the input tensor (pre-processing on the main thread) or a shared staging copy of the frame
 * (pre-processing in the worker). About 3.4 MB at 416×416.
 */
interface WorkingSet {
  /** Letterboxed input (main-thread pre-processing). Its buffer travels to the worker and back on every run. */
  input: Float32Array | undefined;
  /** Shared copy of a frame whose pixels are not already in shared memory (worker pre-processing); grown on demand. */
  staging: Uint8Array | undefined;
  /** Raw model output at the largest input, filled in place by the worker; undefined when the output size is dynamic. */
  output: Float32Array | undefined;
  candidates: CandidateBuffer;
}

const DEFAULTS = { scoreThreshold: 0.3, nmsThreshold: 0.45, maxDetections: 300 } as const;

/**
 * Finds people (or other classes the model scores) in frames.
 *
 * Concurrency: `detect()` may be called concurrently, for example by several cameras sharing
 * one detector. Inference runs in a pool of worker-thread sessions (see `SessionPool`), so the
 * event loop stays free and up to `sessions` frames are inferred at once. Each call being
 * prepared or inferred owns a set of buffers; there are at most two sets per session, so
 * memory stays bounded however many cameras call: further calls wait for a set. Sets are
 * reused, so steady-state operation allocates only the returned detections.
 */
export class PersonDetector {
  /** Model input width in pixels (the declared one; rectangular tensors are at most this wide). */
  readonly inputWidth: number;
  /** Model input height in pixels (the declared one; rectangular tensors are at most this high). */
  readonly inputHeight: number;
  /** Output layout the detector decodes. */
  readonly format: DetectorFormat;
  /** Path of the model file in use (the original, also when a rectangular-input copy of it runs). */
  readonly modelPath: string;
  /** Manifest id of the model, or undefined for a bare `modelPath`. */
  readonly modelId: string | undefined;
  /** The input mode that runs (`'fixed'` when rectangular input was asked for but the model refused it). */
  readonly inputShape: InputShape;
  /** Where frames are letterboxed and normalised. */
  readonly preprocessIn: PreprocessLocation;
  /** Largest head stride; rectangular tensor sizes are multiples of it. */
  readonly stride: number;

  private readonly letterboxer: Letterboxer;
  private readonly classes: Int32Array;
  private readonly grids = new Map<number, YoloxGrid>();
  private readonly pool: WorkingSet[] = [];
  /** Calls waiting for a working set, first come first served. */
  private readonly waiting: Array<(work: WorkingSet) => void> = [];
  private setsCreated = 0;
  private readonly maxSets: number;
  private readonly inFlight = new InFlightCalls();
  private released = false;

  private constructor(
    private readonly session: SessionPool,
    private readonly info: DetectorModelInfo,
    loaded: { modelPath: string; modelId: string | undefined; inputShape: InputShape; stride: number; preprocess: PreprocessSpec },
    private readonly settings: { scoreThreshold: number; nmsThreshold: number; maxDetections: number },
    classes: number[],
    preprocessIn: PreprocessLocation,
  ) {
    this.modelPath = loaded.modelPath;
    this.modelId = loaded.modelId;
    this.format = info.format;
    this.inputWidth = info.inputWidth;
    this.inputHeight = info.inputHeight;
    this.inputShape = loaded.inputShape;
    this.stride = loaded.stride;
    // The worker writes into a preallocated output; a model whose output size is only known
    // after the run (dynamic axes, fixed mode) is pre-processed here instead.
    this.preprocessIn = info.anchors === undefined && loaded.inputShape === 'fixed' ? 'main' : preprocessIn;
    const letterboxOptions = { layout: info.layout, ...(loaded.inputShape === 'rectangular' ? { stride: loaded.stride } : {}) };
    this.letterboxer = new Letterboxer(info.inputWidth, info.inputHeight, loaded.preprocess, letterboxOptions);
    if (this.preprocessIn === 'worker') session.configureLetterbox(info.inputWidth, info.inputHeight, loaded.preprocess, letterboxOptions);
    this.classes = Int32Array.from(classes);
    this.maxSets = 2 * session.size;
  }

  /** Inference sessions (worker threads) in use: frames inferred at the same time. */
  get sessions(): number {
    return this.session.size;
  }

  /** The execution providers the sessions run on (`['cpu']` after a CUDA fallback). */
  get executionProviders(): readonly string[] {
    return this.session.executionProviders;
  }

  /**
   * Resolves the model, opens the inference sessions and checks the model's shapes (and, for
   * rectangular input, that the graph runs at other sizes).
   * @throws ConfigError `INVALID_OPTION` for a bad option (before any file is touched);
   *   ModelError `INVALID_MODEL_ENTRY`, `MODEL_NOT_FOUND`, `MODEL_CORRUPT`, `MODEL_MISMATCH`,
   *   `DOWNLOAD_FAILED`, `CHECKSUM_MISMATCH`.
   */
  static async load(options: PersonDetectorOptions = {}): Promise<PersonDetector> {
    validateDetectorOptions(options);
    const warn = warningSink(options.onWarning);
    const loaded = await loadDetectorModel(options, warn);
    try {
      const { info, entry } = loaded;
      const classes = options.classes ?? [entry?.personClass ?? 0];
      const tooHigh = classes.find((c) => c >= info.classes);
      if (tooHigh !== undefined) {
        throw new ConfigError('INVALID_OPTION', `classes contains ${tooHigh}, but ${path.basename(loaded.modelPath)} scores only ${info.classes} classes (0..${info.classes - 1})`, { culprit: 'classes' });
      }
      const settings = {
        scoreThreshold: options.scoreThreshold ?? entry?.defaults?.scoreThreshold ?? DEFAULTS.scoreThreshold,
        nmsThreshold: options.nmsThreshold ?? entry?.defaults?.nmsThreshold ?? DEFAULTS.nmsThreshold,
        maxDetections: options.maxDetections ?? DEFAULTS.maxDetections,
      };
      const meta = { modelPath: loaded.modelPath, modelId: entry?.id, inputShape: loaded.inputShape, stride: loaded.stride, preprocess: loaded.preprocess };
      return new PersonDetector(loaded.pool, info, meta, settings, classes, options.preprocessIn ?? 'worker');
    } catch (error) {
      await loaded.pool.release();
      throw error;
    }
  }

  /** The tensor size (width × height) a frame of this size is inferred at. */
  tensorSizeFor(frameWidth: number, frameHeight: number): { width: number; height: number } {
    const layout = this.letterboxer.layoutFor(frameWidth, frameHeight);
    return { width: layout.tensorWidth, height: layout.tensorHeight };
  }

  /**
   * Detects objects of the configured classes in one frame.
   * @param image - A packed rgb24 or bgr24 frame of any size. Its pixels are read after this
   *   returns (in the inference worker when the frame lives in a SharedArrayBuffer, or once a
   *   working set is free): keep them unchanged until the promise settles.
   * @returns Boxes in the frame's pixel coordinates, clipped to the frame, best score first.
   */
  async detect(image: ImageView): Promise<Detection[]> {
    this.assertUsable();
    assertImageView(image, 'PersonDetector.detect');
    return this.inFlight.track(this.runDetect(image));
  }

  /**
   * Milliseconds per frame of inference alone (no pre- or post-processing; including the
   * hand-over to the inference workers, well under 0.1 ms) at full throughput: `iterations`
   * runs on prepared tensors, every session kept busy, after one warm-up run per session.
   * `1000 / result` is the detector-only frame rate the pipeline benchmark compares its
   * end-to-end throughput against. With one session this is the latency of one inference.
   * @param frameSize - Frame size whose tensor is inferred (matters in rectangular mode).
   * @default frameSize 1280×720
   */
  async measureInferenceOnly(iterations: number, frameSize: { width: number; height: number } = { width: 1280, height: 720 }): Promise<number> {
    this.assertUsable();
    checkPositiveInteger(iterations, 'iterations');
    const lanes = Math.min(this.session.size, iterations);
    const sets = await Promise.all(Array.from({ length: lanes }, () => this.acquire()));
    try {
      // A mid-grey frame: inference cost does not depend on the pixel values.
      const { width, height } = frameSize;
      const grey = { data: new Uint8Array(width * height * 3).fill(128), width, height, pixelFormat: 'rgb24' as const };
      const tensors: Float32Array[] = sets.map(() => new Float32Array(this.letterboxer.tensorLength));
      let layout: LetterboxLayout | undefined;
      for (const tensor of tensors) layout = this.letterboxer.run(grey, tensor);
      const once = async (k: number) => {
        tensors[k] = (await this.inferTensor(tensors[k]!, layout!, sets[k]!)).input;
      };
      await Promise.all(sets.map((_, k) => once(k)));
      let started = 0;
      const lane = async (k: number) => {
        while (started < iterations) {
          started++;
          await once(k);
        }
      };
      const start = performance.now();
      await Promise.all(sets.map((_, k) => lane(k)));
      return (performance.now() - start) / iterations;
    } finally {
      for (const work of sets) this.give(work);
    }
  }

  /** Waits for in-flight calls, then frees the inference sessions. Further calls throw. */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    await this.inFlight.settled();
    this.pool.length = 0;
    await this.session.release();
  }

  private async runDetect(image: ImageView): Promise<Detection[]> {
    const work = await this.acquire();
    let layout: LetterboxLayout;
    let output: Float32Array;
    try {
      if (this.preprocessIn === 'worker') {
        layout = this.letterboxer.layoutFor(image.width, image.height);
        output = await this.inferInWorker(image, layout, work);
      } else {
        const input = work.input ?? new Float32Array(this.letterboxer.tensorLength);
        work.input = undefined;
        layout = this.letterboxer.run(image, input);
        const result = await this.inferTensor(input, layout, work);
        work.input = result.input;
        output = result.output;
      }
    } catch (error) {
      // A failed run keeps the set's buffers in the worker: the set is dropped, not pooled.
      this.setsCreated--;
      const waiter = this.waiting.shift();
      if (waiter !== undefined) waiter(this.createSet());
      throw error;
    }
    try {
      return this.postprocess(output, layout, work.candidates);
    } finally {
      this.give(work);
    }
  }

  /**
   * Runs the model on a prepared tensor. Returns the input array, usable again, and the output
   * (a prefix of the set's output buffer, which is back in the set, or a fresh array when the
   * model's output size is dynamic).
   */
  private async inferTensor(input: Float32Array, layout: LetterboxLayout, work: WorkingSet): Promise<{ input: Float32Array; output: Float32Array }> {
    const size = 3 * layout.tensorWidth * layout.tensorHeight;
    const out = work.output !== undefined ? { data: work.output.subarray(0, this.outputLength(layout)), dims: this.outputDims(layout) } : undefined;
    work.output = undefined;
    const result = await this.session.run(this.info.inputName, input.subarray(0, size), this.inputDims(layout), this.info.outputName, out);
    if (out !== undefined) work.output = new Float32Array(result.output.buffer);
    return { input: new Float32Array(result.input.buffer), output: result.output };
  }

  /** Hands the frame to a worker, which letterboxes and runs it; the output comes back into the set. */
  private async inferInWorker(image: ImageView, layout: LetterboxLayout, work: WorkingSet): Promise<Float32Array> {
    const bytes = image.width * image.height * 3;
    let pixels: Uint8Array;
    if (image.data.buffer instanceof SharedArrayBuffer) {
      pixels = image.data.subarray(0, bytes);
    } else {
      // One copy into shared memory; the worker reads it in place.
      if (work.staging === undefined || work.staging.length < bytes) work.staging = new Uint8Array(new SharedArrayBuffer(bytes));
      pixels = work.staging.subarray(0, bytes);
      pixels.set(image.data.subarray(0, bytes));
    }
    const out = { data: work.output!.subarray(0, this.outputLength(layout)), dims: this.outputDims(layout) };
    work.output = undefined;
    const result = await this.session.detect({ data: pixels, width: image.width, height: image.height, pixelFormat: image.pixelFormat }, this.info.inputName, this.info.outputName, out);
    work.output = new Float32Array(result.buffer);
    return result;
  }

  private inputDims(layout: LetterboxLayout): number[] {
    return this.info.layout === 'NCHW' ? [1, 3, layout.tensorHeight, layout.tensorWidth] : [1, layout.tensorHeight, layout.tensorWidth, 3];
  }

  /** Boxes per frame at this tensor size: the grid of the heads, or the model's fixed anchor count. */
  private boxesFor(layout: LetterboxLayout): number {
    if (this.inputShape === 'fixed' && this.info.anchors !== undefined) return this.info.anchors;
    return this.gridFor(layout).rows;
  }

  private outputLength(layout: LetterboxLayout): number {
    return this.boxesFor(layout) * (this.info.classes + (this.info.format === 'yolox' ? 5 : 4));
  }

  private outputDims(layout: LetterboxLayout): number[] {
    const boxes = this.boxesFor(layout);
    return this.info.format === 'yolox' ? [1, boxes, this.info.classes + 5] : [1, this.info.classes + 4, boxes];
  }

  private gridFor(layout: LetterboxLayout): YoloxGrid {
    const key = layout.tensorWidth * 65536 + layout.tensorHeight;
    let grid = this.grids.get(key);
    if (grid === undefined) {
      grid = yoloxGrid(layout.tensorWidth, layout.tensorHeight, this.info.strides);
      if (this.grids.size >= 16) this.grids.clear(); // one per camera resolution in practice
      this.grids.set(key, grid);
    }
    return grid;
  }

  private postprocess(output: Float32Array, layout: LetterboxLayout, candidates: CandidateBuffer): Detection[] {
    const { scoreThreshold, nmsThreshold, maxDetections } = this.settings;
    candidates.reset();
    if (this.info.format === 'yolox') {
      const grid = this.gridFor(layout);
      const rowLength = this.info.classes + 5;
      if (output.length !== grid.rows * rowLength) throw this.outputSizeError(output.length, grid.rows * rowLength, layout);
      decodeYolox(output, rowLength, grid, this.classes, scoreThreshold, candidates);
    } else {
      const anchors = output.length / (this.info.classes + 4);
      if (!Number.isInteger(anchors) || anchors > candidates.capacity) throw this.outputSizeError(output.length, (this.info.classes + 4) * candidates.capacity, layout);
      decodeYolov8(output, anchors, this.classes, scoreThreshold, candidates);
    }
    const kept = nonMaxSuppression(candidates, nmsThreshold, maxDetections);
    // Undo the letterbox: subtract the pad offset, divide by the resize factor, clip to the
    // frame (amodal detectors put boxes of people cut by the edge past it).
    const { padX, padY, scaleX, scaleY, srcWidth, srcHeight } = layout;
    const detections: Detection[] = [];
    for (let k = 0; k < kept; k++) {
      const i = candidates.kept[k]!;
      const x1 = Math.min(srcWidth, Math.max(0, (candidates.x1[i]! - padX) / scaleX));
      const y1 = Math.min(srcHeight, Math.max(0, (candidates.y1[i]! - padY) / scaleY));
      const x2 = Math.min(srcWidth, Math.max(0, (candidates.x2[i]! - padX) / scaleX));
      const y2 = Math.min(srcHeight, Math.max(0, (candidates.y2[i]! - padY) / scaleY));
      if (x2 - x1 < 1 || y2 - y1 < 1) continue; // entirely in the padding
      detections.push({ x1, y1, x2, y2, score: candidates.score[i]!, classId: candidates.classId[i]! });
    }
    return detections;
  }

  /** A free working set: a pooled one, a new one while under the bound, or the next one given back. */
  private acquire(): Promise<WorkingSet> | WorkingSet {
    const pooled = this.pool.pop();
    if (pooled) return pooled;
    if (this.setsCreated < this.maxSets) return this.createSet();
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private give(work: WorkingSet): void {
    const waiter = this.waiting.shift();
    if (waiter !== undefined) waiter(work);
    else this.pool.push(work);
  }

  private createSet(): WorkingSet {
    this.setsCreated++;
    const { anchors, classes, format } = this.info;
    const perAnchor = format === 'yolox' ? classes + 5 : classes + 4;
    // Sized for the largest input; rectangular runs use a prefix. Dynamic-size exports in fixed
    // mode get a fresh output per run.
    const boxes = this.inputShape === 'rectangular' ? yoloxGrid(this.inputWidth, this.inputHeight, this.info.strides).rows : anchors;
    const output = boxes === undefined ? undefined : new Float32Array(boxes * perAnchor);
    // One candidate per anchor at most; a dynamic-size export gets room for a 1280×1280 input.
    const capacity = boxes ?? yoloxGrid(Math.max(this.inputWidth, 1280), Math.max(this.inputHeight, 1280), this.info.strides).rows;
    return { input: undefined, staging: undefined, output, candidates: new CandidateBuffer(capacity) };
  }

  private assertUsable(): void {
    if (this.released) throw new ConfigError('INVALID_OPTION', `this PersonDetector (${this.modelPath}) was released; load a new one`, { culprit: 'PersonDetector' });
  }

  private outputSizeError(actual: number, expected: number, layout: LetterboxLayout): ModelError {
    return new ModelError('MODEL_MISMATCH', `${this.modelPath} produced ${actual} output values, expected ${expected} for a ${this.format} model with ${this.info.classes} classes at ${layout.tensorWidth}x${layout.tensorHeight}`, { culprit: this.modelPath });
  }
}
