/**
 * `npm run eval -- tracker-video [--config F] [--tracker JSON] [--json out.json] [--media DIR]`:
 * ByteTracker with appearance on the TUD videos. Every frame is detected and every detection
 * embedded once (the config's detector and ReID model); then the official ByteTrack
 * (`mode: 'reference'`, with the stand-in assignment behind the shipped reference data and
 * with the compiled `lap` rule) and the configured tracker (boxes only, then with embeddings)
 * run on the same detections.
 */
import { aggregateHota } from '../src/eval/hota.js';
import { aggregateMotMetrics } from '../src/eval/mot-metrics.js';
import { collectVideoDetections, scoreTrackerVariants } from '../src/eval/tracker-video-eval.js';
import { formatScoresTable, tudSequences } from '../src/eval/video-eval.js';
import { BYTETRACK_REFERENCE_PRESET } from '../src/tracking/options.js';
import { parseEvalArgs, writeJson } from './eval-config.js';

export async function main(args: string[]): Promise<number> {
  const run = parseEvalArgs(args);
  const tracker = (run.config.tracker ?? {}) as Record<string, unknown>;
  const sequences = tudSequences(run.media);
  const videos = await collectVideoDetections(sequences, run.config);
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
  if (run.json !== undefined) await writeJson(run.json, { command: ['tracker-video', ...args], tracker, results });
  return 0;
}
