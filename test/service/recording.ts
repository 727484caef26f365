/**
 * The two sides the sink tests compare: what a job emitted (its own listeners) and what a
 * subscriber received, both reduced to `(event name, payload as JSON)`.
 */
import type { Job } from '../../src/pipeline/job.js';
import type { JobEvents } from '../../src/pipeline/events.js';
import type { Received } from './mosquitto.js';

/** Every job event name; a test-side list, so the sink's own list is checked against it. */
export const ALL_JOB_EVENTS: Array<keyof JobEvents> = [
  'start', 'camera:status', 'progress', 'track:new', 'track:lost', 'track:removed', 'identity:assigned', 'identity:changed',
  'zone:enter', 'zone:exit', 'line:cross', 'camera:added', 'camera:removed', 'preview', 'warning', 'done', 'cancelled', 'error',
];

/** One event as the job emitted it, reduced to what a payload should say. */
export interface Emitted {
  event: string;
  /** The expected payload: the data as JSON, pixels left out, errors as { code, message }. */
  payload: unknown;
  cameraIndex?: number;
}

/** Records every event of `job`, in emission order, as the payload the sink should publish. */
export function recordJob(job: Pick<Job, 'on'>): Emitted[] {
  const emitted: Emitted[] = [];
  for (const event of ALL_JOB_EVENTS) {
    (job.on as (name: string, fn: (...args: unknown[]) => void) => void)(event, (...args: unknown[]) => {
      const payload = expectedPayload(event, args);
      const cameraIndex = (args[0] as { cameraIndex?: unknown } | undefined)?.cameraIndex;
      emitted.push({ event, payload, cameraIndex: typeof cameraIndex === 'number' ? cameraIndex : undefined });
    });
  }
  return emitted;
}

function expectedPayload(event: string, args: unknown[]): unknown {
  if (event === 'error') {
    const error = args[0] as { code: string; message: string };
    return JSON.parse(JSON.stringify({ error: { code: error.code, message: error.message }, result: args[1] }));
  }
  if (event === 'preview') {
    const { data, pixelFormat: _format, ...meta } = args[0] as { data: Uint8Array; pixelFormat: string };
    if (!(data instanceof Uint8Array)) throw new Error('a preview event without pixels: the test expects them');
    return meta;
  }
  return JSON.parse(JSON.stringify(args[0]));
}

/** The event messages a subscriber got for one job: topic levels back to the event name, payload parsed. */
export function receivedEvents(messages: Received[], prefix: string, jobId: string): Emitted[] {
  const head = `${prefix}/${jobId}/`;
  return messages
    .filter((m) => m.topic.startsWith(head) && m.topic !== `${head}status`)
    .map((m) => {
      const payload = JSON.parse(m.payload) as { cameraIndex?: unknown };
      return { event: m.topic.slice(head.length).split('/').join(':'), payload, cameraIndex: typeof payload.cameraIndex === 'number' ? payload.cameraIndex : undefined };
    });
}

/** The status payloads a subscriber got for one job, in order. */
export function receivedStatuses(messages: Received[], prefix: string, jobId: string): Array<{ status: string; retain: boolean; stopReason?: string }> {
  return messages.filter((m) => m.topic === `${prefix}/${jobId}/status`).map((m) => ({ ...(JSON.parse(m.payload) as { status: string; stopReason?: string }), retain: m.retain }));
}
