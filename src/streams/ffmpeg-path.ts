import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
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
