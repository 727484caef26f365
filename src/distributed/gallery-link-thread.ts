/**
 * The thread behind a worker's {@link GalleryLink}: it owns the Redis connections of the
 * shared gallery — appends each camera attempt's calls to the job's operations stream, in
 * order, and reads the owner's decisions for each attempt — so the main thread never waits on
 * Redis, except when it asks, by blocking on a shared buffer, for the final id of a track
 * that ends undecided (see GalleryLink.endTrackSync).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Redis, type RedisOptions } from 'ioredis';
import { GALLERY_FIELD, type DecisionMessage, type EndAnswer } from './gallery-wire.js';
import type { LinkRequest, LinkThreadData } from './gallery-link.js';

/** Entries an operations stream keeps (approximately). */
const STREAM_MAX_LENGTH = 100_000;
/** End answers remembered per attempt, for a wait that asks after its answer came. */
const ANSWERS_KEPT = 64;

interface Channel {
  opsKey: string;
  decisionsKey: string;
  reader: Redis;
  lastId: string;
  closed: boolean;
  commands: number;
  roundTrips: number;
  /** The main thread's waiting `endTrack`, if any. */
  waiting?: { trackId: number; seq: number };
  answers: Map<number, EndAnswer>;
  state: Int32Array;
  similarity: Float64Array;
  name: Uint8Array;
}

const data = workerData as LinkThreadData;
const options: RedisOptions = { ...data.redis, maxRetriesPerRequest: null, retryStrategy: (times) => Math.min(100 * times, 1000) };
const commands = new Redis({ ...options, connectionName: 'multicam-reid:gallery-link' });
commands.on('error', () => undefined);
const channels = new Map<string, Channel>();
let chain: Promise<unknown> = Promise.resolve();

parentPort!.on('message', (request: LinkRequest) => {
  switch (request.type) {
    case 'open': {
      const reader = new Redis({ ...options, connectionName: 'multicam-reid:gallery-decisions' });
      reader.on('error', () => undefined);
      const channel: Channel = {
        opsKey: request.opsKey,
        decisionsKey: request.decisionsKey,
        reader,
        lastId: '0-0',
        closed: false,
        commands: 0,
        roundTrips: 0,
        answers: new Map(),
        state: new Int32Array(request.shared, 0, 4),
        similarity: new Float64Array(request.shared, 16, 1),
        name: new Uint8Array(request.shared, 24),
      };
      channels.set(request.token, channel);
      void readDecisions(request.token, channel);
      break;
    }
    case 'ops': {
      const channel = channels.get(request.token);
      if (channel === undefined) break;
      const fields: Array<string | Buffer> = [GALLERY_FIELD.attempt, request.token, GALLERY_FIELD.json, request.json];
      if (request.floats.byteLength > 0) fields.push(GALLERY_FIELD.embeddings, Buffer.from(request.floats));
      channel.commands++;
      channel.roundTrips++;
      // One chain: the operations reach the stream in the order the cameras made them.
      chain = chain.then(() => commands.xadd(channel.opsKey, 'MAXLEN', '~', STREAM_MAX_LENGTH, '*', ...fields)).catch(() => undefined);
      break;
    }
    case 'sync': {
      const channel = channels.get(request.token);
      if (channel === undefined) break;
      const known = channel.answers.get(request.trackId);
      if (known !== undefined) answer(channel, known, request.seq);
      else channel.waiting = { trackId: request.trackId, seq: request.seq };
      break;
    }
    case 'close': {
      const channel = channels.get(request.token);
      if (channel === undefined) break;
      void chain.then(() => {
        channel.closed = true;
        channel.reader.disconnect();
        channels.delete(request.token);
        parentPort!.postMessage({ type: 'closed', token: request.token, traffic: { commands: channel.commands, roundTrips: channel.roundTrips } });
      });
      break;
    }
    case 'stop':
      void chain.then(async () => {
        for (const channel of channels.values()) channel.reader.disconnect();
        await commands.quit().catch(() => commands.disconnect());
        parentPort!.close();
      });
      break;
  }
});

async function readDecisions(token: string, channel: Channel): Promise<void> {
  while (!channel.closed) {
    let reply: Array<[string, Array<[string, string[]]>]> | null;
    try {
      channel.commands++;
      channel.roundTrips++;
      reply = (await channel.reader.xread('COUNT', 100, 'BLOCK', 1000, 'STREAMS', channel.decisionsKey, channel.lastId)) as typeof reply;
    } catch {
      if (channel.closed) return;
      await new Promise((resolve) => setTimeout(resolve, 200));
      continue;
    }
    if (reply === null) continue;
    const forward: DecisionMessage[] = [];
    for (const [, entries] of reply) {
      for (const [id, fields] of entries) {
        channel.lastId = id;
        const json = fields[fields.indexOf(GALLERY_FIELD.json) + 1];
        if (json === undefined) continue;
        for (const message of JSON.parse(json) as DecisionMessage[]) {
          if (message[0] !== 'E') {
            forward.push(message);
            continue;
          }
          channel.answers.set(message[1], message);
          if (channel.answers.size > ANSWERS_KEPT) channel.answers.delete(channel.answers.keys().next().value!);
          if (channel.waiting?.trackId === message[1]) answer(channel, message, channel.waiting.seq);
        }
      }
    }
    if (forward.length > 0) parentPort!.postMessage({ type: 'decisions', token, decisions: forward });
  }
}

/** Hands an end answer to the main thread blocked in endTrackSync. */
function answer(channel: Channel, [, , globalId, similarity, name]: EndAnswer, seq: number): void {
  channel.waiting = undefined;
  channel.state[1] = globalId;
  channel.similarity[0] = similarity;
  const bytes = name === undefined ? new Uint8Array(0) : new TextEncoder().encode(name).subarray(0, channel.name.length);
  channel.name.set(bytes);
  channel.state[2] = name === undefined ? -1 : bytes.length;
  Atomics.store(channel.state, 0, seq);
  Atomics.notify(channel.state, 0);
}
