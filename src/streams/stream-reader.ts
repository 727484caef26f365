/**
 * StreamReader: one source (file or live stream) decoded by an ffmpeg child into a bounded
 * queue of {@link Frame}s, with backpressure for files and drop-oldest plus restart-with-back-off
 * for live sources. Pixel buffers come from a per-reader pool ({@link Frame.release}).
 */
import { existsSync, statSync } from 'node:fs';
import { setInterval as every, setTimeout as sleep } from 'node:timers/promises';
import { EventEmitter } from 'eventemitter3';
import { ConfigError, MulticamReidError, StreamError } from '../errors.js';
import type { StreamEvents, StreamState } from './events.js';
import { buildFfmpegArgs, fittedSize } from './ffmpeg-args.js';
import type { FfmpegExit } from './ffmpeg-process.js';
import { resolveFfmpegPath, resolveFfprobePath } from './ffmpeg-path.js';
import type { Frame } from './frame.js';
import { FramePool, PooledFrame } from './frame-pool.js';
import { FrameQueue } from './frame-queue.js';
import { resolveReaderOptions, type ResolvedReaderOptions, type StreamReaderOptions } from './options.js';
import { classifyFfmpegFailure, stderrTail, type StreamDescription } from './probe.js';
import { probeFile } from './probe-file.js';
import { redactText, sourceSecrets } from './redact.js';
import type { StreamProperties } from './properties.js';
import { Session, type SessionOutcome } from './session.js';
import { FileTimeline, LiveClock } from './timeline.js';
import { classifySource, type SourceInfo } from './url.js';

export type { StreamProperties } from './properties.js';

/** How one attempt to get a first frame out of a new ffmpeg run failed. */
interface AttemptFailure {
  error: MulticamReidError;
  /** Waiting cannot cure it (404, 401, unknown protocol, not a video, no ffmpeg). */
  permanent: boolean;
  /** Short reason for `reconnecting` events. */
  reason: string;
  /** When the source sent data in this attempt, if it did. */
  dataAt: number | undefined;
}

/** Data flowing this long without a frame is announced as `waiting` (a normal start takes less). */
const WAITING_NOTICE_MS = 1000;

function isAbort(error: unknown): boolean {
  return error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError');
}

/**
 * Reads one source through ffmpeg.
 *
 * Frames are never overwritten while their consumer holds them: each {@link Frame} owns its
 * pixel buffer until `frame.release()` gives it back for reuse (a frame never released is simply
 * garbage-collected).
 *
 * @example
 * const reader = new StreamReader('../shared/media/videos/clip.mp4', { maxWidth: 640 });
 * for await (const frame of reader) {
 *   console.log(frame.frameIndex, frame.pts);
 *   frame.release();
 * }
 */
export class StreamReader extends EventEmitter<StreamEvents> {
  /** The source as given — it may hold credentials: show {@link displaySource} instead. */
  readonly source: string;
  readonly cameraIndex: number;
  /** Effective read mode. */
  readonly mode: 'file' | 'live';
  private readonly info: SourceInfo;
  private readonly secrets: readonly string[];
  private readonly options: ResolvedReaderOptions;
  private readonly ffmpegPath: string;
  private readonly ffprobePath: string | undefined;
  private readonly pool: FramePool;
  private readonly queue: FrameQueue<Frame>;
  private readonly releaseController = new AbortController();
  private readonly sessions = new Set<Session>();
  private session: Session | undefined;
  private state: StreamState = 'idle';
  private description: StreamDescription | undefined;
  /** The size of every delivered frame, fixed by the first description. */
  private frameSize: { width: number; height: number } | undefined;
  private readonly fileTimeline = new FileTimeline(() => this.description?.fps ?? 0);
  private liveClock: LiveClock | undefined;
  private framesDecoded = 0;
  private framesRead = 0;
  private reconnects = 0;
  private lastFrameAt: number | undefined;
  private openPromise: Promise<StreamProperties> | undefined;
  /** Files: ffprobe's run, in parallel with ffmpeg's start; true when it described the file. */
  private probing: Promise<boolean> | undefined;
  private supervisor: Promise<void> | undefined;
  private releasePromise: Promise<void> | undefined;
  private endEmitted = false;

  /**
   * Validates everything that can be checked without touching the source.
   * @throws StreamError `INVALID_URL` for a malformed source, `FFMPEG_FAILED` for a missing ffmpeg / ffprobe
   * @throws ConfigError `INVALID_OPTION` for a bad option
   */
  constructor(source: string, options: StreamReaderOptions = {}) {
    super();
    this.info = classifySource(source);
    this.source = this.info.source;
    this.secrets = sourceSecrets(this.info.source);
    this.options = resolveReaderOptions(options);
    this.cameraIndex = this.options.cameraIndex;
    this.mode = this.options.mode === 'auto' ? (this.info.live ? 'live' : 'file') : this.options.mode;
    this.ffmpegPath = resolveFfmpegPath(this.options.ffmpegPath);
    this.ffprobePath = this.info.kind === 'file' && this.options.ffprobePath !== false ? resolveFfprobePath(this.options.ffprobePath, this.options.ffmpegPath) : undefined;
    // Buffered frames, frames the consumer holds, the one being cut and one waiting for its log line.
    this.pool = new FramePool(this.options.bufferSize + this.options.framesInFlight + 2);
    this.queue = new FrameQueue<Frame>(
      this.options.bufferSize,
      this.mode === 'file' ? 'block' : 'drop-oldest',
      () => this.session?.proc.resume(),
      (frame) => frame.release(),
    );
  }

  /** The source's display form: its URL with credentials replaced by `***`. */
  get displaySource(): string {
    return this.info.display;
  }

  /** True once the source has ended and every buffered frame was read. */
  get ended(): boolean {
    return this.queue.finished;
  }

  /**
   * Starts ffmpeg and waits for the first frame. A live source whose connection is refused,
   * or that sends nothing, is retried with back-off until `connectTimeout` (or, with
   * `openRetry: 'forever'`, until it comes); one that sends data but no decodable frame yet is
   * waited for up to `keyframeTimeout`. Calling it again returns the same promise.
   *
   * @param signal aborting it stops the attempt (rejects with code `ABORTED`)
   * @throws StreamError `SOURCE_NOT_FOUND`, `SOURCE_UNAUTHORIZED`, `INVALID_MEDIA`, `CONNECT_TIMEOUT`,
   * `STREAM_FAILED`, `FFMPEG_FAILED`, `ABORTED`
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
   * Iterates frames until the source ends, opening the reader first if needed (an open that
   * fails throws here). Leaving the loop early (`break`, `throw`) releases the reader.
   */
  async *[Symbol.asyncIterator](): AsyncGenerator<Frame, void, undefined> {
    let finished = false;
    try {
      await this.open();
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
      source: this.info.display,
      cameraIndex: this.cameraIndex,
      kind: this.info.kind,
      mode: this.mode,
      width: this.frameSize?.width ?? 0,
      height: this.frameSize?.height ?? 0,
      sourceWidth: d?.sourceWidth ?? 0,
      sourceHeight: d?.sourceHeight ?? 0,
      fps: d?.fps ?? 0,
      codec: d?.codec ?? 'unknown',
      pixelFormat: this.options.pixelFormat,
      duration: d?.duration,
      state: this.state,
      queueDepth: this.queue.size,
      bufferSize: this.options.bufferSize,
      framesDecoded: this.framesDecoded,
      framesRead: this.framesRead,
      framesDropped: this.queue.dropped,
      reconnects: this.reconnects,
      lastFrameAt: this.lastFrameAt,
      buffersAllocated: this.pool.allocated,
      buffersReused: this.pool.reused,
    };
  }

  /**
   * Ends ffmpeg gently (`q`, then SIGTERM, then SIGKILL within `stopGracePeriod`) and discards
   * buffered frames (releasing them). Resolves once every child is gone. Idempotent and safe in
   * any state, also after errors.
   */
  release(): Promise<void> {
    if (this.releasePromise === undefined) this.releasePromise = this.doRelease();
    return this.releasePromise;
  }

  // ── opening ────────────────────────────────────────────────────────────────

  private assertOpened(method: string): void {
    if (this.state === 'idle') {
      throw new StreamError('STREAM_FAILED', `${method} on "${this.info.display}" before open(): call await reader.open() first`, { culprit: this.info.display });
    }
  }

  private get released(): boolean {
    return this.releaseController.signal.aborted;
  }

  private abortedError(signal: AbortSignal | undefined, doing: string): StreamError {
    const how = this.released ? 'cancelled by release()' : 'aborted';
    return new StreamError('ABORTED', `${doing} "${this.info.display}" was ${how}`, { culprit: this.info.display, cause: signal?.reason });
  }

  private async doOpen(signal?: AbortSignal): Promise<StreamProperties> {
    if (this.released) throw new StreamError('ABORTED', `"${this.info.display}" was released before open()`, { culprit: this.info.display });
    this.setState('opening');
    const failed = new AbortController();
    const openSignal = AbortSignal.any([this.releaseController.signal, failed.signal, ...(signal ? [signal] : [])]);
    try {
      this.checkFileSource();
      this.liveClock = new LiveClock(this.options.timeOrigin ?? Date.now());
      const connecting = this.connect(openSignal); // ffmpeg starts first: ffprobe's start must not delay it
      if (this.info.kind === 'file') this.probing = this.probeWhileStarting(openSignal);
      const [session] = await Promise.all([connecting, this.probing]);
      this.description ??= session.description;
      if (this.description === undefined) {
        throw new StreamError('INVALID_MEDIA', `"${this.info.display}" holds no decodable video frame`, { culprit: this.info.display });
      }
      const d = this.description;
      this.frameSize ??= { width: d.width, height: d.height };
      this.setState('streaming');
      this.emit('connected', { cameraIndex: this.cameraIndex, source: this.info.display, width: this.frameSize.width, height: this.frameSize.height, fps: d.fps, codec: d.codec });
      this.supervisor = (this.mode === 'live' ? this.superviseLive(session) : this.watchFile(session)).catch((error: unknown) => this.failUnexpectedly(error));
      return this.getProperties();
    } catch (error) {
      failed.abort(); // ffmpeg's start and ffprobe's run end with the first failure of either
      await Promise.allSettled([this.probing]);
      if (!this.released) this.setState('failed');
      this.queue.close();
      await this.stopAllSessions();
      if (signal?.aborted || this.released) {
        if (isAbort(error) || !(error instanceof MulticamReidError) || error.code === 'ABORTED') throw this.abortedError(signal, 'opening');
      }
      throw error;
    }
  }

  private checkFileSource(): void {
    const filePath = this.info.filePath;
    if (filePath === undefined) return;
    if (!existsSync(filePath)) {
      throw new StreamError('SOURCE_NOT_FOUND', `video file not found: "${this.info.display}" (resolved to ${filePath})`, { culprit: this.info.display });
    }
    if (statSync(filePath).isDirectory()) {
      throw new StreamError('INVALID_MEDIA', `"${this.info.display}" is a directory, not a video file`, { culprit: this.info.display });
    }
  }

  /**
   * Files: ffprobe describes the file while ffmpeg starts; the run's frames are cut once the
   * size is known — ffprobe's, or the banner's when ffprobe could not tell.
   */
  private async probeWhileStarting(signal: AbortSignal): Promise<boolean> {
    const described = await this.describeFile(signal);
    const proc = this.session?.proc;
    if (described) proc?.setFrameSize(this.frameSize!.width, this.frameSize!.height);
    else proc?.useBanner();
    return described;
  }

  /**
   * Files: ffprobe's description, which also fixes the frame size. False when there is no
   * ffprobe or it could not describe the file: ffmpeg's banner describes it instead.
   */
  private async describeFile(signal: AbortSignal): Promise<boolean> {
    if (this.ffprobePath === undefined) return false;
    const probe = await probeFile(this.ffprobePath, this.info, AbortSignal.any([signal, AbortSignal.timeout(this.options.connectTimeout * 1000)]));
    if (probe === undefined) return false;
    const turned = probe.rotation === 90 || probe.rotation === 270;
    const size = fittedSize(turned ? probe.height : probe.width, turned ? probe.width : probe.height, this.options.maxWidth, this.options.maxHeight);
    this.frameSize = size;
    const description: StreamDescription = { codec: probe.codec, sourceWidth: probe.width, sourceHeight: probe.height, width: size.width, height: size.height, fps: probe.fps };
    if (probe.duration !== undefined) description.duration = probe.duration;
    this.description = description;
    return true;
  }

  /**
   * Starts ffmpeg runs until one delivers a frame. Live sources are retried with back-off
   * (emitting `reconnecting`) — until the open deadline, or for ever with `openRetry: 'forever'`.
   */
  private async connect(signal: AbortSignal): Promise<Session> {
    const connectMs = this.options.connectTimeout * 1000;
    const forever = this.mode === 'live' && this.options.openRetry === 'forever';
    let deadline = Date.now() + connectMs;
    for (let attempt = 1; ; attempt++) {
      const result = await this.attempt(signal, forever ? connectMs : deadline - Date.now());
      if (result instanceof Session) return result;
      if (this.mode === 'file' || result.permanent) throw result.error;
      // A source that sends data is slow, not dead: give it keyframeTimeout from then on.
      if (result.dataAt !== undefined) deadline = Math.max(deadline, result.dataAt + this.options.keyframeTimeout * 1000);
      const delay = this.backoffDelay(attempt);
      if (!forever && Date.now() + delay * 1000 >= deadline) throw this.openTimeoutError(result);
      this.setState('reconnecting');
      this.emit('reconnecting', { cameraIndex: this.cameraIndex, source: this.info.display, attempt, delay, reason: result.reason });
      await sleep(delay * 1000, undefined, { signal });
    }
  }

  private openTimeoutError(last: AttemptFailure): StreamError {
    if (last.error.code === 'CONNECT_TIMEOUT') return last.error;
    return new StreamError(
      'CONNECT_TIMEOUT',
      `"${this.info.display}" delivered no video within connectTimeout = ${this.options.connectTimeout} s; check that the source is up and reachable, raise connectTimeout, or use openRetry: 'forever' to wait for it (last: ${last.error.message})`,
      { culprit: this.info.display, cause: last.error },
    );
  }

  /**
   * One ffmpeg run until its first frame (see {@link firstLiveFrame}; a file gets `connectMs`
   * for it). The run is stopped unless it succeeds.
   * @throws an `AbortError` when `signal` aborts
   */
  private async attempt(signal: AbortSignal, connectMs: number): Promise<Session | AttemptFailure> {
    signal.throwIfAborted();
    const session = this.spawnSession();
    let ok = false;
    try {
      const outcome = this.mode === 'file' ? await this.within(session, 'frame', signal, connectMs) : await this.firstLiveFrame(session, signal, connectMs);
      if (outcome === 'timeout') {
        return this.failure(session, `"${this.info.display}" delivered no frame within connectTimeout = ${this.options.connectTimeout} s; check the file, or raise connectTimeout for slow storage`, 'no frame within connectTimeout');
      }
      if ('error' in outcome) return outcome;
      // A file whose ffmpeg ends cleanly before any frame is an empty video, not a failure.
      const emptyFile = this.mode === 'file' && outcome.kind === 'exit' && outcome.exit.code === 0;
      if (outcome.kind === 'frame' || emptyFile) {
        ok = true;
        return session;
      }
      return this.endFailure(session, outcome);
    } finally {
      if (!ok) await session.stop(this.options.stopGracePeriod * 1000);
    }
  }

  /**
   * A live run: at most `connectMs` for any data at all, then — the source is sending, it is
   * slow, not dead — up to `keyframeTimeout` for a decodable frame (announced as `waiting`
   * after a second).
   */
  private async firstLiveFrame(session: Session, signal: AbortSignal, connectMs: number): Promise<SessionOutcome | AttemptFailure> {
    const connected = await this.within(session, 'data', signal, connectMs);
    if (connected === 'timeout') {
      return this.failure(session, `"${this.info.display}" sent nothing within connectTimeout = ${this.options.connectTimeout} s; check that the source is up and reachable, or raise connectTimeout`, `no data within connectTimeout (${this.options.connectTimeout} s)`);
    }
    if (connected.kind !== 'data') return connected;
    const keyframeMs = this.options.keyframeTimeout * 1000;
    let framed = await this.within(session, 'frame', signal, Math.min(WAITING_NOTICE_MS, keyframeMs));
    if (framed === 'timeout' && keyframeMs > WAITING_NOTICE_MS) {
      this.announceWaiting();
      framed = await this.within(session, 'frame', signal, session.dataAt! + keyframeMs - Date.now());
    }
    if (framed === 'timeout') {
      return this.failure(session, `"${this.info.display}" sent data but no decodable frame within keyframeTimeout = ${this.options.keyframeTimeout} s; check the camera's keyframe interval (GOP) or raise keyframeTimeout`, `no decodable frame within keyframeTimeout (${this.options.keyframeTimeout} s)`);
    }
    return framed;
  }

  /** `session.reach` bounded by `ms`; `'timeout'` when the time ran out first. */
  private async within(session: Session, milestone: 'data' | 'frame', signal: AbortSignal, ms: number): Promise<SessionOutcome | 'timeout'> {
    const timer = AbortSignal.timeout(Math.max(0, ms));
    try {
      return await session.reach(milestone, AbortSignal.any([signal, timer]));
    } catch (error) {
      if (timer.aborted && !signal.aborted) return 'timeout';
      throw error;
    }
  }

  private announceWaiting(): void {
    this.setState('waiting');
    this.emit('waiting', { cameraIndex: this.cameraIndex, source: this.info.display, reason: 'keyframe', timeout: this.options.keyframeTimeout });
  }

  /** A run that timed out: `CONNECT_TIMEOUT`, worth retrying. */
  private failure(session: Session, message: string, reason: string): AttemptFailure {
    return { error: new StreamError('CONNECT_TIMEOUT', message, { culprit: this.info.display }), permanent: false, reason, dataAt: session.dataAt };
  }

  /** A run that faulted or exited before its first frame, as a typed failure. */
  private endFailure(session: Session, outcome: SessionOutcome): AttemptFailure {
    if (outcome.kind === 'fault') {
      return { error: new StreamError('STREAM_FAILED', `cannot read "${this.info.display}": ${outcome.reason}`, { culprit: this.info.display }), permanent: false, reason: outcome.reason, dataAt: session.dataAt };
    }
    if (outcome.kind !== 'exit') throw new Error(`a run that reached "${outcome.kind}" is no failure`);
    const exit = outcome.exit;
    if (exit.spawnError !== undefined) {
      const error = new StreamError('FFMPEG_FAILED', `cannot start ffmpeg at "${this.ffmpegPath}": ${exit.spawnError.message}; set ffmpegPath / MULTICAM_REID_FFMPEG to an executable ffmpeg`, { culprit: this.ffmpegPath, cause: exit.spawnError });
      return { error, permanent: true, reason: error.message, dataAt: undefined };
    }
    const failure = classifyFfmpegFailure(this.info.display, exit.stderr, exit.code, this.secrets);
    return { error: failure.error, permanent: failure.permanent, reason: this.exitReason(exit), dataAt: session.dataAt };
  }

  private backoffDelay(attempt: number): number {
    const { initialDelay, maxDelay } = this.options.reconnect;
    return Math.min(maxDelay, initialDelay * 2 ** (attempt - 1));
  }

  private spawnSession(seekTo?: number): Session {
    const args = buildFfmpegArgs(this.info, {
      ...this.options,
      frameTimestamps: true,
      frameSize: this.frameSize,
      seekTo,
      realtime: this.options.realtime && this.info.kind === 'file',
    });
    // A file's first run waits for ffprobe's size (see probeWhileStarting); live sources read the banner.
    const probed = this.info.kind === 'file' && this.frameSize === undefined;
    const session = new Session(
      this.ffmpegPath,
      args,
      { frameSize: this.frameSize, parseBanner: !probed, buffers: this.pool },
      (s, data, sourcePts, capturedAt) => this.acceptFrame(s, data, sourcePts, capturedAt),
    );
    this.sessions.add(session);
    session.once('exit', () => this.sessions.delete(session));
    this.session = session;
    return session;
  }

  // ── frames ─────────────────────────────────────────────────────────────────

  private acceptFrame(session: Session, data: Uint8Array, sourcePts: number | undefined, capturedAt: number): void {
    if (session !== this.session || this.released) {
      this.pool.recycle(data);
      return;
    }
    const size = this.frameSize ?? session.description!;
    const frameIndex = this.framesDecoded++;
    const pts = this.mode === 'file' ? this.fileTimeline.pts(session, sourcePts, capturedAt) : this.liveClock!.pts(session, sourcePts, capturedAt);
    const frame = new PooledFrame(data, size.width, size.height, this.options.pixelFormat, this.cameraIndex, frameIndex, pts, capturedAt, this.pool);
    this.lastFrameAt = capturedAt;
    if (!this.queue.push(frame)) session.proc.pause();
  }

  // ── endings and restarts ───────────────────────────────────────────────────

  /**
   * Files: the run's end is the source's end (or its failure). A run that faults because the
   * file changes resolution is replaced by one that resumes after the last frame delivered,
   * scaled to the reader's frame size.
   */
  private async watchFile(first: Session): Promise<void> {
    let session = first;
    let framesAtStart = -1;
    for (;;) {
      let outcome: SessionOutcome;
      try {
        outcome = await session.reach('end', this.releaseController.signal);
      } catch {
        return; // released
      }
      if (this.released) return;
      if (outcome.kind === 'fault') {
        await session.stop(this.options.stopGracePeriod * 1000);
        if (this.released) return;
        const progressed = this.framesDecoded > framesAtStart;
        const lastTime = this.fileTimeline.lastFileTime;
        if (progressed && lastTime !== undefined) {
          framesAtStart = this.framesDecoded;
          session = this.resumeFile(lastTime);
          continue;
        }
        this.queue.close();
        this.emitError(new StreamError('STREAM_FAILED', `stopped reading "${this.info.display}" after ${this.framesDecoded} frames: ${outcome.reason}`, { culprit: this.info.display }));
        this.finishEnded('failed');
        return;
      }
      this.queue.close();
      if (outcome.kind !== 'exit' || outcome.exit.stopped) return;
      const exit = outcome.exit;
      if (exit.code !== 0) {
        const log = redactText(stderrTail(exit.stderr), this.secrets);
        this.emitError(new StreamError('STREAM_FAILED', `ffmpeg stopped reading "${this.info.display}" with code ${exit.code ?? exit.signal} after ${this.framesDecoded} frames (ffmpeg: ${log})`, { culprit: this.info.display }));
        this.finishEnded('failed');
      } else {
        this.finishEnded('eof');
      }
      return;
    }
  }

  /**
   * A new run of a file from just after `lastTime` — seconds on the first run's timeline, which
   * like `-ss` counts from the file's start time. One microsecond past the last frame: ffmpeg
   * drops the frames before the seek point, and this run's timestamps count from it.
   */
  private resumeFile(lastTime: number): Session {
    const seekTo = lastTime + 1e-6;
    const session = this.spawnSession(seekTo);
    session.ptsOffset = seekTo;
    return session;
  }

  /** Live: watch the running session, restart it with back-off when it exits, stalls or faults. */
  private async superviseLive(first: Session): Promise<void> {
    let current = first;
    const releaseSignal = this.releaseController.signal;
    while (!this.released) {
      let reason = await this.watch(current);
      if (this.released) return;
      if (this.info.kind === 'file' && current.exitInfo?.code === 0 && current.faultReason === undefined) {
        // A file read as a simulated live camera has a real end.
        this.queue.close();
        this.finishEnded('eof');
        return;
      }
      const outageStart = this.lastFrameAt ?? Date.now();
      await current.stop(this.options.stopGracePeriod * 1000);
      for (let attempt = 1; ; attempt++) {
        if (attempt > this.options.reconnect.maxAttempts) {
          this.giveUp(attempt - 1, reason);
          return;
        }
        const delay = this.backoffDelay(attempt);
        this.setState('reconnecting');
        this.emit('reconnecting', { cameraIndex: this.cameraIndex, source: this.info.display, attempt, delay, reason });
        let result: Session | AttemptFailure;
        try {
          await sleep(delay * 1000, undefined, { signal: releaseSignal });
          result = await this.attempt(releaseSignal, this.options.connectTimeout * 1000);
        } catch (error) {
          if (isAbort(error)) return;
          throw error;
        }
        if (result instanceof Session) {
          this.reconnects++;
          if (result.description !== undefined) this.description = { ...result.description, ...this.frameSize! };
          this.setState('streaming');
          this.emit('reconnected', { cameraIndex: this.cameraIndex, source: this.info.display, attempt, downtime: (Date.now() - outageStart) / 1000 });
          current = result;
          break;
        }
        reason = result.reason;
      }
    }
  }

  /** Resolves with a reason when the session's ffmpeg exits or faults, or no frame came for `stallTimeout`. */
  private async watch(session: Session): Promise<string> {
    const done = new AbortController();
    const signal = AbortSignal.any([this.releaseController.signal, done.signal]);
    try {
      return await Promise.race([this.endReason(session, signal), this.stallReason(signal)]);
    } catch (error) {
      if (isAbort(error)) return 'released';
      throw error;
    } finally {
      done.abort();
    }
  }

  private async endReason(session: Session, signal: AbortSignal): Promise<string> {
    const outcome = await session.reach('end', signal);
    if (outcome.kind === 'fault') return outcome.reason;
    return outcome.kind === 'exit' ? this.exitReason(outcome.exit) : 'ended';
  }

  private async stallReason(signal: AbortSignal): Promise<string> {
    const stallMs = this.options.stallTimeout * 1000;
    for await (const _ of every(Math.min(250, stallMs / 4), undefined, { signal })) {
      const since = Date.now() - (this.lastFrameAt ?? Date.now());
      if (since < stallMs) continue;
      this.setState('stalled');
      this.emit('stalled', { cameraIndex: this.cameraIndex, source: this.info.display, secondsWithoutFrame: since / 1000 });
      return `no frame for ${(since / 1000).toFixed(1)} s`;
    }
    return 'released';
  }

  private exitReason(exit: FfmpegExit): string {
    if (exit.spawnError) return `ffmpeg could not start at "${this.ffmpegPath}": ${exit.spawnError.message}`;
    return `ffmpeg exited with ${exit.code ?? exit.signal} (${redactText(stderrTail(exit.stderr, 1), this.secrets) || 'no log'})`;
  }

  /** A bug in the supervision: reported as an error event keeping its cause, and the reader ends. */
  private failUnexpectedly(error: unknown): void {
    if (this.released) return;
    this.queue.close();
    const detail = error instanceof Error ? error.message : String(error);
    this.emitError(error instanceof MulticamReidError ? error : new StreamError('STREAM_FAILED', `reading "${this.info.display}" failed unexpectedly: ${detail}`, { culprit: this.info.display, cause: error }));
    this.finishEnded('failed');
  }

  private giveUp(attempts: number, reason: string): void {
    this.queue.close();
    this.emitError(new StreamError('STREAM_FAILED', `gave up on "${this.info.display}" after ${attempts} reconnect attempt(s) (last: ${reason}); raise reconnect.maxAttempts to keep trying`, { culprit: this.info.display }));
    this.finishEnded('gave-up');
  }

  private emitError(error: MulticamReidError): void {
    this.emit('error', { cameraIndex: this.cameraIndex, source: this.info.display, error });
  }

  private finishEnded(reason: 'eof' | 'gave-up' | 'failed' | 'released'): void {
    if (reason !== 'released') this.setState('ended');
    if (this.endEmitted) return;
    this.endEmitted = true;
    this.emit('ended', { cameraIndex: this.cameraIndex, source: this.info.display, reason, framesDecoded: this.framesDecoded });
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
    this.pool.close();
    if (wasOpen) this.finishEnded('released');
  }

  private async stopAllSessions(): Promise<void> {
    await Promise.all([...this.sessions].map((s) => s.stop(this.options.stopGracePeriod * 1000)));
  }
}
