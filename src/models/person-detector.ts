/**
 * Person detection on raw frames with a YOLOX or Ultralytics YOLOv8/YOLO11 ONNX model:
 * letterbox → async inference → decode → score threshold → per-class NMS → boxes in frame
 * pixels.
 */
import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import path from 'node:path';
import { ConfigError, ModelError } from '../errors.js';
import type { ImageView } from '../streams/frame.js';
import { DEFAULT_PREPROCESS, inspectDetectorModel, type DetectorFormat, type DetectorModelInfo } from './detector-model.js';
import { assertImageView, Letterboxer, type LetterboxLayout } from './image-ops.js';
import type { ModelEntry } from './manifest.js';
import { CandidateBuffer, nonMaxSuppression } from './nms.js';
import { chooseModel, type DownloadProgress } from './resolver.js';
import { singleInputOutput, type SessionOptions } from './session.js';
import { defaultSessionCount, SessionPool, validateSessionCount } from './session-pool.js';
import type { Detection } from './types.js';
import { decodeYolov8 } from './yolov8-decode.js';
import { decodeYolox, yoloxGrid, type YoloxGrid } from './yolox-decode.js';
import { InFlightCalls } from './in-flight.js';

/** Options of {@link PersonDetector.load}. */
export interface PersonDetectorOptions extends SessionOptions {
  /**
   * Inference sessions, each in its own worker thread with `intraOpNumThreads` threads; frames
   * from all callers (cameras) are spread over them, so this many frames are inferred at once.
   * On a CPU, several 1-thread sessions get more frames through than one session with as many
   * threads (2 cores, YOLOX-Nano: 2 × 1 thread ≈ 78 frames/s, 1 × 2 threads ≈ 53); each
   * session costs its own copy of the weights and working memory (about 20 MB for
   * YOLOX-Nano). One session with several threads gives the lowest latency for a single camera.
   * @default one per `intraOpNumThreads` threads of the machine's cores, at most 4
   */
  sessions?: number;
  /**
   * Threads one inference may use (see {@link SessionOptions.intraOpNumThreads}).
   * @default 1 (parallelism comes from `sessions`)
   */
  intraOpNumThreads?: number;
  /**
   * Path to a detector ONNX file. When given, it is used as is (no search); its format is
   * detected from the output shape unless `format` says, and it is checked against the
   * manifest only when `modelId` is also given.
   */
  modelPath?: string;
  /**
   * Manifest id of the model to resolve (see `models/manifest.json`) when no `modelPath` is given.
   * @default 'yolox-nano'
   */
  modelId?: string;
  /**
   * Output layout: `'yolox'` (`[1, anchors, 5 + classes]`, official Megvii export) or
   * `'yolov8'` (`[1, 4 + classes, anchors]`, Ultralytics YOLOv8/YOLO11 export).
   * @default detected from the output shape
   */
  format?: DetectorFormat;
  /**
   * Minimum confidence of a returned box (objectness × class score for YOLOX). Lower finds
   * more small or occluded people at the cost of false positives; a ByteTrack-style tracker
   * that uses low-score boxes for its second association pass may want 0.1.
   * @default 0.3
   */
  scoreThreshold?: number;
  /**
   * IoU above which a lower-scoring box of the same class is suppressed. Lower merges more
   * (fewer duplicates, but people standing close together may merge into one box).
   * @default 0.45
   */
  nmsThreshold?: number;
  /**
   * Class indices to keep (COCO: 0 = person).
   * @default [0]
   */
  classes?: number[];
  /**
   * At most this many boxes per frame, best first.
   * @default 300
   */
  maxDetections?: number;
  /**
   * Input size used only when the model's spatial axes are dynamic (fixed exports carry their size).
   * @default 640
   */
  inputSize?: number;
  /** A folder of model files searched before `MULTICAM_REID_MODELS` (see {@link resolveModel}). */
  modelsDir?: string;
  /** Download the model from the manifest URL into the user cache when it is not found locally. @default false */
  allowDownload?: boolean;
  /** Cache folder searched and used for downloads. @default see {@link resolveModel} */
  cacheDir?: string;
  /** Download progress callback. */
  onProgress?: (progress: DownloadProgress) => void;
}

/** Buffers one in-flight detect() call owns: input tensor, output tensor and candidate storage (about 3.4 MB at 416×416). */
interface WorkingSet {
  /** Letterboxed input. Its buffer travels to the inference worker and back on every run. */
  input: Float32Array;
  /** Raw model output, filled in place by the worker; undefined when the output size is dynamic. */
  output: { data: Float32Array; dims: number[] } | undefined;
  candidates: CandidateBuffer;
}

const DEFAULTS = { modelId: 'yolox-nano', scoreThreshold: 0.3, nmsThreshold: 0.45, classes: [0], maxDetections: 300, inputSize: 640 } as const;

function checkFraction(value: number | undefined, name: string): void {
  if (value !== undefined && !(typeof value === 'number' && value >= 0 && value <= 1)) {
    throw new ConfigError('INVALID_OPTION', `${name} must be a number between 0 and 1, got ${String(value)}`, { culprit: name });
  }
}

function checkPositiveInteger(value: number | undefined, name: string): void {
  if (value !== undefined && !(Number.isInteger(value) && value > 0)) {
    throw new ConfigError('INVALID_OPTION', `${name} must be a positive integer, got ${String(value)}`, { culprit: name });
  }
}

/**
 * Finds people (or other COCO classes) in frames.
 *
 * Concurrency: `detect()` may be called concurrently, for example by several cameras sharing
 * one detector. Inference runs in a pool of worker-thread sessions (see `SessionPool`), so the
 * event loop stays free and up to `sessions` frames are inferred at once. Each call being
 * prepared or inferred owns a set of buffers (about 3.4 MB for a 416×416 model); there are at
 * most two sets per session, so memory stays bounded however many cameras call: further
 * calls wait for a set before letterboxing. Sets are reused, so steady-state operation
 * allocates only the returned detections.
 */
export class PersonDetector {
  /** Model input width in pixels. */
  readonly inputWidth: number;
  /** Model input height in pixels. */
  readonly inputHeight: number;
  /** Output layout the detector decodes. */
  readonly format: DetectorFormat;
  /** Path of the model file in use. */
  readonly modelPath: string;

  private readonly letterboxer: Letterboxer;
  private readonly classes: Int32Array;
  private readonly grid: YoloxGrid | undefined;
  private readonly inputDims: readonly number[];
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
    modelPath: string,
    preprocess: ModelEntry['preprocess'],
    private readonly settings: { scoreThreshold: number; nmsThreshold: number; maxDetections: number },
    classes: number[],
  ) {
    this.modelPath = modelPath;
    this.format = info.format;
    this.inputWidth = info.inputWidth;
    this.inputHeight = info.inputHeight;
    this.letterboxer = new Letterboxer(info.inputWidth, info.inputHeight, preprocess);
    this.classes = Int32Array.from(classes);
    this.grid = info.format === 'yolox' ? yoloxGrid(info.inputWidth, info.inputHeight) : undefined;
    this.inputDims = [1, 3, info.inputHeight, info.inputWidth];
    this.maxSets = 2 * session.size;
  }

  /** Inference sessions (worker threads) in use: frames inferred at the same time. */
  get sessions(): number {
    return this.session.size;
  }

  /**
   * Resolves the model, opens an inference session and checks the model's shapes.
   * @throws ConfigError `INVALID_OPTION` for a bad option (before any file is touched);
   *   ModelError `MODEL_NOT_FOUND`, `MODEL_CORRUPT`, `MODEL_MISMATCH`, `DOWNLOAD_FAILED`, `CHECKSUM_MISMATCH`.
   */
  static async load(options: PersonDetectorOptions = {}): Promise<PersonDetector> {
    checkFraction(options.scoreThreshold, 'scoreThreshold');
    checkFraction(options.nmsThreshold, 'nmsThreshold');
    checkPositiveInteger(options.maxDetections, 'maxDetections');
    checkPositiveInteger(options.inputSize, 'inputSize');
    if (options.format !== undefined && options.format !== 'yolox' && options.format !== 'yolov8') {
      throw new ConfigError('INVALID_OPTION', `format must be 'yolox' or 'yolov8', got ${JSON.stringify(options.format)}`, { culprit: 'format' });
    }
    validateSessionCount(options.sessions);
    const classes = options.classes ?? [...DEFAULTS.classes];
    if (!Array.isArray(classes) || classes.length === 0 || classes.some((c) => !Number.isInteger(c) || c < 0)) {
      throw new ConfigError('INVALID_OPTION', `classes must be a non-empty list of class indices (0 = person), got ${JSON.stringify(classes)}`, { culprit: 'classes' });
    }

    const { modelPath, entry } = await chooseModel(options, 'detector', DEFAULTS.modelId);

    const intraOpNumThreads = options.intraOpNumThreads ?? 1;
    const sessions = options.sessions ?? Math.max(1, Math.min(defaultSessionCount(), Math.floor(availableParallelism() / intraOpNumThreads)));
    const session = await SessionPool.open(modelPath, { ...options, intraOpNumThreads }, 'person detector', sessions);
    try {
      const { input, output } = singleInputOutput(session, modelPath, 'person detector');
      const info = inspectDetectorModel(modelPath, input, output, options.format, entry, options.inputSize ?? DEFAULTS.inputSize);
      const tooHigh = classes.find((c) => c >= info.classes);
      if (tooHigh !== undefined) {
        throw new ConfigError('INVALID_OPTION', `classes contains ${tooHigh}, but ${path.basename(modelPath)} scores only ${info.classes} classes (0..${info.classes - 1})`, { culprit: 'classes' });
      }
      const settings = {
        scoreThreshold: options.scoreThreshold ?? DEFAULTS.scoreThreshold,
        nmsThreshold: options.nmsThreshold ?? DEFAULTS.nmsThreshold,
        maxDetections: options.maxDetections ?? DEFAULTS.maxDetections,
      };
      return new PersonDetector(session, info, modelPath, entry?.preprocess ?? DEFAULT_PREPROCESS[info.format], settings, classes);
    } catch (error) {
      await session.release();
      throw error;
    }
  }

  /**
   * Detects objects of the configured classes in one frame.
   * @param image - A packed rgb24 or bgr24 frame of any size. When every working set is busy,
   *   the call waits for one before reading the pixels: keep them unchanged until the promise
   *   settles.
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
   */
  async measureInferenceOnly(iterations: number): Promise<number> {
    this.assertUsable();
    checkPositiveInteger(iterations, 'iterations');
    const lanes = Math.min(this.session.size, iterations);
    const sets = await Promise.all(Array.from({ length: lanes }, () => this.acquire()));
    try {
      // A mid-grey 16:9 frame: inference cost does not depend on the pixel values.
      const width = 1280, height = 720;
      const grey = { data: new Uint8Array(width * height * 3).fill(128), width, height, pixelFormat: 'rgb24' as const };
      for (const work of sets) this.letterboxer.run(grey, work.input);
      await Promise.all(sets.map((work) => this.infer(work)));
      let started = 0;
      const lane = async (work: WorkingSet) => {
        while (started < iterations) {
          started++;
          await this.infer(work);
        }
      };
      const start = performance.now();
      await Promise.all(sets.map(lane));
      return (performance.now() - start) / iterations;
    } finally {
      for (const work of sets) this.give(work);
    }
  }

  /** Waits for in-flight calls, then frees the inference session. Further calls throw. */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    await this.inFlight.settled();
    this.pool.length = 0;
    await this.session.release();
  }

  private async runDetect(image: ImageView): Promise<Detection[]> {
    const work = await this.acquire();
    const layout = this.letterboxer.run(image, work.input);
    let output: Float32Array;
    try {
      output = await this.infer(work);
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

  /** Runs the model on the set's input; the set gets its (transferred) buffers back. */
  private async infer(work: WorkingSet): Promise<Float32Array> {
    const result = await this.session.run(this.info.inputName, work.input, this.inputDims, this.info.outputName, work.output);
    work.input = result.input;
    if (work.output) work.output.data = result.output;
    return result.output;
  }

  private postprocess(output: Float32Array, layout: LetterboxLayout, candidates: CandidateBuffer): Detection[] {
    const { scoreThreshold, nmsThreshold, maxDetections } = this.settings;
    candidates.reset();
    if (this.info.format === 'yolox') {
      const grid = this.grid!;
      const rowLength = this.info.classes + 5;
      if (output.length !== grid.rows * rowLength) throw this.outputSizeError(output.length, grid.rows * rowLength);
      decodeYolox(output, rowLength, grid, this.classes, scoreThreshold, candidates);
    } else {
      const anchors = output.length / (this.info.classes + 4);
      if (!Number.isInteger(anchors) || anchors > candidates.capacity) throw this.outputSizeError(output.length, (this.info.classes + 4) * candidates.capacity);
      decodeYolov8(output, anchors, this.classes, scoreThreshold, candidates);
    }
    const kept = nonMaxSuppression(candidates, nmsThreshold, maxDetections);
    // Undo the letterbox: subtract the pad offset, divide by the resize factor, clip to the frame.
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
    const input = new Float32Array(this.letterboxer.tensorLength);
    const { anchors, classes, format } = this.info;
    const perAnchor = format === 'yolox' ? classes + 5 : classes + 4;
    const dims = format === 'yolox' ? [1, anchors ?? 0, perAnchor] : [1, perAnchor, anchors ?? 0];
    // Output preallocated when its size is fixed; dynamic exports get a fresh tensor per run.
    const output = anchors === undefined ? undefined : { data: new Float32Array(anchors * perAnchor), dims };
    // One candidate per anchor at most; a dynamic-size export gets room for a 1280×1280 input.
    const capacity = anchors ?? yoloxGrid(Math.max(this.inputWidth, 1280), Math.max(this.inputHeight, 1280)).rows;
    return { input, output, candidates: new CandidateBuffer(capacity) };
  }

  private assertUsable(): void {
    if (this.released) throw new ConfigError('INVALID_OPTION', `this PersonDetector (${this.modelPath}) was released; load a new one`, { culprit: 'PersonDetector' });
  }

  private outputSizeError(actual: number, expected: number): ModelError {
    return new ModelError('MODEL_MISMATCH', `${this.modelPath} produced ${actual} output values, expected ${expected} for a ${this.format} model with ${this.info.classes} classes at ${this.inputWidth}x${this.inputHeight}`, { culprit: this.modelPath });
  }
}
