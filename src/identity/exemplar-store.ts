/**
 * Exemplar embeddings in one contiguous Float32Array (row `r` at `r * dimension`), each row
 * tagged with the identity that owns it. Searching is a linear scan of dot products over the
 * whole block: no per-query allocation, cache-friendly, fast enough for tens of thousands of
 * rows. Freed rows are recycled before the block grows (by doubling).
 */
export class ExemplarStore {
  readonly dimension: number;
  /** Row-major embeddings, `capacity * dimension` floats; rows are kept L2-normalised. */
  private data: Float32Array;
  /** Owning identity of each row, or -1 for a free row. */
  private owner: Int32Array;
  /** Rows handed out so far (the high-water mark); rows at or above it are unused. */
  private used = 0;
  private readonly freeRows: number[] = [];

  constructor(dimension: number, initialCapacity: number) {
    this.dimension = dimension;
    this.data = new Float32Array(initialCapacity * dimension);
    this.owner = new Int32Array(initialCapacity).fill(-1);
  }

  /** Rows currently holding an exemplar. */
  get rowCount(): number {
    return this.used - this.freeRows.length;
  }

  /** Rows allocated (in use or free). */
  get capacity(): number {
    return this.owner.length;
  }

  /** Takes a row for `identity`, filled with `embedding` normalised; returns its index. */
  allocate(identity: number, embedding: Float32Array): number {
    let row = this.freeRows.pop();
    if (row === undefined) {
      if (this.used === this.owner.length) this.grow();
      row = this.used++;
    }
    this.owner[row] = identity;
    this.data.set(embedding, row * this.dimension);
    this.normalise(row);
    return row;
  }

  /** Returns a row to the free list. */
  release(row: number): void {
    this.owner[row] = -1;
    this.freeRows.push(row);
  }

  /** Moves a row to another identity, keeping its embedding. */
  reassign(row: number, identity: number): void {
    this.owner[row] = identity;
  }

  ownerOf(row: number): number {
    return this.owner[row]!;
  }

  /**
   * Exponential smoothing in place: `row = momentum · row + (1 − momentum) · embedding / |embedding|`,
   * then re-normalised. `embeddingNorm` is the caller's already computed `|embedding|` (> 0).
   */
  blend(row: number, embedding: Float32Array, embeddingNorm: number, momentum: number): void {
    const data = this.data;
    const base = row * this.dimension;
    const fresh = (1 - momentum) / embeddingNorm;
    for (let i = 0; i < this.dimension; i++) data[base + i] = momentum * data[base + i]! + fresh * embedding[i]!;
    this.normalise(row);
  }

  /** Dot product (= cosine similarity, rows being normalised) of two stored rows. */
  dotRows(a: number, b: number): number {
    return this.dotWithRow(this.data, a * this.dimension, b);
  }

  /**
   * The most similar row to row `queryRow`, among rows whose owner is not `skipOwner`, whose
   * similarity is at least `floor`, and whose owner passes `isEligible` (asked only for a row
   * that would beat the best so far, so rarely). Ties go to the lower owner id, so the result
   * does not depend on where rows happen to sit. Returns the row, or -1 when none qualifies;
   * its similarity is then in {@link lastSimilarity}. Allocates nothing.
   */
  findBest(queryRow: number, skipOwner: number, floor: number, isEligible: (owner: number) => boolean): number {
    const data = this.data;
    const owner = this.owner;
    const queryBase = queryRow * this.dimension;
    let bestRow = -1;
    let bestOwner = -1;
    let best = floor;
    for (let row = 0; row < this.used; row++) {
      const id = owner[row]!;
      if (id < 0 || id === skipOwner || row === queryRow) continue;
      const similarity = this.dotWithRow(data, queryBase, row);
      if (similarity < best || (similarity === best && bestRow >= 0 && id >= bestOwner)) continue;
      if (id !== bestOwner && !isEligible(id)) continue;
      bestRow = row;
      bestOwner = id;
      best = similarity;
    }
    this.lastSimilarity = bestRow >= 0 ? best : Number.NaN;
    return bestRow;
  }

  /** Similarity of the row returned by the latest {@link findBest} (NaN when it found none). */
  lastSimilarity = Number.NaN;

  /** Dot product of `data[queryBase …]` with row `row`, four lanes at a time. */
  private dotWithRow(data: Float32Array, queryBase: number, row: number): number {
    const dim = this.dimension;
    const base = row * dim;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    let i = 0;
    for (; i + 3 < dim; i += 4) {
      s0 += data[queryBase + i]! * data[base + i]!;
      s1 += data[queryBase + i + 1]! * data[base + i + 1]!;
      s2 += data[queryBase + i + 2]! * data[base + i + 2]!;
      s3 += data[queryBase + i + 3]! * data[base + i + 3]!;
    }
    for (; i < dim; i++) s0 += data[queryBase + i]! * data[base + i]!;
    return s0 + s1 + s2 + s3;
  }

  private normalise(row: number): void {
    const data = this.data;
    const base = row * this.dimension;
    let sum = 0;
    for (let i = 0; i < this.dimension; i++) sum += data[base + i]! * data[base + i]!;
    const inv = sum > 0 ? 1 / Math.sqrt(sum) : 0;
    for (let i = 0; i < this.dimension; i++) data[base + i]! *= inv;
  }

  private grow(): void {
    const capacity = this.owner.length * 2;
    const data = new Float32Array(capacity * this.dimension);
    data.set(this.data);
    const owner = new Int32Array(capacity).fill(-1);
    owner.set(this.owner);
    this.data = data;
    this.owner = owner;
  }
}
