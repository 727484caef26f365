/** Test-side ffmpeg helpers: inspect outputs and archives; live senders and child checks come from the streams helpers. */
export { childFfmpegPids, startUdpSender, stopProcess, freshPort } from '../streams/helpers.js';
export { startBarsSender, startRtspServer, waitForEvent, type UdpSenderOptions, type RtspServer } from '../streams/helpers.js';
import { execFile, spawnSync } from 'node:child_process';
import { resolveFfmpegPath } from '../../src/streams/ffmpeg-path.js';

export const ffmpegPath = resolveFfmpegPath();

export interface VideoInfo {
  codec: string;
  pixelFormat: string;
  width: number;
  height: number;
  fps: number;
  /** Frames counted by decoding the whole file. */
  frames: number;
}

/** Decodes a whole video with ffmpeg and reports its stream parameters and frame count. */
export async function inspectVideo(file: string): Promise<VideoInfo> {
  const stderr = await new Promise<string>((resolve, reject) => {
    execFile(ffmpegPath, ['-hide_banner', '-nostdin', '-i', file, '-map', '0:v:0', '-f', 'null', '-'], { maxBuffer: 64 * 1024 * 1024 }, (error, _out, err) => {
      if (error) reject(new Error(`ffmpeg could not decode ${file}: ${err}`));
      else resolve(err);
    });
  });
  const stream = /Stream #0:\d+(?:\[\w+\])?(?:\(\w+\))?: Video: (\w+)[^,]*, (\w+)[^,]*?(?:\([^)]*\))?, (\d+)x(\d+)[^\n]*?, ([\d.]+) fps/.exec(stderr);
  if (!stream) throw new Error(`no video stream in ffmpeg output for ${file}:\n${stderr}`);
  const frameMatches = [...stderr.matchAll(/frame=\s*(\d+)/g)];
  return {
    codec: stream[1]!,
    pixelFormat: stream[2]!,
    width: Number(stream[3]),
    height: Number(stream[4]),
    fps: Number(stream[5]),
    frames: frameMatches.length > 0 ? Number(frameMatches[frameMatches.length - 1]![1]) : 0,
  };
}

/** Lists the entries of a ZIP file (python3's zipfile module, present on every test machine). */
export function listZip(zipPath: string): string[] {
  const out = spawnSync('python3', ['-c', 'import sys, zipfile; print("\\n".join(zipfile.ZipFile(sys.argv[1]).namelist()))', zipPath], { encoding: 'utf8' });
  if (out.status !== 0) throw new Error(`cannot read ZIP ${zipPath}: ${out.stderr}`);
  return out.stdout.split('\n').filter((l) => l !== '');
}
