/**
 * MqttEventSink: publishes the events of running jobs to an MQTT broker. One sink (one MQTT
 * connection) serves any number of jobs. On the job's path a listener only serialises the
 * event and hands it to the client, or to the bounded buffer while the broker is away — it
 * never waits for the network.
 *
 * @example
 * const sink = await MqttEventSink.connect({ url: 'mqtt://127.0.0.1:1883' }); // MqttSinkError if unreachable
 * sink.on('warning', (w) => console.warn(w.message));
 * const job = pipeline.processVideo({ videoPath: 'cam1.mp4, cam2.mp4' });
 * sink.attach(job, { sources: ['cam1.mp4', 'cam2.mp4'] });
 * await job.result;
 * await sink.close(); // sends what is left, then disconnects
 */
import { EventEmitter } from 'eventemitter3';
import type TypedEmitterModule from 'typed-emitter';
import mqtt from 'mqtt';
import type { IClientOptions, MqttClient } from 'mqtt';
import { MulticamReidError } from '../errors.js';
import type { JobEvents, JobResult, JobStatus } from '../pipeline/events.js';
import type { JobEmitter } from '../pipeline/job.js';
import { sourceSecrets } from '../streams/redact.js';
import { resolveMqttSinkOptions, type MqttSinkOptions, type ResolvedMqttSinkOptions } from './mqtt-options.js';
import { classifyConnectError, connectError, maskSecrets } from './mqtt-errors.js';
import { Outbox, type OutgoingMessage } from './outbox.js';
import { JOB_EVENT_NAMES, JOB_EVENT_PAYLOADS, payloadSecrets, serializePayload, type JobStatusPayload } from './payloads.js';
import { eventTopic, statusTopic } from './topics.js';

/** A problem of the sink that does not stop any job (forward it into the job's warnings). */
export interface MqttSinkWarning {
  message: string;
  code: 'MQTT_FAILED';
}

/** The connection to the broker came up or went down. */
export interface MqttConnectionEvent {
  state: 'online' | 'offline';
  /** The broker URL, credentials masked. */
  broker: string;
  /** Reconnections so far. */
  reconnects: number;
}

/** The sink's own typed events. */
export type MqttSinkEvents = {
  warning: (warning: MqttSinkWarning) => void;
  connection: (event: MqttConnectionEvent) => void;
};

/** Counters of a sink, from {@link MqttEventSink.stats} and {@link MqttEventSink.close}. */
export interface MqttSinkStats {
  /** Messages handed to the broker: acknowledged (QoS 1, 2) or written to the socket (QoS 0). */
  sent: number;
  /** Event messages dropped: the buffer was full while the broker was away, or still undelivered at close. */
  dropped: number;
  /** Messages the client reported as failed. */
  failed: number;
  /** Messages waiting in the buffer for the broker now. */
  buffered: number;
  /** QoS 1/2 messages sent and not yet acknowledged. */
  unacknowledged: number;
  /** Times the connection came back after being down (or after a start with the broker down). */
  reconnects: number;
  /** Whether the sink is connected and publishing now. */
  connected: boolean;
}

/** What a sink needs of a job: its id and its typed events (a {@link Job} or anything shaped like it). */
export type AttachableJob = Pick<JobEmitter, 'on' | 'off'> & { readonly id: string };

/** Options of {@link MqttEventSink.attach}. */
export interface AttachOptions {
  /**
   * The job's sources as given (with credentials). Their passwords are then masked in every
   * payload even where a message quotes one without its URL around it; URL credentials
   * (`scheme://user:pass@`) are masked in any case.
   */
  sources?: readonly string[];
}

const FINAL_STATUS: Partial<Record<keyof JobEvents, JobStatus>> = { done: 'completed', cancelled: 'cancelled', error: 'failed' };

const TypedEventEmitter = EventEmitter as unknown as new () => Pick<
  TypedEmitterModule.default<MqttSinkEvents>,
  'on' | 'once' | 'off' | 'addListener' | 'removeListener' | 'removeAllListeners' | 'emit' | 'listeners' | 'listenerCount'
>;

export class MqttEventSink extends TypedEventEmitter {
  /** The broker URL as shown in messages: credentials masked. */
  readonly broker: string;
  /** First topic level(s) of every message. */
  readonly topicPrefix: string;
  /** The validated options; private because they hold the password. */
  private readonly options: ResolvedMqttSinkOptions;
  private readonly client: MqttClient;
  private readonly outbox: Outbox;
  /** The broker password, to keep it out of the messages the `mqtt` package writes. */
  private readonly secrets: string[];
  private readonly detachers = new Set<() => void>();
  private readonly counters = { sent: 0, dropped: 0, failed: 0, reconnects: 0 };
  private unacknowledged = 0;
  /** True while publishing goes straight to the client; false while messages go to the outbox. */
  private online = false;
  private everOnline = false;
  private outage: { since: number; dropped: number; warnedFull: boolean } | undefined;
  private authWarned = false;
  private closing: Promise<MqttSinkStats> | undefined;
  private idleWaiters: Array<() => void> = [];

  /**
   * Validates the options and connects. Resolves once the broker accepted the connection, or —
   * with `whenDown: 'buffer'` — once the first attempt failed (the sink then buffers and keeps
   * trying; a `warning` follows right after).
   * @throws ConfigError for a bad option or URL (`INVALID_OPTION`, `INVALID_URL`), before any
   *   connection attempt.
   * @throws MqttSinkError (`MQTT_FAILED`) when the broker is unreachable or does not answer
   *   (`whenDown: 'fail'`), or refuses the credentials (always); its message names the broker
   *   with the credentials masked.
   */
  static async connect(options: MqttSinkOptions): Promise<MqttEventSink> {
    const sink = new MqttEventSink(resolveMqttSinkOptions(options));
    await sink.firstConnection();
    return sink;
  }

  private constructor(options: ResolvedMqttSinkOptions) {
    super();
    this.options = options;
    this.broker = options.broker;
    this.topicPrefix = options.topicPrefix;
    this.outbox = new Outbox(options.maxBuffered);
    const { url, credentials } = splitCredentials(options.url);
    const username = options.username ?? credentials.username;
    const password = options.password ?? credentials.password;
    this.secrets = password === undefined ? [] : [...new Set([password, ...sourceSecrets(options.url)])];
    const clientOptions: IClientOptions = {
      clientId: options.clientId,
      connectTimeout: options.connectTimeout * 1000,
      reconnectPeriod: options.reconnectPeriod * 1000,
      // While offline the sink keeps messages itself (bounded); the client would keep QoS 0 ones without a bound.
      queueQoSZero: false,
      clean: true,
      resubscribe: false,
    };
    if (username !== undefined) clientOptions.username = username;
    if (password !== undefined) clientOptions.password = password;
    this.client = mqtt.connect(url, clientOptions);
    this.client.on('error', (error) => this.onClientError(error));
  }

  /** Current counters. */
  get stats(): MqttSinkStats {
    return {
      ...this.counters,
      buffered: this.outbox.size,
      unacknowledged: this.unacknowledged,
      connected: this.online,
    };
  }

  /** Whether the sink is connected and publishing now. */
  get connected(): boolean {
    return this.online;
  }

  /**
   * Publishes every event of `job` from now on, and its status: `running` now, then
   * `completed`/`cancelled`/`failed` when it ends (retained unless `retainStatus: false`).
   * Detaches by itself when the job ends; the returned function detaches earlier.
   */
  attach(job: AttachableJob, options: AttachOptions = {}): () => void {
    if (this.closing !== undefined) {
      throw new MulticamReidError('MQTT_FAILED', `the MQTT sink for ${this.options.broker} is closed: connect a new one to publish job ${job.id}`, { culprit: this.options.broker });
    }
    const secrets = payloadSecrets(options.sources ?? []);
    const prefix = this.options.topicPrefix;
    const status = statusTopic(prefix, job.id);
    const loose = job as unknown as { on(name: string, fn: (...args: unknown[]) => void): void; off(name: string, fn: (...args: unknown[]) => void): void };
    const listeners: Array<[string, (...args: unknown[]) => void]> = [];
    const detach = (): void => {
      if (!this.detachers.delete(detach)) return;
      for (const [name, listener] of listeners) loose.off(name, listener);
    };
    for (const name of JOB_EVENT_NAMES) {
      const topic = eventTopic(prefix, job.id, name);
      const build = JOB_EVENT_PAYLOADS[name] as (...args: unknown[]) => unknown;
      const final = FINAL_STATUS[name];
      const listener = (...args: unknown[]): void => {
        // Runs inside the job's emit: it must never throw into the pipeline.
        try {
          this.publish({ topic, payload: serializePayload(build(...args), secrets), retain: false, status: false });
          if (final !== undefined) {
            const result = args[args.length - 1] as JobResult;
            this.publishStatus(status, { jobId: job.id, status: final, at: new Date().toISOString(), stopReason: result?.stopReason, error: result?.error }, secrets);
            detach();
          }
        } catch (error) {
          this.warn(`could not publish the job event "${name}" of job ${job.id} to MQTT: ${(error as Error).message}`);
        }
      };
      listeners.push([name, listener]);
      loose.on(name, listener);
    }
    this.detachers.add(detach);
    this.publishStatus(status, { jobId: job.id, status: 'running', at: new Date().toISOString() }, secrets);
    return detach;
  }

  /**
   * Detaches every job, waits up to `closeTimeout` seconds for buffered and unacknowledged
   * messages to reach the broker, then disconnects. What could not be delivered is counted in
   * `dropped` (and reported in a warning). Idempotent; resolves with the final counters.
   */
  close(): Promise<MqttSinkStats> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<MqttSinkStats> {
    for (const detach of [...this.detachers]) detach();
    await this.waitIdle(this.options.closeTimeout * 1000);
    const left = this.outbox.size + this.unacknowledged;
    if (left > 0) {
      this.counters.dropped += left;
      this.outbox.drain();
      this.warn(`closing the MQTT sink: ${left} message(s) could not be delivered to ${this.options.broker} within closeTimeout (${this.options.closeTimeout} s)`);
    }
    const wasOnline = this.online;
    this.online = false;
    this.outage = undefined;
    // Force only when something is still pending: otherwise the client sends DISCONNECT cleanly.
    await new Promise<void>((resolve) => this.client.end(left > 0 || !wasOnline, {}, () => resolve()));
    return { ...this.stats, unacknowledged: 0 };
  }

  private publishStatus(topic: string, payload: JobStatusPayload, secrets: readonly string[]): void {
    this.publish({ topic, payload: serializePayload(payload, secrets), retain: this.options.retainStatus, status: true });
  }

  /** The per-event path: straight to the client when online, else into the bounded outbox. */
  private publish(message: OutgoingMessage): void {
    if (this.online) {
      this.send(message);
      return;
    }
    if (this.outbox.push(message) === 0) return;
    this.counters.dropped++;
    if (this.outage !== undefined) {
      this.outage.dropped++;
      if (!this.outage.warnedFull) {
        this.outage.warnedFull = true;
        this.warn(`MQTT buffer full (maxBuffered ${this.options.maxBuffered}): dropping the oldest event messages until ${this.options.broker} is reachable again`);
      }
    }
  }

  private send(message: OutgoingMessage): void {
    const qos = this.options.qos;
    if (qos === 0) {
      // No acknowledgement exists at QoS 0: written to the socket is all there is to know.
      this.client.publish(message.topic, message.payload, { qos, retain: message.retain });
      this.counters.sent++;
      return;
    }
    this.unacknowledged++;
    this.client.publish(message.topic, message.payload, { qos, retain: message.retain }, (error) => {
      this.unacknowledged--;
      if (error) this.counters.failed++;
      else this.counters.sent++;
      this.notifyIfIdle();
    });
  }

  private firstConnection(): Promise<void> {
    const { broker, connectTimeout, whenDown } = this.options;
    return new Promise<void>((resolve, reject) => {
      const client = this.client;
      const cleanup = (): void => {
        clearTimeout(timer);
        client.off('connect', onConnect);
        client.off('error', onError);
      };
      const onConnect = (): void => {
        cleanup();
        this.watchConnection();
        this.goOnline();
        resolve();
      };
      const onError = (error: Error): void => {
        cleanup();
        const reason = classifyConnectError(error);
        const failure = connectError(reason, broker, error.message, this.secrets, error);
        if (whenDown === 'fail' || reason === 'auth' || reason === 'refused') {
          client.end(true);
          reject(failure);
          return;
        }
        this.watchConnection();
        this.outage = { since: Date.now(), dropped: 0, warnedFull: false };
        const said = maskSecrets(error.message, this.secrets);
        // Deferred so that a listener added right after `await connect()` receives it.
        setImmediate(() =>
          this.warn(`cannot reach MQTT broker ${broker} (${said}); buffering up to ${this.options.maxBuffered} event messages and retrying every ${this.options.reconnectPeriod} s`),
        );
        resolve();
      };
      // The client has its own connack timer; this one also covers a connection that never opens.
      const timer = setTimeout(() => onError(new Error('connack timeout')), connectTimeout * 1000 + 500);
      client.on('connect', onConnect);
      client.on('error', onError);
    });
  }

  /** From the first connection on: follow the link going down and coming back. */
  private watchConnection(): void {
    this.client.on('connect', () => this.goOnline());
    this.client.on('close', () => this.goOffline());
  }

  private goOnline(): void {
    if (this.online) return;
    const outage = this.outage;
    // Buffered messages first, in order, before any new event may take the direct path.
    const waiting = this.outbox.drain();
    for (const message of waiting) this.send(message);
    this.online = true;
    this.outage = undefined;
    if (outage !== undefined) {
      this.counters.reconnects++;
      const seconds = ((Date.now() - outage.since) / 1000).toFixed(1);
      const dropped = outage.dropped > 0 ? `, ${outage.dropped} dropped (buffer full)` : '';
      this.warn(`${this.everOnline ? 'reconnected' : 'connected'} to MQTT broker ${this.options.broker} after ${seconds} s; publishing resumed (${waiting.length} buffered message(s) sent${dropped})`);
    }
    this.everOnline = true;
    this.emit('connection', { state: 'online', broker: this.options.broker, reconnects: this.counters.reconnects });
    this.notifyIfIdle();
  }

  private goOffline(): void {
    if (!this.online || this.closing !== undefined) return;
    this.online = false;
    this.outage = { since: Date.now(), dropped: 0, warnedFull: false };
    this.warn(`lost the connection to MQTT broker ${this.options.broker}; reconnecting every ${this.options.reconnectPeriod} s and buffering up to ${this.options.maxBuffered} event messages meanwhile (the job goes on)`);
    this.emit('connection', { state: 'offline', broker: this.options.broker, reconnects: this.counters.reconnects });
  }

  private onClientError(error: Error): void {
    // Failed reconnect attempts (refused, timed out) are expected while the broker is away and
    // were announced once by goOffline; credentials refused on a reconnect are worth a warning.
    if (!this.everOnline && this.outage === undefined) return; // the first attempt: firstConnection reports it
    if (classifyConnectError(error) !== 'auth' || this.authWarned) return;
    this.authWarned = true;
    this.warn(`MQTT broker ${this.options.broker} refused the credentials on reconnect (${maskSecrets(error.message, this.secrets)}); check the user name and password — events are buffered until close`);
  }

  private warn(message: string): void {
    this.emit('warning', { message: maskSecrets(message, this.secrets), code: 'MQTT_FAILED' });
  }

  /** Resolves when nothing is buffered or unacknowledged and the sink is online, or after `ms`. */
  private waitIdle(ms: number): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.idleWaiters = this.idleWaiters.filter((w) => w !== done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.idleWaiters.push(done);
    });
  }

  private isIdle(): boolean {
    return this.online && this.outbox.size === 0 && this.unacknowledged === 0;
  }

  private notifyIfIdle(): void {
    if (this.idleWaiters.length === 0 || !this.isIdle()) return;
    for (const waiter of [...this.idleWaiters]) waiter();
  }
}

/**
 * The URL without its user info, and the credentials percent-decoded (the `mqtt` package's
 * own parsing splits `user:pa:ss` at the wrong colon).
 */
function splitCredentials(url: string): { url: string; credentials: { username?: string; password?: string } } {
  const parsed = new URL(url);
  const credentials: { username?: string; password?: string } = {};
  if (parsed.username !== '') credentials.username = safeDecode(parsed.username);
  if (parsed.password !== '') credentials.password = safeDecode(parsed.password);
  parsed.username = '';
  parsed.password = '';
  return { url: parsed.toString(), credentials };
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
