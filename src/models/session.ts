/**
 * Opens onnxruntime-node inference sessions with the library's options, and turns the ways
 * that can go wrong (missing file, not an ONNX model, unavailable execution provider) into
 * typed errors. Shape checks against the expected format live beside each model's wrapper.
 */
import { readFile } from 'node:fs/promises';
import * as ort from 'onnxruntime-node';
import { ConfigError, ModelError } from '../errors.js';

/** How onnxruntime runs a model. Shared by the detector and the embedder options. */
export interface SessionOptions {
  /**
   * Threads one inference may use. Fewer threads leave cores for ffmpeg decoding and other
   * cameras; more lower the latency of a single frame.
   * @default onnxruntime's choice (one per physical core)
   */
  intraOpNumThreads?: number;
  /**
   * Execution providers in order of preference, e.g. `['cuda', 'cpu']`. Anything but `'cpu'`
   * needs an onnxruntime-node build with that provider (the npm package ships CPU, and CUDA
   * on Linux x64 when its install script downloaded it).
   * @default ['cpu']
   */
  executionProviders?: string[];
  /**
   * Graph optimisation level applied when the session is created. `'all'` is fastest to run
   * and slowest to load; `'disabled'` helps when debugging a model.
   * @default 'all'
   */
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'layout' | 'all';
}

/** One tensor input or output of a loaded model: its name and shape (strings are dynamic axes). */
export interface TensorSignature {
  name: string;
  shape: ReadonlyArray<number | string>;
}

/** Checks the session options before any file is read. */
export function validateSessionOptions(options: SessionOptions): void {
  const threads = options.intraOpNumThreads;
  if (threads !== undefined && !(Number.isInteger(threads) && threads >= 1)) {
    throw new ConfigError('INVALID_OPTION', `intraOpNumThreads must be a positive integer, got ${String(threads)}`, { culprit: 'intraOpNumThreads' });
  }
  const providers = options.executionProviders;
  if (providers !== undefined && (!Array.isArray(providers) || providers.length === 0 || providers.some((p) => typeof p !== 'string' || p === ''))) {
    throw new ConfigError('INVALID_OPTION', `executionProviders must be a non-empty list of names such as ['cpu'] or ['cuda', 'cpu'], got ${JSON.stringify(providers)}`, { culprit: 'executionProviders' });
  }
}

/**
 * Creates an inference session for a model file.
 * @param label - What the model is for ("person detector"), used in error messages.
 * @throws ModelError `MODEL_NOT_FOUND` (unreadable file), `MODEL_CORRUPT` (not a loadable
 *   ONNX model); ConfigError `INVALID_OPTION` (an execution provider that is not available).
 */
export async function openSession(modelPath: string, options: SessionOptions, label: string): Promise<ort.InferenceSession> {
  validateSessionOptions(options);
  let bytes: Uint8Array;
  try {
    bytes = await readFile(modelPath);
  } catch (cause) {
    throw new ModelError('MODEL_NOT_FOUND', `cannot read the ${label} model ${modelPath}: ${(cause as Error).message}`, { culprit: modelPath, cause });
  }
  const sessionOptions: ort.InferenceSession.SessionOptions = {
    executionProviders: options.executionProviders ?? ['cpu'],
    graphOptimizationLevel: options.graphOptimizationLevel ?? 'all',
  };
  if (options.intraOpNumThreads !== undefined) sessionOptions.intraOpNumThreads = options.intraOpNumThreads;
  try {
    return await ort.InferenceSession.create(bytes, sessionOptions);
  } catch (cause) {
    throw sessionCreationError((cause as Error).message, modelPath, label, sessionOptions.executionProviders as string[]);
  }
}

/** Turns onnxruntime's session-creation failure message into the library's typed error. */
export function sessionCreationError(message: string, modelPath: string, label: string, providers: readonly string[]): Error {
  if (/ExecutionProvider|execution provider|backend/i.test(message)) {
    return new ConfigError('INVALID_OPTION', `execution providers ${JSON.stringify(providers)} are not available in this onnxruntime-node build (${message}). Use ['cpu'] or install a build with that provider.`, { culprit: 'executionProviders' });
  }
  return new ModelError('MODEL_CORRUPT', `the ${label} model ${modelPath} is not a loadable ONNX model (${message}). Re-download it, or check that the path points to an .onnx file.`, { culprit: modelPath });
}

/** What sessions (in this thread or in a worker) report about their inputs and outputs. */
export interface SessionMetadata {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  readonly inputMetadata: ReadonlyArray<{ name: string; isTensor: boolean; shape?: ReadonlyArray<number | string> }>;
  readonly outputMetadata: ReadonlyArray<{ name: string; isTensor: boolean; shape?: ReadonlyArray<number | string> }>;
}

/** The single tensor input and output of a session, or a `MODEL_MISMATCH` error. */
export function singleInputOutput(session: SessionMetadata, modelPath: string, label: string): { input: TensorSignature; output: TensorSignature } {
  const inputs = session.inputMetadata;
  const outputs = session.outputMetadata;
  if (inputs.length !== 1 || outputs.length < 1 || !inputs[0]!.isTensor || !outputs[0]!.isTensor) {
    throw new ModelError('MODEL_MISMATCH', `${modelPath} does not look like a ${label}: expected one tensor input and a tensor output, found inputs [${session.inputNames.join(', ')}] and outputs [${session.outputNames.join(', ')}].`, { culprit: modelPath });
  }
  const input = inputs[0]!;
  const output = outputs[0]!;
  return { input: { name: input.name, shape: input.shape ?? [] }, output: { name: output.name, shape: output.shape ?? [] } };
}

/** Formats a shape for messages: `[1, 3, 416, 416]`, dynamic axes by name. */
export function formatShape(shape: ReadonlyArray<number | string>): string {
  return `[${shape.join(', ')}]`;
}

/** True when a model's shape is compatible with a declared one (dynamic axes match any size). */
export function shapeMatches(actual: ReadonlyArray<number | string>, declared: ReadonlyArray<number | string>): boolean {
  if (actual.length !== declared.length) return false;
  return declared.every((d, i) => {
    const a = actual[i]!;
    return typeof d === 'string' || typeof a === 'string' || a === d;
  });
}
