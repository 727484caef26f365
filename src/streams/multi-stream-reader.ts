/**
 * MultiStreamReader: one {@link StreamReader} per camera and synchronised frame sets across
 * them, as in the original system: take one frame from every camera's queue, waiting at most
 * `syncTolerance` seconds, and report "no frame set" rather than block on a lagging camera.
 */
import { EventEmitter } from 'eventemitter3';
import { StreamError } from '../errors.js';
import { combinedSize, hstack } from './combine.js';
import type { StreamEvents } from './events.js';
import type { Frame, ImageView } from './frame.js';
import { resolveSyncTolerance, type MultiStreamReaderOptions } from './options.js';
import { StreamReader, type StreamProperties } from './stream-reader.js';
import { parseStreamUrls } from './url.js';

/** One frame from every camera, taken together. */
export interface FrameSet {
  /** `frames[i]` comes from camera `i`. */
  frames: Frame[];
  /** Largest minus smallest `pts` among the frames, in seconds: how far apart in time they are. */
  spread: number;
  /**
   * The cameras side by side (`[cam0 | cam1 | …]`) at the smallest height. Computed on the
   * first call and cached; costs one pass over every pixel.
   */
  combined(): ImageView;
}

/** A snapshot of every camera plus the size of the combined view. */
export interface MultiStreamProperties {
  cameras: StreamProperties[];
  /** Size of {@link FrameSet.combined} (0 before `open()`). */
  combinedWidth: number;
  combinedHeight: number;
  syncTolerance: number;
  /** Complete sets returned by `read()`. */
  framesetsRead: number;
  /** `read()` calls that reported no set because a camera lagged. */
  incompleteReads: number;
  /** Live frames skipped to bring a lagging camera's frame closer in time to the others. */
  framesSkippedForSync: number;
}

const EVENT_NAMES = ['connected', 'waiting', 'stalled', 'reconnecting', 'reconnected', 'ended', 'error'] as const;

/**
 * Reads several sources at once.
 *
 * @example
 * const multi = new MultiStreamReader('udp://127.0.0.1:1905, udp://127.0.0.1:1906');
 * await multi.open();
 * for await (const set of multi) {
 *   console.log(set.frames.length, set.spread);
 *   for (const frame of set.frames) frame.release();
 * }
 * await multi.release();
 */
export class MultiStreamReader extends EventEmitter<StreamEvents> {
  /** One reader per camera, in source order; drive them directly to process cameras independently. */
  readonly readers: readonly StreamReader[];
  readonly syncTolerance: number;
  /** Frames taken from a camera while another lagged, kept for the next `read()`. */
  private readonly held: Array<Frame | null>;
  private openPromise: Promise<MultiStreamProperties> | undefined;
  private framesetsRead = 0;
  private incompleteReads = 0;
  private skippedForSync = 0;

  /**
   * @param sources a list of sources, or one string of comma/newline-separated sources
   * @throws StreamError `INVALID_URL` for a bad or empty source list
   * @throws ConfigError `INVALID_OPTION` for a bad option
   */
  constructor(sources: readonly string[] | string, options: MultiStreamReaderOptions = {}) {
    super();
    const list = typeof sources === 'string' ? parseStreamUrls(sources) : sources;
    if (!Array.isArray(list) || list.length === 0) {
      throw new StreamError('INVALID_URL', 'MultiStreamReader needs at least one source (a list, or "url1, url2")');
    }
    this.syncTolerance = resolveSyncTolerance(options.syncTolerance);
    const { syncTolerance: _unused, ...readerOptions } = options;
    // One clock for all cameras so that live timestamps are comparable across them.
    const timeOrigin = Date.now();
    this.readers = list.map((source, cameraIndex) => new StreamReader(source, { useFfmpegForUdp: true, ...readerOptions, cameraIndex, timeOrigin }));
    this.held = this.readers.map(() => null);
    for (const reader of this.readers) {
      for (const name of EVENT_NAMES) this.forward(reader, name);
    }
  }

  /** True once every camera has ended and been drained. */
  get ended(): boolean {
    return this.readers.every((r) => r.ended);
  }

  /** True once some camera has ended for good: no complete frame set can form any more. */
  get exhausted(): boolean {
    return this.readers.some((r, i) => r.ended && this.held[i] === null);
  }

  /**
   * Opens every camera in parallel. If one fails, all are released and its error is thrown
   * (its message names the source). Calling it again returns the same promise.
   */
  open(signal?: AbortSignal): Promise<MultiStreamProperties> {
    if (this.openPromise === undefined) {
      this.openPromise = this.doOpen(signal);
      this.openPromise.catch(() => {});
    }
    return this.openPromise;
  }

  private async doOpen(signal?: AbortSignal): Promise<MultiStreamProperties> {
    try {
      await Promise.all(this.readers.map((r) => r.open(signal)));
    } catch (error) {
      await this.release();
      throw error;
    }
    return this.getProperties();
  }

  /**
   * One frame from every camera. Waits at most `syncTolerance` seconds (for all cameras
   * together); if a camera has nothing by then, resolves `null` — frames already taken from the
   * other cameras are kept for the next call. For live cameras whose frame is older than the
   * newest one in the set, fresher buffered frames replace it so the set is close in time.
   * Also `null` once {@link exhausted}.
   */
  async read(): Promise<FrameSet | null> {
    await Promise.all(
      this.readers.map(async (reader, i) => {
        if (this.held[i] === null && !reader.ended) this.held[i] = await reader.read(this.syncTolerance);
      }),
    );
    if (this.held.some((f) => f === null)) {
      this.incompleteReads++;
      return null;
    }
    this.alignLiveFrames();
    const frames = this.held.slice() as Frame[];
    this.held.fill(null);
    this.framesetsRead++;
    return makeFrameSet(frames);
  }

  /**
   * Iterates frame sets until {@link exhausted}, skipping "no frame set" results, opening every
   * camera first if needed (an open that fails throws here). Leaving the loop early (`break`,
   * `throw`) releases every camera.
   */
  async *[Symbol.asyncIterator](): AsyncGenerator<FrameSet, void, undefined> {
    let finished = false;
    try {
      await this.open();
      while (!this.exhausted) {
        const set = await this.read();
        if (set !== null) yield set;
      }
      finished = true;
    } finally {
      if (!finished) await this.release();
    }
  }

  /** Per-camera properties and the combined view's size. */
  getProperties(): MultiStreamProperties {
    const cameras = this.readers.map((r) => r.getProperties());
    const opened = cameras.filter((c) => c.height > 0);
    const combined = opened.length === cameras.length ? combinedSize(cameras) : { width: 0, height: 0 };
    return {
      cameras,
      combinedWidth: combined.width,
      combinedHeight: combined.height,
      syncTolerance: this.syncTolerance,
      framesetsRead: this.framesetsRead,
      incompleteReads: this.incompleteReads,
      framesSkippedForSync: this.skippedForSync,
    };
  }

  /** Releases every camera (and the frames held for the next set); resolves when all their ffmpeg processes are gone. Idempotent. */
  async release(): Promise<void> {
    for (const frame of this.held) frame?.release();
    this.held.fill(null);
    await Promise.all(this.readers.map((r) => r.release()));
  }

  /** Re-emits one event of a camera's reader on this emitter. */
  private forward<E extends keyof StreamEvents>(reader: StreamReader, name: E): void {
    // Every payload has one argument; the generic map cannot express that per event name.
    const emitter = this as unknown as EventEmitter<string>;
    (reader as unknown as EventEmitter<string>).on(name, (event: unknown) => emitter.emit(name, event));
  }

  /** Moves each lagging live camera forward through frames already buffered, never past the newest frame of the set. */
  private alignLiveFrames(): void {
    const newest = Math.max(...this.held.map((f) => f!.pts));
    this.readers.forEach((reader, i) => {
      if (reader.mode !== 'live') return;
      let frame = this.held[i]!;
      const tolerance = this.syncTolerance;
      while (newest - frame.pts > tolerance) {
        const fresher = reader.tryRead();
        if (fresher === null) break;
        frame.release(); // skipped: nobody will see it
        frame = fresher;
        this.skippedForSync++;
      }
      this.held[i] = frame;
    });
  }
}

function makeFrameSet(frames: Frame[]): FrameSet {
  let pmin = Infinity;
  let pmax = -Infinity;
  for (const f of frames) {
    if (f.pts < pmin) pmin = f.pts;
    if (f.pts > pmax) pmax = f.pts;
  }
  let combined: ImageView | undefined;
  return {
    frames,
    spread: pmax - pmin,
    combined: () => (combined ??= hstack(frames)),
  };
}
