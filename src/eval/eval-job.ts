/**
 * Runs one real job for an evaluation — `new DetectionTrackingPipeline(config).processVideo()`,
 * as a user runs it — and reads back its tracks CSV. The annotated video and the ZIP are
 * switched off (they change nothing in the tracks and cost most of the time).
 */
import { readFile } from 'node:fs/promises';
import { MulticamReidError, type ErrorCode } from '../errors.js';
import { parseTracksCsv, type TrackCsvRow } from '../output/tracks-csv.js';
import { resolveConfig, type PipelineConfigInput } from '../pipeline/config.js';
import type { JobResult } from '../pipeline/events.js';
import { DetectionTrackingPipeline } from '../pipeline/pipeline.js';

/** What an evaluation job produced. */
export interface EvalJobOutput {
  result: JobResult;
  /** The tracks CSV rows of every camera, camera 0 first. */
  rows: TrackCsvRow[];
}

/**
 * The configuration an evaluation runs with: `config` (an object or a YAML/JSON file) with
 * `output.video` and `output.zip` off.
 * @throws ConfigError `INVALID_CONFIG` naming the bad field or file.
 */
export function evalPipelineConfig(config?: PipelineConfigInput | string): PipelineConfigInput {
  const resolved = resolveConfig(config);
  return { ...resolved, output: { ...resolved.output, video: false, zip: false } };
}

/**
 * Runs `sources` as one job (one camera per source) in `outputDir` and returns the result and
 * the CSV rows of all cameras.
 * @throws MulticamReidError (the job's own code) when the job or one of its cameras did not complete.
 */
export async function runEvalJob(pipeline: DetectionTrackingPipeline, sources: readonly string[], outputDir: string): Promise<EvalJobOutput> {
  const job = pipeline.processVideo({ sources: [...sources], outputDir });
  const result = await job.result;
  const failed = result.cameras.find((c) => c.status !== 'completed');
  if (result.status !== 'completed' || failed !== undefined) {
    const error = failed?.error ?? result.error;
    throw new MulticamReidError(
      (error?.code as ErrorCode | undefined) ?? 'STREAM_FAILED',
      `evaluation job on ${sources.join(', ')} ended ${result.status}: ${error?.message ?? 'no camera completed'}`,
      { culprit: failed?.source ?? sources[0] },
    );
  }
  const rows: TrackCsvRow[] = [];
  for (const camera of result.cameras) rows.push(...parseTracksCsv(await readFile(camera.csvPath, 'utf8')));
  return { result, rows };
}
