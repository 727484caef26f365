/**
 * The whole pipeline scored on real footage: each video runs as a real single-camera job
 * (detector, tracker, ReID, identity — what a user runs), its tracks CSV is read back, and the
 * tracks are scored against the sequence's MOTChallenge ground truth with the py-motmetrics
 * definitions (MOTA, IDF1, …) and TrackEval's HOTA — twice: with the local track ids (the
 * tracker's work) and with the global ids (the identity the job gives each person: a track
 * that broke and came back under the same global id counts as one).
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { PipelineConfigInput } from '../pipeline/config.js';
import { DetectionTrackingPipeline } from '../pipeline/pipeline.js';
import { aggregateHota, computeHota, type HotaMetrics } from './hota.js';
import { evalPipelineConfig, runEvalJob } from './eval-job.js';
import { readMotFile } from './mot-file.js';
import { aggregateMotMetrics, computeMotMetrics, type MotMetrics } from './mot-metrics.js';
import { tracksCsvToMot } from './tracks-to-mot.js';

/** A video with its ground truth; decoded frame k (0-based) is MOT frame k + 1 of `groundTruth`. */
export interface VideoSequence {
  name: string;
  /** Path of the video file. */
  video: string;
  /** Path of the MOTChallenge `gt.txt`. */
  groundTruth: string;
}

/** The two TUD sequences (video and py-motmetrics ground truth) under a `media/mot` folder. */
export function tudSequences(motDir: string): VideoSequence[] {
  return ['TUD-Campus', 'TUD-Stadtmitte'].map((name) => ({
    name,
    video: path.join(motDir, 'video', name, `${name}.mp4`),
    groundTruth: path.join(motDir, 'py-motmetrics', name, 'gt.txt'),
  }));
}

export interface VideoEvalOptions {
  /** The sequences to run, in order. */
  sequences: readonly VideoSequence[];
  /** Where the job folders go (one per sequence). */
  workDir: string;
  /** Pipeline configuration, an object or a YAML/JSON file; defaults apply. Video and ZIP outputs are switched off. */
  config?: PipelineConfigInput | string;
}

/** Scores of one sequence, or of all of them (OVERALL). */
export interface SequenceScores {
  name: string;
  mot: MotMetrics;
  hota: HotaMetrics;
}

export interface VideoEvalResult {
  /** Scored with the local track ids. */
  sequences: Array<SequenceScores & { frames: number; elapsedSeconds: number; csvPath: string }>;
  /** Counts summed over the sequences, ratios recomputed (py-motmetrics OVERALL; TrackEval COMBINED). */
  overall: SequenceScores;
  /** The same jobs scored with the global ids (rows without one keep a track-unique id), per sequence and OVERALL last. */
  globalIds: SequenceScores[];
}

/**
 * Runs every sequence as its own job with one pipeline (models loaded once) and scores it.
 * @throws ConfigError for a bad configuration, MotFormatError `INVALID_MOT_FILE` (with the
 *   line) for a ground truth that does not parse — both before any job starts — and
 *   MulticamReidError when a job fails.
 */
export async function evaluateVideos(options: VideoEvalOptions): Promise<VideoEvalResult> {
  const groundTruths = [];
  for (const s of options.sequences) groundTruths.push(await readMotFile(s.groundTruth));
  const pipeline = new DetectionTrackingPipeline(evalPipelineConfig(options.config));
  const sequences: VideoEvalResult['sequences'] = [];
  const globalIds: SequenceScores[] = [];
  try {
    for (const [k, sequence] of options.sequences.entries()) {
      const dir = path.join(options.workDir, sequence.name);
      await mkdir(dir, { recursive: true });
      const { result, rows } = await runEvalJob(pipeline, [sequence.video], dir);
      const hyp = tracksCsvToMot(rows, { id: 'track' });
      const gt = groundTruths[k]!;
      sequences.push({
        name: sequence.name,
        mot: computeMotMetrics(gt, hyp),
        hota: computeHota(gt, hyp),
        frames: result.cameras[0]!.frames,
        elapsedSeconds: result.elapsedSeconds,
        csvPath: result.cameras[0]!.csvPath,
      });
      const persons = tracksCsvToMot(rows, { id: 'global' });
      globalIds.push({ name: sequence.name, mot: computeMotMetrics(gt, persons), hota: computeHota(gt, persons) });
    }
  } finally {
    await pipeline.release();
  }
  return {
    sequences,
    overall: {
      name: 'OVERALL',
      mot: aggregateMotMetrics(sequences.map((s) => s.mot)),
      hota: aggregateHota(sequences.map((s) => s.hota)),
    },
    globalIds: [...globalIds, { name: 'OVERALL', mot: aggregateMotMetrics(globalIds.map((s) => s.mot)), hota: aggregateHota(globalIds.map((s) => s.hota)) }],
  };
}

/** A Markdown table: MOTA IDF1 IDP IDR MOTP IDsw FP FN HOTA DetA AssA LocA per row. */
export function formatScoresTable(rows: readonly SequenceScores[]): string {
  const header = ['seq', 'MOTA', 'IDF1', 'IDP', 'IDR', 'MOTP', 'IDsw', 'FP', 'FN', 'HOTA', 'DetA', 'AssA', 'LocA'];
  const lines = [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`];
  for (const { name, mot: m, hota: h } of rows) {
    const cells = [
      name,
      ...[m.mota, m.idf1, m.idp, m.idr, m.motp].map(fixed),
      ...[m.numSwitches, m.numFalsePositives, m.numMisses].map(String),
      ...[h.hota, h.detA, h.assA, h.locA].map(fixed),
    ];
    lines.push(`| ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

function fixed(v: number): string {
  return Number.isFinite(v) ? v.toFixed(3) : String(v);
}
