/** Decodes single frames of the shared clips with the real ffmpeg, for model tests and the bench. */
import { execFile } from 'node:child_process';
import type { ImageView, PixelFormat } from '../../src/streams/frame.js';
import { resolveFfmpegPath } from '../../src/streams/ffmpeg-path.js';

/**
 * The frame at `seconds` of a video, as packed pixels. The caller states the clip's size
 * (the shared clips' sizes are documented in PROVENANCE.md); a mismatch fails loudly.
 */
export function decodeVideoFrame(file: string, seconds: number, width: number, height: number, pixelFormat: PixelFormat = 'rgb24'): Promise<ImageView> {
  const args = ['-hide_banner', '-nostdin', '-loglevel', 'error', '-ss', String(seconds), '-i', file, '-frames:v', '1', '-an', '-f', 'rawvideo', '-pix_fmt', pixelFormat, 'pipe:1'];
  return new Promise((resolve, reject) => {
    execFile(resolveFfmpegPath(), args, { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) return reject(new Error(`ffmpeg could not decode ${file} at ${seconds}s: ${stderr.toString()}`));
      if (stdout.length !== width * height * 3) return reject(new Error(`${file} at ${seconds}s decoded to ${stdout.length} bytes, expected ${width}x${height}x3`));
      resolve({ data: new Uint8Array(stdout.buffer, stdout.byteOffset, stdout.length), width, height, pixelFormat });
    });
  });
}

/** The first `count` frames of a video, as packed pixels (one ffmpeg run). */
export function decodeVideoFrames(file: string, count: number, width: number, height: number, pixelFormat: PixelFormat = 'rgb24'): Promise<ImageView[]> {
  const args = ['-hide_banner', '-nostdin', '-loglevel', 'error', '-i', file, '-frames:v', String(count), '-an', '-f', 'rawvideo', '-pix_fmt', pixelFormat, 'pipe:1'];
  const frameBytes = width * height * 3;
  return new Promise((resolve, reject) => {
    execFile(resolveFfmpegPath(), args, { encoding: 'buffer', maxBuffer: count * frameBytes + 1024 }, (error, stdout, stderr) => {
      if (error) return reject(new Error(`ffmpeg could not decode ${file}: ${stderr.toString()}`));
      if (stdout.length !== count * frameBytes) return reject(new Error(`${file} decoded to ${stdout.length} bytes, expected ${count} frames of ${width}x${height}x3`));
      resolve(Array.from({ length: count }, (_, k) => ({ data: new Uint8Array(stdout.buffer, stdout.byteOffset + k * frameBytes, frameBytes), width, height, pixelFormat })));
    });
  });
}
