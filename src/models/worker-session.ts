/**
 * An onnxruntime session that runs in a worker thread. onnxruntime-node's `session.run()`
 * returns a promise but computes synchronously on the calling thread (it only defers the call
 * with setImmediate), so on the main thread every inference would stall stream reading, timers
 * and HTTP for its whole duration. Here the main thread only posts a message; tensors live in
 * SharedArrayBuffers, so the worker reads inputs and writes fixed-size outputs in place with
 * no copies. Runs on one session are executed one after another by its worker.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { ModelError } from '../errors.js';
import { sessionCreationError, validateSessionOptions, type SessionOptions, type TensorSignature } from './session.js';

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
    if (m.output) {
      await session.run(feeds, { [m.outputName]: new ort.Tensor('float32', m.output, m.outputDims) });
      parentPort.postMessage({ type: 'result', id: m.id });
    } else {
      const out = (await session.run(feeds))[m.outputName];
      parentPort.postMessage({ type: 'result', id: m.id, data: out.data });
    }
  } catch (error) {
    parentPort.postMessage({ type: 'runFailed', id: m.id, message: String((error && error.message) || error) });
  }
});
`;

type WorkerReply =
  | ({ type: 'ready' } & ModelMetadata)
  | { type: 'failed'; message: string }
  | { type: 'released' }
  | { type: 'result'; id: number; data?: Float32Array }
  | { type: 'runFailed'; id: number; message: string };

interface PendingRun {
  resolve: (data: Float32Array | undefined) => void;
  reject: (error: Error) => void;
}

/** A Float32Array over shared memory, which the worker reads and writes without copies. */
export function sharedFloat32(length: number): Float32Array {
  return new Float32Array(new SharedArrayBuffer(length * Float32Array.BYTES_PER_ELEMENT));
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
    let bytes: Buffer;
    try {
      bytes = await readFile(modelPath);
    } catch (cause) {
      throw new ModelError('MODEL_NOT_FOUND', `cannot read the ${label} model ${modelPath}: ${(cause as Error).message}`, { culprit: modelPath, cause });
    }
    const providers = options.executionProviders ?? ['cpu'];
    const sessionOptions: Record<string, unknown> = { executionProviders: providers, graphOptimizationLevel: options.graphOptimizationLevel ?? 'all' };
    if (options.intraOpNumThreads !== undefined) sessionOptions.intraOpNumThreads = options.intraOpNumThreads;
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
   * (shared) buffer and it is returned; without, a fresh array comes back from the worker.
   * `input` (and `output`) must not be touched until the promise settles.
   */
  run(inputName: string, input: Float32Array, inputDims: readonly number[], outputName: string, output?: { data: Float32Array; dims: readonly number[] }): Promise<Float32Array> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    if (this.pending.size === 0) this.worker.ref();
    return new Promise<Float32Array | undefined>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ type: 'run', id, inputName, input, inputDims, outputName, output: output?.data, outputDims: output?.dims });
    }).then((data) => data ?? output!.data);
  }

  /** Frees the session and ends the worker. */
  async release(): Promise<void> {
    if (this.failure) return;
    this.worker.ref();
    const released = new Promise<void>((resolve) => {
      this.worker.on('message', (reply: WorkerReply) => {
        if (reply.type === 'released') resolve();
      });
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
    if (reply.type === 'result') run.resolve(reply.data);
    else run.reject(new ModelError('INFERENCE_FAILED', `inference with ${this.modelPath} failed: ${reply.message}`, { culprit: this.modelPath }));
  }

  private fail(cause: Error): void {
    if (this.failure) return;
    this.failure = new ModelError('INFERENCE_FAILED', `the inference worker for ${this.modelPath} stopped: ${cause.message}`, { culprit: this.modelPath, cause });
    for (const run of this.pending.values()) run.reject(this.failure);
    this.pending.clear();
  }
}

