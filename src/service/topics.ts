/**
 * Where each message goes. A job event `name` goes to `<prefix>/<jobId>/<name>` with every
 * `:` of the name turned into a topic level, so `zone:enter` is `…/zone/enter` and MQTT
 * wildcards select families of events: `multicam-reid/+/zone/#` (every zone event of every
 * job), `multicam-reid/<jobId>/track/+`, `multicam-reid/#`. The job's status is on
 * `<prefix>/<jobId>/status`, a name no job event has.
 */

/** The level after the job id that carries the retained job status. */
export const STATUS_LEVEL = 'status';

/** The topic levels of an event name: `zone:enter` → `zone/enter`. */
export function eventLevels(eventName: string): string {
  return eventName.split(':').map(topicLevel).join('/');
}

/** `<prefix>/<jobId>/<event levels>`. */
export function eventTopic(prefix: string, jobId: string, eventName: string): string {
  return `${prefix}/${topicLevel(jobId)}/${eventLevels(eventName)}`;
}

/** `<prefix>/<jobId>/status`. */
export function statusTopic(prefix: string, jobId: string): string {
  return `${prefix}/${topicLevel(jobId)}/${STATUS_LEVEL}`;
}

/**
 * One topic level from a free string: the characters MQTT gives a meaning to (`/` separates
 * levels, `+` and `#` are wildcards, NUL is forbidden) and `%` itself are percent-encoded, so a
 * job id such as `queue/42` stays one level (`queue%2F42`). Job ids from the pipeline (UUIDs)
 * pass unchanged.
 */
export function topicLevel(text: string): string {
  return text.replace(/[%/+#\u0000]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
}
