import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { StreamError } from '../errors.js';

const require = createRequire(import.meta.url);

/**
 * Finds the ffmpeg binary: an explicit path, then the `MULTICAM_REID_FFMPEG` environment
 * variable, then the static build shipped by `@ffmpeg-installer/ffmpeg`.
 */
export function resolveFfmpegPath(explicit?: string): string {
  const candidate = explicit ?? process.env.MULTICAM_REID_FFMPEG;
  if (candidate !== undefined && candidate !== '') {
    if (!existsSync(candidate)) {
      throw new StreamError('FFMPEG_FAILED', `ffmpeg not found at "${candidate}" (from ${explicit !== undefined ? 'the ffmpegPath option' : 'MULTICAM_REID_FFMPEG'})`, { culprit: candidate });
    }
    return candidate;
  }
  try {
    return (require('@ffmpeg-installer/ffmpeg') as { path: string }).path;
  } catch (cause) {
    throw new StreamError('FFMPEG_FAILED', 'no ffmpeg binary: install @ffmpeg-installer/ffmpeg, or set MULTICAM_REID_FFMPEG / the ffmpegPath option', { cause });
  }
}

/**
 * Finds the ffprobe binary: an explicit path, then `MULTICAM_REID_FFPROBE`, then an `ffprobe`
 * beside an ffmpeg the user chose (`ffmpegPath` / `MULTICAM_REID_FFMPEG`: the same build), then
 * the one from `@ffprobe-installer/ffprobe`. `undefined` when there is none, so callers can fall
 * back to ffmpeg's own log.
 * @throws StreamError `FFMPEG_FAILED` when an explicitly named ffprobe does not exist
 */
export function resolveFfprobePath(explicit?: string, explicitFfmpeg?: string): string | undefined {
  const candidate = explicit ?? process.env.MULTICAM_REID_FFPROBE;
  if (candidate !== undefined && candidate !== '') {
    if (!existsSync(candidate)) {
      throw new StreamError('FFMPEG_FAILED', `ffprobe not found at "${candidate}" (from ${explicit !== undefined ? 'the ffprobePath option' : 'MULTICAM_REID_FFPROBE'})`, { culprit: candidate });
    }
    return candidate;
  }
  const chosenFfmpeg = explicitFfmpeg ?? process.env.MULTICAM_REID_FFMPEG;
  if (chosenFfmpeg !== undefined && chosenFfmpeg !== '') {
    const sibling = path.join(path.dirname(chosenFfmpeg), path.basename(chosenFfmpeg).replace(/ffmpeg/i, 'ffprobe'));
    if (sibling !== chosenFfmpeg && existsSync(sibling)) return sibling;
  }
  try {
    return (require('@ffprobe-installer/ffprobe') as { path: string }).path;
  } catch {
    return undefined;
  }
}
