/**
 * Options of the MQTT event sink, documented where they are declared, one zod schema for
 * objects and the pipeline configuration's `mqtt:` block, and their validation. Everything
 * here is checked before any connection is attempted, so a bad option fails at once.
 */
import { z } from 'zod';
import { ConfigError } from '../errors.js';
import { redactText } from '../streams/redact.js';

/** What the sink does when the broker cannot be reached at start. */
export type WhenBrokerDown = 'fail' | 'buffer';

/** MQTT delivery guarantee: 0 at most once, 1 at least once, 2 exactly once. */
export type MqttQos = 0 | 1 | 2;

/** Options of an {@link MqttEventSink}. Times are in seconds. */
export interface MqttSinkOptions {
  /**
   * The broker: `mqtt://host[:1883]`, `mqtts://host[:8883]` (TLS, system CAs), `ws://` or
   * `wss://host/path` (WebSocket). Credentials may be given as `mqtt://user:password@host`;
   * they appear in no message (errors show `mqtt://***:***@host`).
   * @example "mqtt://127.0.0.1:1883"
   */
  url: string;
  /**
   * First topic level(s) of every message: events go to `<topicPrefix>/<jobId>/<event>`.
   * May hold several levels (`site-a/multicam-reid`); no wildcards (`+`, `#`), no empty level,
   * no leading `$` (reserved for the broker's own topics).
   * @default 'multicam-reid'
   */
  topicPrefix?: string;
  /**
   * QoS of every message. 1 survives a dropped connection (messages in flight are sent again
   * after the reconnect, possibly twice) for one acknowledgement per message; 0 is cheapest but
   * loses what was on the wire when the connection broke; 2 adds a second round trip.
   * @default 1
   */
  qos?: MqttQos;
  /**
   * Publish each job's status (`running`, then `completed`/`cancelled`/`failed`) as a retained
   * message on `<topicPrefix>/<jobId>/status`, so a dashboard that subscribes later still sees
   * it. Retained messages stay on the broker until cleared (an empty retained message).
   * @default true
   */
  retainStatus?: boolean;
  /**
   * MQTT client id. Two clients with the same id push each other off the broker in turn:
   * give each process its own.
   * @default 'multicam-reid-' followed by 8 random hex digits
   */
  clientId?: string;
  /** User name; overrides the one in {@link url}. */
  username?: string;
  /**
   * Password; overrides the one in {@link url}. Prefer this (from an environment variable)
   * to a password written into a URL in a configuration file.
   */
  password?: string;
  /**
   * Seconds to wait for the broker to accept the connection, at start and on each reconnect
   * attempt. Longer tolerates slow networks; shorter reports an unreachable broker sooner.
   * @default 10
   */
  connectTimeout?: number;
  /**
   * Broker unreachable at start: `'fail'` rejects {@link MqttEventSink.connect} with an
   * {@link MqttSinkError} before any job starts; `'buffer'` resolves anyway, keeps messages
   * (up to {@link maxBuffered}) and sends them once the broker is reachable. A broker that
   * refuses the credentials is an error either way.
   * @default 'fail'
   */
  whenDown?: WhenBrokerDown;
  /**
   * Event messages kept while the broker is unreachable (at start with `whenDown: 'buffer'`,
   * or during a reconnect). When full, the oldest is dropped and counted in `stats.dropped`.
   * Job status messages are kept apart from this bound (only the latest per job). Memory is
   * about this many times the payload size (typically 200–600 bytes; a job result is larger).
   * @default 10000
   */
  maxBuffered?: number;
  /**
   * Seconds between reconnect attempts after the connection dropped.
   * @default 1
   */
  reconnectPeriod?: number;
  /**
   * Seconds {@link MqttEventSink.close} waits for buffered and unacknowledged messages to be
   * delivered before disconnecting anyway (what is left is counted in `stats.dropped`).
   * @default 5
   */
  closeTimeout?: number;
}

/** The options after validation, with defaults applied. */
export interface ResolvedMqttSinkOptions extends Required<Omit<MqttSinkOptions, 'username' | 'password'>> {
  username?: string;
  password?: string;
  /** The broker URL as shown in messages: credentials masked. */
  broker: string;
}

/** Schemes the `mqtt` package connects to from Node. */
export const MQTT_SCHEMES = ['mqtt', 'mqtts', 'tcp', 'tls', 'ssl', 'ws', 'wss'] as const;

const seconds = z.number().positive().max(86_400);

/**
 * Schema of the sink's options and of the pipeline configuration's `mqtt:` block (YAML/JSON).
 * The URL's form and the topic prefix are checked by {@link resolveMqttSinkOptions} too.
 */
export const mqttSinkConfigSchema = z
  .object({
    url: z.string().min(1),
    topicPrefix: z.string().min(1).default('multicam-reid'),
    qos: z.union([z.literal(0), z.literal(1), z.literal(2)]).default(1),
    retainStatus: z.boolean().default(true),
    clientId: z.string().min(1).max(65_535).optional(),
    username: z.string().optional(),
    password: z.string().optional(),
    connectTimeout: seconds.default(10),
    whenDown: z.enum(['fail', 'buffer']).default('fail'),
    maxBuffered: z.number().int().min(0).max(10_000_000).default(10_000),
    reconnectPeriod: seconds.default(1),
    closeTimeout: z.number().min(0).max(86_400).default(5),
  })
  .strict();

/** The `mqtt:` configuration block as written by a user. */
export type MqttSinkConfigInput = z.input<typeof mqttSinkConfigSchema>;

// The documented interface and the schema must describe the same options.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never;
const sameShape: Same<Required<MqttSinkConfigInput>, Required<MqttSinkOptions>> = true;
void sameShape;

/**
 * Validates the sink's options (or a configuration's `mqtt:` block) and applies the defaults.
 * @throws ConfigError `INVALID_OPTION` naming the field, or `INVALID_URL` naming the broker
 *   (credentials masked).
 */
export function resolveMqttSinkOptions(input: MqttSinkOptions | MqttSinkConfigInput, origin = 'MQTT sink options'): ResolvedMqttSinkOptions {
  const parsed = mqttSinkConfigSchema.safeParse(input);
  if (!parsed.success) {
    const first = parsed.error.issues[0]!;
    const field = first.path.length > 0 ? first.path.join('.') : '(root)';
    const all = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new ConfigError('INVALID_OPTION', `invalid ${origin}: field "${field}" — ${all}`, { culprit: field });
  }
  const options = parsed.data;
  const broker = displayBrokerUrl(options.url);
  checkBrokerUrl(options.url, broker);
  checkTopicPrefix(options.topicPrefix);
  return { ...options, clientId: options.clientId ?? defaultClientId(), broker };
}

/**
 * The display form of a broker URL: credentials masked by `redactText`, and, for text that is
 * not a URL at all, anything up to an `@` masked too (it may be `user:password@host`).
 */
export function displayBrokerUrl(url: string): string {
  const redacted = redactText(url);
  const at = redacted.lastIndexOf('@');
  if (at < 0 || redacted.slice(0, at).endsWith('***')) return redacted;
  return `***${redacted.slice(at)}`;
}

function checkBrokerUrl(url: string, broker: string): void {
  const fix = 'use mqtt://host:1883, mqtts://host:8883, ws://host:port/path or wss://host/path';
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError('INVALID_URL', `invalid MQTT broker URL "${broker}": not a URL; ${fix}`, { culprit: broker });
  }
  const scheme = parsed.protocol.replace(/:$/, '');
  if (!(MQTT_SCHEMES as readonly string[]).includes(scheme)) {
    throw new ConfigError('INVALID_URL', `invalid MQTT broker URL "${broker}": scheme "${scheme}" is not one of ${MQTT_SCHEMES.join(', ')}; ${fix}`, { culprit: broker });
  }
  if (parsed.hostname === '') {
    throw new ConfigError('INVALID_URL', `invalid MQTT broker URL "${broker}": no host; ${fix}`, { culprit: broker });
  }
}

function checkTopicPrefix(prefix: string): void {
  const bad = (reason: string) =>
    new ConfigError('INVALID_OPTION', `invalid MQTT topicPrefix "${prefix}": ${reason} (example: "multicam-reid" or "site-a/multicam-reid")`, { culprit: 'topicPrefix' });
  if (/[+#]/.test(prefix)) throw bad('wildcards + and # cannot appear in a topic name');
  if (prefix.includes('\u0000')) throw bad('it contains a NUL character');
  if (prefix.startsWith('$')) throw bad('topics starting with $ are reserved for the broker');
  if (prefix.split('/').some((level) => level === '')) throw bad('it has an empty level (a leading, trailing or doubled "/")');
  if (Buffer.byteLength(prefix) > 60_000) throw bad('it is too long for an MQTT topic');
}

function defaultClientId(): string {
  return `multicam-reid-${Math.floor(Math.random() * 0x1_0000_0000).toString(16).padStart(8, '0')}`;
}
