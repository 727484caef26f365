/**
 * The one call for a command-line run or any single job: connect first (so an unreachable
 * broker fails before the job exists), start the job, publish its events, close when it ends.
 */
import type { Job, JobEmitter } from '../pipeline/job.js';
import { MqttEventSink, type AttachableJob, type AttachOptions, type MqttSinkStats, type MqttSinkWarning } from './mqtt-event-sink.js';
import type { MqttSinkOptions } from './mqtt-options.js';

/** A job {@link withMqttSink} can run: events, an id and a result promise (a {@link Job}). */
export type MqttPublishedJob = AttachableJob & Pick<JobEmitter, 'emit'> & { readonly result: Promise<unknown> };

/** Options of {@link withMqttSink}. */
export interface WithMqttSinkOptions<J extends MqttPublishedJob> extends AttachOptions {
  /**
   * Receives the sink's warnings (broker lost, reconnected, buffer full).
   * @default `job.warn(message, 'MQTT_FAILED')` (or the job's own `warning` event for a job
   *   without `warn`), so the result, the job's listeners and the MQTT topic `…/warning` see it
   */
  onWarning?: (warning: MqttSinkWarning, job: J) => void;
}

/** A sink warning goes into the job's warnings (`job.warn`), or out as its `warning` event. */
function defaultForward(warning: MqttSinkWarning, target: MqttPublishedJob): void {
  const withWarn = target as Partial<Pick<Job, 'warn'>>;
  if (typeof withWarn.warn === 'function') withWarn.warn(warning.message, warning.code);
  else target.emit('warning', { message: warning.message, code: warning.code });
}

/** What {@link withMqttSink} returns. */
export interface MqttSinkRun<J> {
  job: J;
  sink: MqttEventSink;
  /** Resolves once the job has ended and the sink has flushed and disconnected. Await it before exiting. */
  closed: Promise<MqttSinkStats>;
}

/**
 * Connects an {@link MqttEventSink}, then calls `startJob` and publishes that job's events;
 * the sink closes by itself when the job's result settles.
 *
 * @example
 * const { job, closed } = await withMqttSink({ url: 'mqtt://127.0.0.1:1883' }, () => pipeline.processVideo(options), { sources });
 * const result = await job.result;
 * await closed;
 * @throws ConfigError for a bad option or URL, MqttSinkError when the broker cannot be
 *   reached (`whenDown: 'fail'`) or refuses the credentials — in both cases `startJob` is
 *   never called, so no work has started.
 */
export async function withMqttSink<J extends MqttPublishedJob>(
  options: MqttSinkOptions,
  startJob: () => J,
  attach: WithMqttSinkOptions<J> = {},
): Promise<MqttSinkRun<J>> {
  const sink = await MqttEventSink.connect(options);
  let job: J;
  try {
    job = startJob();
  } catch (error) {
    await sink.close();
    throw error;
  }
  const forward = attach.onWarning ?? defaultForward;
  const onWarning = (warning: MqttSinkWarning): void => forward(warning, job);
  sink.on('warning', onWarning);
  sink.attach(job, { sources: attach.sources });
  const closed = job.result
    .then(
      () => sink.close(),
      () => sink.close(),
    )
    .finally(() => sink.off('warning', onWarning));
  return { job, sink, closed };
}
