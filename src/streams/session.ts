/**
 * One ffmpeg run of a reader and the moments of its life the reader waits for: the source sends
 * data, the first frame arrives, the run faults (frames can no longer be cut) or exits. Each is
 * an event on a node `EventEmitter` and a flag, so a wait is `events.once(…, { signal })` and
 * never misses a moment that already passed.
 */
import { EventEmitter, once } from 'node:events';
import type { FrameBuffers } from './frame-pool.js';
import { FfmpegProcess, type FfmpegExit } from './ffmpeg-process.js';
import type { StreamDescription } from './probe.js';

/** What a wait on a session waits for. */
export type Milestone = 'data' | 'frame' | 'end';

/** How a wait on a session ended. */
export type SessionOutcome =
  | { kind: 'data' }
  | { kind: 'frame' }
  | { kind: 'fault'; reason: string }
  | { kind: 'exit'; exit: FfmpegExit };

/** What a session hands to its reader for every frame. */
export type SessionFrameHandler = (session: Session, data: Uint8Array, sourcePts: number | undefined, capturedAt: number) => void;

export interface SessionOptions {
  /** Raw frame size fixed in advance (exact scale filter in `args`). */
  frameSize: { width: number; height: number } | undefined;
  /** Read the stream description from ffmpeg's log. */
  parseBanner: boolean;
  buffers: FrameBuffers;
}

export class Session extends EventEmitter {
  readonly proc: FfmpegProcess;
  /** `Date.now()` when the source first sent anything in this run. */
  dataAt: number | undefined;
  gotFrame = false;
  faultReason: string | undefined;
  exitInfo: FfmpegExit | undefined;
  /** The banner's description (live sources), once printed. */
  description: StreamDescription | undefined;
  /** Live clock: smallest (arrival − source timestamp) seen in this run. */
  clockOffset: number | undefined;
  /** Files: seconds to add to this run's timestamps to get the file's (a run started with a seek). */
  ptsOffset = 0;

  constructor(ffmpegPath: string, args: readonly string[], options: SessionOptions, onFrame: SessionFrameHandler) {
    super();
    this.proc = new FfmpegProcess(ffmpegPath, args, options, {
      onData: () => this.markData(),
      onDescription: (description) => {
        this.description = description;
      },
      onFrame: (data, sourcePts, capturedAt) => {
        this.markData();
        if (!this.gotFrame) {
          this.gotFrame = true;
          this.emit('frame');
        }
        onFrame(this, data, sourcePts, capturedAt);
      },
      onFault: (reason) => {
        this.faultReason = reason;
        this.emit('fault');
      },
      onExit: (exit) => {
        this.exitInfo = exit;
        this.emit('exit');
      },
    });
  }

  /**
   * Waits until the run reaches `milestone` (`'frame'` implies `'data'`; `'end'` is only reached
   * by a fault or the exit), faults or exits — whichever comes first, including one that
   * already happened.
   * @throws the signal's reason (an `AbortError`, or a `TimeoutError` from `AbortSignal.timeout`) when `signal` aborts first
   */
  async reach(milestone: Milestone, signal: AbortSignal): Promise<SessionOutcome> {
    const now = this.outcome(milestone);
    if (now !== undefined) return now;
    const settled = new AbortController();
    const combined = AbortSignal.any([signal, settled.signal]);
    const names = milestone === 'end' ? ['fault', 'exit'] : [milestone, 'fault', 'exit'];
    try {
      await Promise.race(names.map((name) => once(this, name, { signal: combined })));
    } finally {
      settled.abort(); // the waits that lost the race
    }
    return this.outcome(milestone)!;
  }

  /** Ends the run gently (see {@link FfmpegProcess.stop}). */
  stop(graceMs: number): Promise<void> {
    return this.proc.stop(graceMs);
  }

  private outcome(milestone: Milestone): SessionOutcome | undefined {
    if (this.faultReason !== undefined) return { kind: 'fault', reason: this.faultReason };
    if (milestone === 'frame' && this.gotFrame) return { kind: 'frame' };
    if (milestone === 'data' && this.dataAt !== undefined) return { kind: 'data' };
    if (this.exitInfo !== undefined) return { kind: 'exit', exit: this.exitInfo };
    return undefined;
  }

  private markData(): void {
    if (this.dataAt !== undefined) return;
    this.dataAt = Date.now();
    this.emit('data');
  }
}
