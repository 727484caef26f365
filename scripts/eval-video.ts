/**
 * `npm run eval -- video [--config F] [--tracker JSON] [--json out.json] [--media DIR] [--work DIR]`:
 * runs the whole pipeline (a real job per video, as a user runs it) on the TUD videos, scores
 * each job's tracks CSV against gt.txt and prints MOTA, IDF1, IDP, IDR, MOTP, ID switches, HOTA,
 * DetA and AssA per sequence and overall.
 */
import { rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { evaluateVideos, formatScoresTable, tudSequences } from '../src/eval/video-eval.js';
import { parseEvalArgs, writeJson } from './eval-config.js';

export async function main(args: string[]): Promise<number> {
  const run = parseEvalArgs(args);
  const workDir = run.work ?? path.join(os.tmpdir(), `multicam-reid-eval-video-${process.pid}`);
  try {
    const result = await evaluateVideos({ sequences: tudSequences(run.media), workDir, config: run.config });
    console.log(`## Whole pipeline on the TUD videos (${run.label})\n`);
    console.log(formatScoresTable([...result.sequences, result.overall]));
    console.log(`\nThe same jobs scored with the global ids (one id per person):\n`);
    console.log(formatScoresTable(result.globalIds));
    if (run.json !== undefined) await writeJson(run.json, { command: ['video', ...args], config: run.configFile, tracker: run.trackerOverride, ...result });
  } finally {
    if (run.work === undefined) await rm(workDir, { recursive: true, force: true });
  }
  return 0;
}
