/**
 * Zipping a job folder into `<folder>_results.zip` with archiver. The archive holds the folder
 * itself (`multi_stream_…/camera_0/…`), as the seed's download does.
 */
import { createWriteStream } from 'node:fs';
import { rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import archiver from 'archiver';
import { OutputError } from '../errors.js';

/** Options of {@link zipDirectory}. */
export interface ZipDirectoryOptions {
  /**
   * Deflate level 0–9 for text files (CSV, JSON). Videos and other already-compressed files
   * (`.mp4`, `.jpg`, `.png`, `.zip`) are always stored, since deflating them costs CPU for
   * almost no gain.
   * @default 6
   */
  level?: number;
}

/** What {@link zipDirectory} wrote. */
export interface ZipResult {
  /** Size of the ZIP file in bytes. */
  bytes: number;
  /** Entries in the archive (files, plus folders archiver lists). */
  entries: number;
}

const STORED_EXTENSIONS = new Set(['.mp4', '.mkv', '.webm', '.jpg', '.jpeg', '.png', '.zip', '.gz']);

/**
 * Zips `dir` into `zipPath`, entries under the folder's own name (`<basename(dir)>/…`).
 * The archive is written to a temporary file beside `zipPath` and renamed when complete, so a
 * failure never leaves a partial ZIP under the final name.
 *
 * @throws {@link OutputError} `OUTPUT_FAILED` naming the folder or ZIP: `dir` is not a folder,
 * `zipPath` lies inside `dir`, or reading/writing fails (any archiver warning counts as a failure).
 */
export async function zipDirectory(dir: string, zipPath: string, options: ZipDirectoryOptions = {}): Promise<ZipResult> {
  const level = options.level ?? 6;
  if (!(Number.isInteger(level) && level >= 0 && level <= 9)) {
    throw new OutputError('OUTPUT_FAILED', `zip level must be an integer 0–9 (got ${String(level)})`, { culprit: 'level' });
  }
  const source = path.resolve(dir);
  const target = path.resolve(zipPath);
  const info = await stat(source).catch(() => null);
  if (info === null || !info.isDirectory()) {
    throw new OutputError('OUTPUT_FAILED', `cannot zip ${dir}: not a folder`, { culprit: dir });
  }
  if (target.startsWith(source + path.sep)) {
    throw new OutputError('OUTPUT_FAILED', `cannot write ZIP ${zipPath} inside the folder it archives (${dir}); put it beside the folder`, { culprit: zipPath });
  }

  const temporary = `${target}.${process.pid}.partial`;
  let entries = 0;
  try {
    await new Promise<void>((resolve, reject) => {
      const output = createWriteStream(temporary, { flush: true });
      const archive = archiver('zip', { zlib: { level } });
      let failed = false;
      const fail = (error: Error): void => {
        if (failed) return;
        failed = true;
        archive.abort();
        output.destroy();
        reject(error);
      };
      output.on('error', fail);
      archive.on('error', fail);
      // archiver reports unreadable files as warnings; an archive missing files is a failure here.
      archive.on('warning', fail);
      archive.on('entry', () => {
        entries++;
      });
      output.on('close', () => {
        if (!failed) resolve();
      });
      archive.pipe(output);
      archive.directory(source, path.basename(source), (entry) => {
        if (STORED_EXTENSIONS.has(path.extname(entry.name).toLowerCase())) (entry as archiver.ZipEntryData).store = true;
        return entry;
      });
      archive.finalize().catch(fail);
    });
    await rename(temporary, target);
  } catch (cause) {
    await rm(temporary, { force: true }).catch(() => undefined);
    // archiver's errors carry the entry in `data`; name it so the user knows which file.
    const entry = (cause as { data?: { name?: unknown } }).data?.name;
    const which = typeof entry === 'string' ? ` (${entry})` : '';
    throw new OutputError('OUTPUT_FAILED', `cannot zip ${dir} into ${zipPath}: ${(cause as Error).message}${which}`, { culprit: zipPath, cause });
  }
  return { bytes: (await stat(target)).size, entries };
}
