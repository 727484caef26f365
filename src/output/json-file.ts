/**
 * JSON reports written whole or not at all: pretty JSON (2-space indent) with fractional
 * numbers rounded to thousandths (milliseconds, thousandths of a pixel: readable, no float
 * noise), written to a temporary file, fsynced, then renamed over the target.
 */
import { mkdir, open, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { OutputError } from '../errors.js';

/** Rounds fractional numbers to 3 decimals. */
export function roundNumbers(_key: string, value: unknown): unknown {
  return typeof value === 'number' && !Number.isInteger(value) && Number.isFinite(value) ? Math.round(value * 1000) / 1000 : value;
}

/**
 * Writes `document` as JSON to `filePath` atomically; the folder is created when needed.
 * @param what names the file in the error (`zone report`, `identities.json`).
 * @throws {@link OutputError} `OUTPUT_FAILED` naming the path.
 */
export async function writeJsonFile(filePath: string, document: unknown, what: string): Promise<void> {
  const text = `${JSON.stringify(document, roundNumbers, 2)}\n`;
  const temporary = `${filePath}.${process.pid}.tmp`;
  try {
    await mkdir(path.dirname(filePath), { recursive: true });
    const handle = await open(temporary, 'w');
    try {
      await handle.writeFile(text, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, filePath);
  } catch (cause) {
    await rm(temporary, { force: true }).catch(() => undefined);
    throw new OutputError('OUTPUT_FAILED', `cannot write ${what} ${filePath}: ${(cause as Error).message}`, { culprit: filePath, cause });
  }
}
