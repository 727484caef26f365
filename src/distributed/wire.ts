/**
 * The messages a worker sends its job's submitter over the job's Redis stream. Events are
 * buffered and sent as one stream entry per flush (a JSON array), so a busy camera costs one
 * XADD per flush interval, not one per event; a preview travels alone with its pixels as a
 * binary field.
 */
import type { CameraState, JobEvents } from '../pipeline/events.js';

/** The job events a camera produces (the job-level ones — start, progress, done… — are the submitter's own). */
export const FORWARDED_EVENTS = [
  'camera:status',
  'track:new',
  'track:lost',
  'track:removed',
  'identity:assigned',
  'identity:changed',
  'zone:enter',
  'zone:exit',
  'line:cross',
  'warning',
] as const satisfies ReadonlyArray<keyof JobEvents>;

export type ForwardedEvent = (typeof FORWARDED_EVENTS)[number];

/** Which worker process runs a camera. */
export interface WorkerIdentity {
  host: string;
  pid: number;
}

/** A camera's counters for the submitter's progress events. */
export interface CameraSample {
  cameraIndex: number;
  state: CameraState;
  frames: number;
  fps: number;
  position: number;
  activeTracks: number;
  duration?: number;
}

/** One message of a batch. */
export type WireMessage =
  | { k: 'event'; name: ForwardedEvent; payload: unknown }
  /** A worker took a camera (each attempt sends one). */
  | { k: 'taken'; cameraIndex: number; worker: WorkerIdentity; attempt: number; token: string }
  /** The camera's source is open: its frame size, for the submitter's view of the camera. */
  | { k: 'opened'; cameraIndex: number; width: number; height: number; fps: number; codec: string }
  | { k: 'sample'; sample: CameraSample }
  /** The camera's job has ended in BullMQ (completed or failed): the submitter re-checks its flow now. */
  | { k: 'settled'; cameraIndex: number };

/** Field names of a stream entry. */
export const FIELD = {
  /** A JSON array of {@link WireMessage}. */
  batch: 'm',
  /** A preview's JSON metadata (cameraIndex, frameIndex, width, height, pixelFormat). */
  preview: 'p',
  /** A preview's packed pixels (3 bytes each). */
  pixels: 'b',
} as const;

/** Metadata of a preview entry. */
export interface PreviewMeta {
  cameraIndex: number;
  frameIndex: number;
  width: number;
  height: number;
  pixelFormat: 'rgb24' | 'bgr24';
}
