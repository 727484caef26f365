/**
 * Encodes raw frames to an MP4 that browsers play: H.264 (libx264), yuv420p, constant frame
 * rate, `moov` atom first (`-movflags +faststart`). One ffmpeg process per file reads the
 * frames from its stdin.
 *
 * Lifetime of the ffmpeg child: {@link VideoWriter.close} ends its input and waits for the
 * finished file (also what a cancelled job does, so the partial video stays playable);
 * {@link VideoWriter.kill} stops it hard. It runs in its own process group so a Ctrl-C in
 * the terminal reaches the host, which decides, rather than ffmpeg; and a process 'exit'
 * hook kills any writer the host forgot. If the host dies outright, ffmpeg reads end-of-input
 * on its stdin, finishes the file and exits by itself.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError, OutputError } from '../errors.js';
import { resolveFfmpegPath } from '../streams/ffmpeg-path.js';

/** Layout of the bytes given to {@link VideoWriter.write}. */
export type WriterPixelFormat = 'rgba' | 'rgb24' | 'bgr24';

/** libx264 presets, fastest first. */
export const X264_PRESETS = ['ultrafast', 'superfast', 'veryfast', 'faster', 'fast', 'medium', 'slow', 'slower', 'veryslow'] as const;
export type X264Preset = (typeof X264_PRESETS)[number];

/** Options of {@link VideoWriter.open}. */
export interface VideoWriterOptions {
  /** Frame width in pixels. An odd width is padded by one black column (yuv420p needs even sizes). */
  width: number;
  /** Frame height in pixels. An odd height is padded by one black row. */
  height: number;
  /**
   * Frames per second of the output, normally the source's. Every written frame becomes one
   * output frame at this constant rate. NTSC rates such as 29.97 are written as 30000/1001.
   */
  fps: number;
  /** Layout of the frames given to `write()`: `rgba` is what `FrameAnnotator.annotate` returns. */
  inputPixelFormat: WriterPixelFormat;
  /**
   * libx264 speed/size trade-off. Measured on 200 frames of 640x360 people footage at CRF 23
   * (ffmpeg CPU time per frame, file size): `ultrafast` 9.2 ms, 2.07 MB; `superfast` 4.6 ms,
   * 1.10 MB; `veryfast` 6.3 ms, 0.65 MB. `ultrafast` loses on both counts here (no CABAC,
   * AQ or mbtree: many more bits to code); `superfast` saves about a quarter of the encoder's
   * CPU for files 1.7x larger. The encoder runs in its own process, beside inference.
   * @default 'veryfast'
   */
  preset?: X264Preset;
  /**
   * Constant rate factor, 0 (lossless) to 51 (worst). Each +6 roughly halves the size.
   * @default 23
   */
  crf?: number;
  /** ffmpeg binary; otherwise MULTICAM_REID_FFMPEG, then the build bundled by `@ffmpeg-installer/ffmpeg`. */
  ffmpegPath?: string;
  /**
   * Aborting finalises the file as `close()` does (the video written so far stays playable);
   * `write()` rejects afterwards. Already aborted: `open()` rejects with code `ABORTED`.
   */
  signal?: AbortSignal;
  /**
   * How long `kill()` waits after SIGTERM before SIGKILL, in milliseconds.
   * @default 2000
   */
  killGraceMs?: number;
}

/** What {@link VideoWriter.close} resolves to. */
export interface VideoWriterResult {
  /** Frames written, hence frames in the file. */
  frames: number;
  /** Absolute path of the MP4. */
  path: string;
}

/** Characters of ffmpeg's stderr kept for error messages. */
const STDERR_TAIL_CHARS = 4000;
const DEFAULT_KILL_GRACE_MS = 2000;
/** writeAt() repeats one frame for at most this long (a camera down for hours adds 10 minutes, not hours). */
const MAX_REPEAT_SECONDS = 600;

/** Every ffmpeg a writer started and that has not exited yet, for the exit hook. */
const liveChildren = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // 'exit' handlers must be synchronous: a signal is all that can be done here.
  process.on('exit', () => {
    for (const child of liveChildren) child.kill('SIGKILL');
  });
}

/** Streams raw frames into one H.264 MP4 file through ffmpeg. */
export class VideoWriter {
  /** Absolute path of the MP4 being written. */
  readonly path: string;
  /** Width of the frames `write()` takes (the file is one pixel wider when this is odd). */
  readonly width: number;
  /** Height of the frames `write()` takes (the file is one pixel taller when this is odd). */
  readonly height: number;
  private readonly child: ChildProcess;
  private readonly frameBytes: number;
  private readonly killGraceMs: number;
  private readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private hasExited = false;
  private stderrTail = '';
  private frames = 0;
  private repeated = 0;
  /** Timed writing ({@link writeAt}): the latest frame, written once the next one tells how long it lasts. */
  private held: { data: Uint8Array; slot: number } | undefined;
  private firstPts: number | undefined;
  private readonly fps: number;
  private state: 'open' | 'closing' | 'killed' = 'open';
  private closing?: Promise<VideoWriterResult>;
  /** Rejecters of writes still in flight, failed at once if ffmpeg exits under them. */
  private readonly pendingWrites = new Set<(error: Error) => void>();
  private killing?: Promise<void>;
  private readonly onAbort = (): void => {
    this.close().catch(() => undefined); // the caller's own close() reports the outcome
  };
  private readonly signal?: AbortSignal;

  private constructor(child: ChildProcess, file: string, options: VideoWriterOptions) {
    this.child = child;
    this.path = file;
    this.width = options.width;
    this.height = options.height;
    this.frameBytes = options.width * options.height * (options.inputPixelFormat === 'rgba' ? 4 : 3);
    this.killGraceMs = options.killGraceMs ?? DEFAULT_KILL_GRACE_MS;
    this.fps = options.fps;
    if (options.signal !== undefined) this.signal = options.signal;

    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => {
      this.stderrTail = (this.stderrTail + chunk).slice(-STDERR_TAIL_CHARS);
    });
    // EPIPE when ffmpeg dies, or a failed kill: reported through write()/close()/the exit
    // status, never as an uncaught 'error' event.
    child.stdin!.on('error', () => undefined);
    child.on('error', () => undefined);
    this.exited = new Promise((resolve) => {
      child.once('close', (code, signal) => {
        this.hasExited = true;
        liveChildren.delete(child);
        for (const reject of this.pendingWrites) reject(new Error('ffmpeg exited'));
        this.pendingWrites.clear();
        this.signal?.removeEventListener('abort', this.onAbort);
        resolve({ code, signal });
      });
    });
    this.signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  /**
   * Validates the options, creates the output folder and starts ffmpeg.
   * @throws ConfigError `INVALID_OPTION` for a bad size, fps, preset or crf (before anything
   *   starts); `FFMPEG_FAILED` when no ffmpeg is found (StreamError) or it cannot start
   *   (OutputError); OutputError `OUTPUT_FAILED` when the folder cannot be created, `ABORTED`
   *   when the signal is already aborted.
   */
  static async open(file: string, options: VideoWriterOptions): Promise<VideoWriter> {
    const args = buildFfmpegArgs(path.resolve(file), options);
    const ffmpeg = resolveFfmpegPath(options.ffmpegPath);
    if (options.signal?.aborted) throw new OutputError('ABORTED', `video ${file} not started: the job was already cancelled`, { culprit: file });
    const absolute = path.resolve(file);
    try {
      await mkdir(path.dirname(absolute), { recursive: true });
    } catch (cause) {
      throw new OutputError('OUTPUT_FAILED', `cannot create the folder of ${absolute}: ${(cause as Error).message}`, { culprit: absolute, cause });
    }
    // detached: own process group, so a terminal Ctrl-C does not stop ffmpeg behind our back.
    const child = spawn(ffmpeg, args, { stdio: ['pipe', 'ignore', 'pipe'], detached: true });
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', (cause) => reject(new OutputError('FFMPEG_FAILED', `cannot start ffmpeg (${ffmpeg}) for ${absolute}: ${cause.message}`, { culprit: ffmpeg, cause })));
    });
    installExitHook();
    liveChildren.add(child);
    return new VideoWriter(child, absolute, options);
  }

  /** Frames accepted so far (repeats written by {@link writeAt} included). */
  get framesWritten(): number {
    return this.frames;
  }

  /** The pts of the first frame given to {@link writeAt}: the video's time 0 (0 before any). */
  get startTime(): number {
    return this.firstPts ?? 0;
  }

  /** Extra copies {@link writeAt} wrote to keep the timeline (frames dropped or late in the source). */
  get framesRepeated(): number {
    return this.repeated;
  }

  /**
   * Queues a frame shown from time `pts` (seconds; the first frame's pts is the video's start)
   * until the next frame's: the file keeps its constant frame rate *and* the source's timeline
   * when a live source dropped frames, stalled, or a file's frame rate varies — a frame is
   * repeated for as many output slots as it lasts (SPEC §5). So a frame at time `t` is shown
   * at `t − firstPts` in the video. Every frame is shown at least once.
   *
   * The writer holds the latest frame until the next `writeAt` (or `close`) tells how long it
   * lasts: keep its bytes unchanged until that call has resolved.
   * @throws OutputError as {@link write}; ConfigError for a non-finite pts.
   */
  async writeAt(data: Uint8Array, pts: number): Promise<void> {
    if (!Number.isFinite(pts)) throw new ConfigError('INVALID_OPTION', `writeAt(): pts must be a finite number of seconds, got ${String(pts)}`, { culprit: 'pts' });
    this.checkWritable(data);
    this.firstPts ??= pts;
    const held = this.held;
    const slot = Math.max(held === undefined ? 0 : held.slot + 1, Math.round((pts - this.firstPts) * this.fps));
    if (held !== undefined) {
      const copies = Math.min(slot - held.slot, MAX_REPEAT_SECONDS * this.fps);
      for (let i = 0; i < copies; i++) await this.write(held.data);
      this.repeated += copies - 1;
    }
    this.held = { data, slot };
  }

  /** Process id of the ffmpeg child (for diagnostics). */
  get pid(): number | undefined {
    return this.child.pid;
  }

  /**
   * Queues one frame (exactly `width * height * bytesPerPixel` bytes, in `inputPixelFormat`).
   * Resolves once every byte has been handed to ffmpeg's stdin pipe (after any wait for
   * 'drain'), so a caller that awaits each write holds at most one frame in flight, follows
   * the encoder's pace, and may reuse the buffer afterwards. Call it sequentially.
   * @throws OutputError `OUTPUT_FAILED` when the size is wrong, the writer is closed, or
   *   ffmpeg has died (the message carries the end of its stderr).
   */
  async write(data: Uint8Array): Promise<void> {
    this.checkWritable(data);
    await this.push(data);
  }

  private checkWritable(data: Uint8Array): void {
    if (this.state === 'killed') throw this.failure(`cannot write a frame to ${this.path}: the writer was killed`);
    if (this.state === 'closing') throw this.failure(`cannot write a frame to ${this.path}: the writer is already closed`);
    if (this.hasExited) throw this.failure(`cannot write a frame to ${this.path}: ffmpeg has exited`);
    if (data.length !== this.frameBytes) {
      throw new OutputError('OUTPUT_FAILED', `frame for ${this.path} has ${data.length} bytes; expected ${this.frameBytes} (${this.width}x${this.height})`, { culprit: this.path });
    }
  }

  private async push(data: Uint8Array): Promise<void> {
    const stdin = this.child.stdin!;
    try {
      await new Promise<void>((resolve, reject) => {
        this.pendingWrites.add(reject);
        // The callback runs once the chunk has left Node's buffer, after any 'drain' wait.
        stdin.write(data, (error) => {
          this.pendingWrites.delete(reject);
          if (error) reject(error);
          else resolve();
        });
      });
    } catch (cause) {
      throw this.failure(`frame not written to ${this.path}: ffmpeg stopped reading its input`, cause);
    }
    this.frames++;
  }

  /**
   * Ends the input and waits for ffmpeg to finish the file (moov atom first). Prompt: nothing
   * waits for more frames. Safe to call several times; every call gets the same result.
   * @throws OutputError `OUTPUT_FAILED` when ffmpeg fails or was killed.
   */
  close(): Promise<VideoWriterResult> {
    if (this.closing === undefined) {
      this.closing = this.finish();
      this.closing.catch(() => undefined); // handled by whoever awaits close()
    }
    return this.closing;
  }

  /** Stops ffmpeg hard (SIGTERM, SIGKILL after the grace period); resolves once it is gone. The file may be unplayable. */
  kill(): Promise<void> {
    if (this.killing === undefined) this.killing = this.terminate();
    return this.killing;
  }

  private async finish(): Promise<VideoWriterResult> {
    const held = this.held;
    this.held = undefined;
    // The frame held by writeAt() lasts one slot: nothing follows it.
    if (held !== undefined && this.state === 'open' && !this.hasExited) await this.push(held.data).catch(() => undefined);
    if (this.state === 'open') this.state = 'closing';
    this.child.stdin!.end();
    const { code, signal } = await this.exited;
    if (this.state === 'killed') throw this.failure(`${this.path} was not finalised: the writer was killed`);
    if (code !== 0) throw this.failure(`ffmpeg could not finish ${this.path} (${signal === null ? `exit code ${code}` : `killed by ${signal}`})`);
    return { frames: this.frames, path: this.path };
  }

  private async terminate(): Promise<void> {
    if (this.hasExited) return;
    if (this.state !== 'closing') this.state = 'killed';
    // End-of-input as well: ffmpeg blocked on a read only notices SIGTERM once the read returns.
    this.child.stdin!.destroy();
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), this.killGraceMs);
    try {
      await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  /** An OUTPUT_FAILED error carrying the end of ffmpeg's stderr, where the real reason usually is. */
  private failure(message: string, cause?: unknown): OutputError {
    const tail = this.stderrTail.trim();
    return new OutputError('OUTPUT_FAILED', tail === '' ? message : `${message}; ffmpeg said: ${tail}`, {
      culprit: this.path,
      ...(cause === undefined ? {} : { cause }),
    });
  }
}

/**
 * The ffmpeg argv for one output (exported for tests and diagnostics). Validates the options.
 * @throws ConfigError `INVALID_OPTION` naming the bad option.
 */
export function buildFfmpegArgs(absolutePath: string, options: VideoWriterOptions): string[] {
  const { width, height, fps, inputPixelFormat } = options;
  const preset = options.preset ?? 'veryfast';
  const crf = options.crf ?? 23;
  for (const [name, value] of [['width', width], ['height', height]] as const) {
    if (!Number.isInteger(value) || value < 2 || value > 16384) invalid(name, `an integer from 2 to 16384 pixels, got ${value}`);
  }
  if (!(Number.isFinite(fps) && fps > 0 && fps <= 1000)) invalid('fps', `a number above 0 and at most 1000, got ${fps}`);
  if (!['rgba', 'rgb24', 'bgr24'].includes(inputPixelFormat)) invalid('inputPixelFormat', `'rgba', 'rgb24' or 'bgr24', got ${String(inputPixelFormat)}`);
  if (!(X264_PRESETS as readonly string[]).includes(preset)) invalid('preset', `one of ${X264_PRESETS.join(', ')}, got ${String(preset)}`);
  if (!(Number.isFinite(crf) && crf >= 0 && crf <= 51)) invalid('crf', `a number from 0 to 51, got ${crf}`);
  if (options.killGraceMs !== undefined && !(options.killGraceMs >= 0)) invalid('killGraceMs', `a number of milliseconds >= 0, got ${options.killGraceMs}`);

  const rate = frameRateArg(fps);
  const padToEven = width % 2 !== 0 || height % 2 !== 0;
  return [
    '-hide_banner', '-loglevel', 'error', '-nostats',
    '-f', 'rawvideo', '-pix_fmt', inputPixelFormat, '-video_size', `${width}x${height}`, '-framerate', rate,
    '-i', 'pipe:0',
    ...(padToEven ? ['-vf', 'pad=ceil(iw/2)*2:ceil(ih/2)*2'] : []),
    '-an', '-c:v', 'libx264', '-preset', preset, '-crf', String(crf), '-pix_fmt', 'yuv420p', '-r', rate,
    '-movflags', '+faststart',
    // 'file:' so a name containing ':' is never taken for a protocol.
    '-f', 'mp4', '-y', `file:${absolutePath}`,
  ];
}

/** fps as ffmpeg reads it exactly: integers as is, NTSC rates as N*1000/1001, others as decimals. */
export function frameRateArg(fps: number): string {
  if (Number.isInteger(fps)) return String(fps);
  const ntsc = (fps * 1001) / 1000;
  if (Math.abs(ntsc - Math.round(ntsc)) < 1e-3) return `${Math.round(ntsc) * 1000}/1001`;
  return String(fps);
}

function invalid(option: string, expectation: string): never {
  throw new ConfigError('INVALID_OPTION', `VideoWriter option ${option} must be ${expectation}`, { culprit: option });
}
