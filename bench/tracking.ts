/**
 * `npm run bench -- tracking`: ByteTracker.update() time per frame on synthetic scenes with
 * 10, 50 and 200 people (1920×1080, constant velocities, ±2 px jitter, 10 % missed and 15 %
 * low-score detections, a few false positives), with and without 512-d embeddings (OSNet's size).
 */
import { performance } from 'node:perf_hooks';
import { ByteTracker } from '../src/tracking/byte-tracker.js';
import type { TrackerDetection } from '../src/tracking/types.js';
import { median, printTable } from './util.js';
import { seededRandom as rng } from '../test/helpers/random.js';

const WARMUP_FRAMES = 100;
const TIMED_FRAMES = 400;
const EMBEDDING_SIZE = 512;

interface Walker {
  x: number;
  y: number;
  vx: number;
  vy: number;
  w: number;
  h: number;
  embedding: Float32Array;
}

function makeScene(people: number, random: () => number): Walker[] {
  return Array.from({ length: people }, () => {
    const h = 60 + random() * 140;
    const embedding = Float32Array.from({ length: EMBEDDING_SIZE }, () => random() - 0.5);
    const norm = Math.hypot(...embedding);
    for (let k = 0; k < EMBEDDING_SIZE; k++) embedding[k] = embedding[k]! / norm;
    return { x: random() * 1800, y: random() * 900, vx: (random() - 0.5) * 6, vy: (random() - 0.5) * 3, w: h * 0.4, h, embedding };
  });
}

/** Precomputes every frame's detections so that only the tracker is timed. */
function makeFrames(people: number, frames: number, withEmbeddings: boolean): TrackerDetection[][] {
  const random = rng(people * 7919 + (withEmbeddings ? 1 : 0));
  const scene = makeScene(people, random);
  const out: TrackerDetection[][] = [];
  for (let f = 0; f < frames; f++) {
    const dets: TrackerDetection[] = [];
    for (const p of scene) {
      p.x += p.vx;
      p.y += p.vy;
      if (p.x < 0 || p.x > 1880) p.vx = -p.vx;
      if (p.y < 0 || p.y > 1000) p.vy = -p.vy;
      const r = random();
      if (r < 0.1) continue; // missed
      const jitter = () => (random() - 0.5) * 4;
      const x1 = p.x + jitter();
      const y1 = p.y + jitter();
      dets.push({
        x1,
        y1,
        x2: x1 + p.w + jitter(),
        y2: y1 + p.h + jitter(),
        score: r < 0.25 ? 0.2 + random() * 0.3 : 0.6 + random() * 0.4,
        classId: 0,
        ...(withEmbeddings ? { embedding: p.embedding } : {}),
      });
    }
    const falsePositives = Math.round(people * 0.05);
    for (let k = 0; k < falsePositives; k++) {
      const x1 = random() * 1800;
      const y1 = random() * 900;
      dets.push({ x1, y1, x2: x1 + 30, y2: y1 + 70, score: 0.3 + random() * 0.4, classId: 0 });
    }
    out.push(dets);
  }
  return out;
}

export async function run(): Promise<unknown> {
  const rows: Array<Record<string, string | number>> = [];
  for (const withEmbeddings of [false, true]) {
    for (const people of [10, 50, 200]) {
      const frames = makeFrames(people, WARMUP_FRAMES + TIMED_FRAMES, withEmbeddings);
      const tracker = new ByteTracker();
      for (let f = 0; f < WARMUP_FRAMES; f++) tracker.update(frames[f]!);
      const times: number[] = [];
      let activeSum = 0;
      for (let f = WARMUP_FRAMES; f < frames.length; f++) {
        const t0 = performance.now();
        const update = tracker.update(frames[f]!);
        times.push(performance.now() - t0);
        activeSum += update.active.length;
      }
      times.sort((a, b) => a - b);
      const detections = frames.slice(WARMUP_FRAMES).reduce((s, d) => s + d.length, 0) / TIMED_FRAMES;
      rows.push({
        people,
        embeddings: withEmbeddings ? `${EMBEDDING_SIZE}-d` : 'none',
        'detections/frame': Math.round(detections),
        'active tracks/frame': Math.round(activeSum / TIMED_FRAMES),
        'median ms': median(times),
        'p95 ms': times[Math.floor(times.length * 0.95)]!,
        'mean ms': times.reduce((s, t) => s + t, 0) / times.length,
      });
    }
  }
  printTable(rows);
  return rows;
}
