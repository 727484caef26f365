/**
 * Loading a detector: resolve the file and its manifest entry, open the session pool, check
 * the shapes, and — for rectangular input — switch to a symbolic-input copy of the model once
 * a test inference shows the graph really runs at another size.
 */
import { availableParallelism } from 'node:os';
import { readModelFile, singleInputOutput } from './session.js';
import { DEFAULT_PREPROCESS, gridRows, inspectDetectorModel, type DetectorModelInfo } from './detector-model.js';
import type { InputShape, PersonDetectorOptions } from './detector-options.js';
import type { ModelEntry, PreprocessSpec } from './manifest.js';
import { chooseModel, defaultCacheDir } from './resolver.js';
import { defaultSessionCount, SessionPool } from './session-pool.js';
import { symbolicInputCopy } from './symbolic-input.js';

/** A detector model ready to run. */
export interface LoadedDetectorModel {
  pool: SessionPool;
  info: DetectorModelInfo;
  /** The file the user's options chose (the original, even when a rectangular copy runs). */
  modelPath: string;
  entry: ModelEntry | undefined;
  preprocess: PreprocessSpec;
  inputShape: InputShape;
  /** Largest head stride: rectangular tensor sizes are multiples of it. */
  stride: number;
}

const DEFAULT_MODEL_ID = 'yolox-nano';
const DEFAULT_INPUT_SIZE = 640;

/**
 * Resolves, opens and checks a detector model.
 * @param warn - Receives a message when rectangular input is refused or the providers fell back.
 */
export async function loadDetectorModel(options: PersonDetectorOptions, warn: (message: string) => void): Promise<LoadedDetectorModel> {
  const { modelPath, entry } = await chooseModel(options, 'detector', DEFAULT_MODEL_ID);
  const intraOpNumThreads = options.intraOpNumThreads ?? 1;
  const sessions = options.sessions ?? Math.max(1, Math.min(defaultSessionCount(), Math.floor(availableParallelism() / intraOpNumThreads)));
  const sessionOptions = { ...options, intraOpNumThreads };
  const format = options.format ?? (entry?.format === 'yolox' || entry?.format === 'yolov8' ? entry.format : undefined);
  const requested: InputShape = options.inputShape ?? entry?.inputShape ?? 'fixed';

  // Rectangular: the original opens as one session only, for its metadata and shape checks.
  let pool = await SessionPool.open(modelPath, sessionOptions, 'person detector', requested === 'rectangular' ? 1 : sessions);
  try {
    if (pool.providerWarning !== undefined) warn(pool.providerWarning);
    const { input, output } = singleInputOutput(pool, modelPath, 'person detector');
    const info = inspectDetectorModel(modelPath, input, output, format, entry, options.inputSize ?? DEFAULT_INPUT_SIZE);
    const preprocess = entry?.preprocess ?? DEFAULT_PREPROCESS[info.format];
    const stride = Math.max(...info.strides);
    const base = { info, modelPath, entry, preprocess, stride };
    if (requested === 'fixed') return { pool, ...base, inputShape: 'fixed' };

    const providers = { ...sessionOptions, executionProviders: [...pool.executionProviders] };
    const refusal = rectangularRefusal(info, entry, stride);
    const fixedPool = async () => {
      await pool.release();
      pool = await SessionPool.open(modelPath, providers, 'person detector', sessions);
      return pool;
    };
    if (refusal !== undefined) {
      warn(`${modelPath}: rectangular input is not available (${refusal}); using the fixed ${info.inputWidth}x${info.inputHeight} input`);
      return { pool: await fixedPool(), ...base, inputShape: 'fixed' };
    }
    const bytes = await readModelFile(modelPath, 'person detector');
    const copy = await symbolicInputCopy(modelPath, bytes, { inputName: info.inputName, layout: info.layout, outputName: info.outputName, outputAxis: info.format === 'yolox' ? 1 : 2 }, options.cacheDir ?? defaultCacheDir());
    const rectangular = await SessionPool.open(copy, providers, 'person detector', sessions);
    const failure = await testOtherSize(rectangular, info, stride);
    if (failure !== undefined) {
      await rectangular.release();
      warn(`${modelPath}: the graph does not run at other input sizes (${failure}); using the fixed ${info.inputWidth}x${info.inputHeight} input`);
      return { pool: await fixedPool(), ...base, inputShape: 'fixed' };
    }
    await pool.release();
    pool = rectangular;
    return { pool, ...base, inputShape: 'rectangular' };
  } catch (error) {
    await pool.release();
    throw error;
  }
}

/** Why a model cannot have rectangular input without trying, or undefined. */
function rectangularRefusal(info: DetectorModelInfo, entry: ModelEntry | undefined, stride: number): string | undefined {
  if (entry !== undefined && entry.rectangularInput !== true) return `its manifest entry "${entry.id}" does not set rectangularInput: true`;
  if (info.inputWidth % stride !== 0 || info.inputHeight % stride !== 0) return `its ${info.inputWidth}x${info.inputHeight} input is not a multiple of its stride ${stride}`;
  return undefined;
}

/**
 * Runs the symbolic-input copy once at the full width and about half the height, and checks
 * that the output has the boxes a head over those strides gives there. A graph with sizes
 * baked into its reshapes fails to run or returns the old row count.
 */
async function testOtherSize(pool: SessionPool, info: DetectorModelInfo, stride: number): Promise<string | undefined> {
  const width = info.inputWidth;
  let height = Math.ceil(info.inputHeight / 2 / stride) * stride;
  if (height === info.inputHeight) height -= stride;
  if (height < stride) return 'its input is only one stride high';
  const dims = info.layout === 'NCHW' ? [1, 3, height, width] : [1, height, width, 3];
  const perBox = info.format === 'yolox' ? info.classes + 5 : info.classes + 4;
  const expected = gridRows(width, height, info.strides) * perBox;
  try {
    const { output } = await pool.run(info.inputName, new Float32Array(3 * width * height), dims, info.outputName);
    if (output.length !== expected) return `at ${width}x${height} it returned ${output.length} values, a shape-agnostic head returns ${expected}`;
    return undefined;
  } catch (error) {
    return `at ${width}x${height}: ${(error as Error).message}`;
  }
}
