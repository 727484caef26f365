/**
 * Model layer benchmark, every model of the zoo (`npm run bench -- models`):
 * - detectors: inference-only and detect() frames/s with fixed and rectangular input, on real
 *   640×360 (store) and 640×480 (TUD) frames, two frames in flight over the default session
 *   layout (one 1-thread session per core);
 * - pre-processing in the inference worker vs on the main thread: main-thread ms per frame
 *   (event-loop utilisation over the run) and detect() frames/s;
 * - ReID: ms per crop at batch 1, 8 and 16 for every embedder, and ms per crop with 2 and 4
 *   concurrent callers (cameras), per-call batches vs merged batches.
 * Timings on a shared machine are noisy: every comparison alternates short rounds between its
 * variants and reports medians, so compare ratios within one run. BENCH_ROUNDS (default 7) and
 * BENCH_FRAMES (default 12 frames per round for YOLOX-Nano, a third for the pedestrian
 * detector) size the runs.
 */
import { performance } from 'node:perf_hooks';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadManifest } from '../src/models/manifest.js';
import { PersonDetector, type InputShape, type PreprocessLocation } from '../src/models/person-detector.js';
import { ReidEmbedder, type EmbedBatching } from '../src/models/reid-embedder.js';
import type { ImageView } from '../src/streams/frame.js';
import { decodeVideoFrame } from '../test/models/video-frame.js';
import { median, printTable, timeRuns } from './util.js';

const mediaDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'shared', 'media');
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const FRAMES_PER_ROUND = Number(process.env.BENCH_FRAMES ?? 12);
const cacheDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'bench-results', 'model-cache');
const manifest = loadManifest();

async function frames(file: string, width: number, height: number): Promise<ImageView[]> {
  const out: ImageView[] = [];
  for (const seconds of [0.5, 1.5, 2.5, 3.5]) out.push(await decodeVideoFrame(path.join(mediaDir, file), seconds, width, height));
  return out;
}

/** detect() throughput with two calls in flight, and main-thread milliseconds per frame. */
async function detectThroughput(detector: PersonDetector, images: ImageView[], repeats: number): Promise<{ fps: number; mainMsPerFrame: number }> {
  let next = 0;
  const lane = async () => {
    while (next < repeats) await detector.detect(images[next++ % images.length]!);
  };
  const elu = performance.eventLoopUtilization();
  const start = performance.now();
  await Promise.all([lane(), lane()]);
  const elapsed = performance.now() - start;
  const used = performance.eventLoopUtilization(elu);
  return { fps: (1000 * repeats) / elapsed, mainMsPerFrame: used.active / repeats };
}

interface DetectorRow extends Record<string, string | number> {
  model: string;
  frames: string;
  input: string;
  tensor: string;
  'inference-only fps': number;
  'detect() fps': number;
  'main-thread ms/frame': number;
  /** Median over rounds of this variant's detect() fps ÷ the first variant's in the same round. */
  'detect() fps ratio': number;
}

/**
 * Compares detector variants on the same frames. Rounds alternate between the variants (all
 * loaded at once), so a burst of load on the shared machine hits them alike; each figure is the
 * median over the rounds.
 */
async function compareDetectors(id: string, variants: Array<{ inputShape: InputShape; preprocessIn: PreprocessLocation }>, sets: Array<{ label: string; images: ImageView[] }>, framesPerRound: number): Promise<DetectorRow[]> {
  const detectors = await Promise.all(variants.map((v) => PersonDetector.load({ modelId: id, ...v, cacheDir })));
  const rows: DetectorRow[] = [];
  try {
    for (const { label, images } of sets) {
      const { width, height } = images[0]!;
      const samples = detectors.map(() => ({ inference: [] as number[], fps: [] as number[], main: [] as number[] }));
      for (const d of detectors) for (const image of images) await d.detect(image); // warm-up: plans, grids
      for (let round = 0; round < ROUNDS; round++) {
        for (const [k, d] of detectors.entries()) {
          samples[k]!.inference.push(1000 / (await d.measureInferenceOnly(Math.max(2, framesPerRound >> 1), { width, height })));
          const { fps, mainMsPerFrame } = await detectThroughput(d, images, framesPerRound);
          samples[k]!.fps.push(fps);
          samples[k]!.main.push(mainMsPerFrame);
        }
      }
      for (const [k, d] of detectors.entries()) {
        const tensor = d.tensorSizeFor(width, height);
        const ratio = median(samples[k]!.fps.map((fps, round) => fps / samples[0]!.fps[round]!));
        rows.push({ model: id, frames: label, input: `${d.inputShape}, ${d.preprocessIn}`, tensor: `${tensor.width}x${tensor.height}`, 'inference-only fps': median(samples[k]!.inference), 'detect() fps': median(samples[k]!.fps), 'main-thread ms/frame': median(samples[k]!.main), 'detect() fps ratio': ratio });
      }
    }
  } finally {
    await Promise.all(detectors.map((d) => d.release()));
  }
  return rows;
}

/** Person-sized boxes (about 50×130 px) tiled over a 640×360 frame. */
function boxes(count: number): Array<{ x1: number; y1: number; x2: number; y2: number }> {
  return Array.from({ length: count }, (_, k) => ({ x1: (k % 10) * 58, y1: 20 + Math.floor(k / 10) * 80, x2: (k % 10) * 58 + 50, y2: 150 + Math.floor(k / 10) * 80 }));
}

/** ms per crop when `callers` cameras each embed `perCaller` crops per tick, concurrently. */
async function concurrentMsPerCrop(embedder: ReidEmbedder, image: ImageView, callers: number, perCaller: number, ticks: number): Promise<{ msPerCrop: number; callsPerTick: number }> {
  const tick = () => Promise.all(Array.from({ length: callers }, (_, c) => embedder.embed(image, boxes(perCaller).map((b) => ({ ...b, x1: b.x1 + c, x2: b.x2 + c })))));
  await tick();
  const calls = embedder.inferenceCalls;
  const start = performance.now();
  for (let t = 0; t < ticks; t++) await tick();
  const elapsed = performance.now() - start;
  return { msPerCrop: elapsed / (ticks * callers * perCaller), callsPerTick: (embedder.inferenceCalls - calls) / ticks };
}

export async function run(): Promise<unknown> {
  const sets = [
    { label: '640x360 store', images: await frames('multicam/cam1_with_tracking_overlay.mp4', 640, 360) },
    { label: '640x480 TUD', images: await frames('mot/video/TUD-Stadtmitte/TUD-Stadtmitte.mp4', 640, 480) },
  ];

  // Detectors: fixed vs rectangular input (pre-processing in the worker).
  const detectorRows: DetectorRow[] = [];
  const framesFor = (id: string) => (id === 'yolox-nano' ? FRAMES_PER_ROUND : Math.max(4, Math.round(FRAMES_PER_ROUND / 3)));
  for (const entry of manifest.models.filter((m) => m.task === 'detector')) {
    detectorRows.push(...(await compareDetectors(entry.id, [{ inputShape: 'fixed', preprocessIn: 'worker' }, { inputShape: 'rectangular', preprocessIn: 'worker' }], sets, framesFor(entry.id))));
  }
  printTable(detectorRows);

  // Where pre-processing runs: on the main thread (a tensor transferred) vs in the worker
  // (frames through shared memory).
  const preprocessRows: DetectorRow[] = [];
  for (const [id, inputShape] of [['yolox-nano', 'fixed'], ['yolox-nano', 'rectangular'], ['bytetrack-nano-mot17', 'fixed']] as const) {
    preprocessRows.push(...(await compareDetectors(id, [{ inputShape, preprocessIn: 'main' }, { inputShape, preprocessIn: 'worker' }], sets.slice(0, 1), framesFor(id))));
  }
  console.log();
  printTable(preprocessRows);

  // ReID: ms per crop by batch size, every embedder; then concurrent callers (cameras), 4
  // crops each per tick, per-call batches vs merged ones. Rounds alternate between variants.
  const store = sets[0]!.images[0]!;
  const reidRows: Array<Record<string, string | number>> = [];
  const batchingRows: Array<Record<string, string | number>> = [];
  for (const entry of manifest.models.filter((m) => m.task === 'embedder')) {
    const batches = [1, 8, 16];
    const bySize = await Promise.all(batches.map((batch) => ReidEmbedder.load({ modelId: entry.id, maxBatch: batch, batching: 'per-call' })));
    try {
      const samples = batches.map(() => [] as number[]);
      for (let round = 0; round < ROUNDS; round++) {
        for (const [k, batch] of batches.entries()) {
          const callMs = median(await timeRuns(() => bySize[k]!.embed(store, boxes(batch)), Math.max(3, Math.round(48 / batch)), 1));
          samples[k]!.push(callMs / batch);
        }
      }
      const row: Record<string, string | number> = { model: entry.id };
      batches.forEach((batch, k) => (row[`ms/crop, batch ${batch}`] = median(samples[k]!)));
      reidRows.push(row);
    } finally {
      await Promise.all(bySize.map((e) => e.release()));
    }
    const modes: EmbedBatching[] = ['per-call', 'merge'];
    const byMode = await Promise.all(modes.map((batching) => ReidEmbedder.load({ modelId: entry.id, maxBatch: 16, batching })));
    try {
      for (const [callers, perCaller] of [[2, 1], [4, 1], [2, 4], [4, 4]] as const) {
        const samples = modes.map(() => ({ ms: [] as number[], calls: [] as number[] }));
        for (let round = 0; round < ROUNDS; round++) {
          for (const [k, e] of byMode.entries()) {
            const { msPerCrop, callsPerTick } = await concurrentMsPerCrop(e, store, callers, perCaller, Math.max(4, 16 / perCaller));
            samples[k]!.ms.push(msPerCrop);
            samples[k]!.calls.push(callsPerTick);
          }
        }
        const result: Record<string, string | number> = { model: entry.id, callers, 'crops per caller': perCaller };
        modes.forEach((mode, k) => {
          result[`${mode} ms/crop`] = median(samples[k]!.ms);
          result[`${mode} calls/tick`] = median(samples[k]!.calls);
        });
        // Paired by round, so load that shifts between rounds cancels out.
        result['merge / per-call'] = median(samples[1]!.ms.map((ms, round) => ms / samples[0]!.ms[round]!));
        batchingRows.push(result);
      }
    } finally {
      await Promise.all(byMode.map((e) => e.release()));
    }
  }
  console.log();
  printTable(reidRows);
  console.log();
  printTable(batchingRows);
  return { rounds: ROUNDS, framesPerRound: FRAMES_PER_ROUND, detectors: detectorRows, preprocess: preprocessRows, reid: reidRows, batching: batchingRows };
}

export function summarize(result: unknown): string[] {
  const r = result as { detectors: DetectorRow[]; reid: Array<Record<string, number | string>>; batching: Array<Record<string, number | string>> };
  const lines: string[] = [];
  const r2 = result as { preprocess: DetectorRow[] };
  for (const row of [...r.detectors, ...r2.preprocess]) lines.push(`- ${row.model} ${row.frames} ${row.input} (${row.tensor}): ${row['detect() fps'].toFixed(1)} detect fps (×${row['detect() fps ratio'].toFixed(2)} paired), ${row['inference-only fps'].toFixed(1)} inference-only fps, ${row['main-thread ms/frame'].toFixed(2)} main-thread ms/frame`);
  for (const row of r.reid) lines.push(`- ${row.model}: ${[1, 8, 16].map((b) => `${(row[`ms/crop, batch ${b}`] as number).toFixed(2)} ms/crop at batch ${b}`).join(', ')}`);
  for (const row of r.batching) lines.push(`- ${row.model}, ${row.callers} callers × ${row['crops per caller']} crops: per-call ${(row['per-call ms/crop'] as number).toFixed(2)} vs merged ${(row['merge ms/crop'] as number).toFixed(2)} ms/crop (paired ratio ${(row['merge / per-call'] as number).toFixed(2)})`);
  return lines;
}
