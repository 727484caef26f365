/**
 * `npm run eval -- multicam [--config F] [--tracker JSON] [--json out.json] [--media DIR] [--work DIR]`:
 * SPEC §5's multi-camera protocol on the TUD videos — TUD-Stadtmitte cut into two overlapping
 * crops, and each sequence cut in half in time, each run as one 2-camera job — and prints
 * multi-camera IDF1 with global ids next to the floor with per-camera track ids.
 */
import { rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { defaultMulticamSplits, evaluateMulticam, type MulticamSplitResult } from '../src/eval/multicam-eval.js';
import { tudSequences } from '../src/eval/video-eval.js';
import { parseEvalArgs, writeJson } from './eval-config.js';

function table(results: readonly MulticamSplitResult[]): string {
  const header = ['split', 'GT ids (in both)', 'global ids', 'IDF1 global', 'IDF1 floor', 'IDF1 gain', 'HOTA global', 'HOTA floor', 'AssA global', 'AssA floor', 'MOTA'];
  const lines = [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`];
  for (const r of results) {
    lines.push(`| ${[
      r.name, `${r.groundTruthIdentities} (${r.sharedGroundTruthIdentities})`, String(r.globalIdentities),
      r.global.mot.idf1.toFixed(3), r.floor.mot.idf1.toFixed(3), (r.global.mot.idf1 - r.floor.mot.idf1).toFixed(3),
      r.global.hota.hota.toFixed(3), r.floor.hota.hota.toFixed(3), r.global.hota.assA.toFixed(3), r.floor.hota.assA.toFixed(3), r.global.mot.mota.toFixed(3),
    ].join(' | ')} |`);
  }
  return lines.join('\n');
}

function cameraTable(results: readonly MulticamSplitResult[]): string {
  const header = ['split', 'camera', 'frames', 'GT boxes', 'GT ids', 'tracks', 'global ids', 'MOTA', 'IDF1 (track ids)'];
  const lines = [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`];
  for (const r of results) {
    r.cameras.forEach((c, k) => {
      lines.push(`| ${[r.name, String(k), String(c.frames), String(c.groundTruthBoxes), String(c.groundTruthIds), String(c.tracks), String(c.globalIds), c.mot.mota.toFixed(3), c.mot.idf1.toFixed(3)].join(' | ')} |`);
    });
  }
  return lines.join('\n');
}

export async function main(args: string[]): Promise<number> {
  const run = parseEvalArgs(args);
  const workDir = run.work ?? path.join(os.tmpdir(), `multicam-reid-eval-multicam-${process.pid}`);
  try {
    const results = await evaluateMulticam({ splits: defaultMulticamSplits(tudSequences(run.media)), workDir, config: run.config });
    console.log(`## Multi-camera identity on the TUD videos (${run.label})\n`);
    console.log(table(results));
    console.log('\nPer camera:\n');
    console.log(cameraTable(results));
    if (run.json !== undefined) await writeJson(run.json, { command: ['multicam', ...args], config: run.configFile, tracker: run.trackerOverride, splits: results });
  } finally {
    if (run.work === undefined) await rm(workDir, { recursive: true, force: true });
  }
  return 0;
}
