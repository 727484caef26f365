/** Short clips cut by ffmpeg from the shared store videos, for jobs that must end in seconds. */
import { execFile } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { resolveFfmpegPath } from '../../src/streams/ffmpeg-path.js';
import { artifactsDir, media } from '../helpers/shared.js';

/** The first `seconds` of `multicam/cam<camera>_with_tracking_overlay.mp4` (stream copy, moov first so it streams over HTTP). */
export async function cutClip(camera: 1 | 2, seconds: number): Promise<string> {
  const dir = artifactsDir('service-clips');
  mkdirSync(dir, { recursive: true });
  const out = path.join(dir, `cam${camera}_${seconds}s.mp4`);
  const args = ['-hide_banner', '-nostdin', '-loglevel', 'error', '-y', '-i', media(`multicam/cam${camera}_with_tracking_overlay.mp4`), '-t', String(seconds), '-map', '0:v:0', '-c', 'copy', '-movflags', '+faststart', out];
  await new Promise<void>((resolve, reject) => {
    execFile(resolveFfmpegPath(), args, (error, _stdout, stderr) => (error ? reject(new Error(`ffmpeg could not cut ${out}: ${stderr}`)) : resolve()));
  });
  return out;
}
