/**
 * What travels in Redis with each camera job, and what comes back: everything a worker needs
 * to build the camera's session exactly as the local runner does (the job's configuration,
 * the camera's zones, the job's stamp, time zone and clock origin), the library version, and
 * the camera's result.
 */
import type { PipelineConfig } from '../pipeline/config.js';
import type { CameraResult, StageTimings } from '../pipeline/events.js';
import type { LineDefinition, ZoneDefinition } from '../zones/index.js';
import type { RedisTraffic } from './event-stream.js';

/** How identities are shared between the cameras of a distributed job. */
export type GalleryMode = 'shared' | 'per-worker';

/** Data of one camera job (a child of the job's parent in the BullMQ flow). */
export interface CameraJobData {
  /** multicam-reid version of the submitter; a worker of another version refuses the job. */
  version: string;
  jobId: string;
  cameraIndex: number;
  /** The raw source, for ffmpeg's argv only (file paths made absolute on the submitter). */
  source: string;
  /** Display form (credentials masked), for every message and log line. */
  display: string;
  live: boolean;
  zones: ZoneDefinition[];
  lines: LineDefinition[];
  /** The submitter's configuration (defaults filled in), encoded by {@link encodeConfig}. */
  config: string;
  detectionStride: number;
  similarityThreshold: number;
  realtime: boolean;
  previewInterval?: number;
  timeZone: string;
  /** `YYYYMMDD_HHMMSS` of the job's start, in the output names. */
  stamp: string;
  /** `Date.now()` at the job's start: live timestamps of every camera count from it. */
  timeOrigin: number;
  /** The job folder on the shared storage. */
  outputDir: string;
  /** `Date.now()` at which the job's max duration ends, when it has one. */
  stopAt?: number;
  /** Keep retrying a live source that is down at the start (the local job's rule, `streams.requireAllCameras` off). */
  retryOpen: boolean;
  gallery: GalleryMode;
  /** Reference persons, registered in a per-worker gallery (the shared gallery's owner registers them itself). */
  referencePersons: Array<{ name: string; imagePaths: string[] }>;
}

/** What the worker that ran a camera's last attempt leaves in the job's results hash. */
export interface CameraJobOutcome {
  result: CameraResult;
  stages: StageTimings;
  /** The attempt's Redis traffic: its events, and its calls to the shared gallery (the bench's "Redis operations per frame"). */
  redis: { events: RedisTraffic; gallery?: RedisTraffic };
  /** Messages the worker could not send because Redis was away too long. */
  eventsDropped: number;
}

/** The parent job's data: a record of the job in the queue. */
export interface ParentJobData {
  version: string;
  jobId: string;
  outputDir: string;
  /** Display forms of the cameras at submission. */
  sources: string[];
}

const INFINITY = '__Infinity__';

/** JSON of a configuration, keeping `Infinity` (reconnect.maxAttempts) which JSON cannot hold. */
export function encodeConfig(config: PipelineConfig): string {
  return JSON.stringify(config, (_key, value: unknown) => (value === Infinity ? INFINITY : value));
}

/** The plain object {@link encodeConfig} wrote (validate it with `parseConfig`). */
export function decodeConfig(text: string): unknown {
  return JSON.parse(text, (_key, value: unknown) => (value === INFINITY ? Infinity : value));
}
