/**
 * One ffmpeg child decoding one source to raw frames on stdout.
 *
 * It cuts stdout into frames of `width × height × 3` bytes in buffers from a pool, pairs each
 * frame with the `showinfo` line ffmpeg logged for it (presentation time and size), reads the
 * stream description of live sources from stderr, notices when the source starts sending
 * anything, pauses the pipe on request (backpressure) and stops the child gently: `q` on stdin,
 * then SIGTERM, then SIGKILL. Every child ever spawned is also killed when Node exits, so no
 * ffmpeg outlives the host process.
 *
 * A frame is handed on only after its showinfo line confirmed its size: if the size changes
 * inside the run (a camera switching resolution), no misaligned bytes ever leave this class —
 * the run is reported as faulty and the owner restarts it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { FrameBuffers } from './frame-pool.js';
import { parseShowinfoLine, parseShowinfoTimeBase, parseStreamBanner, showsIncomingData, type FrameInfo, type StreamDescription } from './probe.js';

/** What the owner of an {@link FfmpegProcess} hears from it. */
export interface FfmpegProcessHandlers {
  /** The source sent something (stream header or decoder messages). Called at most once. */
  onData(): void;
  /** The stream description was printed (only when `parseBanner`). Called at most once. */
  onDescription(description: StreamDescription): void;
  /**
   * A complete frame, its size confirmed. `sourcePts` is its presentation time in seconds
   * (undefined when it had none). `capturedAt` is `Date.now()` when its last byte arrived.
   * The owner now owns `data` (and recycles it to the pool when done).
   */
  onFrame(data: Uint8Array, sourcePts: number | undefined, capturedAt: number): void;
  /** Frames can no longer be cut reliably (size change, missing frame lines); none follow. Called at most once. */
  onFault(reason: string): void;
  /** The child is gone and its pipes are drained. Called exactly once. */
  onExit(exit: FfmpegExit): void;
}

/** How the child is set up besides its arguments. */
export interface FfmpegProcessOptions {
  /**
   * Size of every raw frame when known in advance (an exact scale filter); else given later with
   * {@link FfmpegProcess.setFrameSize}, or read from the banner. Frames wait until it is known.
   */
  frameSize?: { width: number; height: number } | undefined;
  /** Parse the stream description from the log (live sources); see also {@link FfmpegProcess.useBanner}. */
  parseBanner: boolean;
  /** Where frame buffers come from and go back to. */
  buffers: FrameBuffers;
}

/** The last step of a stop before the child exited. */
export type StopStep = 'q' | 'SIGTERM' | 'SIGKILL';

/** How an ffmpeg child ended. */
export interface FfmpegExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The stream header part of the log followed by its most recent lines (raw: may hold the URL). */
  stderr: string;
  /** Whether the stream description had been printed, i.e. the source was readable. */
  described: boolean;
  /** True when {@link FfmpegProcess.stop} ended it. */
  stopped: boolean;
  /** With `stopped`: the last step sent before it exited. */
  stopStep?: StopStep;
  /** Set when the binary could not be started at all. */
  spawnError?: Error;
}

/** Children still running, killed synchronously if the host process exits first. */
const liveChildren = new Set<ChildProcess>();
let exitHookInstalled = false;
function trackChild(child: ChildProcess): void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', () => {
      for (const c of liveChildren) c.kill('SIGKILL');
    });
  }
  liveChildren.add(child);
}

/** Bytes of the start of the log kept for error messages, and of its stream-header lines. */
const HEAD_LIMIT = 16 * 1024;
/** Bytes of recent log lines kept for error messages. */
const TAIL_LIMIT = 8 * 1024;
/** Frames waiting for their showinfo line beyond which the log is taken as broken. */
const MAX_UNCONFIRMED_FRAMES = 64;

/** Lines of the stream header that describe the input and output streams. */
const BANNER_LINE = /^\s*(?:Input #|Output #|Stream #|Duration:)/;

interface CutFrame {
  data: Uint8Array;
  capturedAt: number;
}

export class FfmpegProcess {
  private readonly child: ChildProcess;
  private readonly buffers: FrameBuffers;
  private parseBanner: boolean;
  private frameWidth = 0;
  private frameHeight = 0;
  private frameBytes = 0;
  private described = false;
  private sawData = false;
  private readsKeys = false;
  private head = '';
  private banner = '';
  private tail = '';
  private lineRemainder = '';
  private pendingChunks: Buffer[] = [];
  private current: Uint8Array | undefined;
  private filled = 0;
  /** Frames cut but not yet confirmed by their showinfo line, oldest first. */
  private readonly unconfirmed: CutFrame[] = [];
  /** showinfo lines whose frame has not been cut yet, oldest first. */
  private readonly infos: FrameInfo[] = [];
  /** Seconds per unit of showinfo's `pts` (the filter's input time base), once logged. */
  private timeBase: number | undefined;
  private faulted = false;
  /** The owner asked for a pause (backpressure): only its resume() reads on. */
  private pausedByOwner = false;
  private stopping = false;
  private stopStep: StopStep | undefined;
  private finished = false;
  private readonly exitPromise: Promise<void>;
  private resolveExit!: () => void;

  /** Spawns `ffmpegPath args…` directly (no shell); `args` must log showinfo lines for every frame. */
  constructor(
    ffmpegPath: string,
    args: readonly string[],
    options: FfmpegProcessOptions,
    private readonly handlers: FfmpegProcessHandlers,
  ) {
    this.buffers = options.buffers;
    this.parseBanner = options.parseBanner;
    this.exitPromise = new Promise((resolve) => (this.resolveExit = resolve));
    this.child = spawn(ffmpegPath, args, { stdio: ['pipe', 'pipe', 'pipe'], windowsHide: true });
    trackChild(this.child);
    const stdout = this.child.stdout!;
    const stderr = this.child.stderr!;
    // stdin carries only the `q` of stop(); a child that died first makes the write fail: ignored.
    this.child.stdin!.on('error', () => {});
    stdout.on('data', (chunk: Buffer) => this.onStdout(chunk));
    stdout.on('error', () => {});
    stderr.setEncoding('utf8');
    stderr.on('data', (text: string) => this.onStderr(text));
    stderr.on('error', () => {});
    this.child.on('error', (error) => {
      // Also emitted when a signal cannot be delivered; only a failed spawn ends the process here.
      if (this.child.pid === undefined) this.finish(null, null, error);
    });
    this.child.on('close', (code, signal) => this.finish(code, signal));
    if (options.frameSize !== undefined) this.setFrameSize(options.frameSize.width, options.frameSize.height);
  }

  /** Process id, for diagnostics. */
  get pid(): number | undefined {
    return this.child.pid;
  }

  /** True until the child has exited. */
  get running(): boolean {
    return !this.finished;
  }

  /** Resolves once the child has exited and its output was handled. */
  get exited(): Promise<void> {
    return this.exitPromise;
  }

  /** Stops reading stdout; ffmpeg blocks on its next write once the pipe is full. */
  pause(): void {
    this.pausedByOwner = true;
    if (!this.stopping) this.child.stdout?.pause();
  }

  resume(): void {
    this.pausedByOwner = false;
    // Still waiting for the frame size: stay paused, setFrameSize() reads on.
    if (this.frameBytes > 0 || this.stopping) this.child.stdout?.resume();
  }

  /**
   * Ends the child and resolves once it has exited. Output arriving meanwhile is discarded and
   * stdout keeps being drained, so a paused ffmpeg is never stuck in a write.
   *
   * Steps, on timers: `q` on stdin (ffmpeg finishes cleanly: an RTSP session gets its TEARDOWN),
   * one SIGTERM at `graceMs / 2`, SIGKILL at `graceMs`. A child that has not started decoding
   * yet does not read stdin: it gets the SIGTERM at once (it acts on it while connecting).
   */
  async stop(graceMs: number): Promise<void> {
    if (this.finished) return;
    if (!this.stopping) {
      this.stopping = true;
      this.child.stdout?.resume();
      this.recycleUnconfirmed();
      const terminate = () => this.signal('SIGTERM');
      let termTimer: NodeJS.Timeout | undefined;
      if (this.readsKeys) {
        this.stopStep = 'q';
        this.child.stdin!.end('q');
        termTimer = setTimeout(terminate, graceMs / 2);
      } else {
        terminate();
      }
      const killTimer = setTimeout(() => this.signal('SIGKILL'), graceMs);
      void this.exitPromise.then(() => {
        clearTimeout(termTimer);
        clearTimeout(killTimer);
      });
    }
    await this.exitPromise;
  }

  private signal(step: 'SIGTERM' | 'SIGKILL'): void {
    if (this.finished) return;
    this.stopStep = step;
    this.child.kill(step);
  }

  /**
   * The size of the raw frames, learned after the start (a file probed by ffprobe meanwhile).
   * Frames held until now are cut; showinfo confirms the size of each. Ignored once a size is set.
   */
  setFrameSize(width: number, height: number): void {
    if (this.frameBytes > 0) return;
    this.frameWidth = width;
    this.frameHeight = height;
    this.frameBytes = width * height * 3;
    this.cutPending();
  }

  /** Starts reading the description (and frame size) from ffmpeg's banner, also what it printed so far. */
  useBanner(): void {
    if (this.parseBanner) return;
    this.parseBanner = true;
    this.onStderr('');
  }

  private cutPending(): void {
    const early = this.pendingChunks;
    this.pendingChunks = [];
    for (const chunk of early) if (!this.stopping && !this.faulted) this.cutFrames(chunk);
    if (!this.pausedByOwner && !this.stopping) this.child.stdout?.resume();
  }

  private onStdout(chunk: Buffer): void {
    if (this.stopping || this.faulted) return;
    if (this.frameBytes === 0) {
      // Frames can overtake the banner or ffprobe (separate pipes): hold them until the size is
      // known, and read no more meanwhile so that at most one chunk waits.
      this.pendingChunks.push(chunk);
      this.child.stdout?.pause();
      return;
    }
    this.cutFrames(chunk);
  }

  /** Copies stdout bytes into pooled frame buffers; the hot path of the reader. */
  private cutFrames(chunk: Buffer): void {
    const frameBytes = this.frameBytes;
    let offset = 0;
    while (offset < chunk.length) {
      if (this.current === undefined) {
        this.current = this.buffers.acquire(frameBytes);
        this.filled = 0;
      }
      const n = Math.min(frameBytes - this.filled, chunk.length - offset);
      chunk.copy(this.current, this.filled, offset, offset + n);
      this.filled += n;
      offset += n;
      if (this.filled === frameBytes) {
        this.unconfirmed.push({ data: this.current, capturedAt: Date.now() });
        this.current = undefined;
      }
    }
    this.deliverConfirmed();
  }

  /**
   * Pairs cut frames with showinfo lines in order (one line per frame: `-vsync passthrough`,
   * showinfo last in the graph) and hands on each frame whose line confirms its size.
   */
  private deliverConfirmed(): void {
    while (this.unconfirmed.length > 0 && this.infos.length > 0 && !this.faulted) {
      const info = this.infos.shift()!;
      if (info.width !== this.frameWidth || info.height !== this.frameHeight) {
        this.fault(`the frame size changed from ${this.frameWidth}x${this.frameHeight} to ${info.width}x${info.height} inside one ffmpeg run`);
        return;
      }
      const frame = this.unconfirmed.shift()!;
      this.handlers.onFrame(frame.data, info.ptsTime, frame.capturedAt);
    }
    if (this.unconfirmed.length > MAX_UNCONFIRMED_FRAMES) this.fault(`ffmpeg logged no frame information for ${this.unconfirmed.length} frames`);
  }

  private fault(reason: string): void {
    this.faulted = true;
    this.recycleUnconfirmed();
    this.infos.length = 0;
    this.handlers.onFault(reason);
  }

  private recycleUnconfirmed(): void {
    for (const frame of this.unconfirmed.splice(0)) this.buffers.recycle(frame.data);
    if (this.current !== undefined) this.buffers.recycle(this.current);
    this.current = undefined;
  }

  private onStderr(text: string): void {
    const lines = (this.lineRemainder + text).split('\n');
    this.lineRemainder = lines.pop()!;
    let sawInfo = false;
    for (const line of lines) {
      if (line.startsWith('[Parsed_showinfo')) {
        const info = parseShowinfoLine(line);
        if (info !== undefined) {
          // Exact seconds from the integer timestamp (ffmpeg prints pts_time to 6 digits only).
          if (info.pts !== undefined && this.timeBase !== undefined) info.ptsTime = info.pts * this.timeBase;
          this.infos.push(info);
          sawInfo = true;
        } else {
          this.timeBase = parseShowinfoTimeBase(line) ?? this.timeBase;
        }
        continue;
      }
      this.keepLogLine(line);
    }
    if (!this.described && this.parseBanner) {
      const description = parseStreamBanner(this.banner);
      if (description !== undefined) this.describe(description);
    }
    if (sawInfo && this.frameBytes > 0 && !this.stopping) this.deliverConfirmed();
  }

  private keepLogLine(line: string): void {
    if (!this.sawData && showsIncomingData(line)) {
      this.sawData = true;
      this.handlers.onData();
    }
    if (!this.readsKeys && line.startsWith('Press [q]')) this.readsKeys = true;
    // Only the stream-header lines make the banner: decoder noise (thousands of lines while a
    // stream waits for its keyframe) must not push the output stream's line out of reach.
    if (this.banner.length < HEAD_LIMIT && BANNER_LINE.test(line)) this.banner += `${line}\n`;
    if (this.head.length < HEAD_LIMIT) this.head += `${line}\n`;
    this.tail += `${line}\n`;
    if (this.tail.length > 2 * TAIL_LIMIT) this.tail = this.tail.slice(-TAIL_LIMIT);
  }

  private describe(description: StreamDescription): void {
    this.described = true;
    this.handlers.onDescription(description);
    this.setFrameSize(description.width, description.height);
  }

  private finish(code: number | null, signal: NodeJS.Signals | null, spawnError?: Error): void {
    if (this.finished) return;
    this.finished = true;
    liveChildren.delete(this.child);
    if (this.lineRemainder !== '') this.onStderr('\n');
    if (!this.stopping && this.frameBytes > 0) this.deliverConfirmed();
    // Frames whose line never came cannot be trusted; a partial last frame is no frame.
    this.recycleUnconfirmed();
    const exit: FfmpegExit = { code, signal, stderr: `${this.head}\n…\n${this.tail.slice(-TAIL_LIMIT)}`, described: this.described, stopped: this.stopping };
    if (this.stopping && this.stopStep !== undefined) exit.stopStep = this.stopStep;
    if (spawnError !== undefined) exit.spawnError = spawnError;
    this.handlers.onExit(exit);
    this.resolveExit();
  }
}
