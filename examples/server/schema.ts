/**
 * The request body of `POST /detect`, validated with zod. Field names follow the seed's API
 * (snake_case); `toProcessOptions` maps them onto the library's `ProcessVideoOptions`.
 */
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

/** A 400 answer: what is wrong, which field, and a stable code the page can switch on. */
export class RequestError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

/**
 * Zones arrive either as JSON (an array or an object, the library's zone shapes) or as the text
 * of a YAML/JSON zones file pasted into the page. A string is never taken as a file path: the
 * service reads nothing on the client's say-so.
 */
const zonesField = z.union([z.string().max(100_000), z.array(z.unknown()), z.record(z.string(), z.unknown())]);

export const detectRequestSchema = z.strictObject({
  /** One stream URL or file path, or several separated by commas or newlines (multi-camera). */
  video_path: z.string({ error: 'must be a string of stream URLs/paths' }).trim().min(1, { error: 'must name at least one stream URL or path' }).max(20_000),
  /** Cosine similarity to join an existing global identity. */
  similarity_threshold: z.number({ error: 'must be a number between 0 and 1' }).min(0).max(1).default(0.8),
  /** Stop after this many seconds of processing; omit or null to run to the end of the input. */
  max_duration_seconds: z.number({ error: 'must be a number of seconds' }).positive().max(7 * 24 * 3600).nullish(),
  /** Zones per camera (see the library's zone documentation). */
  zones: zonesField.nullish(),
  /** Read files at camera speed instead of as fast as possible (an extension of the seed's body). */
  realtime: z.boolean({ error: 'must be true or false' }).optional(),
});

export type DetectRequest = z.output<typeof detectRequestSchema>;

/** Validates a parsed JSON body; the first problem becomes a {@link RequestError} naming the field. */
export function parseDetectRequest(body: unknown): DetectRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new RequestError(400, 'INVALID_REQUEST', 'the body must be a JSON object such as {"video_path": "udp://127.0.0.1:1905", "similarity_threshold": 0.8}');
  }
  const parsed = detectRequestSchema.safeParse(body);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const field = issue.path.map(String).join('.') || '(body)';
  const message = issue.code === 'unrecognized_keys' ? `unknown field(s): ${issue.keys.join(', ')}` : `${field}: ${issue.message}`;
  throw new RequestError(400, 'INVALID_REQUEST', message, issue.code === 'unrecognized_keys' ? issue.keys[0] : field);
}

/** The zones as the library takes them: pasted text is parsed as YAML (JSON is YAML too). */
export function zonesFromRequest(zones: DetectRequest['zones']): unknown {
  if (zones === null || zones === undefined) return undefined;
  if (typeof zones !== 'string') return zones;
  if (zones.trim() === '') return undefined;
  try {
    return parseYaml(zones);
  } catch (cause) {
    throw new RequestError(400, 'INVALID_ZONE', `zones: not valid YAML or JSON (${(cause as Error).message.split('\n')[0]})`, 'zones');
  }
}

/** The body of `POST /jobs/:job_id/sources`: one more camera for a running job. */
export const addSourceRequestSchema = z.strictObject({
  /** One stream URL or file path. */
  source: z.string({ error: 'must be a string: one stream URL or path' }).trim().min(1, { error: 'must name a stream URL or path' }).max(2000),
  /** Zones of the new camera (one camera's list, or YAML/JSON text of it); default: the job's zones for every camera. */
  zones: zonesField.nullish(),
});

export type AddSourceRequest = z.output<typeof addSourceRequestSchema>;

/** Validates the body of `POST /jobs/:job_id/sources`. */
export function parseAddSourceRequest(body: unknown): AddSourceRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new RequestError(400, 'INVALID_REQUEST', 'the body must be a JSON object such as {"source": "udp://127.0.0.1:1907"}');
  }
  const parsed = addSourceRequestSchema.safeParse(body);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const field = issue.path.map(String).join('.') || '(body)';
  const message = issue.code === 'unrecognized_keys' ? `unknown field(s): ${issue.keys.join(', ')}` : `${field}: ${issue.message}`;
  throw new RequestError(400, 'INVALID_REQUEST', message, issue.code === 'unrecognized_keys' ? issue.keys[0] : field);
}
