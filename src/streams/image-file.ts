import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { StreamError } from '../errors.js';
import { resolveFfmpegPath } from './ffmpeg-path.js';
import type { ImageView, PixelFormat } from './frame.js';

/**
 * Decodes a still image (JPEG, PNG, …) into packed pixels with ffmpeg.
 * Used for reference-person photos and tests; video goes through the stream readers.
 */
export async function decodeImageFile(
  filePath: string,
  options: { pixelFormat?: PixelFormat; ffmpegPath?: string } = {},
): Promise<ImageView> {
  const pixelFormat = options.pixelFormat ?? 'rgb24';
  if (filePath.startsWith('-')) throw new StreamError('INVALID_URL', `image path "${filePath}" must not begin with "-"`, { culprit: filePath });
  if (!existsSync(filePath)) throw new StreamError('SOURCE_NOT_FOUND', `image file not found: ${filePath}`, { culprit: filePath });
  const ffmpeg = resolveFfmpegPath(options.ffmpegPath);
  const args = ['-hide_banner', '-nostdin', '-i', filePath, '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', pixelFormat, 'pipe:1'];
  const { stdout, stderr } = await new Promise<{ stdout: Buffer; stderr: string }>((resolve, reject) => {
    execFile(ffmpeg, args, { encoding: 'buffer', maxBuffer: 512 * 1024 * 1024 }, (error, out, err) => {
      if (error) reject(new StreamError('INVALID_MEDIA', `cannot decode image ${filePath}: ${err.toString().trim().split('\n').pop()}`, { culprit: filePath, cause: error }));
      else resolve({ stdout: out, stderr: err.toString() });
    });
  });
  // The output stream line names the decoded size, e.g. "Stream #0:0: Video: rawvideo (RGB[24] / 0x18424752), rgb24, 810x1080".
  const outputSection = stderr.slice(stderr.indexOf('Output #0'));
  const size = /, (\d+)x(\d+)/.exec(outputSection);
  if (!size) throw new StreamError('INVALID_MEDIA', `cannot read the size of image ${filePath}`, { culprit: filePath });
  const width = Number(size[1]);
  const height = Number(size[2]);
  if (stdout.length !== width * height * 3) {
    throw new StreamError('INVALID_MEDIA', `image ${filePath} decoded to ${stdout.length} bytes, expected ${width}x${height}x3`, { culprit: filePath });
  }
  return { data: new Uint8Array(stdout.buffer, stdout.byteOffset, stdout.length), width, height, pixelFormat };
}
