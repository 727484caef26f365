/**
 * What each message says: the job event's data as JSON, never pixels, errors as
 * `{ code, message }`, and source credentials masked as a last pass over the text.
 */
import type { JobEvents, JobResult, JobStatus } from '../pipeline/events.js';
import { redactText, sourceSecrets } from '../streams/redact.js';

/** An error as it appears in a payload. */
export interface ErrorPayload {
  code: string;
  message: string;
}

/** The payload of the `error` event: the error and the job's result. */
export interface JobErrorPayload {
  error: ErrorPayload;
  result: JobResult;
}

/** The retained message on `<prefix>/<jobId>/status`. */
export interface JobStatusPayload {
  jobId: string;
  status: 'running' | JobStatus;
  /** When the sink saw the change (ISO 8601). */
  at: string;
  /** Why the job stopped (final statuses). */
  stopReason?: JobResult['stopReason'];
  /** What failed (status `failed`). */
  error?: ErrorPayload;
}

type PayloadBuilders = { [E in keyof JobEvents]: (...args: Parameters<JobEvents[E]>) => unknown };

/**
 * The payload of every job event. A mapped type over `JobEvents`: an event added to the job
 * without a line here fails to compile, so no event is forgotten.
 */
export const JOB_EVENT_PAYLOADS: PayloadBuilders = {
  start: (event) => event,
  'camera:status': (event) => event,
  progress: (event) => event,
  'track:new': (event) => event,
  'track:lost': (event) => event,
  'track:removed': (event) => event,
  'identity:assigned': (event) => event,
  'identity:changed': (event) => event,
  'zone:enter': (event) => event,
  'zone:exit': (event) => event,
  'line:cross': (event) => event,
  'camera:added': (event) => event,
  'camera:removed': (event) => event,
  // The frame's pixels stay in the process: a dashboard learns that a preview exists, and its size.
  preview: ({ data: _pixels, pixelFormat: _format, ...meta }) => meta,
  warning: (event) => event,
  done: (result) => result,
  cancelled: (result) => result,
  error: (error, result): JobErrorPayload => ({ error: errorPayload(error), result }),
};

/** Every job event the sink publishes, in the order of {@link JOB_EVENT_PAYLOADS}. */
export const JOB_EVENT_NAMES = Object.keys(JOB_EVENT_PAYLOADS) as Array<keyof JobEvents>;

/** `{ code, message }` of any error; `ERROR` when it has no string code. */
export function errorPayload(error: unknown): ErrorPayload {
  const e = error as { code?: unknown; message?: unknown } | undefined;
  return {
    code: typeof e?.code === 'string' ? e.code : 'ERROR',
    message: typeof e?.message === 'string' ? e.message : String(error),
  };
}

/**
 * The secrets to mask in payloads for these sources: each source's password (raw and
 * percent-decoded, from `sourceSecrets`) and the same strings as JSON escapes them.
 */
export function payloadSecrets(sources: readonly string[]): string[] {
  const secrets = sources.flatMap((s) => sourceSecrets(s));
  const escaped = secrets.map((s) => JSON.stringify(s).slice(1, -1));
  return [...new Set([...secrets, ...escaped])];
}

/**
 * The JSON text of a payload: binary data (typed arrays, Buffers, ArrayBuffers) left out,
 * errors as `{ code, message }`, then URL credentials and the given secrets masked by
 * `redactText` — a last defensive pass, whatever the events already carry.
 */
export function serializePayload(payload: unknown, secrets: readonly string[] = []): string {
  const text = JSON.stringify(payload, jsonSafe) ?? 'null';
  // URL user info needs an '@': most payloads (track, identity, zone events) have none and skip the pass.
  return text.includes('@') || secrets.some((s) => text.includes(s)) ? redactText(text, secrets) : text;
}

/** JSON.stringify replacer; reads the holder's raw value because a Buffer's toJSON runs first. */
function jsonSafe(this: unknown, key: string, value: unknown): unknown {
  const raw = (this as Record<string, unknown>)[key];
  if (ArrayBuffer.isView(raw) || raw instanceof ArrayBuffer) return undefined;
  if (raw instanceof Error) return errorPayload(raw);
  return value;
}
