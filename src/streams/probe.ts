/**
 * Reads what ffmpeg itself prints on stderr: the stream description (size, fps, codec — no
 * ffprobe needed, the bundled ffmpeg ships none), per-frame timestamps from `showinfo`, and the
 * reason it failed.
 */
import { StreamError, type ErrorCode } from '../errors.js';

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

/** One `showinfo` log line: the frame's number within this process and its timestamp. */
export interface FrameTiming {
  n: number;
  ptsTime: number;
}

const SHOWINFO = /\bn:\s*(\d+)\s+pts:\s*-?\d+\s+pts_time:(-?[\d.eE+-]+)/;

/** Parses a `showinfo` line, or returns undefined for any other line. */
export function parseShowinfoLine(line: string): FrameTiming | undefined {
  if (!line.includes('pts_time:')) return undefined;
  const match = SHOWINFO.exec(line);
  if (!match) return undefined;
  const ptsTime = Number(match[2]);
  return Number.isFinite(ptsTime) ? { n: Number(match[1]), ptsTime } : undefined;
}

/** A failure ffmpeg reported before delivering a stream, with whether retrying could help. */
export interface FfmpegFailure {
  error: StreamError;
  /** True for failures that waiting cannot cure (unknown protocol, not a video, 4xx). */
  permanent: boolean;
}

const FAILURES: Array<{ pattern: RegExp; code: ErrorCode; permanent: boolean; hint: string }> = [
  { pattern: /No such file or directory/i, code: 'SOURCE_NOT_FOUND', permanent: true, hint: 'check the path' },
  { pattern: /Protocol not found|Unsupported protocol/i, code: 'STREAM_FAILED', permanent: true, hint: 'this ffmpeg build does not support the protocol; set ffmpegPath / MULTICAM_REID_FFMPEG to one that does' },
  { pattern: /Server returned 404|404 Not Found/i, code: 'SOURCE_NOT_FOUND', permanent: true, hint: 'check the URL path' },
  { pattern: /401 Unauthorized|403 Forbidden|Server returned 40[13]/i, code: 'STREAM_FAILED', permanent: true, hint: 'check the credentials in the URL' },
  { pattern: /matches no streams|does not contain any stream|Output file #0 does not contain/i, code: 'INVALID_MEDIA', permanent: true, hint: 'the source has no video stream' },
  { pattern: /Invalid data found when processing input|could not find codec parameters|moov atom not found|Invalid NAL|decoding for stream 0 failed/i, code: 'INVALID_MEDIA', permanent: false, hint: 'the source is not a readable video' },
  { pattern: /Connection refused|Connection timed out|Network is unreachable|timed out|Immediate exit requested|End of file/i, code: 'STREAM_FAILED', permanent: false, hint: 'the source did not answer' },
];

/** The last meaningful lines of ffmpeg's log, for error messages. */
export function stderrTail(stderr: string, lines = 3): string {
  return stderr
    .split(/\r?\n|\r/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.includes('pts_time:'))
    .slice(-lines)
    .join(' | ');
}

/** Turns ffmpeg's log of a failed start into a typed error naming the source. */
export function classifyFfmpegFailure(source: string, stderr: string, exitCode: number | null): FfmpegFailure {
  const tail = stderrTail(stderr);
  for (const failure of FAILURES) {
    if (failure.pattern.test(stderr)) {
      return {
        error: new StreamError(failure.code, `cannot read "${source}": ${failure.hint} (ffmpeg: ${tail})`, { culprit: source }),
        permanent: failure.permanent,
      };
    }
  }
  return {
    error: new StreamError('STREAM_FAILED', `cannot read "${source}": ffmpeg exited with code ${exitCode ?? 'signal'} (ffmpeg: ${tail || 'no output'})`, { culprit: source }),
    permanent: false,
  };
}
