/**
 * The typed events of a processing job and the result it resolves to.
 * Subscribe with `job.on('zone:enter', (e) => …)`; every payload names its camera.
 */
import type { MulticamReidError } from '../errors.js';

/** Final state of a job. */
export type JobStatus = 'completed' | 'cancelled' | 'failed';

/**
 * State of one camera in a job: `connecting` → `connected` ⇄ `stalled` / `reconnecting`;
 * `waiting` while a live source that was down at the start (or has sent no keyframe yet) is
 * retried; `ended` and `failed` are final. See {@link CameraStatusEvent.reason} for why.
 */
export type CameraState = 'connecting' | 'waiting' | 'connected' | 'stalled' | 'reconnecting' | 'ended' | 'failed';

/**
 * Emitted once the sources are open and the output folder exists. Sources are in their
 * display form (credentials masked). A live camera still waiting for its source has width,
 * height and fps 0 here; its `camera:status` tells when it connects.
 */
export interface JobStartEvent {
  jobId: string;
  sources: string[];
  outputDir: string;
  cameras: Array<{ cameraIndex: number; source: string; width: number; height: number; fps: number; codec: string }>;
}

/** A camera was added to a running job (`job.addSource`) or removed from it (`job.removeSource`). */
export interface CameraMembershipEvent {
  cameraIndex: number;
  /** Display form of the source. */
  source: string;
}

/** A camera's stream changed state (connected, stalled, reconnecting, reconnected, ended, failed). */
export interface CameraStatusEvent {
  cameraIndex: number;
  source: string;
  state: CameraState;
  /** What caused the change: the reader's own event name (e.g. 'reconnected', 'keyframe'), or 'start', 'retrying', 'removed', 'cancelled', 'eof', 'error'. */
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
  /**
   * On exit, why the visit ended: `left` the zone, the track was `removed` by the tracker,
   * `lost` (vanished), or `end` — closed when the camera stopped (counted apart from exits in
   * the zone report).
   */
  reason?: 'left' | 'removed' | 'lost' | 'end';
  /** Tracks inside the zone after this event. */
  occupancy: number;
}

/** A track crossed a counting line (see the zones file's `line:` entries). */
export interface LineCrossingEvent {
  cameraIndex: number;
  line: string;
  /** `in`: from the line's left side to its right, seen from its first point towards its second. */
  direction: 'in' | 'out';
  trackId: number;
  globalId?: number;
  frameIndex: number;
  timestamp: number;
}

/** Something went wrong that did not stop the job. */
export interface WarningEvent {
  message: string;
  cameraIndex?: number;
  code?: string;
}

/** An annotated frame of a camera, emitted every `previewInterval` seconds when it is set. */
export interface PreviewEvent {
  cameraIndex: number;
  frameIndex: number;
  width: number;
  height: number;
  /** Packed pixels of the annotated frame, `width × height × 3` bytes (valid only during the listener call: copy to keep). */
  data: Uint8Array;
  pixelFormat: 'rgb24' | 'bgr24';
}

/** Why a camera stopped: its source ended, the job's max duration, a cancel, `removeSource`, or a failure. */
export type CameraStopReason = 'end-of-input' | 'max-duration' | 'cancelled' | 'removed' | 'error';

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
  /** Why this camera stopped. */
  stopReason: CameraStopReason;
  /**
   * Time (on the job's clock, like the CSV `timestamp`) of the video's first frame: a moment
   * `t` of the CSV or zone report is at `t − videoStartTime` in the MP4. 0 for files.
   */
  videoStartTime: number;
  /** Extra copies of frames the video holds to keep the source's timeline (live drops and outages). */
  framesRepeated: number;
  /** True when the camera saw more global identities than {@link globalIds} lists. */
  globalIdsTruncated?: boolean;
  videoPath?: string;
  csvPath: string;
  zonesPath: string;
  /** `heatmap_{…}.png`: where people stood over the run, over a frame of the camera. */
  heatmapPath?: string;
  error?: { code: string; message: string };
  /** Distributed jobs: the worker process that ran this camera's last attempt. */
  worker?: { host: string; pid: number };
  /** Distributed jobs: how many times a worker started this camera (1 unless a worker died or handed it back). */
  attempts?: number;
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
  /** `identities.json`: per person, the cameras that saw them, when, and their best crop. */
  identitiesPath?: string;
  /** Copy of camera 0's video at `outputVideoPath`, for single-camera jobs that asked for it. */
  outputVideoPath?: string;
  cameras: CameraResult[];
  /** Distinct global identities over the whole job. */
  identities: number;
  startedAt: string;
  endedAt: string;
  elapsedSeconds: number;
  stages: StageTimings;
  /** The first warnings (see {@link warningsSuppressed}); every warning was also emitted as an event. */
  warnings: string[];
  /** Warnings emitted beyond those kept in {@link warnings}. */
  warningsSuppressed: number;
  /** Why the job stopped: 'end-of-input', 'max-duration', 'cancelled' or 'error'. */
  stopReason: 'end-of-input' | 'max-duration' | 'cancelled' | 'error';
  error?: { code: string; message: string };
}

/** The event map of a {@link Job} (typed-emitter over eventemitter3). */
export type JobEvents = {
  start: (event: JobStartEvent) => void;
  'camera:status': (event: CameraStatusEvent) => void;
  'camera:added': (event: CameraMembershipEvent) => void;
  'camera:removed': (event: CameraMembershipEvent) => void;
  progress: (event: ProgressEvent) => void;
  'track:new': (event: TrackEvent) => void;
  'track:lost': (event: TrackEvent) => void;
  'track:removed': (event: TrackEvent) => void;
  'identity:assigned': (event: IdentityEvent) => void;
  'identity:changed': (event: IdentityEvent) => void;
  'zone:enter': (event: ZoneCrossingEvent) => void;
  'zone:exit': (event: ZoneCrossingEvent) => void;
  'line:cross': (event: LineCrossingEvent) => void;
  preview: (event: PreviewEvent) => void;
  warning: (event: WarningEvent) => void;
  done: (result: JobResult) => void;
  cancelled: (result: JobResult) => void;
  error: (error: MulticamReidError, result: JobResult) => void;
};

/** How the job's parts emit its events. */
export type EmitFn = <E extends keyof JobEvents>(event: E, ...args: Parameters<JobEvents[E]>) => void;
