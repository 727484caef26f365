/**
 * `npm run eval -- tracker [--options '{"trackThreshold":0.6}']` (also `npm run eval` alone):
 * runs ByteTracker on the public MOT15 detections of TUD-Campus and TUD-Stadtmitte (no frames
 * needed), scores it against the ground truth with py-motmetrics' definitions and TrackEval's
 * HOTA, and prints the table next to the reference tracker output shipped with py-motmetrics
 * and the official ByteTrack's output on the same detections. Exits 1 if ours does not beat
 * the py-motmetrics reference on both overall MOTA and IDF1.
 *
 * Tracker options: ByteTrack's defaults, with frameRate 25 (the sequences' true rate, which
 * sets the lost-track buffer to 25 frames = 1 s).
 */
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { aggregateHota, computeHota } from '../src/eval/hota.js';
import { readMotFile, type MotRecord } from '../src/eval/mot-file.js';
import { aggregateMotMetrics, computeMotMetrics, formatMotTable } from '../src/eval/mot-metrics.js';
import { trackMotDetections } from '../src/eval/track-detections.js';
import { formatScoresTable, type SequenceScores } from '../src/eval/video-eval.js';
import type { ByteTrackerOptions } from '../src/tracking/options.js';

const SEQUENCES = ['TUD-Campus', 'TUD-Stadtmitte'] as const;
export const defaultMotDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'shared', 'media', 'mot');

/** Runs the tracker eval; returns the process exit code. */
export async function main(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { options: { type: 'string', default: '{}' }, media: { type: 'string', default: defaultMotDir } } });
  const mediaDir = values.media!;
  const options: Partial<ByteTrackerOptions> = { frameRate: 25, ...(JSON.parse(values.options!) as Partial<ByteTrackerOptions>) };

  const score = (name: string, gt: MotRecord[], hyp: MotRecord[]): SequenceScores => ({ name, mot: computeMotMetrics(gt, hyp), hota: computeHota(gt, hyp) });
  const tables: Record<string, SequenceScores[]> = { ours: [], official: [], pymotmetrics: [] };
  for (const seq of SEQUENCES) {
    const gt = await readMotFile(path.join(mediaDir, 'py-motmetrics', seq, 'gt.txt'));
    const detections = await readMotFile(path.join(mediaDir, 'sort-det', seq, 'det.txt'));
    tables.ours!.push(score(seq, gt, trackMotDetections(detections, options)));
    tables.official!.push(score(seq, gt, await readMotFile(path.join(mediaDir, 'bytetrack-reference', `${seq}.txt`))));
    tables.pymotmetrics!.push(score(seq, gt, await readMotFile(path.join(mediaDir, 'py-motmetrics', seq, 'test.txt'))));
  }
  for (const rows of Object.values(tables)) {
    rows.push({ name: 'OVERALL', mot: aggregateMotMetrics(rows.map((r) => r.mot)), hota: aggregateHota(rows.map((r) => r.hota)) });
  }

  console.log(`## ByteTracker on sort-det detections, options ${JSON.stringify(options)}\n`);
  console.log(formatScoresTable(tables.ours!));
  console.log('\nMOTChallenge columns:\n');
  console.log(formatMotTable(tables.ours!.map((r) => ({ name: r.name, metrics: r.mot }))));
  console.log('\n## Official ByteTrack on the same detections (bytetrack-reference)\n');
  console.log(formatScoresTable(tables.official!));
  console.log('\n## Reference tracker output (py-motmetrics test.txt)\n');
  console.log(formatScoresTable(tables.pymotmetrics!));

  const a = tables.ours!.at(-1)!.mot;
  const b = tables.pymotmetrics!.at(-1)!.mot;
  const beats = a.mota > b.mota && a.idf1 > b.idf1;
  console.log(
    `\noverall MOTA ${a.mota.toFixed(3)} vs ${b.mota.toFixed(3)}, IDF1 ${a.idf1.toFixed(3)} vs ${b.idf1.toFixed(3)}: ` +
      (beats ? 'beats the py-motmetrics reference' : 'does NOT beat the py-motmetrics reference'),
  );
  return beats ? 0 : 1;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main(process.argv.slice(2));
}
