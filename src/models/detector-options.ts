/** Options of `PersonDetector.load`, each documented where it is declared, and their checks. */
import { ConfigError } from '../errors.js';
import type { DetectorFormat } from './detector-model.js';
import type { ModelEntryInput } from './manifest.js';
import type { DownloadProgress } from './resolver.js';
import type { SessionOptions } from './session.js';
import { validateSessionCount } from './session-pool.js';

/** How the detector sizes its input tensor. */
export type InputShape = 'fixed' | 'rectangular';
/** Where frames are letterboxed and normalised. */
export type PreprocessLocation = 'worker' | 'main';

/** Options of `PersonDetector.load`. */
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
   * Path to a detector ONNX file. Alone, it is used as is (no search): its format is detected
   * from the output shape unless `format` says, with that format's reference pre-processing.
   * With `modelId` or `modelEntry`, the file is checked against that entry and fed as it says.
   */
  modelPath?: string;
  /**
   * Manifest id of the model to resolve (see `models/manifest.json`, and `manifest` for your
   * own entries), e.g. `'yolox-nano'` or `'bytetrack-nano-mot17'`.
   * @default 'yolox-nano'
   */
  modelId?: string;
  /**
   * A manifest entry given inline instead of an id: how to find the file (`file`, `url`,
   * `sha256`) and how to feed it (`input`, `output`, `preprocess`, `classes`, `personClass`, …,
   * see `models/README.md`). Validated before any file is read; a missing field is ModelError
   * `INVALID_MODEL_ENTRY` naming it. Not together with `modelId`.
   * @example { id: 'my-yolox-s', task: 'detector', format: 'yolox', file: 'yolox_s.onnx', input: { name: 'images', shape: [1, 3, 640, 640], layout: 'NCHW' }, output: { name: 'output', shape: [1, 8400, 85] }, preprocess: { channelOrder: 'bgr', scale: 1, mean: [0, 0, 0], std: [1, 1, 1], letterbox: 'top-left', padValue: 114 }, classes: 80, personClass: 0 }
   */
  modelEntry?: ModelEntryInput;
  /**
   * Manifest file(s) of your own, merged over the package manifest (an entry with a known id
   * replaces it), where `modelId` is looked up.
   */
  manifest?: string | string[];
  /**
   * Output layout: `'yolox'` (`[1, anchors, 5 + classes]`, official Megvii export) or
   * `'yolov8'` (`[1, 4 + classes, anchors]`, Ultralytics YOLOv8/YOLO11 export).
   * @default the entry's `format`, else detected from the output shape
   */
  format?: DetectorFormat;
  /**
   * Minimum confidence of a returned box (objectness × class score for YOLOX). Lower finds
   * more small or occluded people at the cost of false positives; a ByteTrack-style tracker
   * that uses low-score boxes for its second association pass may want 0.1.
   * @default the entry's `defaults.scoreThreshold`, else 0.3
   */
  scoreThreshold?: number;
  /**
   * IoU above which a lower-scoring box of the same class is suppressed. Lower merges more
   * (fewer duplicates, but people standing close together may merge into one box); crowd-trained
   * detectors such as ByteTrack's use 0.7.
   * @default the entry's `defaults.nmsThreshold`, else 0.45
   */
  nmsThreshold?: number;
  /**
   * Class indices to keep.
   * @default [the entry's personClass] (0 for COCO models)
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
  /**
   * `'fixed'`: every frame is letterboxed into the model's declared input (416×416 for
   * YOLOX-Nano, 608×1088 for the pedestrian detector). `'rectangular'`: the tensor follows the
   * frame's aspect ratio — scaled as into the declared input, cut to the content rounded up to
   * the model's largest stride — so a 640×360 frame costs 416×256 instead of 416×416 (about
   * half the inference time) and a 4:3 frame 608×832 instead of 608×1088 in the pedestrian
   * detector. It needs a copy of the model with symbolic spatial axes, written once into
   * `cacheDir` (`derived/<sha256>.symbolic-hw.onnx`; the original file is never changed), and
   * a graph that really is shape-agnostic: a test inference at load checks, and a model that
   * fails it (or whose entry says `rectangularInput: false`) keeps its fixed input, with a
   * warning. `inputShape` of the loaded detector says which mode runs. Boxes match fixed
   * inference closely but not exactly (the border the network sees differs).
   * @default the entry's `inputShape`, else 'fixed'
   */
  inputShape?: InputShape;
  /**
   * Where frames are letterboxed and normalised: `'worker'` in the inference workers (the
   * main thread only copies the pixels once into shared memory — not at all when the frame
   * already lives in a SharedArrayBuffer — so pre-processing scales with `sessions` and the
   * event loop stays free for decoding, tracking and encoding), or `'main'` on the calling
   * thread (a tensor is transferred to the worker instead). Measured on 2 cores (docs/models.md):
   * 3–6× less main-thread time per frame in the workers, the same frames/s within noise.
   * @default 'worker'
   */
  preprocessIn?: PreprocessLocation;
  /** Download the model from the manifest URL into the user cache when it is not found locally. @default false */
  allowDownload?: boolean;
  /** A folder of model files searched before `MULTICAM_REID_MODELS` (see {@link resolveModel}). */
  modelsDir?: string;
  /**
   * User cache folder: searched for model files, used for downloads and for the
   * rectangular-input copies of models.
   * @default see `resolveModel`
   */
  cacheDir?: string;
  /** Download progress callback. */
  onProgress?: (progress: DownloadProgress) => void;
  /**
   * Called with a message when the detector runs differently from what was asked (rectangular
   * input refused by the model, CUDA not available so the CPU runs).
   * @default `process.emitWarning` (printed once per message by Node)
   */
  onWarning?: (message: string) => void;
}

function checkFraction(value: number | undefined, name: string): void {
  if (value !== undefined && !(typeof value === 'number' && value >= 0 && value <= 1)) {
    throw new ConfigError('INVALID_OPTION', `${name} must be a number between 0 and 1, got ${String(value)}`, { culprit: name });
  }
}

export function checkPositiveInteger(value: number | undefined, name: string): void {
  if (value !== undefined && !(Number.isInteger(value) && value > 0)) {
    throw new ConfigError('INVALID_OPTION', `${name} must be a positive integer, got ${String(value)}`, { culprit: name });
  }
}

function checkChoice(value: unknown, name: string, choices: readonly string[]): void {
  if (value !== undefined && !choices.includes(value as string)) {
    throw new ConfigError('INVALID_OPTION', `${name} must be ${choices.map((c) => `'${c}'`).join(' or ')}, got ${JSON.stringify(value)}`, { culprit: name });
  }
}

/** Checks every option that can be checked without a model file. */
export function validateDetectorOptions(options: PersonDetectorOptions): void {
  checkFraction(options.scoreThreshold, 'scoreThreshold');
  checkFraction(options.nmsThreshold, 'nmsThreshold');
  checkPositiveInteger(options.maxDetections, 'maxDetections');
  checkPositiveInteger(options.inputSize, 'inputSize');
  checkChoice(options.format, 'format', ['yolox', 'yolov8']);
  checkChoice(options.inputShape, 'inputShape', ['fixed', 'rectangular']);
  checkChoice(options.preprocessIn, 'preprocessIn', ['worker', 'main']);
  validateSessionCount(options.sessions);
  const classes = options.classes;
  if (classes !== undefined && (!Array.isArray(classes) || classes.length === 0 || classes.some((c) => !Number.isInteger(c) || c < 0))) {
    throw new ConfigError('INVALID_OPTION', `classes must be a non-empty list of class indices (0 = person), got ${JSON.stringify(classes)}`, { culprit: 'classes' });
  }
  if (options.onWarning !== undefined && typeof options.onWarning !== 'function') {
    throw new ConfigError('INVALID_OPTION', 'onWarning must be a function (message: string) => void', { culprit: 'onWarning' });
  }
}

/** The warning sink: the caller's, else a process warning. */
export function warningSink(onWarning: ((message: string) => void) | undefined): (message: string) => void {
  return onWarning ?? ((message) => process.emitWarning(message, { code: 'MULTICAM_REID_MODEL' }));
}
