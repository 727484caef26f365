/**
 * Frame timestamps: one clock per reader, fed each frame's source timestamp (from showinfo).
 *
 * - {@link FileTimeline}: the decoder's presentation times, minus the first frame's — exact on
 *   variable-frame-rate files, continuous across a run resumed with a seek.
 * - {@link LiveClock}: the source's own timestamps (steady, free of delivery jitter) mapped onto
 *   the reader's clock (seconds since its time origin), re-anchored when the source clock jumps
 *   (a camera restarted), never going back.
 */
import type { Session } from './session.js';

/** Live clock: a gap of more than this between source time and arrival means the source clock jumped. */
const CLOCK_RESYNC_SECONDS = 1;

/** Timestamps of a file's frames. */
export class FileTimeline {
  private first: number | undefined;
  private lastTime: number | undefined;
  private lastPts = -Infinity;
  private firstArrival: number | undefined;

  /** @param fps nominal rate, for the rare frame without a timestamp */
  constructor(private readonly fps: () => number) {}

  /** Time in the file (seconds from its start) of the last frame with a timestamp, where a resumed run starts. */
  get lastFileTime(): number | undefined {
    return this.lastTime;
  }

  /** `sourcePts` is the frame's time in its run; `session.ptsOffset` where that run started in the file. */
  pts(session: Session, sourcePts: number | undefined, capturedAt: number): number {
    this.firstArrival ??= capturedAt;
    let pts: number;
    if (sourcePts !== undefined) {
      const time = sourcePts + session.ptsOffset;
      this.first ??= time;
      this.lastTime = time;
      pts = time - this.first;
    } else {
      // No timestamp: one nominal interval after the previous frame (or wall time without a rate).
      const fps = this.fps();
      pts = this.lastPts === -Infinity ? 0 : fps > 0 ? this.lastPts + 1 / fps : (capturedAt - this.firstArrival) / 1000;
    }
    this.lastPts = pts;
    return pts;
  }
}

/** Timestamps of a live source's frames, in seconds since the reader's time origin. */
export class LiveClock {
  private lastPts = -Infinity;

  /** @param origin `Date.now()` at time 0 (shared by the cameras of a MultiStreamReader) */
  constructor(private readonly origin: number) {}

  pts(session: Session, sourcePts: number | undefined, capturedAt: number): number {
    const arrival = (capturedAt - this.origin) / 1000;
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
}
