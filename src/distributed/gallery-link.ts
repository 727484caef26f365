/**
 * A worker process's link to the shared galleries of its jobs: one thread (see
 * gallery-link-thread.ts) holds the Redis connections, so the camera loops only post
 * messages. One call may wait: the final id of a track that ends undecided is decided by the
 * owner at that moment (the local gallery decides it inside `endTrack`, and the camera loop
 * writes it into the rows it still holds and into identities.json right away), so
 * {@link LinkChannel.endTrackSync} blocks on a shared buffer for the owner's answer, a few
 * milliseconds, bounded by a timeout. That happens once per such track, never per frame.
 */
import { Worker } from 'node:worker_threads';
import type { RedisOptions } from 'ioredis';
import type { RedisTraffic } from './event-stream.js';
import type { Decision } from './gallery-wire.js';

/** What the thread starts with. */
export interface LinkThreadData {
  /** Host, port, credentials, TLS (no functions: they do not cross threads). */
  redis: RedisOptions;
}

/** Messages to the thread. */
export type LinkRequest =
  | { type: 'open'; token: string; opsKey: string; decisionsKey: string; shared: SharedArrayBuffer }
  | { type: 'ops'; token: string; json: string; floats: ArrayBuffer }
  | { type: 'sync'; token: string; trackId: number; seq: number }
  | { type: 'close'; token: string }
  | { type: 'stop' };

/** Messages from the thread. */
type LinkReply = { type: 'decisions'; token: string; decisions: Decision[] } | { type: 'closed'; token: string; traffic: RedisTraffic };

/** A final id from {@link LinkChannel.endTrackSync}: the id (0: none), or `undefined` when the owner did not answer in time. */
export interface EndTrackAnswer {
  globalId: number;
  similarity: number;
  name?: string;
}

const DEVELOPMENT = import.meta.url.endsWith('.ts');
const ENTRY = new URL(DEVELOPMENT ? './gallery-link-thread.ts' : './gallery-link-thread.js', import.meta.url).href;
// As for the inference workers: tsx's loader does not reach threads by itself in development.
const BOOTSTRAP = `
const { workerData } = require('node:worker_threads');
(async () => {
  if (workerData.tsxApi) (await import(workerData.tsxApi)).register();
  await import(workerData.entry);
})();
`;

export class GalleryLink {
  private readonly thread: Worker;
  private readonly channels = new Map<string, LinkChannel>();

  constructor(redis: RedisOptions) {
    const data: LinkThreadData & { entry: string; tsxApi?: string } = { redis: plainOptions(redis), entry: ENTRY };
    if (DEVELOPMENT) data.tsxApi = import.meta.resolve('tsx/esm/api');
    this.thread = new Worker(BOOTSTRAP, { eval: true, workerData: data });
    this.thread.unref();
    this.thread.on('message', (reply: LinkReply) => {
      const channel = this.channels.get(reply.token);
      if (channel === undefined) return;
      if (reply.type === 'decisions') channel.onDecisions(reply.decisions);
      else {
        this.channels.delete(reply.token);
        channel.onClosed(reply.traffic);
      }
    });
    this.thread.on('error', () => undefined);
  }

  /** A channel for one camera attempt: its calls go to `opsKey`, its decisions come from `decisionsKey`. */
  open(token: string, opsKey: string, decisionsKey: string, onDecisions: (decisions: Decision[]) => void): LinkChannel {
    const channel = new LinkChannel(token, (request) => this.thread.postMessage(request), onDecisions);
    this.channels.set(token, channel);
    this.thread.postMessage({ type: 'open', token, opsKey, decisionsKey, shared: channel.shared } satisfies LinkRequest);
    return channel;
  }

  /** Ends the thread after it has sent what it holds. */
  async stop(): Promise<void> {
    const exited = new Promise<void>((resolve) => this.thread.once('exit', () => resolve()));
    this.thread.postMessage({ type: 'stop' } satisfies LinkRequest);
    const timer = setTimeout(() => void this.thread.terminate(), 5000);
    await exited;
    clearTimeout(timer);
  }
}

export class LinkChannel {
  /** [answered seq, global id, name length (−1: none)], then the similarity (float64) and the name's bytes. */
  readonly shared = new SharedArrayBuffer(24 + 256);
  private readonly state = new Int32Array(this.shared, 0, 4);
  private readonly similarity = new Float64Array(this.shared, 16, 1);
  private readonly name = new Uint8Array(this.shared, 24);
  private seq = 0;
  private closed: ((traffic: RedisTraffic) => void) | undefined;
  /** Until when waits are skipped after one timed out (Redis or the owner away: do not freeze the camera at every track end). */
  private quietUntil = 0;

  constructor(
    private readonly token: string,
    private readonly post: (request: LinkRequest) => void,
    readonly onDecisions: (decisions: Decision[]) => void,
  ) {}

  /** Sends a batch of calls (the embeddings are copied). */
  send(json: string, floats: Float32Array): void {
    const copy = floats.slice().buffer;
    this.post({ type: 'ops', token: this.token, json, floats: copy });
  }

  /**
   * Waits, blocking this thread, for the owner's final id of a track whose end was just sent.
   * @returns the answer, or undefined after `timeoutMs` (then further waits are skipped for a while).
   */
  endTrackSync(trackId: number, timeoutMs: number): EndTrackAnswer | undefined {
    if (Date.now() < this.quietUntil) return undefined;
    const seq = ++this.seq;
    this.post({ type: 'sync', token: this.token, trackId, seq });
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const answered = Atomics.load(this.state, 0);
      if (answered === seq) break;
      const left = deadline - Date.now();
      if (left <= 0) {
        this.quietUntil = Date.now() + 5000;
        return undefined;
      }
      Atomics.wait(this.state, 0, answered, left);
    }
    const nameLength = this.state[2]!;
    const answer: EndTrackAnswer = { globalId: this.state[1]!, similarity: this.similarity[0]! };
    if (nameLength >= 0) answer.name = new TextDecoder().decode(this.name.subarray(0, nameLength));
    return answer;
  }

  /** Closes the channel once its calls are sent; resolves with its Redis traffic. */
  close(): Promise<RedisTraffic> {
    return new Promise((resolve) => {
      this.closed = resolve;
      this.post({ type: 'close', token: this.token });
    });
  }

  onClosed(traffic: RedisTraffic): void {
    this.closed?.(traffic);
  }
}

/** The connection options that cross to the thread (functions do not). */
function plainOptions(options: RedisOptions): RedisOptions {
  const out: RedisOptions = {};
  for (const [key, value] of Object.entries(options)) if (typeof value !== 'function') (out as Record<string, unknown>)[key] = value;
  return out;
}
