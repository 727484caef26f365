/**
 * Identity gallery search time with 1,000 and 10,000 identities (512-d, synthetic unit
 * vectors; 1 and 4 exemplars per identity).
 *
 *   npm run bench -- identity
 *
 * - "new track": `observe()` of a track never seen before: its first assignment, one scan of
 *   every exemplar (the track is ended afterwards, so the gallery grows by one exemplar per query).
 * - "review": `observe()` of a live track at a review point (reevaluateEvery = 1): blend its
 *   smoothed embedding, then one scan. The steady-state cost of re-evaluation.
 * The gallery is filled with `registerReference` (no search), so building it takes no time.
 */
import os from 'node:os';
import { IdentityGallery } from '../src/identity/gallery.js';
import type { IdentityObservation } from '../src/identity/types.js';
import { median, printTable, timeRuns } from './util.js';
import { seededRandom } from '../test/helpers/random.js';

const DIMENSION = 512;
const QUERIES = 200;

function randomUnit(random: () => number): Float32Array {
  const v = new Float32Array(DIMENSION);
  let sum = 0;
  for (let i = 0; i < DIMENSION; i++) sum += (v[i] = random() * 2 - 1) ** 2;
  const inv = 1 / Math.sqrt(sum);
  for (let i = 0; i < DIMENSION; i++) v[i]! *= inv;
  return v;
}

/** `base` moved towards a random direction: cosine about 0.9 with it. */
function near(base: Float32Array, random: () => number): Float32Array {
  const noise = randomUnit(random);
  const v = new Float32Array(DIMENSION);
  for (let i = 0; i < DIMENSION; i++) v[i] = 0.9 * base[i]! + 0.43 * noise[i]!;
  return v;
}

function p95(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.95))]!;
}

export async function run(): Promise<unknown> {
  const rows: Array<Record<string, string | number>> = [];
  const results: Array<Record<string, number | string>> = [];
  const box = { x1: 0, y1: 0, x2: 60, y2: 160 };
  for (const identities of [1_000, 10_000]) {
    for (const exemplars of [1, 4]) {
      const random = seededRandom(identities + exemplars);
      const gallery = new IdentityGallery({ confidentObservations: 1, reevaluateEvery: 1 });
      const people: Float32Array[] = [];
      for (let i = 0; i < identities; i++) {
        const base = randomUnit(random);
        people.push(base);
        gallery.registerReference(`person ${i}`, Array.from({ length: exemplars }, (_, k) => (k === 0 ? base : near(base, random))));
      }
      // Half the queries look like someone in the gallery, half like nobody.
      const queries = Array.from({ length: QUERIES }, (_, i) => (i % 2 === 0 ? near(people[(i * 7919) % identities]!, random) : randomUnit(random)));
      const observation = (trackId: number, embedding: Float32Array): IdentityObservation => ({ cameraIndex: 0, trackId, embedding, box, score: 0.9, timestamp: trackId });

      let next = 0;
      const newTrack = await timeRuns(() => {
        const trackId = 1_000_000 + next;
        gallery.observe(observation(trackId, queries[next++ % QUERIES]!));
        gallery.endTrack(0, trackId);
      }, QUERIES, 20);

      gallery.observe(observation(1, queries[0]!));
      let k = 0;
      const review = await timeRuns(() => gallery.observe(observation(1, queries[k++ % QUERIES]!)), QUERIES, 20);

      for (const [kind, times] of [['new track', newTrack], ['review', review]] as const) {
        const med = median(times);
        rows.push({ identities, 'exemplars/id': exemplars, query: kind, 'median ms': med, 'p95 ms': p95(times), 'matches/s': Math.round(1000 / med) });
        results.push({ identities, exemplarsPerIdentity: exemplars, query: kind, medianMs: med, p95Ms: p95(times), matchesPerSecond: 1000 / med });
      }
    }
  }
  console.log(`machine: ${os.cpus().length} cores, ${os.cpus()[0]?.model}; ${DIMENSION}-d embeddings, ${QUERIES} queries per row`);
  printTable(rows);
  return results;
}
