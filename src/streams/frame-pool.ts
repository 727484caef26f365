/**
 * Reusable pixel buffers for one reader, and the frame type that gives its buffer back.
 *
 * Buffers are backed by `SharedArrayBuffer` so a worker thread can read a frame's pixels without
 * a copy. The pool keeps only buffers that were released to it: a buffer still held by a frame is
 * never handed out again, and a frame that is never released is garbage-collected with its buffer
 * (the pool allocates a new one instead). Its free list is capped, so it holds no more than
 * `capacity` idle buffers.
 */
import type { Frame, PixelFormat } from './frame.js';

/** Where an ffmpeg child's frames get their bytes and where discarded ones go back. */
export interface FrameBuffers {
  /** A buffer of exactly `byteLength` bytes, reused when one was released, else new. */
  acquire(byteLength: number): Uint8Array;
  /** Returns a buffer nobody reads any more. Buffers of another size, or over capacity, are dropped. */
  recycle(buffer: Uint8Array): void;
}

export class FramePool implements FrameBuffers {
  private readonly free: Uint8Array[] = [];
  private byteLength = 0;
  private closed = false;
  /** Buffers created so far (each one a `SharedArrayBuffer`). */
  allocated = 0;
  /** Buffers handed out again after a release. */
  reused = 0;

  /** @param capacity most idle buffers kept for reuse */
  constructor(readonly capacity: number) {}

  /** Idle buffers ready for reuse. */
  get idle(): number {
    return this.free.length;
  }

  acquire(byteLength: number): Uint8Array {
    if (byteLength !== this.byteLength) {
      // A new frame size: idle buffers of the old one are of no use.
      this.free.length = 0;
      this.byteLength = byteLength;
    }
    const buffer = this.free.pop();
    if (buffer !== undefined) {
      this.reused++;
      return buffer;
    }
    this.allocated++;
    return new Uint8Array(new SharedArrayBuffer(byteLength));
  }

  recycle(buffer: Uint8Array): void {
    if (this.closed || buffer.byteLength !== this.byteLength || this.free.length >= this.capacity) return;
    this.free.push(buffer);
  }

  /** Drops every idle buffer and ignores later recycling (the reader was released). */
  close(): void {
    this.closed = true;
    this.free.length = 0;
  }
}

/** A {@link Frame} whose `release()` gives its buffer back to the pool it came from, once. */
export class PooledFrame implements Frame {
  #pool: FrameBuffers | undefined;

  constructor(
    readonly data: Uint8Array,
    readonly width: number,
    readonly height: number,
    readonly pixelFormat: PixelFormat,
    readonly cameraIndex: number,
    readonly frameIndex: number,
    readonly pts: number,
    readonly capturedAt: number,
    pool: FrameBuffers,
  ) {
    this.#pool = pool;
  }

  release(): void {
    const pool = this.#pool;
    if (pool === undefined) return;
    this.#pool = undefined;
    pool.recycle(this.data);
  }
}
