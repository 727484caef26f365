/**
 * The inference worker: the code that runs inside each `WorkerSession`'s thread. It owns one
 * onnxruntime session and, for a detector, letterboxes and normalises frames into its own
 * input tensor, so that pre-processing scales with the number of sessions instead of loading
 * the main thread. Frames arrive as views on a SharedArrayBuffer (nothing copied on the way);
 * outputs go back by transfer. Messages are handled strictly one after another: onnxruntime's
 * `run()` yields before it computes, and a second message must not overwrite the input tensor
 * of a run that has not started yet.
 */
import { parentPort, workerData } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';
import { Letterboxer, type LetterboxerOptions } from './image-ops.js';
import type { PreprocessSpec } from './manifest.js';
import type { PixelFormat } from '../streams/frame.js';

/** What the main thread passes when it starts the worker. */
export interface InferenceWorkerData {
  /** The model bytes (transferred). */
  model: ArrayBuffer;
  /** onnxruntime session options (plain data). */
  options: Record<string, unknown>;
  /** Providers to retry with when the requested ones cannot be loaded (undefined: no fallback). */
  fallbackProviders: string[] | undefined;
}

/** Configures the worker's letterboxer (detectors only), once, before the first `detect`. */
export interface LetterboxConfig {
  type: 'letterbox';
  width: number;
  height: number;
  spec: PreprocessSpec;
  options: LetterboxerOptions;
}

/** Runs the model on a tensor the caller prepared. */
export interface RunRequest {
  type: 'run';
  id: number;
  inputName: string;
  input: Float32Array;
  inputDims: number[];
  outputName: string;
  output: Float32Array | undefined;
  outputDims: number[] | undefined;
  /** Run `loop` slots of `inputDims` one after another (a model whose batch is fixed at 1); outputs are concatenated. */
  loop: number | undefined;
}

/** Letterboxes a frame into the worker's own tensor and runs the model on it. */
export interface DetectRequest {
  type: 'detect';
  id: number;
  /** Packed pixels, normally a view on a SharedArrayBuffer. */
  frame: Uint8Array;
  width: number;
  height: number;
  pixelFormat: PixelFormat;
  inputName: string;
  outputName: string;
  /** Preallocated output (transferred); its dims follow from the frame's tensor size. */
  output: Float32Array;
  outputDims: number[];
}

export type WorkerRequest = LetterboxConfig | RunRequest | DetectRequest | { type: 'release' };

export type WorkerReply =
  | { type: 'ready'; inputNames: string[]; outputNames: string[]; inputMetadata: Signature[]; outputMetadata: Signature[]; executionProviders: string[]; providerWarning: string | undefined }
  | { type: 'failed'; message: string }
  | { type: 'released' }
  | { type: 'result'; id: number; input: Float32Array | undefined; output: Float32Array }
  | { type: 'runFailed'; id: number; message: string };

interface Signature {
  name: string;
  isTensor: boolean;
  shape: Array<number | string>;
}

const port = parentPort!;
const data = workerData as InferenceWorkerData;
const message = (error: unknown) => String((error as Error | undefined)?.message ?? error);
const describe = (list: readonly ort.InferenceSession.ValueMetadata[]): Signature[] =>
  list.map((m) => ({ name: m.name, isTensor: m.isTensor, shape: m.isTensor ? Array.from(m.shape) : [] }));

async function createSession(): Promise<ort.InferenceSession> {
  const bytes = new Uint8Array(data.model);
  const options = data.options as ort.InferenceSession.SessionOptions;
  let session: ort.InferenceSession;
  let providerWarning: string | undefined;
  try {
    session = await ort.InferenceSession.create(bytes, options);
  } catch (error) {
    const text = message(error);
    // Only a provider that cannot be loaded falls back; a corrupt model fails either way.
    if (data.fallbackProviders === undefined || !/ExecutionProvider|execution provider|backend|shared library/i.test(text)) throw error;
    providerWarning = `execution providers ${JSON.stringify(options.executionProviders)} are not available (${text}); running on ${JSON.stringify(data.fallbackProviders)}`;
    session = await ort.InferenceSession.create(bytes, { ...options, executionProviders: data.fallbackProviders });
  }
  const executionProviders = (providerWarning === undefined ? options.executionProviders : data.fallbackProviders) as string[];
  port.postMessage({
    type: 'ready',
    inputNames: [...session.inputNames],
    outputNames: [...session.outputNames],
    inputMetadata: describe(session.inputMetadata),
    outputMetadata: describe(session.outputMetadata),
    executionProviders,
    providerWarning,
  } satisfies WorkerReply);
  return session;
}

let letterboxer: Letterboxer | undefined;
/** The worker's own input tensor for `detect`, sized once for the largest input. */
let detectInput: Float32Array | undefined;

async function run(session: ort.InferenceSession, m: RunRequest): Promise<void> {
  let output: Float32Array;
  if (m.loop !== undefined) {
    // Fixed batch of 1: one run per slot, outputs side by side.
    const slot = m.input.length / m.loop;
    const parts: Float32Array[] = [];
    for (let k = 0; k < m.loop; k++) {
      const feeds = { [m.inputName]: new ort.Tensor('float32', m.input.subarray(k * slot, (k + 1) * slot), m.inputDims) };
      parts.push((await session.run(feeds))[m.outputName]!.data as Float32Array);
    }
    output = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
    let offset = 0;
    for (const p of parts) {
      output.set(p, offset);
      offset += p.length;
    }
  } else {
    const feeds = { [m.inputName]: new ort.Tensor('float32', m.input, m.inputDims) };
    if (m.output !== undefined) {
      await session.run(feeds, { [m.outputName]: new ort.Tensor('float32', m.output, m.outputDims!) });
      output = m.output;
    } else {
      output = (await session.run(feeds))[m.outputName]!.data as Float32Array;
    }
  }
  // Both buffers go back to the caller, which owns them between runs.
  const transfer = output.buffer === m.input.buffer ? [m.input.buffer as ArrayBuffer] : [m.input.buffer as ArrayBuffer, output.buffer as ArrayBuffer];
  port.postMessage({ type: 'result', id: m.id, input: m.input, output } satisfies WorkerReply, transfer);
}

async function detect(session: ort.InferenceSession, m: DetectRequest): Promise<void> {
  if (letterboxer === undefined) throw new Error('detect before letterbox configuration');
  detectInput ??= new Float32Array(letterboxer.tensorLength);
  const layout = letterboxer.run({ data: m.frame, width: m.width, height: m.height, pixelFormat: m.pixelFormat }, detectInput);
  const size = 3 * layout.tensorWidth * layout.tensorHeight;
  const dims = letterboxer.layout === 'NCHW' ? [1, 3, layout.tensorHeight, layout.tensorWidth] : [1, layout.tensorHeight, layout.tensorWidth, 3];
  const feeds = { [m.inputName]: new ort.Tensor('float32', detectInput.subarray(0, size), dims) };
  await session.run(feeds, { [m.outputName]: new ort.Tensor('float32', m.output, m.outputDims) });
  port.postMessage({ type: 'result', id: m.id, input: undefined, output: m.output } satisfies WorkerReply, [m.output.buffer as ArrayBuffer]);
}

const ready = createSession().catch((error: unknown) => {
  port.postMessage({ type: 'failed', message: message(error) } satisfies WorkerReply);
  return undefined;
});

let queue: Promise<unknown> = ready;
port.on('message', (m: WorkerRequest) => {
  queue = queue.then(async () => {
    const session = await ready;
    if (m.type === 'release') {
      await session?.release();
      port.postMessage({ type: 'released' } satisfies WorkerReply);
      return;
    }
    if (m.type === 'letterbox') {
      letterboxer = new Letterboxer(m.width, m.height, m.spec, m.options);
      detectInput = undefined;
      return;
    }
    try {
      if (session === undefined) throw new Error('the session failed to load');
      if (m.type === 'run') await run(session, m);
      else await detect(session, m);
    } catch (error) {
      port.postMessage({ type: 'runFailed', id: m.id, message: message(error) } satisfies WorkerReply);
    }
  });
});
