/**
 * `npm run eval -- video [--config F] [--tracker JSON] [--json out.json] [--media DIR] [--work DIR]`:
 * runs the whole pipeline (a real job per video, as a user runs it) on the TUD videos, scores
 * each job's tracks CSV against gt.txt and prints MOTA, IDF1, IDP, IDR, MOTP, ID switches, HOTA,
 * DetA and AssA per sequence and overall.
 */
import { rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { evaluateVideos, formatScoresTable, tudSequences } from '../src/eval/video-eval.js';
import { runConfig, writeJson } from './eval-config.js';
import { defaultMotDir } from './eval-mot.js';

export async function main(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      config: { type: 'string' },
      tracker: { type: 'string' },
      json: { type: 'string' },
      media: { type: 'string', default: defaultMotDir },
      work: { type: 'string' },
    },
  });
  const config = runConfig(values.config, values.tracker);
  const workDir = values.work ?? path.join(os.tmpdir(), `multicam-reid-eval-video-${process.pid}`);
  try {
    const result = await evaluateVideos({ sequences: tudSequences(values.media!), workDir, config });
    console.log(`## Whole pipeline on the TUD videos (config ${values.config ?? 'defaults'}${values.tracker ? `, tracker ${values.tracker}` : ''})\n`);
    console.log(formatScoresTable([...result.sequences, result.overall]));
    console.log(`\nThe same jobs scored with the global ids (one id per person):\n`);
    console.log(formatScoresTable(result.globalIds));
    if (values.json !== undefined) {
      await writeJson(values.json, { command: ['video', ...args], config: values.config ?? null, tracker: values.tracker ? JSON.parse(values.tracker) : null, ...result });
    }
  } finally {
    if (values.work === undefined) await rm(workDir, { recursive: true, force: true });
  }
  return 0;
}
