/**
 * The most recent `capacity` items, oldest first, in fixed memory: what a report keeps of a
 * long job's visits or crossings while counting the ones it had to let go.
 */
export class RecentItems<T> {
  /** Items pushed but no longer kept. */
  dropped = 0;
  private readonly items: T[] = [];
  /** Index of the oldest item once the buffer is full. */
  private head = 0;

  /** @param capacity items kept: a non-negative integer, or `Infinity` for all. */
  constructor(readonly capacity: number) {}

  /** Number of items kept. */
  get length(): number {
    return this.items.length;
  }

  push(item: T): void {
    if (this.capacity === 0) {
      this.dropped++;
    } else if (this.items.length < this.capacity) {
      this.items.push(item);
    } else {
      this.items[this.head] = item;
      this.head = (this.head + 1) % this.items.length;
      this.dropped++;
    }
  }

  /** The kept items, oldest first, as a new array. */
  toArray(): T[] {
    return this.items.slice(this.head).concat(this.items.slice(0, this.head));
  }
}
