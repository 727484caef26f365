/**
 * Finds a model file on disk, or downloads it when allowed. The search order is fixed and
 * documented so users can predict which file wins:
 * 1. an explicit path (`path` option);
 * 2. a configured models folder (`modelsDir` option), then the `MULTICAM_REID_MODELS` directory;
 * 3. the package's `models/` folder;
 * 4. the per-user cache (`cacheDir`, else `$XDG_CACHE_HOME/multicam-reid/models`, else
 *    `~/.cache/multicam-reid/models`);
 * 5. a download from the manifest URL into that cache, verified against the manifest SHA-256
 *    (only with `allowDownload: true`).
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, statSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { once } from 'node:events';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { ConfigError, ModelError } from '../errors.js';
import { getModelEntry, manifestWith, packageModelsDir, parseModelEntry, type ModelEntry, type ModelEntryInput } from './manifest.js';

/** Name of the environment variable naming a folder of model files. */
export const MODELS_ENV_VAR = 'MULTICAM_REID_MODELS';

/** Progress of a model download, reported once when it starts and then per received chunk. */
export interface DownloadProgress {
  /** Id of the model being downloaded. */
  modelId: string;
  /** The URL it comes from. */
  url: string;
  /** Bytes received so far. */
  receivedBytes: number;
  /** Expected size from Content-Length (or the manifest); undefined when neither says. */
  totalBytes: number | undefined;
}

/** Where {@link resolveModel} found the file. */
export type ModelSource = 'explicit' | 'config' | 'env' | 'package' | 'cache' | 'download';

/** Options of {@link resolveModel}. */
export interface ResolveModelOptions {
  /**
   * Explicit path to the model file. When given it is the only place looked: a missing file
   * is an error rather than a silent fall-back to another copy.
   */
  path?: string;
  /**
   * Download the model from the manifest URL into the cache when no local copy exists.
   * Off by default so nothing touches the network unless asked. The download is verified
   * against the manifest SHA-256 before it is used.
   * @default false
   */
  allowDownload?: boolean;
  /**
   * Per-user cache folder, searched after the package folder and used for downloads.
   * @default `$XDG_CACHE_HOME/multicam-reid/models`, else `~/.cache/multicam-reid/models`
   */
  cacheDir?: string;
  /**
   * A folder of model files searched first, before `MULTICAM_REID_MODELS` (the pipeline
   * configuration's `modelsDir`). A model missing there is looked for in the next places.
   */
  modelsDir?: string;
  /**
   * The package models folder to search (step 3). Only for tests and unusual install layouts.
   * @default the `models/` folder of the installed package
   */
  packageModelsDir?: string;
  /** Called as a download progresses (never for files found on disk). */
  onProgress?: (progress: DownloadProgress) => void;
  /** Aborts a download in progress (for example with `AbortSignal.timeout(60_000)`). */
  signal?: AbortSignal;
}

/** A model file that exists on disk. */
export interface ResolvedModel {
  /** Absolute path of the file. */
  path: string;
  /** Which step of the search order found it. */
  source: ModelSource;
  /** The manifest entry, when the model is known to the manifest. */
  entry: ModelEntry;
}

/** The default per-user cache folder for model files. */
export function defaultCacheDir(): string {
  const xdg = process.env.XDG_CACHE_HOME;
  const base = xdg !== undefined && xdg !== '' ? xdg : path.join(os.homedir(), '.cache');
  return path.join(base, 'multicam-reid', 'models');
}

function isFile(p: string): boolean {
  return existsSync(p) && statSync(p).isFile();
}

/** Where a model file is, or every place that was looked in vain. */
export interface ModelLocation {
  /** The file found first in the search order, if any. */
  found: { path: string; source: Exclude<ModelSource, 'download'> } | undefined;
  /** Each place looked before the hit (all of them when nothing was found), for messages and listings. */
  looked: string[];
  /** The user cache folder searched (and used for downloads). */
  cacheDir: string;
}

/**
 * Looks for a model file on disk along the search order (explicit path, `MULTICAM_REID_MODELS`,
 * the package `models/` folder, the user cache) without downloading anything. This is what
 * `multicam-reid models` reports for each entry.
 */
export function locateModel(entry: Pick<ModelEntry, 'file'>, options: Omit<ResolveModelOptions, 'allowDownload' | 'onProgress' | 'signal'> = {}): ModelLocation {
  const looked: string[] = [];
  const cacheDir = path.resolve(options.cacheDir ?? defaultCacheDir());
  if (options.path !== undefined) {
    const explicit = path.resolve(options.path);
    if (isFile(explicit)) return { found: { path: explicit, source: 'explicit' }, looked, cacheDir };
    return { found: undefined, looked: [`explicit path: ${explicit}`], cacheDir };
  }
  if (options.modelsDir !== undefined) {
    const candidate = path.resolve(options.modelsDir, entry.file);
    if (isFile(candidate)) return { found: { path: candidate, source: 'config' }, looked, cacheDir };
    looked.push(`configured models folder: ${candidate}`);
  }
  const envDir = process.env[MODELS_ENV_VAR];
  if (envDir !== undefined && envDir !== '') {
    const candidate = path.resolve(envDir, entry.file);
    if (isFile(candidate)) return { found: { path: candidate, source: 'env' }, looked, cacheDir };
    looked.push(`${MODELS_ENV_VAR}: ${candidate}`);
  } else {
    looked.push(`${MODELS_ENV_VAR}: not set`);
  }
  const packageCandidate = path.resolve(options.packageModelsDir ?? packageModelsDir(), entry.file);
  if (isFile(packageCandidate)) return { found: { path: packageCandidate, source: 'package' }, looked, cacheDir };
  looked.push(`package models folder: ${packageCandidate}`);
  const cacheCandidate = path.join(cacheDir, entry.file);
  if (isFile(cacheCandidate)) return { found: { path: cacheCandidate, source: 'cache' }, looked, cacheDir };
  looked.push(`user cache: ${cacheCandidate}`);
  return { found: undefined, looked, cacheDir };
}

/**
 * Finds a model file (see the module comment for the order) and returns its absolute path.
 * @param model - A manifest id such as `"yolox-nano"`, or a manifest entry of your own.
 * @throws ModelError `MODEL_NOT_FOUND` listing every place looked and how to fix it;
 *   `DOWNLOAD_FAILED` or `CHECKSUM_MISMATCH` when an allowed download fails.
 */
export async function resolveModel(model: string | ModelEntry, options: ResolveModelOptions = {}): Promise<ResolvedModel> {
  const entry = typeof model === 'string' ? getModelEntry(model) : model;
  const location = locateModel(entry, options);
  if (location.found !== undefined) return { ...location.found, entry };
  if (options.path !== undefined) {
    const explicit = path.resolve(options.path);
    throw new ModelError('MODEL_NOT_FOUND', `model file not found: ${explicit} (given as the explicit model path for "${entry.id}"). Check the path, or leave it out to search ${MODELS_ENV_VAR}, the package models/ folder and the cache.`, { culprit: explicit });
  }
  const { looked, cacheDir } = location;
  const cacheCandidate = path.join(cacheDir, entry.file);
  if (options.allowDownload === true && entry.url !== undefined) {
    await downloadModel(entry, cacheCandidate, options);
    return { path: cacheCandidate, source: 'download', entry };
  }
  looked.push(entry.url === undefined ? 'download: the manifest has no URL for this model' : `download: not allowed (would fetch ${entry.url})`);

  const fixes = [`set ${MODELS_ENV_VAR} to a folder holding ${entry.file}`, 'pass an explicit model path'];
  if (entry.url !== undefined) fixes.push(`run \`multicam-reid models pull ${entry.id}\`, or pass allowDownload: true to fetch it from ${entry.url} into ${cacheDir}`);
  throw new ModelError(
    'MODEL_NOT_FOUND',
    `model "${entry.id}" (${entry.file}) was not found. Looked in:\n  - ${looked.join('\n  - ')}\nFix: ${fixes.join(', ')}.`,
    { culprit: entry.id },
  );
}

/** What {@link pullModel} did. */
export interface PullResult {
  /** Where the verified file is now. */
  path: string;
  /** `'downloaded'`, or `'present'` when the cache already held a file with the manifest SHA-256. */
  action: 'downloaded' | 'present';
  /** Bytes of the file. */
  bytes: number;
}

/**
 * Makes sure the user cache holds a verified copy of a model: a cached file whose SHA-256
 * matches the manifest is kept, anything else is downloaded from the entry's URL (hashed as it
 * streams and kept only on a match). This is `multicam-reid models pull`.
 * @throws ModelError `DOWNLOAD_FAILED` (no URL or SHA-256 in the entry, network or HTTP error),
 *   `CHECKSUM_MISMATCH` (nothing is left behind in the cache).
 */
export async function pullModel(entry: ModelEntry, options: Pick<ResolveModelOptions, 'cacheDir' | 'onProgress' | 'signal'> = {}): Promise<PullResult> {
  const destination = path.join(path.resolve(options.cacheDir ?? defaultCacheDir()), entry.file);
  if (entry.url === undefined) {
    throw new ModelError('DOWNLOAD_FAILED', `model "${entry.id}" has no url in its manifest entry, so it cannot be pulled; place ${entry.file} in ${path.dirname(destination)} yourself`, { culprit: entry.id });
  }
  if (isFile(destination) && entry.sha256 !== undefined && (await sha256File(destination)) === entry.sha256) {
    return { path: destination, action: 'present', bytes: statSync(destination).size };
  }
  await downloadModel(entry, destination, options);
  return { path: destination, action: 'downloaded', bytes: statSync(destination).size };
}

/** SHA-256 of a file, in lower-case hex, read as a stream. */
export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * Downloads `entry.url` to `destination`, hashing while it streams; the file appears under its
 * final name only once the SHA-256 matches, so an interrupted or tampered download never
 * leaves a file that a later search would trust.
 */
async function downloadModel(entry: ModelEntry, destination: string, options: Pick<ResolveModelOptions, 'onProgress' | 'signal'>): Promise<void> {
  const url = entry.url!;
  if (entry.sha256 === undefined) {
    throw new ModelError('DOWNLOAD_FAILED', `refusing to download "${entry.id}" from ${url}: its manifest entry has no sha256 to verify it against. Add one, or download the file yourself.`, { culprit: entry.id });
  }
  await mkdir(path.dirname(destination), { recursive: true });
  const partial = `${destination}.${process.pid}-${randomBytes(4).toString('hex')}.part`;
  try {
    let response: Response;
    try {
      response = await fetch(url, { redirect: 'follow', ...(options.signal ? { signal: options.signal } : {}) });
    } catch (cause) {
      throw new ModelError('DOWNLOAD_FAILED', `cannot download "${entry.id}" from ${url}: ${(cause as Error).message}`, { culprit: url, cause });
    }
    if (!response.ok || response.body === null) {
      throw new ModelError('DOWNLOAD_FAILED', `cannot download "${entry.id}" from ${url}: HTTP ${response.status} ${response.statusText}`, { culprit: url });
    }
    const header = Number(response.headers.get('content-length'));
    const totalBytes = Number.isFinite(header) && header > 0 ? header : entry.bytes;
    const hash = createHash('sha256');
    const out = createWriteStream(partial);
    let receivedBytes = 0;
    options.onProgress?.({ modelId: entry.id, url, receivedBytes, totalBytes });
    try {
      for await (const chunk of Readable.fromWeb(response.body as import('node:stream/web').ReadableStream<Uint8Array>)) {
        const bytes = chunk as Buffer;
        hash.update(bytes);
        receivedBytes += bytes.length;
        if (!out.write(bytes)) await once(out, 'drain');
        options.onProgress?.({ modelId: entry.id, url, receivedBytes, totalBytes });
      }
    } catch (cause) {
      out.destroy();
      throw new ModelError('DOWNLOAD_FAILED', `download of "${entry.id}" from ${url} broke off after ${receivedBytes} bytes: ${(cause as Error).message}`, { culprit: url, cause });
    }
    out.end();
    await once(out, 'finish');
    const actual = hash.digest('hex');
    if (actual !== entry.sha256) {
      throw new ModelError('CHECKSUM_MISMATCH', `downloaded "${entry.id}" from ${url} has SHA-256 ${actual}, but the manifest expects ${entry.sha256}. The file was discarded; check the URL or the manifest entry.`, { culprit: url });
    }
    await rename(partial, destination);
  } finally {
    await rm(partial, { force: true });
  }
}

/** The model-choosing options shared by `PersonDetector.load` and `ReidEmbedder.load`. */
export interface ModelChoice {
  modelPath?: string;
  modelId?: string;
  modelEntry?: ModelEntryInput;
  manifest?: string | string[];
  allowDownload?: boolean;
  cacheDir?: string;
  modelsDir?: string;
  onProgress?: (progress: DownloadProgress) => void;
}

/**
 * Picks the model file for a detector or embedder, and the manifest entry that says how to
 * feed it. The entry is `modelEntry` when given (inline), else the manifest entry `modelId`
 * (or the default id) from the package manifest merged with `manifest` files; it applies to a
 * `modelPath` too when either is named. A bare `modelPath` has no entry: the caller checks it
 * structurally and uses its format's reference pre-processing.
 * @throws ConfigError `INVALID_OPTION` for `modelEntry` together with `modelId`;
 *   ModelError `INVALID_MODEL_ENTRY` (naming the field), `MODEL_NOT_FOUND` (unknown id, listing
 *   the known ones), `MODEL_MISMATCH` when the entry is for the other task — all before any
 *   model file is read.
 */
export async function chooseModel(choice: ModelChoice, task: ModelEntry['task'], defaultId: string): Promise<{ modelPath: string; entry: ModelEntry | undefined }> {
  if (choice.modelEntry !== undefined && choice.modelId !== undefined) {
    throw new ConfigError('INVALID_OPTION', `give either modelId ("${choice.modelId}") or modelEntry (an inline manifest entry), not both`, { culprit: 'modelEntry' });
  }
  if (choice.modelPath !== undefined && choice.modelId === undefined && choice.modelEntry === undefined) return { modelPath: path.resolve(choice.modelPath), entry: undefined };
  const entry = choice.modelEntry !== undefined ? parseModelEntry(choice.modelEntry, 'the modelEntry option') : getModelEntry(choice.modelId ?? defaultId, manifestWith(choice.manifest));
  if (entry.task !== task) {
    const kind = (t: ModelEntry['task']) => (t === 'detector' ? 'a detector' : 'an embedder');
    const user = task === 'detector' ? 'PersonDetector' : 'ReidEmbedder';
    const other = entry.task === 'detector' ? 'PersonDetector' : 'ReidEmbedder';
    throw new ModelError('MODEL_MISMATCH', `model "${entry.id}" is ${kind(entry.task)}, not ${kind(task)}: use it with ${other}, and give ${user} ${kind(task)} such as "${defaultId}"`, { culprit: entry.id });
  }
  const options: ResolveModelOptions = {};
  if (choice.modelPath !== undefined) options.path = choice.modelPath;
  if (choice.allowDownload !== undefined) options.allowDownload = choice.allowDownload;
  if (choice.cacheDir !== undefined) options.cacheDir = choice.cacheDir;
  if (choice.modelsDir !== undefined) options.modelsDir = choice.modelsDir;
  if (choice.onProgress !== undefined) options.onProgress = choice.onProgress;
  return { modelPath: (await resolveModel(entry, options)).path, entry };
}
