/**
 * `npm run eval [-- --options '{"trackThreshold":0.6}']`: runs ByteTracker on the public MOT15
 * detections of TUD-Campus and TUD-Stadtmitte (no frames needed), scores it against the
 * ground truth with py-motmetrics' definitions, and prints the table next to the reference
 * tracker output shipped with py-motmetrics. Exits 1 if ours does not beat the reference on
 * both overall MOTA and IDF1.
 *
 * Tracker options: ByteTrack's defaults, with frameRate 25 (the sequences' true rate, which
 * sets the lost-track buffer to 25 frames = 1 s).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { readMotFile } from '../src/eval/mot-file.js';
import { aggregateMotMetrics, computeMotMetrics, formatMotTable, type MotMetrics } from '../src/eval/mot-metrics.js';
import { trackMotDetections } from '../src/eval/track-detections.js';
import type { ByteTrackerOptions } from '../src/tracking/options.js';

const SEQUENCES = ['TUD-Campus', 'TUD-Stadtmitte'] as const;
const mediaDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'shared', 'media', 'mot');

const { values } = parseArgs({ options: { options: { type: 'string', default: '{}' } } });
const options: Partial<ByteTrackerOptions> = { frameRate: 25, ...(JSON.parse(values.options!) as Partial<ByteTrackerOptions>) };

type Row = { name: string; metrics: MotMetrics };
const ours: Row[] = [];
const reference: Row[] = [];
for (const seq of SEQUENCES) {
  const gt = await readMotFile(path.join(mediaDir, 'py-motmetrics', seq, 'gt.txt'));
  const detections = await readMotFile(path.join(mediaDir, 'sort-det', seq, 'det.txt'));
  const referenceOutput = await readMotFile(path.join(mediaDir, 'py-motmetrics', seq, 'test.txt'));
  ours.push({ name: seq, metrics: computeMotMetrics(gt, trackMotDetections(detections, options)) });
  reference.push({ name: seq, metrics: computeMotMetrics(gt, referenceOutput) });
}
ours.push({ name: 'OVERALL', metrics: aggregateMotMetrics(ours.map((r) => r.metrics)) });
reference.push({ name: 'OVERALL', metrics: aggregateMotMetrics(reference.map((r) => r.metrics)) });

console.log(`## ByteTracker on sort-det detections, options ${JSON.stringify(options)}\n`);
console.log(formatMotTable(ours));
console.log('\n## Reference tracker output (py-motmetrics test.txt)\n');
console.log(formatMotTable(reference));

const a = ours.at(-1)!.metrics;
const b = reference.at(-1)!.metrics;
const beats = a.mota > b.mota && a.idf1 > b.idf1;
console.log(
  `\noverall MOTA ${a.mota.toFixed(3)} vs ${b.mota.toFixed(3)}, IDF1 ${a.idf1.toFixed(3)} vs ${b.idf1.toFixed(3)}: ` +
    (beats ? 'beats the reference' : 'does NOT beat the reference'),
);
process.exitCode = beats ? 0 : 1;
