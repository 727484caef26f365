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
import { createWriteStream, existsSync, statSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { once } from 'node:events';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { ModelError } from '../errors.js';
import { getModelEntry, packageModelsDir, type ModelEntry } from './manifest.js';

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

/**
 * Finds a model file (see the module comment for the order) and returns its absolute path.
 * @param model - A manifest id such as `"yolox-nano"`, or a manifest entry of your own.
 * @throws ModelError `MODEL_NOT_FOUND` listing every place looked and how to fix it;
 *   `DOWNLOAD_FAILED` or `CHECKSUM_MISMATCH` when an allowed download fails.
 */
export async function resolveModel(model: string | ModelEntry, options: ResolveModelOptions = {}): Promise<ResolvedModel> {
  const entry = typeof model === 'string' ? getModelEntry(model) : model;
  if (options.path !== undefined) {
    const explicit = path.resolve(options.path);
    if (!isFile(explicit)) {
      throw new ModelError('MODEL_NOT_FOUND', `model file not found: ${explicit} (given as the explicit model path for "${entry.id}"). Check the path, or leave it out to search ${MODELS_ENV_VAR}, the package models/ folder and the cache.`, { culprit: explicit });
    }
    return { path: explicit, source: 'explicit', entry };
  }

  const looked: string[] = [];
  if (options.modelsDir !== undefined) {
    const candidate = path.resolve(options.modelsDir, entry.file);
    if (isFile(candidate)) return { path: candidate, source: 'config', entry };
    looked.push(`configured models folder: ${candidate}`);
  }
  const envDir = process.env[MODELS_ENV_VAR];
  if (envDir !== undefined && envDir !== '') {
    const candidate = path.resolve(envDir, entry.file);
    if (isFile(candidate)) return { path: candidate, source: 'env', entry };
    looked.push(`${MODELS_ENV_VAR}: ${candidate}`);
  } else {
    looked.push(`${MODELS_ENV_VAR}: not set`);
  }

  const packageCandidate = path.resolve(options.packageModelsDir ?? packageModelsDir(), entry.file);
  if (isFile(packageCandidate)) return { path: packageCandidate, source: 'package', entry };
  looked.push(`package models folder: ${packageCandidate}`);

  const cacheDir = path.resolve(options.cacheDir ?? defaultCacheDir());
  const cacheCandidate = path.join(cacheDir, entry.file);
  if (isFile(cacheCandidate)) return { path: cacheCandidate, source: 'cache', entry };
  looked.push(`user cache: ${cacheCandidate}`);

  if (options.allowDownload === true && entry.url !== undefined) {
    await downloadModel(entry, cacheCandidate, options);
    return { path: cacheCandidate, source: 'download', entry };
  }
  looked.push(entry.url === undefined ? 'download: the manifest has no URL for this model' : `download: not allowed (would fetch ${entry.url})`);

  const fixes = [`set ${MODELS_ENV_VAR} to a folder holding ${entry.file}`, 'pass an explicit model path'];
  if (entry.url !== undefined) fixes.push(`or pass allowDownload: true to fetch it from ${entry.url} into ${cacheDir}`);
  throw new ModelError(
    'MODEL_NOT_FOUND',
    `model "${entry.id}" (${entry.file}) was not found. Looked in:\n  - ${looked.join('\n  - ')}\nFix: ${fixes.join(', ')}.`,
    { culprit: entry.id },
  );
}

/**
 * Downloads `entry.url` to `destination`, hashing while it streams; the file appears under its
 * final name only once the SHA-256 matches, so an interrupted or tampered download never
 * leaves a file that a later search would trust.
 */
async function downloadModel(entry: ModelEntry, destination: string, options: ResolveModelOptions): Promise<void> {
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
  allowDownload?: boolean;
  cacheDir?: string;
  modelsDir?: string;
  onProgress?: (progress: DownloadProgress) => void;
}

/**
 * Picks the model file for a detector or embedder. A manifest entry applies when the model
 * comes from the manifest (no `modelPath`) or when the user names one with `modelId`; a bare
 * `modelPath` is taken as is, checked only structurally by the caller.
 * @throws ModelError `MODEL_MISMATCH` when the named entry is for the other task, before any file is read.
 */
export async function chooseModel(choice: ModelChoice, task: ModelEntry['task'], defaultId: string): Promise<{ modelPath: string; entry: ModelEntry | undefined }> {
  if (choice.modelPath !== undefined && choice.modelId === undefined) return { modelPath: path.resolve(choice.modelPath), entry: undefined };
  const entry = getModelEntry(choice.modelId ?? defaultId);
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
