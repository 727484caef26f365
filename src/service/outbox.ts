/**
 * Messages kept while the broker is unreachable: first in, first out, bounded. Event messages
 * count against the bound and the oldest is dropped for room; status messages (one per job,
 * retained on the broker) never are — a newer status of the same job replaces the older one.
 */

/** One message waiting for the broker. */
export interface OutgoingMessage {
  topic: string;
  payload: string;
  retain: boolean;
  /** A job status: kept apart from the bound, replaced by the next status of the same topic. */
  status: boolean;
}

export class Outbox {
  /** Slots in arrival order; `undefined` marks a dropped or replaced message. */
  private slots: Array<OutgoingMessage | undefined> = [];
  private head = 0;
  private eventCount = 0;
  private statusCount = 0;
  /** Slot of the pending status message of each status topic. */
  private readonly statusSlot = new Map<string, number>();

  /** @param maxEvents event messages kept at most; 0 keeps none. */
  constructor(private readonly maxEvents: number) {}

  /** Messages waiting (events and statuses). */
  get size(): number {
    return this.eventCount + this.statusCount;
  }

  /** Adds a message; returns how many event messages were dropped to make room (0 or 1). */
  push(message: OutgoingMessage): number {
    if (message.status) {
      const previous = this.statusSlot.get(message.topic);
      if (previous !== undefined) {
        this.slots[previous] = undefined;
        this.statusCount--;
      }
      this.statusSlot.set(message.topic, this.slots.length);
      this.slots.push(message);
      this.statusCount++;
      return 0;
    }
    if (this.maxEvents === 0) return 1;
    let dropped = 0;
    if (this.eventCount >= this.maxEvents) {
      this.dropOldestEvent();
      dropped = 1;
    }
    this.slots.push(message);
    this.eventCount++;
    this.compact();
    return dropped;
  }

  /** Removes and returns every waiting message, oldest first. */
  drain(): OutgoingMessage[] {
    const out: OutgoingMessage[] = [];
    for (let i = this.head; i < this.slots.length; i++) {
      const message = this.slots[i];
      if (message !== undefined) out.push(message);
    }
    this.slots = [];
    this.head = 0;
    this.eventCount = 0;
    this.statusCount = 0;
    this.statusSlot.clear();
    return out;
  }

  private dropOldestEvent(): void {
    // Statuses are few (one per job), so the first event is at most a few slots in.
    for (let i = this.head; i < this.slots.length; i++) {
      const message = this.slots[i];
      if (message !== undefined && !message.status) {
        this.slots[i] = undefined;
        this.eventCount--;
        break;
      }
    }
    while (this.head < this.slots.length && this.slots[this.head] === undefined) this.head++;
  }

  /** Forgets the dropped slots at the front once they are half of the array. */
  private compact(): void {
    if (this.head < 1024 || this.head * 2 < this.slots.length) return;
    this.slots = this.slots.slice(this.head);
    const shift = this.head;
    this.head = 0;
    for (const [topic, slot] of this.statusSlot) this.statusSlot.set(topic, slot - shift);
  }
}
