/**
 * Pipeline configuration: one schema (zod) for objects and YAML/JSON files, with defaults.
 * `configs/config.yaml` is the documented example; every field is optional.
 */
import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ConfigError } from '../errors.js';
import { X264_PRESETS } from '../output/video-writer.js';
import { mqttSinkConfigSchema } from '../service/mqtt-options.js';

const positiveInt = z.number().int().positive();
const unitInterval = z.number().min(0).max(1);

const detectorSchema = z
  .object({
    /** Explicit ONNX file; otherwise the model resolver looks it up by `modelId`. */
    modelPath: z.string().optional(),
    /** Manifest id; with `modelPath` it also checks the file against that entry. Default: 'yolox-nano'. */
    modelId: z.string().optional(),
    /** 'yolox' or 'yolov8'; detected from the output shape when omitted. */
    format: z.enum(['yolox', 'yolov8']).optional(),
    /**
     * A model entry written inline (the same fields as an entry of models/manifest.json:
     * input, output, preprocess…), for a compatible detector that the manifest does not list.
     * Checked when the models load (a missing field is an INVALID_MODEL_ENTRY naming it).
     */
    model: z.record(z.string(), z.unknown()).optional(),
    /** Extra manifest file(s) merged over the package's, so `modelId` can name your own models. */
    manifest: z.union([z.string(), z.array(z.string())]).optional(),
    /** Lowest detection score kept. ByteTrack's second association stage uses the 0.1–trackThreshold ones, so keep it low. */
    scoreThreshold: unitInterval.default(0.1),
    /** IoU above which the weaker of two overlapping boxes is dropped. Default: the model's own (0.45 for YOLOX-Nano, 0.7 for the pedestrian detector). */
    nmsThreshold: unitInterval.optional(),
    /**
     * `fixed`: the model's declared input size; `rectangular`: letterbox to the frame's aspect
     * ratio (a 16:9 frame in 416×256 instead of 416×416: fewer padding pixels, faster), for
     * models whose graph allows it. Default: the model's manifest entry (fixed).
     */
    inputShape: z.enum(['fixed', 'rectangular']).optional(),
    /** COCO class ids to keep; persons only by default. */
    classes: z.array(z.number().int().min(0)).min(1).default([0]),
    /** Inference sessions, each on its own worker thread (default: one per core, at most 4). */
    sessions: positiveInt.optional(),
    /** Threads per session (default 1: several single-thread sessions beat one multi-thread session on small models). */
    intraOpNumThreads: positiveInt.optional(),
    executionProviders: z.array(z.string()).optional(),
  })
  .strict();

const reidSchema = z
  .object({
    modelPath: z.string().optional(),
    /** Manifest id; default 'osnet-x0.25-msmt17'. */
    modelId: z.string().optional(),
    /** A ReID model entry written inline (see detector.model). */
    model: z.record(z.string(), z.unknown()).optional(),
    /** Extra manifest file(s) merged over the package's. */
    manifest: z.union([z.string(), z.array(z.string())]).optional(),
    /** Crops per inference call at most (models with a fixed batch size use theirs). */
    maxBatch: positiveInt.optional(),
    /** 'merge': crops asked for by several cameras at once go in one inference call; 'per-call': one call per request. */
    batching: z.enum(['merge', 'per-call']).optional(),
    executionProviders: z.array(z.string()).optional(),
    /** Set false to run detection and tracking only (no global identities). */
    enabled: z.boolean().default(true),
    /**
     * Embed every confident detection (score ≥ the tracker's trackThreshold) before tracking,
     * so the tracker matches by appearance as well as by motion (BoT-SORT-style fusion, see the
     * tracker's appearance options) and fewer people swap tracks when they cross. The same
     * embeddings then feed the identity gallery. Costs one ReID crop per confident detection
     * per detection frame instead of a few gated crops: for the accurate preset
     * (configs/accurate.yaml); measured in docs/models.md.
     */
    fuseWithTracker: z.boolean().default(false),
    /** Embed a confirmed track again after this many frames even when its identity is settled. */
    refreshInterval: positiveInt.default(15),
    /** While a track's identity is uncertain (few observations, or near the threshold), embed it this often. */
    uncertainInterval: positiveInt.default(3),
    /** Observations after which a track's identity counts as settled. */
    settledObservations: positiveInt.default(5),
    /** Crops smaller than this (pixels) are not embedded: too little appearance to go on. */
    minCropWidth: positiveInt.default(16),
    minCropHeight: positiveInt.default(32),
    intraOpNumThreads: positiveInt.optional(),
  })
  .strict();

const streamSchema = z
  .object({
    /** Frames queued per live camera; when it is full the oldest frame is dropped (fresh frames, bounded latency). */
    bufferSize: positiveInt.default(30),
    /**
     * Frames queued per file source. A file never loses a frame: its decoder waits while the
     * queue is full, so a longer queue only holds memory (a 640×360 frame is 0.7 MB; 8 cameras
     * with 30 frames each held 200 MB). Never more than `bufferSize`.
     */
    fileBufferSize: positiveInt.default(4),
    rtspTransport: z.enum(['tcp', 'udp']).default('tcp'),
    maxWidth: positiveInt.optional(),
    maxHeight: positiveInt.optional(),
    /** Seconds a source may take to deliver its first frame (files: to be readable). */
    connectTimeout: z.number().positive().default(15),
    /** Seconds without a frame before a live source is restarted. */
    stallTimeout: z.number().positive().default(10),
    /**
     * Seconds a live source that sends data but no decodable picture yet (a long keyframe
     * interval, common on IP cameras) is waited for before it counts as failed.
     */
    keyframeTimeout: z.number().positive().default(30),
    /** Frame buffers a camera holds beyond its queue: the look-ahead and the frames being detected, annotated and encoded. */
    framesInFlight: positiveInt.default(4),
    /** ffprobe binary used to describe files, or false to read ffmpeg's own log instead (one process less per file). */
    ffprobePath: z.union([z.string(), z.literal(false)]).optional(),
    /**
     * Live jobs: fail the job when any camera cannot connect at the start. By default a live
     * camera that is down at the start is retried with the reconnect back-off (state
     * `waiting`) and joins when it comes, while the others run; the job fails only when no
     * camera connects at all. Files always fail the job before any work when unreadable.
     */
    requireAllCameras: z.boolean().default(false),
    /** Restarts of a live source that dropped or stalled: back-off from `initialDelay` to `maxDelay` seconds, at most `maxAttempts` in a row (then the camera fails; the others go on). */
    reconnect: z
      .object({
        initialDelay: z.number().positive().default(0.5),
        maxDelay: z.number().positive().default(10),
        maxAttempts: z.number().int().positive().or(z.literal(Infinity)).default(Infinity),
      })
      .strict()
      .optional(),
    ffmpegPath: z.string().optional(),
  })
  .strict();

const outputSchema = z
  .object({
    dir: z.string().default('outputs'),
    /** Time zone of the folder and file names: an IANA name or a fixed offset such as '+07:00' (the seed's UTC+7). */
    timeZone: z.string().default('+07:00'),
    /** Write the annotated MP4 per camera. */
    video: z.boolean().default(true),
    /**
     * x264 preset of the annotated MP4. 'superfast' costs about a quarter less encoder CPU
     * than 'veryfast' (4.3 vs 6.0 CPU ms per 640×360 frame here) for files about 1.6× larger;
     * on a small machine that CPU is taken from inference. Choose 'veryfast' or slower for
     * smaller files when CPU is not the limit.
     */
    videoPreset: z.enum(X264_PRESETS).default('superfast'),
    videoCrf: z.number().int().min(0).max(51).default(23),
    /** Zip the job folder when the job ends (also after a cancel or a failure midway). */
    zip: z.boolean().default(true),
    /**
     * Occupancy heatmap per camera: where people's feet were over the job, written as
     * `heatmap_{YYYYMMDD_HHMMSS}.png` (a frame of the camera with a colour overlay).
     */
    heatmap: z
      .object({
        enabled: z.boolean().default(true),
        /** Also draw the running heatmap into the annotated video (about 1.4 ms per 640×360 frame). */
        inVideo: z.boolean().default(false),
        /** Seconds after which a presence counts half, so the map shows recent occupancy; unset keeps the whole job. */
        halfLife: z.number().positive().optional(),
        /** Side of a heatmap cell in pixels. */
        cellSize: positiveInt.default(16),
      })
      .strict()
      .default(() => ({ enabled: true, inVideo: false, cellSize: 16 })),
    /** Movement trails in the annotated video: the last this many positions of each person (0: off). */
    trails: z.number().int().min(0).max(1000).default(0),
  })
  .strict();

const processingSchema = z
  .object({
    /** Run the detector on every k-th frame and let the tracker predict in between. */
    detectionStride: positiveInt.default(1),
    /** Read files at their native frame rate instead of as fast as possible. */
    realtime: z.boolean().default(false),
    /** Seconds between progress events. */
    progressInterval: z.number().positive().default(1),
  })
  .strict();

const identitySchema = z
  .object({
    similarityThreshold: unitInterval.default(0.8),
  })
  .passthrough();

/**
 * Tracker options the pipeline uses unless the `tracker:` block says otherwise (the rest are
 * ByteTracker's own defaults). A looser IoU gate of the first association (0.85 instead of
 * ByteTrack's 0.8) keeps fast walkers on their tracks: on the TUD videos the whole pipeline
 * (`npm run eval -- video`) scores MOTA 0.743 / IDF1 0.781 with it against 0.737 / 0.769.
 */
export const PIPELINE_TRACKER_DEFAULTS: Readonly<Record<string, unknown>> = Object.freeze({ matchThreshold: 0.85 });

/** Schema of the whole configuration. Unknown top-level keys are rejected to catch typos. */
export const pipelineConfigSchema = z
  .object({
    detector: detectorSchema.default(() => detectorSchema.parse({})),
    reid: reidSchema.default(() => reidSchema.parse({})),
    tracker: z
      .record(z.string(), z.unknown())
      .default(() => ({}))
      .transform((tracker) => ({ ...PIPELINE_TRACKER_DEFAULTS, ...tracker })),
    identity: identitySchema.default(() => identitySchema.parse({})),
    streams: streamSchema.default(() => streamSchema.parse({})),
    output: outputSchema.default(() => outputSchema.parse({})),
    processing: processingSchema.default(() => processingSchema.parse({})),
    /** Directory of the ONNX weights; defaults to $MULTICAM_REID_MODELS through the resolver. */
    modelsDir: z.string().optional(),
    /**
     * Publish every job event on an MQTT broker (see docs/mqtt.md). Each job connects first:
     * a broker that is down or refuses the login fails the job before any work.
     */
    mqtt: mqttSinkConfigSchema.optional(),
  })
  .strict();

/** The configuration as written by a user: every field optional. */
export type PipelineConfigInput = z.input<typeof pipelineConfigSchema>;
/** The configuration after defaults are applied. */
export type PipelineConfig = z.output<typeof pipelineConfigSchema>;

/**
 * Validates a configuration object (defaults filled in). An invalid field is a
 * {@link ConfigError} whose message names the field path, e.g. `detector.scoreThreshold`.
 */
export function parseConfig(input: unknown, origin = 'configuration'): PipelineConfig {
  const parsed = pipelineConfigSchema.safeParse(input ?? {});
  if (parsed.success) return parsed.data;
  const first = parsed.error.issues[0]!;
  const field = first.path.length > 0 ? first.path.join('.') : '(root)';
  const all = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
  throw new ConfigError('INVALID_CONFIG', `invalid ${origin}: field "${field}" — ${all}`, { culprit: field });
}

/** Reads and validates a YAML or JSON configuration file. */
export function loadConfigFile(filePath: string): PipelineConfig {
  if (!existsSync(filePath)) {
    throw new ConfigError('INVALID_CONFIG', `configuration file not found: ${filePath}`, { culprit: filePath });
  }
  const text = readFileSync(filePath, 'utf8');
  let data: unknown;
  try {
    data = path.extname(filePath).toLowerCase() === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (cause) {
    throw new ConfigError('INVALID_CONFIG', `cannot parse configuration file ${filePath}: ${(cause as Error).message}`, { culprit: filePath, cause });
  }
  return parseConfig(data, `configuration file ${filePath}`);
}

/** Accepts a config object, a path to a YAML/JSON file, or nothing (all defaults). */
export function resolveConfig(config: PipelineConfigInput | string | undefined): PipelineConfig {
  return typeof config === 'string' ? loadConfigFile(config) : parseConfig(config ?? {});
}
