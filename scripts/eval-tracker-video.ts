/**
 * `npm run eval -- tracker-video [--config F] [--tracker JSON] [--json out.json] [--media DIR]`:
 * ByteTracker with appearance on the TUD videos. Every frame is detected and every detection
 * embedded once (the config's detector and ReID model); then the official ByteTrack
 * (`mode: 'reference'`, with the stand-in assignment behind the shipped reference data and
 * with the compiled `lap` rule) and the configured tracker (boxes only, then with embeddings)
 * run on the same detections.
 */
import { parseArgs } from 'node:util';
import { aggregateHota } from '../src/eval/hota.js';
import { aggregateMotMetrics } from '../src/eval/mot-metrics.js';
import { collectVideoDetections, scoreTrackerVariants } from '../src/eval/tracker-video-eval.js';
import { formatScoresTable, tudSequences } from '../src/eval/video-eval.js';
import { BYTETRACK_REFERENCE_PRESET } from '../src/tracking/options.js';
import { runConfig, writeJson } from './eval-config.js';
import { defaultMotDir } from './eval-mot.js';

export async function main(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { config: { type: 'string' }, tracker: { type: 'string' }, json: { type: 'string' }, media: { type: 'string', default: defaultMotDir } },
  });
  const config = runConfig(values.config, values.tracker);
  const tracker = (config.tracker ?? {}) as Record<string, unknown>;
  const sequences = tudSequences(values.media!);
  const videos = await collectVideoDetections(sequences, config);
  const results = await scoreTrackerVariants(videos, sequences, [
    { name: 'official ByteTrack (reference preset)', options: BYTETRACK_REFERENCE_PRESET, withEmbeddings: false },
    { name: "reference mode, assignment 'lapjv'", options: { ...BYTETRACK_REFERENCE_PRESET, assignment: 'lapjv' }, withEmbeddings: false },
    { name: 'configured tracker, boxes only', options: tracker, withEmbeddings: false },
    { name: 'configured tracker, with embeddings', options: tracker, withEmbeddings: true },
  ]);
  for (const r of results) {
    r.sequences.push({ name: 'OVERALL', mot: aggregateMotMetrics(r.sequences.map((s) => s.mot)), hota: aggregateHota(r.sequences.map((s) => s.hota)) });
    console.log(`\n## ${r.variant}\n`);
    console.log(formatScoresTable(r.sequences));
  }
  if (values.json !== undefined) await writeJson(values.json, { command: ['tracker-video', ...args], tracker, results });
  return 0;
}
