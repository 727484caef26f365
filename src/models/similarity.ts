/** Vector helpers for appearance embeddings. */
import { ConfigError } from '../errors.js';

/**
 * Cosine similarity of two vectors, in [-1, 1]; 0 when either is all zeros (as the embedder
 * returns for a box with no pixels inside the frame). For L2-normalised vectors this is their
 * dot product.
 * @throws ConfigError `INVALID_OPTION` when the lengths differ.
 */
export function cosineSimilarity(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) {
    throw new ConfigError('INVALID_OPTION', `cosineSimilarity: vectors differ in length (${a.length} vs ${b.length}); compare embeddings from the same model`, { culprit: 'embedding' });
  }
  let dot = 0, na = 0, nb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!, y = b[i]!;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  if (na === 0 || nb === 0) return 0;
  return dot / Math.sqrt(na * nb);
}

/** Scales `vector` in place to unit length (an all-zero vector stays zero) and returns it. */
export function l2Normalize(vector: Float32Array): Float32Array {
  let sum = 0;
  for (let i = 0; i < vector.length; i++) sum += vector[i]! * vector[i]!;
  if (sum > 0) {
    const inv = 1 / Math.sqrt(sum);
    for (let i = 0; i < vector.length; i++) vector[i] = vector[i]! * inv;
  }
  return vector;
}
