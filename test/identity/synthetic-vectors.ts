/**
 * Deterministic synthetic embeddings for gallery tests: random unit vectors (independent ones
 * are nearly orthogonal in 512-d) and vectors at an exact cosine similarity to a given one.
 */

import { seededRandom } from '../helpers/random.js';

export { seededRandom };

function normalise(v: Float64Array): Float64Array {
  let sum = 0;
  for (const x of v) sum += x * x;
  const inv = 1 / Math.sqrt(sum);
  for (let i = 0; i < v.length; i++) v[i]! *= inv;
  return v;
}

function randomDirection(random: () => number, dimension: number): Float64Array {
  const v = new Float64Array(dimension);
  for (let i = 0; i < dimension; i++) v[i] = random() * 2 - 1;
  return normalise(v);
}

/** A random unit vector. */
export function randomUnit(random: () => number, dimension = 512): Float32Array {
  return Float32Array.from(randomDirection(random, dimension));
}

/** A unit vector whose cosine similarity with the unit vector `base` is exactly `similarity` (to float precision). */
export function atSimilarity(base: Float32Array, similarity: number, random: () => number): Float32Array {
  const other = randomDirection(random, base.length);
  let along = 0;
  for (let i = 0; i < base.length; i++) along += other[i]! * base[i]!;
  for (let i = 0; i < base.length; i++) other[i]! -= along * base[i]!;
  normalise(other);
  const across = Math.sqrt(1 - similarity * similarity);
  const out = new Float32Array(base.length);
  for (let i = 0; i < base.length; i++) out[i] = similarity * base[i]! + across * other[i]!;
  return out;
}

/** Cosine similarity of two vectors. */
export function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return dot / Math.sqrt(na * nb);
}

/**
 * A unit vector with cosine `sa` to `a` and `sb` to `b`, where `b` must be a unit vector
 * orthogonal to `a` (e.g. `atSimilarity(a, 0, random)`) and `sa² + sb² ≤ 1`.
 */
export function mix(a: Float32Array, sa: number, b: Float32Array, sb: number, random: () => number): Float32Array {
  if (sa * sa + sb * sb > 1) throw new Error(`mix(): ${sa}² + ${sb}² exceeds 1`);
  const r = Float64Array.from(randomUnit(random, a.length));
  for (const basis of [a, b]) {
    let along = 0;
    for (let i = 0; i < r.length; i++) along += r[i]! * basis[i]!;
    for (let i = 0; i < r.length; i++) r[i]! -= along * basis[i]!;
  }
  normalise(r);
  const fill = Math.sqrt(1 - sa * sa - sb * sb);
  const out = new Float32Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = sa * a[i]! + sb * b[i]! + fill * r[i]!;
  return out;
}
