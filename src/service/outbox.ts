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

interface Entry {
  /** Arrival number: the order of the merged drain. */
  seq: number;
  message: OutgoingMessage;
}

export class Outbox {
  /** Event messages in arrival order from `head` on; slots before it were dropped or compacted away. */
  private events: Array<Entry | undefined> = [];
  private head = 0;
  /** The pending status of each status topic (one per job). */
  private readonly statuses = new Map<string, Entry>();
  private seq = 0;

  /** @param maxEvents event messages kept at most; 0 keeps none. */
  constructor(private readonly maxEvents: number) {}

  /** Messages waiting (events and statuses). */
  get size(): number {
    return this.events.length - this.head + this.statuses.size;
  }

  /** Adds a message; returns how many event messages were dropped to make room (0 or 1). */
  push(message: OutgoingMessage): number {
    const entry = { seq: this.seq++, message };
    if (message.status) {
      this.statuses.set(message.topic, entry);
      return 0;
    }
    if (this.maxEvents === 0) return 1;
    let dropped = 0;
    if (this.events.length - this.head >= this.maxEvents) {
      this.events[this.head++] = undefined; // the oldest goes; let it be collected
      dropped = 1;
    }
    this.events.push(entry);
    // Forget the dropped slots once they are half of the array: amortised O(1) per message.
    if (this.head >= 1024 && this.head * 2 >= this.events.length) {
      this.events = this.events.slice(this.head);
      this.head = 0;
    }
    return dropped;
  }

  /** Removes and returns every waiting message, oldest first (events and statuses merged). */
  drain(): OutgoingMessage[] {
    const events = this.events.slice(this.head) as Entry[];
    const statuses = [...this.statuses.values()].sort((a, b) => a.seq - b.seq);
    this.events = [];
    this.head = 0;
    this.statuses.clear();
    const out: OutgoingMessage[] = [];
    let e = 0;
    let s = 0;
    while (e < events.length || s < statuses.length) {
      const takeStatus = e >= events.length || (s < statuses.length && statuses[s]!.seq < events[e]!.seq);
      out.push(takeStatus ? statuses[s++]!.message : events[e++]!.message);
    }
    return out;
  }
}
