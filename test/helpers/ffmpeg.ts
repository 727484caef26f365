/** Test-side ffmpeg helpers: inspect outputs, start loopback senders, find leftover children. */
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
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

/** PIDs of ffmpeg processes that are children of this process (other test runs are not counted). */
export function childFfmpegPids(): number[] {
  const out = spawnSync('pgrep', ['-P', String(process.pid), '-x', 'ffmpeg'], { encoding: 'utf8' });
  return out.stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map(Number);
}

/** Starts an ffmpeg that loops a clip in real time to a UDP MPEG-TS address on loopback. */
export function startUdpSender(clip: string, port: number): ChildProcess {
  const child = spawn(
    ffmpegPath,
    ['-hide_banner', '-loglevel', 'error', '-nostdin', '-re', '-stream_loop', '-1', '-i', clip, '-map', '0:v:0', '-c', 'copy', '-f', 'mpegts', `udp://127.0.0.1:${port}?pkt_size=1316`],
    { stdio: 'ignore' },
  );
  return child;
}

/** Stops a child process and waits until it has exited. */
export async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
  await exited;
  clearTimeout(timer);
}

/** Lists the entries of a ZIP file (python3's zipfile module, present on every test machine). */
export function listZip(zipPath: string): string[] {
  const out = spawnSync('python3', ['-c', 'import sys, zipfile; print("\\n".join(zipfile.ZipFile(sys.argv[1]).namelist()))', zipPath], { encoding: 'utf8' });
  if (out.status !== 0) throw new Error(`cannot read ZIP ${zipPath}: ${out.stderr}`);
  return out.stdout.split('\n').filter((l) => l !== '');
}
