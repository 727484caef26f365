/**
 * Redis for the distributed mode: a URL checked before anything starts, a connection check
 * that turns "unreachable", "wrong password" and "bad URL" into typed errors, and the
 * connection options every BullMQ part and every stream reader of this mode use.
 */
import { Redis, type RedisOptions } from 'ioredis';
import { QueueError } from '../errors.js';
import { redactSource } from '../streams/redact.js';

/** A Redis server as given by a `redis://` or `rediss://` URL. */
export interface RedisTarget {
  /** The URL with its credentials masked, for every message and log line. */
  display: string;
  /** ioredis options (host, port, credentials, database, TLS), without retry policy. */
  options: RedisOptions;
}

const FORMAT = 'redis://[user:password@]host[:port][/db] or rediss://… for TLS';

/**
 * Parses a Redis URL. Only `redis://` and `rediss://` (TLS) are accepted, with a host, an
 * optional port (1–65535, default 6379) and an optional database number (`/0`–`/15`…).
 * @throws QueueError `INVALID_REDIS_URL` naming the URL (credentials masked) and the fix.
 */
export function parseRedisUrl(url: string): RedisTarget {
  const display = typeof url === 'string' ? redactSource(url.trim()) : String(url);
  const bad = (why: string) => new QueueError('INVALID_REDIS_URL', `invalid Redis URL "${display}": ${why}; use ${FORMAT}`, { culprit: display });
  if (typeof url !== 'string' || url.trim() === '') throw bad('it is empty');
  let parsed: URL;
  try {
    parsed = new URL(url.trim());
  } catch {
    throw bad('it is not a URL');
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') throw bad(`the scheme "${parsed.protocol}" is not redis: or rediss:`);
  if (parsed.hostname === '') throw bad('it names no host');
  const port = parsed.port === '' ? 6379 : Number(parsed.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw bad(`port ${parsed.port} is out of range`);
  const dbPath = parsed.pathname.replace(/^\//, '');
  if (dbPath !== '' && !/^\d{1,5}$/.test(dbPath)) throw bad(`"/${dbPath}" is not a database number`);
  if (parsed.search !== '' || parsed.hash !== '') throw bad('query strings and fragments are not supported');
  const options: RedisOptions = { host: parsed.hostname.replace(/^\[|\]$/g, ''), port };
  if (parsed.username !== '') options.username = decodeURIComponent(parsed.username);
  if (parsed.password !== '') options.password = decodeURIComponent(parsed.password);
  if (dbPath !== '') options.db = Number(dbPath);
  if (parsed.protocol === 'rediss:') options.tls = { servername: options.host };
  return { display, options };
}

/**
 * Options of the long-lived connections (BullMQ workers, stream readers): commands wait while
 * Redis is away and ioredis reconnects with a capped back-off, so a Redis restart is ridden
 * out; the parts above decide how long "away" may last.
 */
export function resilientOptions(target: RedisTarget, name: string): RedisOptions {
  return {
    ...target.options,
    connectionName: name,
    maxRetriesPerRequest: null,
    enableReadyCheck: true,
    retryStrategy: (times) => Math.min(100 * times, 1000),
  };
}

/** Opens a resilient connection (see {@link resilientOptions}); it connects in the background. */
export function openRedis(target: RedisTarget, name: string): Redis {
  const client = new Redis(resilientOptions(target, name));
  // Errors while Redis is away are expected (ioredis retries); the owners watch 'close'/'ready'.
  client.on('error', () => undefined);
  return client;
}

/**
 * Connects once, authenticates and pings, without retrying: the check every entry point runs
 * before any work.
 * @throws QueueError `REDIS_UNREACHABLE` (nothing answers, or not in time), or
 *   `REDIS_AUTH_FAILED` (a password is needed, or the one given is refused).
 */
export async function checkRedis(target: RedisTarget, timeoutMs = 5000): Promise<void> {
  const client = new Redis({
    ...target.options,
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
    connectionName: 'multicam-reid:check',
  });
  // ioredis rejects with a bare "Connection is closed": the cause is the last 'error' event.
  let cause: unknown;
  client.on('error', (error) => (cause = error));
  try {
    await withTimeout(client.connect(), timeoutMs);
    await withTimeout(client.ping(), timeoutMs);
  } catch (error) {
    const telling = cause instanceof Error && !/Connection is closed|isn't writeable/.test(cause.message);
    throw describeRedisFailure(telling ? cause : error, target);
  } finally {
    client.disconnect();
  }
}

/** Maps an ioredis failure to our typed error. */
export function describeRedisFailure(error: unknown, target: RedisTarget): QueueError {
  const message = error instanceof Error ? error.message : String(error);
  if (/WRONGPASS|NOAUTH|invalid password|AUTH.*(failed|without)|NOPERM/i.test(message)) {
    return new QueueError('REDIS_AUTH_FAILED', `Redis at ${target.display} refused the credentials (${message.split('\n')[0]}); put the right user and password in the URL: redis://user:password@host:port`, { culprit: target.display, cause: error });
  }
  return new QueueError('REDIS_UNREACHABLE', `cannot reach Redis at ${target.display} (${message.split('\n')[0] || 'no answer'}); start redis-server there or fix the URL`, { culprit: target.display, cause: error });
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
