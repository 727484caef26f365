/**
 * A bounded FIFO between a producer (ffmpeg's stdout) and any number of waiting consumers.
 *
 * Two policies when it is full:
 * - `'block'` (files): the item is still accepted, `push` returns false and the producer is
 *   expected to pause until `onSpace` fires — nothing is lost, the buffer overshoots by at most
 *   what was already in flight.
 * - `'drop-oldest'` (live): the oldest item is discarded and counted, so the queue always holds
 *   the freshest items and latency cannot creep up.
 */

/** Full-queue behaviour; see the module comment. */
export type QueuePolicy = 'block' | 'drop-oldest';

interface Waiter<T> {
  resolve: (item: T | null) => void;
  cleanup: () => void;
}

export class FrameQueue<T> {
  private readonly items: T[] = [];
  private readonly waiters: Array<Waiter<T>> = [];
  private isClosed = false;
  private droppedCount = 0;

  /**
   * @param capacity items held before the policy applies
   * @param policy what a full queue does
   * @param onSpace called when a `'block'` queue goes from full to having room
   * @param onDiscard called with every item the queue throws away (dropped oldest, cleared), so
   * its owner can recycle it
   */
  constructor(
    readonly capacity: number,
    readonly policy: QueuePolicy,
    private readonly onSpace: () => void = () => {},
    private readonly onDiscard: (item: T) => void = () => {},
  ) {}

  /** Items waiting. */
  get size(): number {
    return this.items.length;
  }

  /** Items discarded by the `'drop-oldest'` policy. */
  get dropped(): number {
    return this.droppedCount;
  }

  /** True once {@link close} was called; queued items can still be taken. */
  get closed(): boolean {
    return this.isClosed;
  }

  /** True when the queue is closed and drained: nothing will ever come out again. */
  get finished(): boolean {
    return this.isClosed && this.items.length === 0;
  }

  get full(): boolean {
    return this.items.length >= this.capacity;
  }

  /**
   * Adds an item (ignored after close). Returns false when the producer should pause
   * (`'block'` policy, queue now full).
   */
  push(item: T): boolean {
    if (this.isClosed) return false;
    const waiter = this.waiters.shift();
    if (waiter) {
      waiter.cleanup();
      waiter.resolve(item);
      return true;
    }
    if (this.policy === 'drop-oldest' && this.items.length >= this.capacity) {
      this.onDiscard(this.items.shift()!);
      this.droppedCount++;
    }
    this.items.push(item);
    return this.policy === 'drop-oldest' || this.items.length < this.capacity;
  }

  /** Takes the oldest item if one is there, without waiting. */
  tryTake(): T | undefined {
    const wasFull = this.full;
    const item = this.items.shift();
    if (item !== undefined && wasFull && !this.full && this.policy === 'block') this.onSpace();
    return item;
  }

  /**
   * Takes the oldest item, waiting for one if needed. Resolves `null` when the queue is
   * finished, when `timeoutMs` passes first, or when `signal` aborts.
   */
  take(timeoutMs?: number, signal?: AbortSignal): Promise<T | null> {
    const item = this.tryTake();
    if (item !== undefined) return Promise.resolve(item);
    if (this.isClosed || signal?.aborted || timeoutMs === 0) return Promise.resolve(null);
    return new Promise<T | null>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const onAbort = () => settle(null);
      const waiter: Waiter<T> = {
        resolve,
        cleanup: () => {
          if (timer !== undefined) clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
        },
      };
      const settle = (value: T | null) => {
        const index = this.waiters.indexOf(waiter);
        if (index >= 0) this.waiters.splice(index, 1);
        waiter.cleanup();
        resolve(value);
      };
      if (timeoutMs !== undefined && Number.isFinite(timeoutMs)) timer = setTimeout(() => settle(null), timeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  /** Ends the queue: waiting consumers get `null`, queued items can still be taken. */
  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    for (const waiter of this.waiters.splice(0)) {
      waiter.cleanup();
      waiter.resolve(null);
    }
  }

  /** Discards every queued item (after a release, so buffers can be collected). */
  clear(): void {
    const wasFull = this.full;
    for (const item of this.items.splice(0)) this.onDiscard(item);
    if (wasFull && this.policy === 'block') this.onSpace();
  }
}
