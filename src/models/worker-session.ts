/**
 * An onnxruntime session that runs in a worker thread. onnxruntime-node's `session.run()`
 * returns a promise but computes synchronously on the calling thread (it only defers the call
 * with setImmediate), so on the main thread every inference would stall stream reading, timers
 * and HTTP for its whole duration. Here the main thread only posts a message. Tensor buffers
 * are transferred, not copied: they move to the worker for the run and come back with the
 * result (onnxruntime-node rejects SharedArrayBuffer-backed arrays, so sharing is not an
 * option). Runs on one session are executed one after another by its worker.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { ModelError } from '../errors.js';
import { ortSessionOptions, readModelFile, sessionCreationError, validateSessionOptions, type SessionOptions, type TensorSignature } from './session.js';

/** Input/output description of a loaded model, as onnxruntime reports it. */
export interface ModelMetadata {
  inputNames: readonly string[];
  outputNames: readonly string[];
  inputMetadata: ReadonlyArray<TensorSignature & { isTensor: boolean }>;
  outputMetadata: ReadonlyArray<TensorSignature & { isTensor: boolean }>;
}

// Plain JavaScript evaluated in the worker (an eval worker needs no loader for .ts files in
// development and no extra file in the build). onnxruntime-node is required by absolute path.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const ort = require(workerData.ortPath);
const describe = (list) => list.map((m) => ({ name: m.name, isTensor: !!m.isTensor, shape: m.isTensor ? Array.from(m.shape) : [] }));
const ready = ort.InferenceSession.create(new Uint8Array(workerData.model), workerData.options).then(
  (session) => {
    parentPort.postMessage({ type: 'ready', inputNames: session.inputNames, outputNames: session.outputNames,
      inputMetadata: describe(session.inputMetadata), outputMetadata: describe(session.outputMetadata) });
    return session;
  },
  (error) => { parentPort.postMessage({ type: 'failed', message: String((error && error.message) || error) }); return undefined; });
parentPort.on('message', async (m) => {
  const session = await ready;
  if (m.type === 'release') {
    if (session) await session.release();
    parentPort.postMessage({ type: 'released' });
    return;
  }
  try {
    const feeds = { [m.inputName]: new ort.Tensor('float32', m.input, m.inputDims) };
    let output = m.output;
    if (output) await session.run(feeds, { [m.outputName]: new ort.Tensor('float32', output, m.outputDims) });
    else output = (await session.run(feeds))[m.outputName].data;
    // Both buffers go back to the caller, which owns them between runs.
    parentPort.postMessage({ type: 'result', id: m.id, input: m.input, output }, [m.input.buffer, output.buffer]);
  } catch (error) {
    parentPort.postMessage({ type: 'runFailed', id: m.id, message: String((error && error.message) || error) });
  }
});
`;

type WorkerReply =
  | ({ type: 'ready' } & ModelMetadata)
  | { type: 'failed'; message: string }
  | { type: 'released' }
  | { type: 'result'; id: number; input: Float32Array; output: Float32Array }
  | { type: 'runFailed'; id: number; message: string };

/** The buffers of a finished run, handed back to the caller. */
export interface RunResult {
  /** The input array, usable again (the one passed to `run` is detached meanwhile). */
  input: Float32Array;
  /** The output: the caller's preallocated array, filled, or a new one. */
  output: Float32Array;
}

interface PendingRun {
  resolve: (result: RunResult) => void;
  reject: (error: Error) => void;
}

/** An inference session living in its own worker thread. */
export class WorkerSession implements ModelMetadata {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  readonly inputMetadata: ModelMetadata['inputMetadata'];
  readonly outputMetadata: ModelMetadata['outputMetadata'];
  private readonly pending = new Map<number, PendingRun>();
  private nextId = 0;
  private failure: Error | undefined;

  private constructor(
    private readonly worker: Worker,
    metadata: ModelMetadata,
    private readonly modelPath: string,
  ) {
    this.inputNames = metadata.inputNames;
    this.outputNames = metadata.outputNames;
    this.inputMetadata = metadata.inputMetadata;
    this.outputMetadata = metadata.outputMetadata;
    worker.on('message', (reply: WorkerReply) => this.onReply(reply));
    worker.on('error', (error) => this.fail(error));
    worker.on('exit', (code) => this.fail(new Error(`inference worker exited with code ${code}`)));
    worker.unref(); // an idle session must not keep the process alive
  }

  /**
   * Reads the model file and opens a session on it in a new worker.
   * @throws ModelError `MODEL_NOT_FOUND` (unreadable file), `MODEL_CORRUPT` (not a loadable
   *   ONNX model); ConfigError `INVALID_OPTION` (bad option or unavailable execution provider).
   */
  static async open(modelPath: string, options: SessionOptions, label: string): Promise<WorkerSession> {
    validateSessionOptions(options);
    const bytes = await readModelFile(modelPath, label);
    const sessionOptions = ortSessionOptions(options);
    const providers = sessionOptions.executionProviders as string[];
    const model = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    const ortPath = createRequire(import.meta.url).resolve('onnxruntime-node');
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { ortPath, model, options: sessionOptions }, transferList: [model] });
    const first = await new Promise<WorkerReply>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    }).catch((error: unknown) => ({ type: 'failed' as const, message: (error as Error).message }));
    if (first.type !== 'ready') {
      await worker.terminate();
      const message = first.type === 'failed' ? first.message : `unexpected reply ${first.type}`;
      throw sessionCreationError(message, modelPath, label, providers);
    }
    return new WorkerSession(worker, first, modelPath);
  }

  /**
   * Runs the model on one float32 input. With `output`, the result is written into that
   * preallocated array; without, a new one comes back. The arrays' buffers are transferred to
   * the worker, so the passed arrays are detached from now on: use the ones in the result.
   * A failed run does not return them.
   */
  run(inputName: string, input: Float32Array, inputDims: readonly number[], outputName: string, output?: { data: Float32Array; dims: readonly number[] }): Promise<RunResult> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    if (this.pending.size === 0) this.worker.ref();
    return new Promise<RunResult>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      const transfer = output ? [input.buffer as ArrayBuffer, output.data.buffer as ArrayBuffer] : [input.buffer as ArrayBuffer];
      this.worker.postMessage({ type: 'run', id, inputName, input, inputDims, outputName, output: output?.data, outputDims: output?.dims }, transfer);
    });
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

