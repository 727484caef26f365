/**
 * StreamReader: one source (file or live stream) decoded by an ffmpeg child into a bounded
 * queue of {@link Frame}s, with backpressure for files and drop-oldest plus restart-with-back-off
 * for live sources.
 */
import { existsSync, statSync } from 'node:fs';
import { EventEmitter } from 'eventemitter3';
import { ConfigError, StreamError, type MulticamReidError } from '../errors.js';
import type { StreamEvents, StreamState } from './events.js';
import { buildFfmpegArgs } from './ffmpeg-args.js';
import { FfmpegProcess, type FfmpegExit } from './ffmpeg-process.js';
import { resolveFfmpegPath } from './ffmpeg-path.js';
import type { Frame, PixelFormat } from './frame.js';
import { FrameQueue } from './frame-queue.js';
import { resolveReaderOptions, type ResolvedReaderOptions, type StreamReaderOptions } from './options.js';
import { classifyFfmpegFailure, stderrTail, type StreamDescription } from './probe.js';
import { classifySource, type SourceInfo, type SourceKind } from './url.js';

/** A snapshot of one reader, from {@link StreamReader.getProperties}. */
export interface StreamProperties {
  source: string;
  cameraIndex: number;
  kind: SourceKind;
  /** The effective read mode (`'auto'` resolved). */
  mode: 'file' | 'live';
  /** Size of the delivered frames (after any downscale); 0 before `open()` resolved. */
  width: number;
  height: number;
  /** Size of the source video. */
  sourceWidth: number;
  sourceHeight: number;
  /** Nominal frame rate reported by the source (0 when unknown). */
  fps: number;
  codec: string;
  pixelFormat: PixelFormat;
  state: StreamState;
  /** Frames waiting in the buffer now. */
  queueDepth: number;
  bufferSize: number;
  /** Frames received from ffmpeg. */
  framesDecoded: number;
  /** Frames handed to the consumer. */
  framesRead: number;
  /** Frames discarded because the live buffer was full. */
  framesDropped: number;
  /** Successful restarts of a live source. */
  reconnects: number;
  /** `Date.now()` of the last frame received, if any. */
  lastFrameAt: number | undefined;
}

/** One ffmpeg run and the moments of its life the reader waits for. */
interface Session {
  proc: FfmpegProcess;
  described: Promise<StreamDescription>;
  firstFrame: Promise<void>;
  exit: Promise<FfmpegExit>;
  gotFrame: boolean;
  description: StreamDescription | undefined;
  /** Smallest (arrival − source timestamp) seen: maps source time onto the reader's clock. */
  clockOffset: number | undefined;
}

/** Live clock: a gap of more than this between source time and arrival means the source clock jumped. */
const CLOCK_RESYNC_SECONDS = 1;

function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** Resolves after `ms`, or early (false) when `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** Resolves with `'aborted'` when any of the signals aborts. */
function whenAborted(...signals: Array<AbortSignal | undefined>): { promise: Promise<'aborted'>; dispose: () => void } {
  const { promise, resolve } = deferred<'aborted'>();
  const listeners: Array<() => void> = [];
  for (const signal of signals) {
    if (signal === undefined) continue;
    if (signal.aborted) resolve('aborted');
    const onAbort = () => resolve('aborted');
    signal.addEventListener('abort', onAbort, { once: true });
    listeners.push(() => signal.removeEventListener('abort', onAbort));
  }
  return { promise, dispose: () => listeners.forEach((remove) => remove()) };
}

function timeout(ms: number): { promise: Promise<'timeout'>; dispose: () => void } {
  let timer: NodeJS.Timeout | undefined;
  const promise = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), ms)));
  return { promise, dispose: () => clearTimeout(timer) };
}

/**
 * Reads one source through ffmpeg.
 *
 * Frames are never overwritten after delivery: each {@link Frame} owns its pixel buffer, so a
 * consumer may keep it as long as it likes.
 *
 * @example
 * const reader = new StreamReader('../shared/media/videos/clip.mp4', { maxWidth: 640 });
 * await reader.open();
 * for await (const frame of reader) console.log(frame.frameIndex, frame.pts);
 */
export class StreamReader extends EventEmitter<StreamEvents> {
  /** The source as given. */
  readonly source: string;
  readonly cameraIndex: number;
  /** Effective read mode. */
  readonly mode: 'file' | 'live';
  private readonly info: SourceInfo;
  private readonly options: ResolvedReaderOptions;
  private readonly ffmpegPath: string;
  private readonly queue: FrameQueue<Frame>;
  private readonly releaseController = new AbortController();
  private readonly sessions = new Set<Session>();
  private session: Session | undefined;
  private state: StreamState = 'idle';
  private description: StreamDescription | undefined;
  private timeOrigin = 0;
  private lastPts = -Infinity;
  private framesDecoded = 0;
  private framesRead = 0;
  private reconnects = 0;
  private lastFrameAt: number | undefined;
  private firstFrameAt: number | undefined;
  private openPromise: Promise<StreamProperties> | undefined;
  private supervisor: Promise<void> | undefined;
  private releasePromise: Promise<void> | undefined;
  private endEmitted = false;

  /**
   * Validates everything that can be checked without touching the source.
   * @throws StreamError `INVALID_URL` for a malformed source, `FFMPEG_FAILED` for a missing ffmpeg
   * @throws ConfigError `INVALID_OPTION` for a bad option
   */
  constructor(source: string, options: StreamReaderOptions = {}) {
    super();
    this.info = classifySource(source);
    this.source = this.info.source;
    this.options = resolveReaderOptions(options);
    this.cameraIndex = this.options.cameraIndex;
    this.mode = this.options.mode === 'auto' ? (this.info.live ? 'live' : 'file') : this.options.mode;
    this.ffmpegPath = resolveFfmpegPath(this.options.ffmpegPath);
    this.queue = new FrameQueue<Frame>(this.options.bufferSize, this.mode === 'file' ? 'block' : 'drop-oldest', () =>
      this.session?.proc.resume(),
    );
  }

  /** True once the source has ended and every buffered frame was read. */
  get ended(): boolean {
    return this.queue.finished;
  }

  /**
   * Starts ffmpeg and waits for the stream description. A live source whose connection is
   * refused is retried with back-off until `connectTimeout`. Calling it again returns the
   * same promise.
   *
   * @param signal aborting it stops the attempt (rejects with code `ABORTED`)
   * @throws StreamError `SOURCE_NOT_FOUND`, `INVALID_MEDIA`, `CONNECT_TIMEOUT`, `STREAM_FAILED`, `ABORTED`
   */
  open(signal?: AbortSignal): Promise<StreamProperties> {
    if (this.openPromise === undefined) {
      this.openPromise = this.doOpen(signal);
      this.openPromise.catch(() => {});
    }
    return this.openPromise;
  }

  /**
   * The next frame, waiting as long as needed. Resolves `null` once the source has ended and
   * the buffer is drained, after `release()`, or when `signal` aborts (check `signal.aborted`
   * to tell them apart). Several callers may wait at once; each frame goes to one of them.
   */
  async next(signal?: AbortSignal): Promise<Frame | null> {
    this.assertOpened('next()');
    const frame = await this.queue.take(undefined, signal);
    if (frame !== null) this.framesRead++;
    return frame;
  }

  /**
   * The next frame, waiting at most `timeoutSeconds`; `null` when none arrived in time or the
   * source has ended (see {@link ended}).
   * @throws ConfigError `INVALID_OPTION` for a negative or non-numeric timeout
   */
  async read(timeoutSeconds: number): Promise<Frame | null> {
    if (typeof timeoutSeconds !== 'number' || Number.isNaN(timeoutSeconds) || timeoutSeconds < 0) {
      throw new ConfigError('INVALID_OPTION', `read(timeoutSeconds) needs a number ≥ 0, got ${String(timeoutSeconds)}`);
    }
    this.assertOpened('read()');
    const frame = await this.queue.take(timeoutSeconds * 1000);
    if (frame !== null) this.framesRead++;
    return frame;
  }

  /** Takes a frame only if one is buffered now. */
  tryRead(): Frame | null {
    const frame = this.queue.tryTake() ?? null;
    if (frame !== null) this.framesRead++;
    return frame;
  }

  /**
   * Iterates frames until the source ends (opening first if needed). Leaving the loop early
   * (`break`, `throw`) releases the reader.
   */
  async *[Symbol.asyncIterator](): AsyncGenerator<Frame, void, undefined> {
    let finished = false;
    try {
      if (this.state === 'idle') await this.open();
      for (;;) {
        const frame = await this.next();
        if (frame === null) break;
        yield frame;
      }
      finished = true;
    } finally {
      if (!finished) await this.release();
    }
  }

  /** Current size, rate, state and counters. */
  getProperties(): StreamProperties {
    const d = this.description;
    return {
      source: this.source,
      cameraIndex: this.cameraIndex,
      kind: this.info.kind,
      mode: this.mode,
      width: d?.width ?? 0,
      height: d?.height ?? 0,
      sourceWidth: d?.sourceWidth ?? 0,
      sourceHeight: d?.sourceHeight ?? 0,
      fps: d?.fps ?? 0,
      codec: d?.codec ?? 'unknown',
      pixelFormat: this.options.pixelFormat,
      state: this.state,
      queueDepth: this.queue.size,
      bufferSize: this.options.bufferSize,
      framesDecoded: this.framesDecoded,
      framesRead: this.framesRead,
      framesDropped: this.queue.dropped,
      reconnects: this.reconnects,
      lastFrameAt: this.lastFrameAt,
    };
  }

  /**
   * Ends ffmpeg (SIGTERM, SIGKILL after `stopGracePeriod`) and discards buffered frames.
   * Resolves once every child is gone. Idempotent and safe in any state, also after errors.
   */
  release(): Promise<void> {
    if (this.releasePromise === undefined) this.releasePromise = this.doRelease();
    return this.releasePromise;
  }

  // ── opening ────────────────────────────────────────────────────────────────

  private assertOpened(method: string): void {
    if (this.state === 'idle') {
      throw new StreamError('STREAM_FAILED', `${method} on "${this.source}" before open(): call await reader.open() first`, { culprit: this.source });
    }
  }

  private get released(): boolean {
    return this.releaseController.signal.aborted;
  }

  private async doOpen(signal?: AbortSignal): Promise<StreamProperties> {
    if (this.released) throw new StreamError('ABORTED', `"${this.source}" was released before open()`, { culprit: this.source });
    this.setState('opening');
    try {
      this.checkFileSource();
      this.timeOrigin = this.options.timeOrigin ?? Date.now();
      const description = await this.connect(signal);
      this.description = description;
      this.setState('streaming');
      this.emit('connected', { cameraIndex: this.cameraIndex, source: this.source, width: description.width, height: description.height, fps: description.fps, codec: description.codec });
      if (this.mode === 'live') {
        this.supervisor = this.superviseLive(this.session!);
      } else {
        void this.session!.exit.then((exit) => this.onFileExit(exit));
      }
      return this.getProperties();
    } catch (error) {
      if (!this.released) this.setState('failed');
      this.queue.close();
      await this.stopAllSessions();
      throw error;
    }
  }

  private checkFileSource(): void {
    const filePath = this.info.filePath;
    if (filePath === undefined) return;
    if (!existsSync(filePath)) {
      throw new StreamError('SOURCE_NOT_FOUND', `video file not found: "${this.source}" (resolved to ${filePath})`, { culprit: this.source });
    }
    if (statSync(filePath).isDirectory()) {
      throw new StreamError('INVALID_MEDIA', `"${this.source}" is a directory, not a video file`, { culprit: this.source });
    }
  }

  /** Spawns until a session describes its stream, within `connectTimeout` overall. */
  private async connect(signal?: AbortSignal): Promise<StreamDescription> {
    const deadline = Date.now() + this.options.connectTimeout * 1000;
    let lastFailure = '';
    for (let attempt = 1; ; attempt++) {
      const session = this.spawnSession();
      const aborted = whenAborted(signal, this.releaseController.signal);
      const expiry = timeout(Math.max(0, deadline - Date.now()));
      const outcome = await Promise.race([session.described, session.exit, aborted.promise, expiry.promise]);
      aborted.dispose();
      expiry.dispose();
      if (typeof outcome === 'object' && 'width' in outcome) return outcome;
      await session.proc.stop(this.options.stopGracePeriod * 1000);
      if (outcome === 'aborted') {
        throw new StreamError('ABORTED', `opening "${this.source}" was ${this.released ? 'cancelled by release()' : 'aborted'}`, { culprit: this.source });
      }
      if (outcome === 'timeout') throw this.connectTimeoutError(lastFailure);
      const failure = outcome.spawnError
        ? { error: new StreamError('FFMPEG_FAILED', `cannot start ffmpeg at "${this.ffmpegPath}": ${outcome.spawnError.message}`, { culprit: this.ffmpegPath }), permanent: true }
        : classifyFfmpegFailure(this.source, outcome.stderr, outcome.code);
      if (this.mode === 'file' || failure.permanent) throw failure.error;
      lastFailure = failure.error.message;
      const delay = this.backoffDelay(attempt) * 1000;
      if (Date.now() + delay >= deadline) throw this.connectTimeoutError(lastFailure);
      if (!(await sleep(delay, signal ? AbortSignal.any([signal, this.releaseController.signal]) : this.releaseController.signal))) {
        throw new StreamError('ABORTED', `opening "${this.source}" was aborted`, { culprit: this.source });
      }
    }
  }

  private connectTimeoutError(detail: string): StreamError {
    return new StreamError(
      'CONNECT_TIMEOUT',
      `"${this.source}" delivered no video within connectTimeout = ${this.options.connectTimeout} s; check that the source is up and reachable, or raise connectTimeout${detail ? ` (last: ${detail})` : ''}`,
      { culprit: this.source },
    );
  }

  private backoffDelay(attempt: number): number {
    const { initialDelay, maxDelay } = this.options.reconnect;
    return Math.min(maxDelay, initialDelay * 2 ** (attempt - 1));
  }

  private spawnSession(): Session {
    const described = deferred<StreamDescription>();
    const firstFrame = deferred<void>();
    const exit = deferred<FfmpegExit>();
    const frameTimestamps = this.mode === 'live';
    const args = buildFfmpegArgs(this.info, { ...this.options, frameTimestamps, realtime: this.options.realtime && this.info.kind === 'file' });
    const session: Session = {
      proc: undefined as unknown as FfmpegProcess,
      described: described.promise,
      firstFrame: firstFrame.promise,
      exit: exit.promise,
      gotFrame: false,
      description: undefined,
      clockOffset: undefined,
    };
    session.proc = new FfmpegProcess(this.ffmpegPath, args, frameTimestamps, {
      onDescription: (description) => {
        // A restarted camera may come back at another size; each frame carries its own size.
        session.description = description;
        if (this.description !== undefined) this.description = description;
        described.resolve(description);
      },
      onFrame: (data, sourcePts, capturedAt) => {
        if (session !== this.session || this.released) return;
        if (!session.gotFrame) {
          session.gotFrame = true;
          firstFrame.resolve();
        }
        this.acceptFrame(session, data, sourcePts, capturedAt);
      },
      onExit: (info) => {
        this.sessions.delete(session);
        exit.resolve(info);
      },
    });
    this.sessions.add(session);
    this.session = session;
    return session;
  }

  // ── frames ─────────────────────────────────────────────────────────────────

  private acceptFrame(session: Session, data: Uint8Array, sourcePts: number | undefined, capturedAt: number): void {
    const { width, height } = session.description!;
    this.firstFrameAt ??= capturedAt;
    const frameIndex = this.framesDecoded++;
    const frame: Frame = {
      data,
      width,
      height,
      pixelFormat: this.options.pixelFormat,
      cameraIndex: this.cameraIndex,
      frameIndex,
      pts: this.mode === 'file' ? this.filePts(frameIndex, capturedAt) : this.livePts(session, sourcePts, capturedAt),
      capturedAt,
    };
    this.lastFrameAt = capturedAt;
    if (!this.queue.push(frame)) session.proc.pause();
  }

  /** Files: exact for constant frame rate; wall time since the first frame when fps is unknown. */
  private filePts(frameIndex: number, capturedAt: number): number {
    const fps = this.description?.fps ?? 0;
    return fps > 0 ? frameIndex / fps : (capturedAt - this.firstFrameAt!) / 1000;
  }

  /**
   * Live: the source's own timestamps (steady, free of delivery jitter) mapped onto the reader's
   * clock (seconds since `timeOrigin`), re-anchored when the source clock jumps, never going back.
   */
  private livePts(session: Session, sourcePts: number | undefined, capturedAt: number): number {
    const arrival = (capturedAt - this.timeOrigin) / 1000;
    let pts = arrival;
    if (sourcePts !== undefined) {
      const offset = arrival - sourcePts;
      if (session.clockOffset === undefined || offset < session.clockOffset || offset - session.clockOffset > CLOCK_RESYNC_SECONDS) {
        session.clockOffset = offset;
      }
      pts = sourcePts + session.clockOffset;
    }
    pts = Math.max(pts, this.lastPts);
    this.lastPts = pts;
    return pts;
  }

  // ── endings and restarts ───────────────────────────────────────────────────

  private onFileExit(exit: FfmpegExit): void {
    if (exit.stopped || this.released) return;
    this.queue.close();
    if (exit.code !== 0) {
      const error = new StreamError('STREAM_FAILED', `ffmpeg stopped reading "${this.source}" with code ${exit.code ?? exit.signal} after ${this.framesDecoded} frames (ffmpeg: ${stderrTail(exit.stderr)})`, { culprit: this.source });
      this.emitError(error);
      this.finishEnded('failed');
    } else {
      this.finishEnded('eof');
    }
  }

  /** Live: watch the running session, restart it with back-off when it exits or stalls. */
  private async superviseLive(first: Session): Promise<void> {
    let current = first;
    const releaseSignal = this.releaseController.signal;
    while (!this.released) {
      let reason = await this.watch(current);
      if (this.released) return;
      if (this.info.kind === 'file' && !current.proc.running && (await current.exit).code === 0) {
        // A file read as a simulated live camera has a real end.
        this.queue.close();
        this.finishEnded('eof');
        return;
      }
      const outageStart = this.lastFrameAt ?? Date.now();
      await current.proc.stop(this.options.stopGracePeriod * 1000);
      for (let attempt = 1; ; attempt++) {
        if (attempt > this.options.reconnect.maxAttempts) {
          this.giveUp(attempt - 1, reason);
          return;
        }
        const delay = this.backoffDelay(attempt);
        this.setState('reconnecting');
        this.emit('reconnecting', { cameraIndex: this.cameraIndex, source: this.source, attempt, delay, reason });
        if (!(await sleep(delay * 1000, releaseSignal))) return;
        const next = this.spawnSession();
        const aborted = whenAborted(releaseSignal);
        const expiry = timeout(this.options.connectTimeout * 1000);
        const outcome = await Promise.race([next.firstFrame.then(() => 'frame' as const), next.exit, aborted.promise, expiry.promise]);
        aborted.dispose();
        expiry.dispose();
        if (outcome === 'aborted') return;
        if (outcome === 'frame') {
          this.reconnects++;
          this.setState('streaming');
          this.emit('reconnected', { cameraIndex: this.cameraIndex, source: this.source, attempt, downtime: (Date.now() - outageStart) / 1000 });
          current = next;
          break;
        }
        await next.proc.stop(this.options.stopGracePeriod * 1000);
        reason = outcome === 'timeout' ? `no frame within connectTimeout (${this.options.connectTimeout} s)` : exitReason(outcome);
      }
    }
  }

  /** Resolves with a reason when the session's ffmpeg exits or no frame came for `stallTimeout`. */
  private watch(session: Session): Promise<string> {
    const stallMs = this.options.stallTimeout * 1000;
    return new Promise((resolve) => {
      const check = setInterval(() => {
        const since = Date.now() - (this.lastFrameAt ?? Date.now());
        if (since < stallMs || this.released) return;
        done();
        this.setState('stalled');
        this.emit('stalled', { cameraIndex: this.cameraIndex, source: this.source, secondsWithoutFrame: since / 1000 });
        resolve(`no frame for ${(since / 1000).toFixed(1)} s`);
      }, Math.min(250, stallMs / 4));
      const onRelease = () => {
        done();
        resolve('released');
      };
      const done = () => {
        clearInterval(check);
        this.releaseController.signal.removeEventListener('abort', onRelease);
      };
      this.releaseController.signal.addEventListener('abort', onRelease, { once: true });
      void session.exit.then((exit) => {
        done();
        resolve(exitReason(exit));
      });
    });
  }

  private giveUp(attempts: number, reason: string): void {
    this.queue.close();
    this.emitError(new StreamError('STREAM_FAILED', `gave up on "${this.source}" after ${attempts} reconnect attempt(s) (last: ${reason}); raise reconnect.maxAttempts to keep trying`, { culprit: this.source }));
    this.finishEnded('gave-up');
  }

  private emitError(error: MulticamReidError): void {
    this.emit('error', { cameraIndex: this.cameraIndex, source: this.source, error });
  }

  private finishEnded(reason: 'eof' | 'gave-up' | 'failed' | 'released'): void {
    if (reason !== 'released') this.setState('ended');
    if (this.endEmitted) return;
    this.endEmitted = true;
    this.emit('ended', { cameraIndex: this.cameraIndex, source: this.source, reason, framesDecoded: this.framesDecoded });
  }

  private setState(state: StreamState): void {
    if (this.state !== 'released') this.state = state;
  }

  private async doRelease(): Promise<void> {
    const wasOpen = this.state !== 'idle';
    this.releaseController.abort();
    this.state = 'released';
    this.queue.close();
    this.queue.clear();
    await Promise.allSettled([this.openPromise, this.supervisor]);
    await this.stopAllSessions();
    this.session = undefined;
    if (wasOpen) this.finishEnded('released');
  }

  private async stopAllSessions(): Promise<void> {
    await Promise.all([...this.sessions].map((s) => s.proc.stop(this.options.stopGracePeriod * 1000)));
  }
}

function exitReason(exit: FfmpegExit): string {
  if (exit.spawnError) return `ffmpeg could not start: ${exit.spawnError.message}`;
  return `ffmpeg exited with ${exit.code ?? exit.signal} (${stderrTail(exit.stderr, 1) || 'no log'})`;
}
