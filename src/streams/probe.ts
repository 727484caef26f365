/**
 * Reads what ffmpeg itself prints on stderr: the stream description of live sources (size, fps,
 * codec), per-frame timestamps and sizes from `showinfo`, whether the source sends anything yet,
 * and the reason it failed. (Local files are described by ffprobe's JSON: probe-file.ts.)
 */
import { StreamError, type ErrorCode } from '../errors.js';
import { redactText } from './redact.js';

/** What the banner tells about the source and about the frames that will come out. */
export interface StreamDescription {
  /** Codec of the source's video stream, e.g. `h264`. */
  codec: string;
  /** Size of the source's video. */
  sourceWidth: number;
  sourceHeight: number;
  /** Size of the raw frames on stdout (after any downscale). */
  width: number;
  height: number;
  /** Nominal frame rate of the source (0 when ffmpeg could not tell). */
  fps: number;
  /** Seconds of video (files, when known). */
  duration?: number;
}

const SIZE = /, (\d+)x(\d+)[ ,]/;

function parseRate(line: string): number {
  const match = /, ([\d.]+)(k?) (fps|tbr)\b/.exec(line) ?? /, ([\d.]+)(k?) tbr\b/.exec(line);
  if (!match) return 0;
  const value = Number(match[1]) * (match[2] === 'k' ? 1000 : 1);
  return Number.isFinite(value) ? value : 0;
}

/**
 * Parses the stream description once ffmpeg has printed its output stream line; `undefined`
 * while the banner is incomplete.
 */
export function parseStreamBanner(stderr: string): StreamDescription | undefined {
  const outputAt = stderr.indexOf('Output #0');
  if (outputAt < 0) return undefined;
  const outputLine = /Stream #\d+:\d+.*: Video: rawvideo.*/.exec(stderr.slice(outputAt));
  if (!outputLine) return undefined;
  const inputLine = /Stream #0:\d+[^\n]*: Video: ([^\n]*)/.exec(stderr.slice(0, outputAt));
  const outSize = SIZE.exec(`${outputLine[0]} `);
  if (!outSize) return undefined;
  const width = Number(outSize[1]);
  const height = Number(outSize[2]);
  const inSize = inputLine ? SIZE.exec(`${inputLine[0]} `) : null;
  return {
    codec: inputLine ? (/^(\w+)/.exec(inputLine[1]!)?.[1] ?? 'unknown') : 'unknown',
    sourceWidth: inSize ? Number(inSize[1]) : width,
    sourceHeight: inSize ? Number(inSize[2]) : height,
    width,
    height,
    fps: inputLine ? parseRate(inputLine[0]) : parseRate(outputLine[0]),
  };
}

/** What one `showinfo` log line tells about the frame that passed the filter. */
export interface FrameInfo {
  /** The frame's number within its filter graph (restarts at 0 when ffmpeg rebuilds the graph). */
  n: number;
  /** Presentation timestamp in units of the filter's time base; undefined when it had none (`NOPTS`). */
  pts: number | undefined;
  /**
   * The same in seconds as ffmpeg prints it: 6 significant digits only (10 ms steps after
   * 1000 s), so prefer `pts` × the time base from {@link parseShowinfoTimeBase}.
   */
  ptsTime: number | undefined;
  /** The frame's size there: after the scale filter, i.e. the size of its raw bytes on stdout. */
  width: number;
  height: number;
}

const SHOWINFO = /\bn:\s*(\d+)\s+pts:\s*(\S+)\s+pts_time:\s*(\S+).*?\ss:(\d+)x(\d+)/;
const SHOWINFO_TIME_BASE = /\bconfig in time_base:\s*(\d+)\/(\d+)/;

function finite(text: string): number | undefined {
  const value = Number(text);
  return Number.isFinite(value) ? value : undefined;
}

/** Parses a `showinfo` frame line, or returns undefined for any other line. */
export function parseShowinfoLine(line: string): FrameInfo | undefined {
  if (!line.includes('pts_time:')) return undefined;
  const match = SHOWINFO.exec(line);
  if (!match) return undefined;
  return { n: Number(match[1]), pts: finite(match[2]!), ptsTime: finite(match[3]!), width: Number(match[4]), height: Number(match[5]) };
}

/** The time base of showinfo's `pts` values, from its `config in time_base: 1/18432` line (seconds per unit). */
export function parseShowinfoTimeBase(line: string): number | undefined {
  const match = SHOWINFO_TIME_BASE.exec(line);
  if (!match) return undefined;
  const [num, den] = [Number(match[1]), Number(match[2])];
  return num > 0 && den > 0 ? num / den : undefined;
}

/** Log contexts of network protocols: their messages say nothing about media data having arrived. */
const PROTOCOL_CONTEXTS = new Set(['tcp', 'udp', 'rtp', 'rtsp', 'http', 'https', 'tls', 'hls', 'srt', 'rtmp', 'rtmps', 'crypto', 'unix', 'file', 'AVIOContext', 'AVFormatContext']);
const LOG_CONTEXT = /^\[(\w+) @ (?:0x)?[0-9a-f]+\]/;

/**
 * True for a log line showing that the source sends media: the input's stream header
 * (`Input #0`), or a message of a demuxer, parser or decoder (e.g. `[h264 @ …] non-existing PPS`
 * while the stream waits for its keyframe). Protocol messages (connection refused, timeouts)
 * do not count.
 */
export function showsIncomingData(line: string): boolean {
  if (line.startsWith('Input #')) return true;
  const context = LOG_CONTEXT.exec(line);
  return context !== null && !PROTOCOL_CONTEXTS.has(context[1]!);
}

/** A failure ffmpeg reported before delivering a stream, with whether retrying could help. */
export interface FfmpegFailure {
  error: StreamError;
  /** True for failures that waiting cannot cure (unknown protocol, not a video, 4xx). */
  permanent: boolean;
}

/** A failure ffmpeg's log can show; `beforeInput` ones only count when no input was ever opened. */
const FAILURES: Array<{ pattern: RegExp; code: ErrorCode; permanent: boolean; hint: string; beforeInput?: true }> = [
  { pattern: /No such file or directory/i, code: 'SOURCE_NOT_FOUND', permanent: true, hint: 'check the path' },
  { pattern: /Permission denied/i, code: 'STREAM_FAILED', permanent: true, hint: 'this process may not read it (permission denied); check its permissions' },
  { pattern: /Protocol not found|Unsupported protocol/i, code: 'STREAM_FAILED', permanent: true, hint: 'this ffmpeg build does not support the protocol; set ffmpegPath / MULTICAM_REID_FFMPEG to one that does' },
  { pattern: /Server returned 404|404 Not Found/i, code: 'SOURCE_NOT_FOUND', permanent: true, hint: 'check the URL path' },
  { pattern: /401 Unauthorized|403 Forbidden|Server returned 40[13]/i, code: 'SOURCE_UNAUTHORIZED', permanent: true, hint: 'the server refused the login; check the user name and password in the URL' },
  { pattern: /matches no streams|does not contain any stream|Output file #0 does not contain/i, code: 'INVALID_MEDIA', permanent: true, hint: 'the source has no video stream' },
  // No container recognised at all: what the source serves is not a video, and stays so.
  { pattern: /Invalid data found when processing input|moov atom not found/i, code: 'INVALID_MEDIA', permanent: true, hint: 'the source is not a readable video', beforeInput: true },
  { pattern: /Invalid data found when processing input|could not find codec parameters|moov atom not found|Invalid NAL|decoding for stream 0 failed/i, code: 'INVALID_MEDIA', permanent: false, hint: 'the source is not a readable video' },
  { pattern: /Connection refused|Connection timed out|Network is unreachable|timed out|Immediate exit requested|End of file/i, code: 'STREAM_FAILED', permanent: false, hint: 'the source did not answer' },
];

/** The last meaningful lines of ffmpeg's log, for error messages (not redacted: see {@link classifyFfmpegFailure}). */
export function stderrTail(stderr: string, lines = 3): string {
  return stderr
    .split(/\r?\n|\r/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && l !== '…' && !l.includes('pts_time:'))
    .slice(-lines)
    .join(' | ');
}

/**
 * Turns ffmpeg's log of a failed start into a typed error naming the source.
 * @param display the source's display form (credentials redacted), used in the message and as culprit
 * @param secrets passwords to mask in the quoted log (see `sourceSecrets`): ffmpeg prints the raw URL
 */
export function classifyFfmpegFailure(display: string, stderr: string, exitCode: number | null, secrets: readonly string[] = []): FfmpegFailure {
  const tail = redactText(stderrTail(stderr), secrets);
  const inputOpened = /^Input #/m.test(stderr);
  for (const failure of FAILURES) {
    if (failure.beforeInput && inputOpened) continue;
    if (failure.pattern.test(stderr)) {
      return {
        error: new StreamError(failure.code, `cannot read "${display}": ${failure.hint} (ffmpeg: ${tail})`, { culprit: display }),
        permanent: failure.permanent,
      };
    }
  }
  return {
    error: new StreamError('STREAM_FAILED', `cannot read "${display}": ffmpeg exited with code ${exitCode ?? 'signal'} (ffmpeg: ${tail || 'no output'})`, { culprit: display }),
    permanent: false,
  };
}
