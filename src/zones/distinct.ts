/**
 * Counting distinct numbers (global ids) in bounded memory: exact with a Set up to a limit,
 * then a HyperLogLog sketch (Flajolet et al. 2007) of 2^12 one-byte registers, whose standard
 * error is 1.04 / √4096 ≈ 1.6 %. Memory is at most `limit` Set entries or 4 KiB, whichever
 * the counter is in, however many values come.
 */

const PRECISION = 12;
const REGISTERS = 1 << PRECISION;
/** Bias correction of the raw estimate for this many registers (HyperLogLog paper, m ≥ 128). */
const ALPHA = 0.7213 / (1 + 1.079 / REGISTERS);
const TWO_POW_32 = 2 ** 32;

/** MurmurHash3's 32-bit finaliser: a bijection that spreads every input bit over the output. */
function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

const scratch = new Float64Array(1);
const scratchWords = new Uint32Array(scratch.buffer);

/** A 32-bit hash of any number: integers by their value, others by their bits. */
function hashNumber(value: number): number {
  let low: number, high: number;
  if (Number.isSafeInteger(value)) {
    low = value >>> 0;
    high = Math.floor(value / TWO_POW_32) >>> 0;
  } else {
    scratch[0] = value;
    low = scratchWords[0]!;
    high = scratchWords[1]!;
  }
  return mix32(low ^ mix32(high + 0x9e3779b9));
}

/** Counts distinct numbers; exact up to `exactLimit` of them, estimated (HyperLogLog) beyond. */
export class DistinctCounter {
  private exact: Set<number> | null = new Set<number>();
  private registers: Uint8Array | null = null;

  /**
   * @param exactLimit distinct values counted exactly before switching to the sketch. Higher
   * keeps counts exact longer, at about 50 bytes per value.
   */
  constructor(readonly exactLimit: number) {}

  add(value: number): void {
    if (this.exact !== null) {
      this.exact.add(value);
      if (this.exact.size <= this.exactLimit) return;
      this.registers = new Uint8Array(REGISTERS);
      for (const kept of this.exact) this.addToSketch(kept);
      this.exact = null;
      return;
    }
    this.addToSketch(value);
  }

  /** The number of distinct values added (an estimate once {@link DistinctCounter.estimated}). */
  get count(): number {
    if (this.exact !== null) return this.exact.size;
    const registers = this.registers!;
    let sum = 0;
    let zeros = 0;
    for (let j = 0; j < REGISTERS; j++) {
      sum += 2 ** -registers[j]!;
      if (registers[j] === 0) zeros++;
    }
    let estimate = (ALPHA * REGISTERS * REGISTERS) / sum;
    // Small range: linear counting over the empty registers is more accurate.
    if (estimate <= 2.5 * REGISTERS && zeros > 0) estimate = REGISTERS * Math.log(REGISTERS / zeros);
    // Large range: correct for collisions of the 32-bit hash.
    else if (estimate > TWO_POW_32 / 30) estimate = -TWO_POW_32 * Math.log(1 - estimate / TWO_POW_32);
    return Math.round(estimate);
  }

  /** True once the count is an estimate. */
  get estimated(): boolean {
    return this.exact === null;
  }

  /** Values held exactly (0 once estimating): what this counter costs in memory. */
  get exactSize(): number {
    return this.exact?.size ?? 0;
  }

  private addToSketch(value: number): void {
    const hash = hashNumber(value);
    const index = hash >>> (32 - PRECISION);
    // Rank: position of the first 1 bit in the remaining 20 bits (21 when they are all 0).
    const rest = (hash << PRECISION) >>> 0;
    const rank = rest === 0 ? 32 - PRECISION + 1 : Math.clz32(rest) + 1;
    const registers = this.registers!;
    if (rank > registers[index]!) registers[index] = rank;
  }
}
