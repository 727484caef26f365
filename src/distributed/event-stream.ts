/**
 * A job's events over one Redis stream: workers append ({@link EventPublisher}), the submitter
 * reads in order from where it left off ({@link EventReader}), so a reconnect loses nothing
 * the stream still holds. Appends are batched — one XADD per flush interval carries every
 * message of that interval — and never awaited by the camera loop.
 */
import type { Redis } from 'ioredis';
import { FIELD, type PreviewMeta, type WireMessage } from './wire.js';

/** Entries a job's stream keeps (approximately): old ones are trimmed, the reader is far ahead. */
const STREAM_MAX_LENGTH = 10_000;

/** Counters of the Redis traffic of one publisher (for the bench and the report). */
export interface RedisTraffic {
  /** Commands sent. */
  commands: number;
  /** Round trips (one pipeline = one). */
  roundTrips: number;
  /** Shared gallery: tracks that ended undecided and waited for their final id, and the milliseconds waited in all. */
  waitedEnds?: number;
  waitedMs?: number;
}

export interface EventPublisherOptions {
  /**
   * Milliseconds between flushes. Longer: fewer Redis round trips, later events at the
   * submitter. The camera loop never waits for a flush either way.
   * @default 50
   */
  flushMs?: number;
  /**
   * Messages buffered while Redis is away before new ones are dropped (and counted in
   * {@link EventPublisher.dropped}); bounds a worker's memory during a long outage.
   * @default 20000
   */
  maxBuffered?: number;
}

type Entry = Array<string | Buffer>;

export class EventPublisher {
  /** Messages dropped because too many were waiting for Redis. */
  dropped = 0;
  readonly traffic: RedisTraffic = { commands: 0, roundTrips: 0 };
  private batch: WireMessage[] = [];
  private entries: Entry[] = [];
  private buffered = 0;
  private timer: NodeJS.Timeout | undefined;
  private chain: Promise<void> = Promise.resolve();
  private readonly flushMs: number;
  private readonly maxBuffered: number;

  constructor(
    private readonly redis: Redis,
    private readonly key: string,
    options: EventPublisherOptions = {},
  ) {
    this.flushMs = options.flushMs ?? 50;
    this.maxBuffered = options.maxBuffered ?? 20_000;
  }

  /** Queues one message for the next flush. */
  send(message: WireMessage): void {
    if (this.buffered >= this.maxBuffered) {
      this.dropped++;
      return;
    }
    this.batch.push(message);
    this.buffered++;
    this.schedule();
  }

  /** Queues a preview; `pixels` are copied now (the caller's buffer is reused). */
  sendPreview(meta: PreviewMeta, pixels: Uint8Array): void {
    if (this.buffered >= this.maxBuffered) {
      this.dropped++;
      return;
    }
    this.cutBatch();
    this.entries.push([FIELD.preview, JSON.stringify(meta), FIELD.pixels, Buffer.from(pixels)]);
    this.buffered++;
    this.schedule();
  }

  /** Sends everything queued so far; resolves once Redis has it. */
  flush(): Promise<void> {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.cutBatch();
    const entries = this.entries.splice(0);
    if (entries.length === 0) return this.chain;
    this.chain = this.chain.then(async () => {
      const pipeline = this.redis.pipeline();
      for (const entry of entries) pipeline.xadd(this.key, 'MAXLEN', '~', STREAM_MAX_LENGTH, '*', ...entry);
      this.traffic.commands += entries.length;
      this.traffic.roundTrips++;
      await pipeline.exec();
      this.buffered -= entries.length;
    });
    this.chain = this.chain.catch(() => undefined); // a failed flush is lost; the next one goes on
    return this.chain;
  }

  private cutBatch(): void {
    if (this.batch.length === 0) return;
    const messages = this.batch;
    this.batch = [];
    this.buffered -= messages.length - 1;
    this.entries.push([FIELD.batch, JSON.stringify(messages)]);
  }

  private schedule(): void {
    if (this.timer === undefined) this.timer = setTimeout(() => void this.flush(), this.flushMs);
  }
}

/** One preview read back from the stream. */
export interface ReceivedPreview {
  meta: PreviewMeta;
  pixels: Uint8Array;
}

/** Reads a job's stream in order, from the start or from the last entry seen. */
export class EventReader {
  private lastId = '0-0';
  private stopped = false;
  readonly traffic: RedisTraffic = { commands: 0, roundTrips: 0 };

  constructor(
    /** A connection of its own (XREAD BLOCK holds it), closed by {@link stop}. */
    private readonly redis: Redis,
    private readonly key: string,
    private readonly onMessages: (messages: WireMessage[]) => void,
    private readonly onPreview: (preview: ReceivedPreview) => void,
  ) {}

  /** Reads until {@link stop}; each wait for new entries lasts at most `blockMs`. */
  async run(blockMs = 1000): Promise<void> {
    while (!this.stopped) {
      try {
        await this.readOnce(blockMs);
      } catch {
        if (this.stopped) return;
        await new Promise((resolve) => setTimeout(resolve, 200)); // Redis away: the connection retries
      }
    }
  }

  /** Reads whatever the stream holds now, without waiting (the last events before the end). */
  async drain(): Promise<void> {
    while ((await this.readOnce(undefined)) > 0);
  }

  /** Stops reading and closes the reader's connection (a read in flight is abandoned). Idempotent. */
  stop(): void {
    this.stopped = true;
    this.redis.disconnect();
  }

  /** One XREAD; returns the number of entries read. */
  private async readOnce(blockMs: number | undefined): Promise<number> {
    const args: Array<string | number> = ['COUNT', 200];
    if (blockMs !== undefined) args.push('BLOCK', blockMs);
    this.traffic.commands++;
    this.traffic.roundTrips++;
    const reply = (await (this.redis.xreadBuffer as (...a: Array<string | number>) => Promise<unknown>)(...args, 'STREAMS', this.key, this.lastId)) as
      | Array<[Buffer, Array<[Buffer, Buffer[]]>]>
      | null;
    if (reply === null || this.stopped) return 0;
    let count = 0;
    for (const [, entries] of reply) {
      for (const [id, fields] of entries) {
        this.lastId = id.toString();
        count++;
        this.handle(fields);
      }
    }
    return count;
  }

  private handle(fields: Buffer[]): void {
    const values = new Map<string, Buffer>();
    for (let i = 0; i + 1 < fields.length; i += 2) values.set(fields[i]!.toString(), fields[i + 1]!);
    const batch = values.get(FIELD.batch);
    if (batch !== undefined) {
      this.onMessages(JSON.parse(batch.toString('utf8')) as WireMessage[]);
      return;
    }
    const meta = values.get(FIELD.preview);
    const pixels = values.get(FIELD.pixels);
    if (meta !== undefined && pixels !== undefined) {
      this.onPreview({ meta: JSON.parse(meta.toString('utf8')) as PreviewMeta, pixels: new Uint8Array(pixels.buffer, pixels.byteOffset, pixels.length) });
    }
  }
}
