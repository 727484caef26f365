/**
 * An onnxruntime session that runs in a worker thread. onnxruntime-node's `session.run()`
 * returns a promise but computes synchronously on the calling thread (it only defers the call
 * with setImmediate), so on the main thread every inference would stall stream reading, timers
 * and HTTP for its whole duration. Here the main thread only posts a message. Tensor buffers
 * are transferred, not copied: they move to the worker for the run and come back with the
 * result (onnxruntime-node rejects SharedArrayBuffer-backed tensors). Frames for `detect` go
 * the other way: a view on a SharedArrayBuffer, read by the worker's letterboxer in place.
 * Runs on one session are executed one after another by its worker.
 */
import { Worker } from 'node:worker_threads';
import { ModelError } from '../errors.js';
import type { LetterboxerOptions } from './image-ops.js';
import type { DetectRequest, InferenceWorkerData, RunRequest, WorkerReply } from './inference-worker.js';
import type { PreprocessSpec } from './manifest.js';
import { ortSessionOptions, readModelFile, sessionCreationError, validateSessionOptions, type SessionOptions, type TensorSignature } from './session.js';
import type { PixelFormat } from '../streams/frame.js';

/** Input/output description of a loaded model, as onnxruntime reports it. */
export interface ModelMetadata {
  inputNames: readonly string[];
  outputNames: readonly string[];
  inputMetadata: ReadonlyArray<TensorSignature & { isTensor: boolean }>;
  outputMetadata: ReadonlyArray<TensorSignature & { isTensor: boolean }>;
}

// In development the sources are TypeScript run through tsx, whose loader does not reach
// worker threads by itself: the bootstrap registers it in the worker before importing the
// entry. The compiled package imports the .js entry directly.
const DEVELOPMENT = import.meta.url.endsWith('.ts');
const WORKER_ENTRY = new URL(DEVELOPMENT ? './inference-worker.ts' : './inference-worker.js', import.meta.url).href;
const WORKER_START_FAILURE = 'the inference worker could not start';
const BOOTSTRAP = `
const { parentPort, workerData } = require('node:worker_threads');
(async () => {
  if (workerData.tsxApi) (await import(workerData.tsxApi)).register();
  await import(workerData.entry);
})().catch((error) => parentPort.postMessage({ type: 'failed', message: '${WORKER_START_FAILURE}: ' + String((error && error.stack) || error) }));
`;

function tsxApi(): string | undefined {
  if (!DEVELOPMENT) return undefined;
  try {
    return import.meta.resolve('tsx/esm/api');
  } catch {
    return undefined; // another TypeScript loader may reach workers on its own
  }
}

/** The buffers of a finished run, handed back to the caller. */
export interface RunResult {
  /** The input array, usable again (the one passed to `run` is detached meanwhile). */
  input: Float32Array;
  /** The output: the caller's preallocated array, filled, or a new one. */
  output: Float32Array;
}

/** A frame for {@link WorkerSession.detect}: packed pixels the worker reads in place. */
export interface SharedFrame {
  /** A view on a SharedArrayBuffer (any other buffer would be copied by postMessage). */
  data: Uint8Array;
  width: number;
  height: number;
  pixelFormat: PixelFormat;
}

interface PendingRun {
  resolve: (reply: { input: Float32Array | undefined; output: Float32Array }) => void;
  reject: (error: Error) => void;
}

/**
 * The providers to fall back to when the requested ones cannot be loaded: the CPU, when the
 * list names it after another provider (`['cuda', 'cpu']` means "CUDA if it works, else the
 * CPU"); none otherwise, so `['cuda']` alone fails loudly on a machine without CUDA.
 */
export function fallbackProviders(requested: readonly string[]): string[] | undefined {
  return requested.length > 1 && requested.includes('cpu') && requested[0] !== 'cpu' ? ['cpu'] : undefined;
}

/** An inference session living in its own worker thread. */
export class WorkerSession implements ModelMetadata {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  readonly inputMetadata: ModelMetadata['inputMetadata'];
  readonly outputMetadata: ModelMetadata['outputMetadata'];
  /** The execution providers the session actually runs on (after any fallback). */
  readonly executionProviders: readonly string[];
  /** Why the session fell back from the requested providers, when it did. */
  readonly providerWarning: string | undefined;
  private readonly pending = new Map<number, PendingRun>();
  private nextId = 0;
  private failure: Error | undefined;

  private constructor(
    private readonly worker: Worker,
    ready: Extract<WorkerReply, { type: 'ready' }>,
    private readonly modelPath: string,
  ) {
    this.inputNames = ready.inputNames;
    this.outputNames = ready.outputNames;
    this.inputMetadata = ready.inputMetadata;
    this.outputMetadata = ready.outputMetadata;
    this.executionProviders = ready.executionProviders;
    this.providerWarning = ready.providerWarning;
    worker.on('message', (reply: WorkerReply) => this.onReply(reply));
    worker.on('error', (error) => this.fail(error));
    worker.on('exit', (code) => this.fail(new Error(`inference worker exited with code ${code}`)));
    worker.unref(); // an idle session must not keep the process alive
  }

  /**
   * Reads the model file and opens a session on it in a new worker.
   * @throws ModelError `MODEL_NOT_FOUND` (unreadable file), `MODEL_CORRUPT` (not a loadable
   *   ONNX model); ConfigError `INVALID_OPTION` (bad option, or an execution provider that is
   *   not available and no CPU fallback in the list).
   */
  static async open(modelPath: string, options: SessionOptions, label: string): Promise<WorkerSession> {
    validateSessionOptions(options);
    const bytes = await readModelFile(modelPath, label);
    const sessionOptions = ortSessionOptions(options);
    const providers = sessionOptions.executionProviders as string[];
    const model = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    const data: InferenceWorkerData & { entry: string; tsxApi: string | undefined } = {
      model,
      options: sessionOptions,
      fallbackProviders: fallbackProviders(providers),
      entry: WORKER_ENTRY,
      tsxApi: tsxApi(),
    };
    const worker = new Worker(BOOTSTRAP, { eval: true, workerData: data, transferList: [model] });
    const first = await new Promise<WorkerReply>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    }).catch((error: unknown) => ({ type: 'failed' as const, message: (error as Error).message }));
    if (first.type !== 'ready') {
      await worker.terminate();
      const message = first.type === 'failed' ? first.message : `unexpected reply ${first.type}`;
      if (message.startsWith(WORKER_START_FAILURE)) throw new ModelError('INFERENCE_FAILED', `${message} (for the ${label} model ${modelPath})`, { culprit: modelPath });
      throw sessionCreationError(message, modelPath, label, providers);
    }
    return new WorkerSession(worker, first, modelPath);
  }

  /**
   * Runs the model on one float32 input. With `output`, the result is written into that
   * preallocated array; without, a new one comes back. The arrays' buffers are transferred to
   * the worker, so the passed arrays are detached from now on: use the ones in the result.
   * A failed run does not return them.
   * @param loop - For a model whose batch is fixed at 1: `input` holds this many inputs of
   *   `inputDims` back to back, run one after another in the worker; the outputs come back
   *   concatenated (no preallocated `output`).
   */
  run(inputName: string, input: Float32Array, inputDims: readonly number[], outputName: string, output?: { data: Float32Array; dims: readonly number[] }, loop?: number): Promise<RunResult> {
    const request: Omit<RunRequest, 'id'> = { type: 'run', inputName, input, inputDims: [...inputDims], outputName, output: output?.data, outputDims: output ? [...output.dims] : undefined, loop };
    const transfer = output ? [input.buffer as ArrayBuffer, output.data.buffer as ArrayBuffer] : [input.buffer as ArrayBuffer];
    return this.post(request, transfer).then((reply) => ({ input: reply.input!, output: reply.output }));
  }

  /** Sets how {@link detect} letterboxes frames (once, before the first call). */
  configureLetterbox(width: number, height: number, spec: PreprocessSpec, options: LetterboxerOptions): void {
    this.worker.postMessage({ type: 'letterbox', width, height, spec, options });
  }

  /**
   * Letterboxes `frame` in the worker and runs the model on it, writing into `output` (whose
   * buffer is transferred and comes back in the result; a failed run does not return it).
   * The frame's pixels are read in the worker: keep them unchanged until this settles.
   */
  detect(frame: SharedFrame, inputName: string, outputName: string, output: { data: Float32Array; dims: readonly number[] }): Promise<Float32Array> {
    const request: Omit<DetectRequest, 'id'> = { type: 'detect', frame: frame.data, width: frame.width, height: frame.height, pixelFormat: frame.pixelFormat, inputName, outputName, output: output.data, outputDims: [...output.dims] };
    return this.post(request, [output.data.buffer as ArrayBuffer]).then((reply) => reply.output);
  }

  /** Runs posted to this session that have not finished yet (the pool sends work to the least busy session). */
  get runsInFlight(): number {
    return this.pending.size;
  }

  /** Frees the session and ends the worker. */
  async release(): Promise<void> {
    if (this.failure) return;
    this.worker.ref();
    // Settles when the worker confirms, or when it dies trying (then there is nothing left to free).
    const released = new Promise<void>((resolve) => {
      this.worker.on('message', (reply: WorkerReply) => {
        if (reply.type === 'released') resolve();
      });
      this.worker.once('exit', () => resolve());
    });
    this.worker.postMessage({ type: 'release' });
    await released;
    this.failure = new ModelError('INFERENCE_FAILED', `the session for ${this.modelPath} was released`, { culprit: this.modelPath });
    await this.worker.terminate();
  }

  private post(request: Omit<RunRequest, 'id'> | Omit<DetectRequest, 'id'>, transfer: ArrayBuffer[]): Promise<{ input: Float32Array | undefined; output: Float32Array }> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    if (this.pending.size === 0) this.worker.ref();
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ ...request, id }, transfer);
    });
  }

  private onReply(reply: WorkerReply): void {
    if (reply.type !== 'result' && reply.type !== 'runFailed') return;
    const run = this.pending.get(reply.id);
    if (!run) return;
    this.pending.delete(reply.id);
    if (this.pending.size === 0) this.worker.unref();
    if (reply.type === 'result') {
      run.resolve({ input: reply.input, output: reply.output });
    } else {
      run.reject(new ModelError('INFERENCE_FAILED', `inference with ${this.modelPath} failed: ${reply.message}`, { culprit: this.modelPath }));
    }
  }

  private fail(cause: Error): void {
    if (this.failure) return;
    this.failure = new ModelError('INFERENCE_FAILED', `the inference worker for ${this.modelPath} stopped: ${cause.message}`, { culprit: this.modelPath, cause });
    for (const run of this.pending.values()) run.reject(this.failure);
    this.pending.clear();
  }
}
