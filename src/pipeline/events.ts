/**
 * The typed events of a processing job and the result it resolves to.
 * Subscribe with `job.on('zone:enter', (e) => …)`; every payload names its camera.
 */
import type { MulticamReidError } from '../errors.js';

/** Final state of a job. */
export type JobStatus = 'completed' | 'cancelled' | 'failed';

/** Connection state of one camera as reported by its reader. */
export type CameraState = 'connecting' | 'connected' | 'stalled' | 'reconnecting' | 'ended' | 'failed';

/** Emitted once the sources are open and the output folder exists. */
export interface JobStartEvent {
  jobId: string;
  sources: string[];
  outputDir: string;
  cameras: Array<{ cameraIndex: number; source: string; width: number; height: number; fps: number; codec: string }>;
}

/** A camera's stream changed state (connected, stalled, reconnecting, reconnected, ended, failed). */
export interface CameraStatusEvent {
  cameraIndex: number;
  source: string;
  state: CameraState;
  /** The reader's own event name, e.g. 'reconnected'. */
  reason: string;
  message?: string;
}

/** Per-camera counters inside a {@link ProgressEvent}. */
export interface CameraProgress {
  cameraIndex: number;
  source: string;
  state: CameraState;
  /** Frames processed so far. */
  frames: number;
  /** Processing rate over the last progress interval, frames per second. */
  fps: number;
  /** Presentation time of the last processed frame, seconds. */
  position: number;
  /** Duration of the source when known (files), seconds. */
  duration?: number;
  /** Confirmed tracks currently visible. */
  activeTracks: number;
}

/** Emitted every `processing.progressInterval` seconds. */
export interface ProgressEvent {
  jobId: string;
  elapsedSeconds: number;
  /** Frames per second over all cameras. */
  totalFps: number;
  cameras: CameraProgress[];
}

/** A track was confirmed, lost its detection, or was removed. */
export interface TrackEvent {
  cameraIndex: number;
  trackId: number;
  globalId?: number;
  frameIndex: number;
  /** Presentation time, seconds. */
  timestamp: number;
}

/** A track received a global identity, or switched to another one. */
export interface IdentityEvent {
  cameraIndex: number;
  trackId: number;
  globalId: number;
  previousGlobalId?: number;
  similarity: number;
  /** Name of the matching reference person, when there is one. */
  name?: string;
  frameIndex: number;
  timestamp: number;
}

/** A track entered or left a zone. */
export interface ZoneCrossingEvent {
  cameraIndex: number;
  zone: string;
  trackId: number;
  globalId?: number;
  frameIndex: number;
  timestamp: number;
  /** Seconds spent inside, on exit. */
  dwell?: number;
  /** Tracks inside the zone after this event. */
  occupancy: number;
}

/** Something went wrong that did not stop the job. */
export interface WarningEvent {
  message: string;
  cameraIndex?: number;
  code?: string;
}

/** A small annotated preview of a camera, emitted when `previewInterval` is set. */
export interface PreviewEvent {
  cameraIndex: number;
  frameIndex: number;
  width: number;
  height: number;
  /** RGBA pixels of the annotated frame (valid only during the listener call). */
  rgba: Uint8Array;
}

/** What one camera produced. */
export interface CameraResult {
  cameraIndex: number;
  source: string;
  status: JobStatus;
  /** Frames processed. */
  frames: number;
  /** Frames on which the detector ran. */
  detectedFrames: number;
  /** Detections over all processed frames. */
  detections: number;
  /** Distinct confirmed local tracks. */
  tracks: number;
  /** Distinct global identities seen by this camera. */
  globalIds: number[];
  /** Frames the reader dropped to stay fresh (live sources). */
  droppedFrames: number;
  videoPath?: string;
  csvPath: string;
  zonesPath: string;
  error?: { code: string; message: string };
}

/** Milliseconds spent per stage, summed over cameras. */
export interface StageTimings {
  read: number;
  detect: number;
  track: number;
  reid: number;
  identity: number;
  zones: number;
  annotate: number;
  encode: number;
  csv: number;
}

/** What `job.result` resolves to. It always resolves; failures are described, not thrown. */
export interface JobResult {
  jobId: string;
  status: JobStatus;
  /** The job folder `multi_stream_{YYYY-MM-DD-HH-MM}`, when it was created. */
  outputDir?: string;
  /** The ZIP of the job folder, when written. */
  zipPath?: string;
  /** Copy of camera 0's video at `outputVideoPath`, for single-camera jobs that asked for it. */
  outputVideoPath?: string;
  cameras: CameraResult[];
  /** Distinct global identities over the whole job. */
  identities: number;
  startedAt: string;
  endedAt: string;
  elapsedSeconds: number;
  stages: StageTimings;
  warnings: string[];
  /** Why the job stopped: 'end-of-input', 'max-duration', 'cancelled' or 'error'. */
  stopReason: 'end-of-input' | 'max-duration' | 'cancelled' | 'error';
  error?: { code: string; message: string };
}

/** The event map of a {@link Job} (typed-emitter over eventemitter3). */
export type JobEvents = {
  start: (event: JobStartEvent) => void;
  'camera:status': (event: CameraStatusEvent) => void;
  progress: (event: ProgressEvent) => void;
  'track:new': (event: TrackEvent) => void;
  'track:lost': (event: TrackEvent) => void;
  'track:removed': (event: TrackEvent) => void;
  'identity:assigned': (event: IdentityEvent) => void;
  'identity:changed': (event: IdentityEvent) => void;
  'zone:enter': (event: ZoneCrossingEvent) => void;
  'zone:exit': (event: ZoneCrossingEvent) => void;
  preview: (event: PreviewEvent) => void;
  warning: (event: WarningEvent) => void;
  done: (result: JobResult) => void;
  cancelled: (result: JobResult) => void;
  error: (error: MulticamReidError, result: JobResult) => void;
};
