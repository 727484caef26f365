/**
 * The shared gallery's messages in Redis. Each camera attempt appends its gallery calls to
 * the job's operations stream — one entry per flush: a JSON list of calls and, beside it, the
 * embeddings of its observations as raw float32 — and reads the owner's decisions for its
 * tracks from a stream of its own.
 */

/** A camera attempt joins the gallery; `references` are the reference persons it embedded (their embeddings follow, in order). */
export type AttachOp = ['a', cameraIndex: number, attempt: number, dimension: number, references: Array<[name: string, count: number]>];
/** `observe` (its embedding follows in the binary field). */
export type ObserveOp = ['o', trackId: number, timestamp: number, x1: number, y1: number, x2: number, y2: number, score: number, trusted: 0 | 1];
/** `touch`. */
export type TouchOp = ['t', trackId: number, timestamp: number];
/** `endTrack`. */
export type EndOp = ['e', trackId: number];

export type GalleryOp = AttachOp | ObserveOp | TouchOp | EndOp;

/** A decision of the owner for one track: its global id, the similarity behind it, the reference name. */
export type Decision = [trackId: number, globalId: number, similarity: number, name?: string];
/**
 * The owner's answer to an `endTrack`: the track's final id (0: none), always sent, so a
 * worker waiting for it (a track that ends undecided) knows when to stop waiting.
 */
export type EndAnswer = ['E', trackId: number, globalId: number, similarity: number, name?: string];

/** An entry of a decisions stream holds a list of these. */
export type DecisionMessage = Decision | EndAnswer;

/** Field names of the streams' entries. */
export const GALLERY_FIELD = {
  /** The attempt's token (which camera attempt sent the operations). */
  attempt: 'a',
  /** JSON list of {@link GalleryOp}, or of {@link Decision} in a decisions stream. */
  json: 'j',
  /** The embeddings of the entry's observations and references, float32, in order. */
  embeddings: 'e',
} as const;

/** Float32 values from a Buffer received from Redis (copied when unaligned). */
export function floatsOf(buffer: Buffer): Float32Array {
  if (buffer.byteOffset % 4 === 0) return new Float32Array(buffer.buffer, buffer.byteOffset, buffer.length / 4);
  return new Float32Array(Uint8Array.prototype.slice.call(buffer).buffer);
}
