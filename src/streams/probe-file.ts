/**
 * Describes a local video file with ffprobe's JSON (`-print_format json`): codec, size, rate,
 * duration and rotation of its first video stream — no regular expressions over ffmpeg's log.
 * It runs while ffmpeg starts; `npm run bench -- streams` (open() table) compares `open()` with
 * ffprobe alone and with ffmpeg alone to its first frame.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { StreamError } from '../errors.js';
import { classifyFfmpegFailure } from './probe.js';
import type { SourceInfo } from './url.js';

/** How an ffprobe run ended. */
interface ProbeRun {
  stdout: string;
  stderr: string;
  code: number | null;
  signal: NodeJS.Signals | null;
  spawnError: Error | undefined;
}

/**
 * Runs ffprobe to its end. On abort it is killed and still waited for, so no ffprobe outlives
 * the call (`execFile` with a signal would resolve before the child is gone).
 */
async function runFfprobe(ffprobePath: string, args: readonly string[], signal: AbortSignal): Promise<ProbeRun> {
  const child = spawn(ffprobePath, args, { stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
  child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  const kill = () => child.kill('SIGKILL');
  signal.addEventListener('abort', kill, { once: true });
  try {
    // `once` rejects with the 'error' event: the binary could not be started.
    const [code, exitSignal] = (await once(child, 'close')) as [number | null, NodeJS.Signals | null];
    return { stdout, stderr, code, signal: exitSignal, spawnError: undefined };
  } catch (spawnError) {
    return { stdout, stderr, code: null, signal: null, spawnError: spawnError as Error };
  } finally {
    signal.removeEventListener('abort', kill);
  }
}

/** What ffprobe says about the first video stream of a file. */
export interface FileProbe {
  codec: string;
  /** Stored size of the video. */
  width: number;
  height: number;
  /** Clockwise rotation ffmpeg applies when decoding (0, 90, 180 or 270). */
  rotation: number;
  /** Average frame rate (0 when unknown). */
  fps: number;
  /** Seconds of video, when the file says. */
  duration: number | undefined;
}

interface ProbeJson {
  streams?: Array<{
    codec_name?: string;
    width?: number;
    height?: number;
    avg_frame_rate?: string;
    r_frame_rate?: string;
    duration?: string;
    tags?: { rotate?: string };
    side_data_list?: Array<{ rotation?: number }>;
  }>;
  format?: { duration?: string };
}

/**
 * Runs ffprobe on the file. Resolves `undefined` when ffprobe itself broke (killed by a signal:
 * the static build of `@ffprobe-installer/ffprobe` crashes on MPEG-TS files) so the caller can
 * fall back to ffmpeg's log.
 * @throws StreamError `FFMPEG_FAILED` when ffprobe cannot be started, `INVALID_MEDIA` /
 * `SOURCE_NOT_FOUND` when it cannot read the file, `ABORTED` when `signal` aborts
 */
export async function probeFile(ffprobePath: string, source: SourceInfo, signal: AbortSignal): Promise<FileProbe | undefined> {
  const args = ['-v', 'error', '-print_format', 'json', '-show_streams', '-show_format', '-select_streams', 'v:0', source.ffmpegInput];
  if (signal.aborted) throw new StreamError('ABORTED', `describing "${source.display}" was aborted`, { culprit: source.display, cause: signal.reason });
  const run = await runFfprobe(ffprobePath, args, signal);
  if (signal.aborted) throw new StreamError('ABORTED', `describing "${source.display}" was aborted`, { culprit: source.display, cause: signal.reason });
  if (run.spawnError !== undefined) {
    throw new StreamError('FFMPEG_FAILED', `cannot start ffprobe at "${ffprobePath}": ${run.spawnError.message}; set ffprobePath / MULTICAM_REID_FFPROBE to a working ffprobe`, { culprit: ffprobePath, cause: run.spawnError });
  }
  if (run.signal !== null) return undefined;
  if (run.code !== 0) throw classifyFfmpegFailure(source.display, run.stderr, run.code).error;
  const stdout = run.stdout;
  const json = JSON.parse(stdout) as ProbeJson;
  const stream = json.streams?.[0];
  if (stream === undefined || !stream.width || !stream.height) {
    throw new StreamError('INVALID_MEDIA', `"${source.display}" has no video stream (ffprobe found none with a size)`, { culprit: source.display });
  }
  return {
    codec: stream.codec_name ?? 'unknown',
    width: stream.width,
    height: stream.height,
    rotation: rotationOf(stream),
    fps: nominalRate(rate(stream.avg_frame_rate), rate(stream.r_frame_rate)),
    duration: seconds(stream.duration) ?? seconds(json.format?.duration),
  };
}

/** `"30000/1001"` → 29.97; 0 for unknown (`"0/0"`). */
function rate(fraction: string | undefined): number {
  if (fraction === undefined) return 0;
  const [num, den] = fraction.split('/').map(Number);
  const value = den === undefined ? num! : num! / den;
  return Number.isFinite(value) && value > 0 ? value : 0;
}

function seconds(text: string | undefined): number | undefined {
  const value = text === undefined ? Number.NaN : Number(text);
  return Number.isFinite(value) && value > 0 ? value : undefined;
}

/** The display-matrix rotation (newer ffprobe) or the `rotate` tag (older files), as 0–270 clockwise. */
function rotationOf(stream: NonNullable<ProbeJson['streams']>[number]): number {
  const fromMatrix = stream.side_data_list?.find((d) => typeof d.rotation === 'number')?.rotation;
  // The display matrix counts counter-clockwise, the tag clockwise.
  const degrees = fromMatrix !== undefined ? -fromMatrix : Number(stream.tags?.rotate ?? 0);
  return Number.isFinite(degrees) ? (((Math.round(degrees / 90) * 90) % 360) + 360) % 360 : 0;
}

/**
 * The stream's nominal frame rate: the average, unless the base rate (`r_frame_rate`) is
 * higher but plausible — a variable-frame-rate file with gaps averages below the rate its
 * frames come at, and the video written from it must run at the faster one to keep its
 * timeline. A base rate far above the average (90000 on some streams) is a time base, not a rate.
 */
function nominalRate(average: number, base: number): number {
  if (average > 0 && base > average && base <= Math.min(240, 4 * average)) return base;
  return average || base;
}
