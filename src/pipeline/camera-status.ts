/**
 * The one owner of a camera's state during a job. The reader's events, the camera's loop and
 * the job runner write to it; `camera:status` events, progress events, the result and any
 * host (the example server) read from it, so they can never disagree.
 */
import type { CameraState, CameraStatusEvent } from './events.js';

/** States after which a camera delivers nothing more. */
const FINAL: ReadonlySet<CameraState> = new Set(['ended', 'failed']);

export class CameraStatus {
  state: CameraState = 'connecting';
  /** What caused the latest change (the reader's event name, 'removed', 'error'…). */
  reason = 'start';
  message: string | undefined;
  /** Frames processed. */
  frames = 0;
  /** Presentation time of the last processed frame, seconds on the job's clock. */
  position = 0;
  /** Confirmed tracks visible in the last processed frame. */
  activeTracks = 0;
  /** Processing rate over the last progress interval (set by {@link sampleRate}). */
  fps = 0;
  /** Length of the source when known (files), seconds. */
  duration: number | undefined;
  private sampledFrames = 0;
  private sampledAt = Date.now();

  constructor(
    readonly cameraIndex: number,
    /** The source's display form (credentials masked). */
    readonly source: string,
    private readonly onChange: (event: CameraStatusEvent) => void,
    /** Masks credentials in messages (every message leaving the job goes through it). */
    private readonly redact: (text: string) => string = (text) => text,
  ) {}

  /** True once the camera has ended or failed for good. */
  get finished(): boolean {
    return FINAL.has(this.state);
  }

  /** Moves to `state` and emits `camera:status` when the state or its reason changed. A finished camera stays finished. */
  set(state: CameraState, reason: string, message?: string): void {
    if (this.finished) return;
    if (state === this.state && reason === this.reason && (message === undefined ? undefined : this.redact(message)) === this.message) return;
    this.state = state;
    this.reason = reason;
    this.message = message === undefined ? undefined : this.redact(message);
    const event: CameraStatusEvent = { cameraIndex: this.cameraIndex, source: this.source, state, reason };
    if (this.message !== undefined) event.message = this.message;
    this.onChange(event);
  }

  /** Counts one processed frame. */
  frameProcessed(position: number, activeTracks: number): void {
    this.frames++;
    this.position = position;
    this.activeTracks = activeTracks;
  }

  /** Updates {@link fps} from the frames processed since the previous call. */
  sampleRate(now = Date.now()): number {
    const seconds = Math.max(1e-3, (now - this.sampledAt) / 1000);
    this.fps = (this.frames - this.sampledFrames) / seconds;
    this.sampledFrames = this.frames;
    this.sampledAt = now;
    return this.fps;
  }
}
