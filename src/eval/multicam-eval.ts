/**
 * Multi-camera identity scored as SPEC §5 defines it: a sequence split into two cameras
 * ({@link cropGroundTruth}, {@link splitGroundTruthByTime}) runs as one 2-camera job; every
 * camera's ground truth and tracks go into one scorer, camera k's frames offset by
 * k · {@link CAMERA_FRAME_STRIDE}, ground-truth ids shared across cameras (the same person is
 * the same object). Multi-camera IDF1 takes the CSV's `global_id` as the hypothesis id; the
 * floor is the same score with per-camera track ids (made unique per camera) — what a system
 * with no cross-camera identity at all gets.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError } from '../errors.js';
import type { PipelineConfigInput } from '../pipeline/config.js';
import { DetectionTrackingPipeline } from '../pipeline/pipeline.js';
import { cropGroundTruth, encodeCrop, encodeTimeRange, splitGroundTruthByTime, type ClipEncodeOptions, type CropStrip } from './camera-split.js';
import { evalPipelineConfig, runEvalJob } from './eval-job.js';
import { computeHota, type HotaMetrics } from './hota.js';
import { readMotFile, type MotRecord } from './mot-file.js';
import { computeMotMetrics, type MotMetrics } from './mot-metrics.js';
import { tracksCsvToMot } from './tracks-to-mot.js';
import type { VideoSequence } from './video-eval.js';

/** Camera k's MOT frames are offset by k times this in the joint scorer (longer than any sequence). */
export const CAMERA_FRAME_STRIDE = 1_000_000;

/** One way of making two cameras from a sequence. */
export type MulticamSplit =
  | {
      kind: 'spatial';
      /** Name in tables and folders. */
      name: string;
      sequence: VideoSequence;
      /** One strip per camera; they should overlap, so that both cameras see some people at once. */
      crops: readonly CropStrip[];
      /** Share of a box's width that must be inside a crop for the box to count there. @default 0.6 */
      minVisibleFraction?: number;
    }
  | {
      kind: 'temporal';
      name: string;
      sequence: VideoSequence;
      /** Last MOT frame of camera 0; camera 1 starts at the next. @default half the last ground-truth frame, rounded down */
      cut?: number;
    };

/**
 * The protocol's default splits of the TUD sequences: TUD-Stadtmitte cut into x ∈ [0, 400)
 * and x ∈ [240, 640) (a 160 px overlap), and each TUD sequence cut in half in time.
 */
export function defaultMulticamSplits(sequences: readonly VideoSequence[]): MulticamSplit[] {
  const byName = new Map(sequences.map((s) => [s.name, s]));
  const stadtmitte = byName.get('TUD-Stadtmitte');
  const splits: MulticamSplit[] = [];
  if (stadtmitte !== undefined) {
    splits.push({ kind: 'spatial', name: 'TUD-Stadtmitte spatial', sequence: stadtmitte, crops: [{ x: 0, width: 400 }, { x: 240, width: 400 }] });
  }
  for (const s of sequences) splits.push({ kind: 'temporal', name: `${s.name} temporal`, sequence: s });
  return splits;
}

export interface MulticamEvalOptions {
  splits: readonly MulticamSplit[];
  /** Where clips and job folders go (one folder per split). */
  workDir: string;
  /** Pipeline configuration, an object or a YAML/JSON file. Video and ZIP outputs are switched off. */
  config?: PipelineConfigInput | string;
  /** How the camera clips are encoded. */
  encode?: ClipEncodeOptions;
}

/** Scores of one identity choice (global ids or the per-camera floor). */
export interface JointScores {
  mot: MotMetrics;
  hota: HotaMetrics;
}

export interface MulticamCameraReport {
  /** The camera's clip. */
  video: string;
  /** Frames the job processed. */
  frames: number;
  groundTruthBoxes: number;
  /** Distinct people in this camera's ground truth. */
  groundTruthIds: number;
  /** Distinct local tracks in its CSV. */
  tracks: number;
  /** Distinct global ids in its CSV. */
  globalIds: number;
  /** This camera alone, local track ids (a single-view score of the clip). */
  mot: MotMetrics;
}

export interface MulticamSplitResult {
  name: string;
  kind: MulticamSplit['kind'];
  cameras: MulticamCameraReport[];
  /** Hypothesis id = `global_id` (rows without one count as an identity of their own). */
  global: JointScores;
  /** Hypothesis id = per-camera track id: the floor of no cross-camera identity. */
  floor: JointScores;
  /** Distinct global ids over the job's CSVs. */
  globalIdentities: number;
  /** Distinct people over all cameras' ground truth. */
  groundTruthIdentities: number;
  /** People in the ground truth of more than one camera: the ones cross-camera identity can link. */
  sharedGroundTruthIdentities: number;
}

/**
 * Prepares each split (clips with ffmpeg, shifted ground truth), runs it as one 2-camera job
 * with one pipeline, and scores it.
 * @throws ConfigError for a bad configuration or split, MotFormatError `INVALID_MOT_FILE` for
 *   a ground truth that does not parse (both before any job starts), StreamError
 *   `FFMPEG_FAILED` when a clip cannot be encoded, MulticamReidError when a job fails.
 */
export async function evaluateMulticam(options: MulticamEvalOptions): Promise<MulticamSplitResult[]> {
  const config = evalPipelineConfig(options.config);
  const prepared = [];
  for (const split of options.splits) prepared.push(await prepareSplit(split, options.workDir, options.encode));
  const pipeline = new DetectionTrackingPipeline(config);
  const results: MulticamSplitResult[] = [];
  try {
    for (const [k, split] of options.splits.entries()) {
      const { clips, groundTruths, dir } = prepared[k]!;
      const { result, rows } = await runEvalJob(pipeline, clips, path.join(dir, 'job'));
      results.push(scoreSplit(split, clips, groundTruths, rows, result.cameras.map((c) => c.frames)));
    }
  } finally {
    await pipeline.release();
  }
  return results;
}

/**
 * Scores a 2-camera job's CSV rows against the cameras' ground truth (exported for tests and
 * for jobs run elsewhere).
 */
export function scoreSplit(
  split: Pick<MulticamSplit, 'name' | 'kind'>,
  clips: readonly string[],
  groundTruths: readonly MotRecord[][],
  rows: Parameters<typeof tracksCsvToMot>[0],
  frames: readonly number[],
): MulticamSplitResult {
  const jointGt: MotRecord[] = [];
  const jointGlobal: MotRecord[] = [];
  const jointFloor: MotRecord[] = [];
  const cameras: MulticamCameraReport[] = groundTruths.map((gt, camera) => {
    const frameOffset = camera * CAMERA_FRAME_STRIDE;
    for (const r of gt) jointGt.push({ ...r, frame: r.frame + frameOffset });
    jointGlobal.push(...tracksCsvToMot(rows, { camera, id: 'global', frameOffset }));
    const local = tracksCsvToMot(rows, { camera, id: 'track' });
    for (const r of local) jointFloor.push({ ...r, frame: r.frame + frameOffset });
    const own = rows.filter((r) => r.camera === camera);
    return {
      video: clips[camera]!,
      frames: frames[camera] ?? 0,
      groundTruthBoxes: gt.length,
      groundTruthIds: new Set(gt.map((r) => r.id)).size,
      tracks: new Set(own.map((r) => r.trackId)).size,
      globalIds: new Set(own.flatMap((r) => (r.globalId === null || r.globalId === undefined ? [] : [r.globalId]))).size,
      mot: computeMotMetrics(gt, local),
    };
  });
  const idsPerCamera = groundTruths.map((gt) => new Set(gt.map((r) => r.id)));
  const allIds = new Set(idsPerCamera.flatMap((ids) => [...ids]));
  const shared = [...allIds].filter((id) => idsPerCamera.filter((ids) => ids.has(id)).length > 1).length;
  return {
    name: split.name,
    kind: split.kind,
    cameras,
    global: { mot: computeMotMetrics(jointGt, jointGlobal), hota: computeHota(jointGt, jointGlobal) },
    floor: { mot: computeMotMetrics(jointGt, jointFloor), hota: computeHota(jointGt, jointFloor) },
    globalIdentities: new Set(rows.flatMap((r) => (r.globalId === null || r.globalId === undefined ? [] : [r.globalId]))).size,
    groundTruthIdentities: allIds.size,
    sharedGroundTruthIdentities: shared,
  };
}

/** Encodes a split's clips into `workDir/<name>/` and derives each camera's ground truth. */
async function prepareSplit(split: MulticamSplit, workDir: string, encode: ClipEncodeOptions = {}) {
  const gt = await readMotFile(split.sequence.groundTruth);
  const dir = path.join(workDir, split.name.replace(/[^\w.-]+/g, '_'));
  await mkdir(dir, { recursive: true });
  const clips = [0, 1].map((camera) => path.join(dir, `camera_${camera}.mp4`));
  let groundTruths: MotRecord[][];
  if (split.kind === 'spatial') {
    if (split.crops.length !== 2) {
      throw new ConfigError('INVALID_OPTION', `split "${split.name}" has ${split.crops.length} crops; a spatial split needs two (one per camera)`, { culprit: split.name });
    }
    groundTruths = split.crops.map((strip) => cropGroundTruth(gt, strip, split.minVisibleFraction));
    await Promise.all(split.crops.map((strip, camera) => encodeCrop(split.sequence.video, clips[camera]!, strip, encode)));
  } else {
    const lastFrame = Math.max(0, ...gt.map((r) => r.frame));
    const cut = split.cut ?? Math.floor(lastFrame / 2);
    if (!(Number.isInteger(cut) && cut >= 1 && cut < lastFrame)) {
      throw new ConfigError('INVALID_OPTION', `split "${split.name}": cut ${cut} must be a whole MOT frame in [1, ${lastFrame - 1}] so that both halves have frames`, { culprit: 'cut' });
    }
    groundTruths = splitGroundTruthByTime(gt, cut);
    // Decoded frames [0, cut) are MOT frames 1…cut; camera 1 starts at decoded frame cut.
    await encodeTimeRange(split.sequence.video, clips[0]!, 0, cut, encode);
    await encodeTimeRange(split.sequence.video, clips[1]!, cut, undefined, encode);
  }
  return { clips, groundTruths, dir };
}
