/**
 * Options of the stream readers, documented where they are declared, and their validation.
 * Validation runs in the reader constructors, so a bad option fails before any process starts.
 */
import { ConfigError } from '../errors.js';
import type { PixelFormat } from './frame.js';

/** How a reader buffers and recovers; see {@link StreamReaderOptions.mode}. */
export type ReadMode = 'auto' | 'file' | 'live';

/** What `open()` of a live source does while it cannot connect; see {@link StreamReaderOptions.openRetry}. */
export type OpenRetry = 'until-timeout' | 'forever';

/** Back-off schedule for restarting a live source's ffmpeg after it drops or stalls. */
export interface ReconnectOptions {
  /**
   * Seconds to wait before the first restart; each further attempt doubles the wait.
   * @default 0.5
   */
  initialDelay?: number;
  /**
   * Upper bound of the wait between attempts, in seconds.
   * @default 10
   */
  maxDelay?: number;
  /**
   * Consecutive failed attempts after which the source is given up (`error` then `ended`).
   * The count starts again after every successful reconnect. `0` disables reconnecting.
   * @default Infinity
   */
  maxAttempts?: number;
}

/** Options of one {@link StreamReader}. Times are in seconds. */
export interface StreamReaderOptions {
  /**
   * Byte order of the packed pixels in every {@link Frame}: `'rgb24'` (what most ONNX models
   * want) or `'bgr24'` (OpenCV order). The conversion happens inside ffmpeg, at no extra cost.
   * @default 'rgb24'
   */
  pixelFormat?: PixelFormat;
  /**
   * Frames buffered per camera. Memory is bounded by `bufferSize × width × height × 3` bytes
   * per camera (≈ 20 MB for 30 frames of 640×360), plus the {@link framesInFlight} buffers of the
   * pool and whatever frames the consumer holds. Larger absorbs longer hiccups of the consumer;
   * smaller bounds memory and, for live sources, the worst-case latency.
   * @default 30
   */
  bufferSize?: number;
  /**
   * `'file'`: lose no frame — when the buffer is full ffmpeg is paused (backpressure) and the
   * end of the source is `ended`. `'live'`: keep only fresh frames — when the buffer is full the
   * oldest frame is dropped (counted in `framesDropped`), a stalled or dropped source is
   * restarted with back-off, and timestamps follow the source clock anchored to the wall clock.
   * `'auto'`: local files are `'file'`, network sources `'live'`.
   * @default 'auto'
   */
  mode?: ReadMode;
  /**
   * Read files at their native frame rate (ffmpeg `-re`), as a camera would deliver them.
   * Useful to simulate live cameras from files; throughput tests want `false`.
   * @default false
   */
  realtime?: boolean;
  /**
   * Downscale (never upscale) inside ffmpeg so frames are at most this wide, keeping the
   * aspect ratio and even dimensions. Bounds memory and per-frame work before buffering.
   * @default undefined (no limit)
   */
  maxWidth?: number;
  /**
   * Like {@link maxWidth}, for the height. With both, the frame fits inside the box.
   * @default undefined (no limit)
   */
  maxHeight?: number;
  /**
   * RTSP transport. TCP survives packet loss and NAT; UDP has lower latency on clean networks
   * but loses frames on a lossy link.
   * @default 'tcp'
   */
  rtspTransport?: 'tcp' | 'udp';
  /**
   * Seconds a live source may stay silent: `open()` and every reconnect attempt give up on an
   * ffmpeg run that has received nothing at all (no stream header, no decoder message) after this
   * long, retrying refused connections meanwhile. Once bytes arrive the wait for the first
   * decodable frame is bounded by {@link keyframeTimeout} instead. Files: the limit for the first
   * frame. Small fails fast on a dead address; too small gives up on a slow network.
   * @default 10
   */
  connectTimeout?: number;
  /**
   * Live sources only: seconds to wait for the first decodable frame once the source sends data
   * (state `waiting`, event `waiting` with reason `'keyframe'`). Cameras with long or dynamic GOPs
   * send several seconds of frames that cannot be decoded before their next keyframe; such a
   * source is slow, not dead. Larger tolerates longer GOPs; smaller reports a broken stream sooner.
   * @default 30
   */
  keyframeTimeout?: number;
  /**
   * Live sources only: what `open()` does while the source cannot be reached.
   * `'until-timeout'`: retry with the {@link reconnect} back-off until {@link connectTimeout}
   * (extended by {@link keyframeTimeout} while data flows), then reject with `CONNECT_TIMEOUT`.
   * `'forever'`: keep retrying with that back-off — emitting `reconnecting` events with the
   * attempt, delay and reason — until the source delivers, `release()` is called or the signal
   * given to `open()` aborts (`ABORTED`); lets a job start while a camera is down and join it when
   * it comes. Either way, failures that waiting cannot cure (404, 401, unknown protocol, not a
   * video) reject at once.
   * @default 'until-timeout'
   */
  openRetry?: OpenRetry;
  /**
   * Live sources only: seconds without a new frame after which the source counts as stalled
   * (`stalled` event) and its ffmpeg is restarted. Too small restarts healthy low-fps cameras;
   * too large keeps a dead camera silent longer.
   * @default 5
   */
  stallTimeout?: number;
  /** Live sources only: back-off of the restarts after a drop or stall. */
  reconnect?: ReconnectOptions;
  /**
   * Seconds an ffmpeg child gets to end politely when a reader stops it (release, restart): it
   * is sent `q` on its stdin (so it closes its input, e.g. an RTSP TEARDOWN), then one SIGTERM at
   * half this time, then SIGKILL at this time. A child that has not started decoding yet cannot
   * read `q` and gets the SIGTERM at once. Larger lets slow servers see a clean teardown; smaller
   * bounds how long `release()` can take on a stalled source (it cannot act on `q` or SIGTERM).
   * @default 1
   */
  stopGracePeriod?: number;
  /**
   * ffmpeg binary. Otherwise `MULTICAM_REID_FFMPEG`, then the one from `@ffmpeg-installer/ffmpeg`.
   * @default undefined
   */
  ffmpegPath?: string;
  /**
   * ffprobe binary, used to describe local files (size, rate, codec, duration) from its JSON.
   * Otherwise `MULTICAM_REID_FFPROBE`, then an `ffprobe` beside an ffmpeg chosen through
   * {@link ffmpegPath} / `MULTICAM_REID_FFMPEG`, then the one from `@ffprobe-installer/ffprobe`.
   * When none can describe a file (not installed, or it crashes on it — the static build of
   * `@ffprobe-installer/ffprobe` does on MPEG-TS), the reader falls back to ffmpeg's own log, as
   * for live sources. `false` always uses ffmpeg's log: one process less per `open()` (it runs
   * while ffmpeg starts: `npm run bench -- streams`, open() table), but no `duration`.
   * @default undefined
   */
  ffprobePath?: string | false;
  /**
   * Frames a consumer may hold at once besides the buffer (look-ahead, frames being detected,
   * annotated or encoded): with {@link bufferSize} it sizes the pool of reusable pixel buffers.
   * A frame goes back to the pool with `frame.release()`; frames beyond the pool are allocated
   * and garbage-collected as usual. Larger avoids allocations for consumers that hold many frames;
   * smaller bounds the memory the pool keeps.
   * @default 4
   */
  framesInFlight?: number;
  /**
   * Accepted for compatibility with the original system's option of the same name. Every
   * source is always read through ffmpeg, whatever the value.
   * @default true
   */
  useFfmpegForUdp?: boolean;
  /**
   * Index of this camera, copied into every frame and event.
   * @default 0
   */
  cameraIndex?: number;
  /**
   * Live sources only: the wall-clock instant (ms since epoch) that timestamps count from.
   * {@link MultiStreamReader} gives all its cameras the same origin so that their timestamps
   * are comparable.
   * @default the time `open()` is called
   */
  timeOrigin?: number;
}

/** Options of a {@link MultiStreamReader}: every {@link StreamReaderOptions} field applies to each camera. */
export interface MultiStreamReaderOptions extends Omit<StreamReaderOptions, 'cameraIndex' | 'timeOrigin'> {
  /**
   * Seconds `read()` waits for each camera's next frame. When a camera has nothing within this
   * time `read()` reports no frame set (`null`) instead of blocking; frames already taken from
   * the other cameras are kept for the next call, never lost. Larger tolerates jittery
   * cameras; smaller keeps the caller responsive. `0` only takes frames that are already there.
   * @default 0.1
   */
  syncTolerance?: number;
}

/** Options with every default filled in. */
export interface ResolvedReaderOptions {
  pixelFormat: PixelFormat;
  bufferSize: number;
  mode: ReadMode;
  realtime: boolean;
  maxWidth: number | undefined;
  maxHeight: number | undefined;
  rtspTransport: 'tcp' | 'udp';
  connectTimeout: number;
  keyframeTimeout: number;
  openRetry: OpenRetry;
  stallTimeout: number;
  reconnect: Required<ReconnectOptions>;
  stopGracePeriod: number;
  ffmpegPath: string | undefined;
  ffprobePath: string | false | undefined;
  framesInFlight: number;
  cameraIndex: number;
  timeOrigin: number | undefined;
}

function bad(name: string, value: unknown, expected: string): ConfigError {
  return new ConfigError('INVALID_OPTION', `option ${name} must be ${expected}, got ${JSON.stringify(value) ?? String(value)}`, { culprit: name });
}

function positiveNumber(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) throw bad(name, value, 'a finite number > 0 (seconds)');
  return value;
}

function nonNegativeNumber(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw bad(name, value, 'a finite number ≥ 0 (seconds)');
  return value;
}

function positiveInteger(name: string, value: unknown, fallback: number | undefined, min = 1): number | undefined {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) throw bad(name, value, `an integer ≥ ${min}`);
  return value;
}

function oneOf<T extends string>(name: string, value: unknown, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (!allowed.includes(value as T)) throw bad(name, value, `one of ${allowed.map((a) => `'${a}'`).join(', ')}`);
  return value as T;
}

/** Fills defaults and validates. @throws ConfigError `INVALID_OPTION` naming the option. */
export function resolveReaderOptions(options: StreamReaderOptions = {}): ResolvedReaderOptions {
  if (options === null || typeof options !== 'object') throw bad('options', options, 'an object');
  const reconnect = options.reconnect ?? {};
  if (reconnect === null || typeof reconnect !== 'object') throw bad('reconnect', reconnect, 'an object');
  const maxAttempts = reconnect.maxAttempts ?? Infinity;
  if (typeof maxAttempts !== 'number' || Number.isNaN(maxAttempts) || maxAttempts < 0 || (Number.isFinite(maxAttempts) && !Number.isInteger(maxAttempts))) {
    throw bad('reconnect.maxAttempts', maxAttempts, 'an integer ≥ 0 or Infinity');
  }
  const initialDelay = nonNegativeNumber('reconnect.initialDelay', reconnect.initialDelay, 0.5);
  const maxDelay = nonNegativeNumber('reconnect.maxDelay', reconnect.maxDelay, 10);
  if (maxDelay < initialDelay) throw bad('reconnect.maxDelay', maxDelay, `≥ reconnect.initialDelay (${initialDelay})`);
  if (options.ffmpegPath !== undefined && (typeof options.ffmpegPath !== 'string' || options.ffmpegPath === '')) {
    throw bad('ffmpegPath', options.ffmpegPath, 'a non-empty path string');
  }
  if (options.ffprobePath !== undefined && options.ffprobePath !== false && (typeof options.ffprobePath !== 'string' || options.ffprobePath === '')) {
    throw bad('ffprobePath', options.ffprobePath, 'a non-empty path string or false');
  }
  if (options.realtime !== undefined && typeof options.realtime !== 'boolean') throw bad('realtime', options.realtime, 'true or false');
  if (options.useFfmpegForUdp !== undefined && typeof options.useFfmpegForUdp !== 'boolean') {
    throw bad('useFfmpegForUdp', options.useFfmpegForUdp, 'true or false');
  }
  if (options.timeOrigin !== undefined && (typeof options.timeOrigin !== 'number' || !Number.isFinite(options.timeOrigin))) {
    throw bad('timeOrigin', options.timeOrigin, 'a time in ms since the epoch');
  }
  return {
    pixelFormat: oneOf('pixelFormat', options.pixelFormat, ['rgb24', 'bgr24'] as const, 'rgb24'),
    bufferSize: positiveInteger('bufferSize', options.bufferSize, 30)!,
    mode: oneOf('mode', options.mode, ['auto', 'file', 'live'] as const, 'auto'),
    realtime: options.realtime ?? false,
    maxWidth: positiveInteger('maxWidth', options.maxWidth, undefined, 2),
    maxHeight: positiveInteger('maxHeight', options.maxHeight, undefined, 2),
    rtspTransport: oneOf('rtspTransport', options.rtspTransport, ['tcp', 'udp'] as const, 'tcp'),
    connectTimeout: positiveNumber('connectTimeout', options.connectTimeout, 10),
    keyframeTimeout: positiveNumber('keyframeTimeout', options.keyframeTimeout, 30),
    openRetry: oneOf('openRetry', options.openRetry, ['until-timeout', 'forever'] as const, 'until-timeout'),
    stallTimeout: positiveNumber('stallTimeout', options.stallTimeout, 5),
    reconnect: { initialDelay, maxDelay, maxAttempts },
    stopGracePeriod: nonNegativeNumber('stopGracePeriod', options.stopGracePeriod, 1),
    ffmpegPath: options.ffmpegPath,
    ffprobePath: options.ffprobePath,
    framesInFlight: positiveInteger('framesInFlight', options.framesInFlight, 4, 0)!,
    cameraIndex: positiveInteger('cameraIndex', options.cameraIndex, 0, 0)!,
    timeOrigin: options.timeOrigin,
  };
}

/** Validates `syncTolerance`. @throws ConfigError `INVALID_OPTION`. */
export function resolveSyncTolerance(value: unknown): number {
  return nonNegativeNumber('syncTolerance', value, 0.1);
}
