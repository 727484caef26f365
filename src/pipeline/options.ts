/** Options of one processing job (`pipeline.processVideo(options)` / `processVideo(options)`). */

/**
 * Zones of a job: either one list applied to every camera, or a map from camera index to its
 * list. Polygons are in pixels unless `coordinates: 'normalized'` (0–1 of width and height).
 * A path to a YAML/JSON file with the same shape is accepted too.
 */
export type ZonesOption = unknown;

/** A known person to look for: their tracks carry `name` in events, CSV and video. */
export interface ReferencePersonOption {
  name: string;
  /** Photos of the person (whole image = the person crop). */
  imagePaths: string[];
}

export interface ProcessVideoOptions {
  /**
   * One source (file path, file://, udp://, rtsp://, rtsps://, rtmp://, http(s)://, srt://), or
   * several separated by commas or newlines: more than one source means a multi-camera job.
   * @example "udp://127.0.0.1:1905, udp://127.0.0.1:1906"
   */
  videoPath?: string;
  /** The sources as a list; used instead of `videoPath`. */
  sources?: string[];
  /**
   * Cosine similarity at or above which a track takes an existing global identity.
   * Higher: fewer wrong merges across cameras, more duplicate identities.
   * @default 0.8 (or the pipeline configuration's `identity.similarityThreshold`)
   */
  similarityThreshold?: number;
  /** Parent folder of the job folder `multi_stream_{YYYY-MM-DD-HH-MM}`. @default config `output.dir` ('outputs') */
  outputDir?: string;
  /** Single-camera jobs: also place the annotated video here. */
  outputVideoPath?: string;
  /** Stop the job after this many seconds of processing (live sources); status stays `completed`. */
  maxDurationSeconds?: number;
  /** Zones per camera (see {@link ZonesOption}), or a path to a zones YAML/JSON file. */
  zones?: ZonesOption;
  /** Reference persons to label. */
  referencePersons?: ReferencePersonOption[];
  /** Cancels the job; outputs written so far are finalised and the status becomes `cancelled`. */
  signal?: AbortSignal;
  /** Run the detector every k-th frame; the tracker predicts in between. @default config (1) */
  detectionStride?: number;
  /** Read files at their native frame rate (like a live camera) instead of as fast as possible. @default false */
  realtime?: boolean;
  /** Emit a `preview` event per camera about this often (seconds). Off when omitted. */
  previewInterval?: number;
  /** Time zone of folder and file names (IANA name or offset like '+07:00'). @default '+07:00' */
  timeZone?: string;
  /** The job's clock for folder and file names (tests); defaults to now. */
  now?: Date;
}
