/**
 * One ffmpeg child decoding one source to raw frames on stdout.
 *
 * It cuts stdout into frames of `width × height × 3` bytes (each frame gets a buffer of its own:
 * a delivered frame is never overwritten), reads the stream description and per-frame
 * timestamps from stderr, pauses the pipe on request (backpressure) and stops the child with
 * SIGTERM then SIGKILL. Every child ever spawned is also killed when Node exits, so no ffmpeg
 * outlives the host process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { parseShowinfoLine, parseStreamBanner, type FrameTiming, type StreamDescription } from './probe.js';

/** What the owner of an {@link FfmpegProcess} hears from it. */
export interface FfmpegProcessHandlers {
  /** The stream description was printed; frames follow. Called at most once. */
  onDescription(description: StreamDescription): void;
  /**
   * A complete frame. `sourcePts` is the source timestamp in seconds when frame timestamps were
   * requested (and ffmpeg logged one), else undefined. `capturedAt` is `Date.now()` when the
   * last byte of the frame arrived.
   */
  onFrame(data: Uint8Array, sourcePts: number | undefined, capturedAt: number): void;
  /** The child is gone and its pipes are drained. Called exactly once. */
  onExit(exit: FfmpegExit): void;
}

/** How an ffmpeg child ended. */
export interface FfmpegExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The start of the log (banner) followed by its most recent part. */
  stderr: string;
  /** Whether the stream description had been printed, i.e. the source was readable. */
  described: boolean;
  /** True when {@link FfmpegProcess.stop} ended it. */
  stopped: boolean;
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

/** Bytes of stderr kept before the banner is complete / after it (a rolling tail). */
const BANNER_LIMIT = 64 * 1024;
const TAIL_LIMIT = 8 * 1024;
/** Frames held waiting for their showinfo line before giving up on pairing them. */
const MAX_UNTIMED_FRAMES = 8;

export class FfmpegProcess {
  private readonly child: ChildProcess;
  private description: StreamDescription | undefined;
  private frameBytes = 0;
  private banner = '';
  private tail = '';
  private lineRemainder = '';
  private pendingChunks: Buffer[] = [];
  private current: Buffer | undefined;
  private filled = 0;
  private framesCompleted = 0;
  private readonly timings: FrameTiming[] = [];
  private readonly untimed: Array<{ data: Uint8Array; capturedAt: number; n: number }> = [];
  private stopping = false;
  private finished = false;
  private readonly exitPromise: Promise<void>;
  private resolveExit!: () => void;

  /**
   * Spawns `ffmpegPath args…` directly (no shell).
   * @param frameTimestamps whether `args` make ffmpeg log `showinfo` lines to pair with frames
   */
  constructor(
    ffmpegPath: string,
    args: readonly string[],
    private readonly frameTimestamps: boolean,
    private readonly handlers: FfmpegProcessHandlers,
  ) {
    this.exitPromise = new Promise((resolve) => (this.resolveExit = resolve));
    this.child = spawn(ffmpegPath, args, { stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true });
    trackChild(this.child);
    const stdout = this.child.stdout!;
    const stderr = this.child.stderr!;
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
    if (!this.stopping) this.child.stdout?.pause();
  }

  resume(): void {
    this.child.stdout?.resume();
  }

  /**
   * Ends the child: SIGTERM, then SIGKILL after `graceMs`. Resolves only when it has exited.
   * Output arriving meanwhile is discarded (and stdout is drained so a paused ffmpeg is not
   * stuck in a write and can see the signal).
   */
  async stop(graceMs: number): Promise<void> {
    if (this.finished) return;
    this.stopping = true;
    this.child.stdout?.resume();
    this.child.kill('SIGTERM');
    // ffmpeg blocked in a stalled network read ignores one SIGTERM but exits at once on the
    // fourth signal ("hard exiting"); repeat it, and SIGKILL if even that does not help.
    let signalsSent = 1;
    const repeater = setInterval(() => {
      if (signalsSent++ < 4) this.child.kill('SIGTERM');
    }, Math.max(10, Math.min(150, graceMs / 5)));
    const killer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    try {
      await this.exitPromise;
    } finally {
      clearInterval(repeater);
      clearTimeout(killer);
    }
  }

  private onStdout(chunk: Buffer): void {
    if (this.stopping) return;
    if (this.description === undefined) {
      // Frames can overtake the banner (separate pipes): hold them until the size is known.
      this.pendingChunks.push(chunk);
      return;
    }
    this.cutFrames(chunk);
  }

  /** Copies stdout bytes into per-frame buffers; the hot path of the reader. */
  private cutFrames(chunk: Buffer): void {
    const frameBytes = this.frameBytes;
    let offset = 0;
    while (offset < chunk.length) {
      if (this.current === undefined) {
        this.current = Buffer.allocUnsafeSlow(frameBytes);
        this.filled = 0;
      }
      const n = Math.min(frameBytes - this.filled, chunk.length - offset);
      chunk.copy(this.current, this.filled, offset, offset + n);
      this.filled += n;
      offset += n;
      if (this.filled === frameBytes) {
        const buffer = this.current;
        this.current = undefined;
        this.completeFrame(new Uint8Array(buffer.buffer, buffer.byteOffset, frameBytes), Date.now());
      }
    }
  }

  private completeFrame(data: Uint8Array, capturedAt: number): void {
    const n = this.framesCompleted++;
    if (!this.frameTimestamps) {
      this.handlers.onFrame(data, undefined, capturedAt);
      return;
    }
    this.untimed.push({ data, capturedAt, n });
    this.deliverTimedFrames();
  }

  /** Pairs frames with their showinfo timestamps by frame number, in order. */
  private deliverTimedFrames(): void {
    while (this.untimed.length > 0) {
      const frame = this.untimed[0]!;
      while (this.timings.length > 0 && this.timings[0]!.n < frame.n) this.timings.shift();
      const timing = this.timings[0];
      if (timing?.n === frame.n) {
        this.timings.shift();
      } else if (this.untimed.length <= MAX_UNTIMED_FRAMES && !this.finished) {
        return; // its log line has not arrived yet
      }
      this.untimed.shift();
      this.handlers.onFrame(frame.data, timing?.n === frame.n ? timing.ptsTime : undefined, frame.capturedAt);
    }
  }

  private onStderr(text: string): void {
    if (this.description === undefined) {
      if (this.banner.length < BANNER_LIMIT) this.banner += text;
      const description = parseStreamBanner(this.banner);
      if (description !== undefined) this.describe(description);
    } else {
      this.tail = (this.tail + text).slice(-TAIL_LIMIT);
    }
    if (!this.frameTimestamps) return;
    const lines = (this.lineRemainder + text).split('\n');
    this.lineRemainder = lines.pop()!;
    let sawTiming = false;
    for (const line of lines) {
      const timing = parseShowinfoLine(line);
      if (timing !== undefined) {
        this.timings.push(timing);
        sawTiming = true;
      }
    }
    if (sawTiming && this.description !== undefined) this.deliverTimedFrames();
  }

  private describe(description: StreamDescription): void {
    this.description = description;
    this.frameBytes = description.width * description.height * 3;
    this.handlers.onDescription(description);
    const early = this.pendingChunks;
    this.pendingChunks = [];
    for (const chunk of early) if (!this.stopping) this.cutFrames(chunk);
  }

  private finish(code: number | null, signal: NodeJS.Signals | null, spawnError?: Error): void {
    if (this.finished) return;
    this.finished = true;
    liveChildren.delete(this.child);
    if (!this.stopping) this.deliverTimedFrames();
    this.untimed.length = 0;
    this.current = undefined;
    const stderr = this.description === undefined ? this.banner : `${this.banner}\n…\n${this.tail}`;
    const exit: FfmpegExit = { code, signal, stderr, described: this.description !== undefined, stopped: this.stopping };
    if (spawnError !== undefined) exit.spawnError = spawnError;
    this.handlers.onExit(exit);
    this.resolveExit();
  }
}
