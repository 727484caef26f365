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
   * Whether onnxruntime's intra-op threads spin-wait for the next piece of work instead of
   * sleeping. Spinning shaves a little latency off back-to-back runs on an idle machine, but
   * the spinning threads burn whole cores between runs, CPU that ffmpeg decoding and encoding,
   * annotation and the other sessions need: on 2 cores, a 2-thread detector session
   * measured 198 % CPU with spinning and 170 % without, for the same frame rate. Has no effect
   * with `intraOpNumThreads: 1` (no thread pool).
   * @default false
   */
  allowSpinning?: boolean;
  /**
   * Execution providers in order of preference. `['cpu']` runs everywhere. `['cuda', 'cpu']`
   * means "CUDA when onnxruntime-node's CUDA build finds a GPU, the CPU otherwise": when the
   * CUDA provider cannot be loaded (the npm package ships the CPU build unless its install
   * script fetched the CUDA one, or there is no GPU or CUDA runtime), the session falls back to
   * the CPU and says so — `onWarning` of the detector/embedder, else a process warning — and
   * `executionProviders` of the loaded model tells which one runs. A list without `'cpu'`, such
   * as `['cuda']`, never falls back: it fails with ConfigError `INVALID_OPTION` instead. Names
   * are checked against the providers this onnxruntime-node build knows
   * (`listSupportedBackends()`: `cpu`, and `cuda`/`tensorrt` on Linux x64, `dml` on Windows,
   * `coreml` on macOS). On a GPU, use fewer sessions (one is usually best) and more crops per
   * ReID batch; the CPU-tuned defaults assume cores, not a GPU.
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

/**
 * Execution provider names this onnxruntime-node build knows, whether or not their libraries
 * are installed: `cpu` is always bundled; `cuda` and `tensorrt` (Linux x64) load only from the
 * CUDA build with a GPU present.
 */
export function knownExecutionProviders(): string[] {
  return ['cpu', ...ort.listSupportedBackends().map((b) => b.name).filter((n) => n !== 'cpu')];
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
  if (options.allowSpinning !== undefined && typeof options.allowSpinning !== 'boolean') {
    throw new ConfigError('INVALID_OPTION', `allowSpinning must be true or false, got ${JSON.stringify(options.allowSpinning)}`, { culprit: 'allowSpinning' });
  }
  const providers = options.executionProviders;
  if (providers !== undefined && (!Array.isArray(providers) || providers.length === 0 || providers.some((p) => typeof p !== 'string' || p === ''))) {
    throw new ConfigError('INVALID_OPTION', `executionProviders must be a non-empty list of names such as ['cpu'] or ['cuda', 'cpu'], got ${JSON.stringify(providers)}`, { culprit: 'executionProviders' });
  }
  if (providers !== undefined) {
    const known = knownExecutionProviders();
    const unknown = providers.find((p) => !known.includes(p));
    if (unknown !== undefined) {
      throw new ConfigError('INVALID_OPTION', `execution provider "${unknown}" is not one this onnxruntime-node build knows (${known.join(', ')}); use ['cpu'], or ['cuda', 'cpu'] for CUDA with a CPU fallback`, { culprit: 'executionProviders' });
    }
  }
}

/**
 * Reads a model file's bytes.
 * @throws ModelError `MODEL_NOT_FOUND` naming the file and what it is for.
 */
export async function readModelFile(modelPath: string, label: string): Promise<Buffer> {
  try {
    return await readFile(modelPath);
  } catch (cause) {
    throw new ModelError('MODEL_NOT_FOUND', `cannot read the ${label} model ${modelPath}: ${(cause as Error).message}`, { culprit: modelPath, cause });
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
  const bytes = await readModelFile(modelPath, label);
  const sessionOptions = ortSessionOptions(options) as ort.InferenceSession.SessionOptions;
  try {
    return await ort.InferenceSession.create(bytes, sessionOptions);
  } catch (cause) {
    throw sessionCreationError((cause as Error).message, modelPath, label, sessionOptions.executionProviders as string[]);
  }
}

/**
 * The onnxruntime session options for the library's options (plain data, so it can also be
 * posted to an inference worker). Spinning is switched off through the session config entries
 * `session.intra_op.allow_spinning` / `session.inter_op.allow_spinning` unless asked for.
 */
export function ortSessionOptions(options: SessionOptions): Record<string, unknown> {
  const result: Record<string, unknown> = {
    executionProviders: options.executionProviders ?? ['cpu'],
    graphOptimizationLevel: options.graphOptimizationLevel ?? 'all',
  };
  if (options.intraOpNumThreads !== undefined) result.intraOpNumThreads = options.intraOpNumThreads;
  if (options.allowSpinning !== true) {
    result.extra = { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } };
  }
  return result;
}

/** Turns onnxruntime's session-creation failure message into the library's typed error. */
export function sessionCreationError(message: string, modelPath: string, label: string, providers: readonly string[]): Error {
  if (/ExecutionProvider|execution provider|backend|shared library/i.test(message)) {
    return new ConfigError('INVALID_OPTION', `execution providers ${JSON.stringify(providers)} are not available in this onnxruntime-node build (${message}). Use ['cpu'], list 'cpu' after the provider (e.g. ['cuda', 'cpu']) to fall back to it, or install a build with that provider (onnxruntime-node's CUDA build on a machine with a GPU).`, { culprit: 'executionProviders' });
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
