/**
 * Detector-only inference throughput in a process of its own (so its sessions never count in
 * the memory of the benchmark that asks): YOLOX-Nano on prepared tensors, every session busy.
 * Prints one JSON object: `{ square, rectangular }` frames per second — square: the best of two
 * 1-thread sessions and one 2-thread session at 416×416; rectangular: two 1-thread sessions at
 * the letterbox of a `width`×`height` frame.
 *
 *   node --import tsx bench/inference-limit.ts [runs] [width] [height]
 */
import { PersonDetector, type PersonDetectorOptions } from '../src/models/person-detector.js';

const runs = Number(process.argv[2] ?? 40);
const frame = { width: Number(process.argv[3] ?? 640), height: Number(process.argv[4] ?? 360) };

async function fps(options: PersonDetectorOptions, size?: { width: number; height: number }): Promise<number> {
  const detector = await PersonDetector.load(options);
  try {
    return 1000 / (await detector.measureInferenceOnly(runs, size));
  } finally {
    await detector.release();
  }
}

const square = Math.max(await fps({ sessions: 2, intraOpNumThreads: 1, inputShape: 'fixed' }), await fps({ sessions: 1, intraOpNumThreads: 2, inputShape: 'fixed' }));
const rectangular = await fps({ sessions: 2, intraOpNumThreads: 1, inputShape: 'rectangular' }, frame);
console.log(JSON.stringify({ square, rectangular }));
