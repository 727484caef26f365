/**
 * Services around a job: the MQTT event sink (every job event as JSON on
 * `<prefix>/<jobId>/<event>`, a retained status per job). See docs/mqtt.md.
 */
export { MqttEventSink, type AttachableJob, type AttachOptions, type MqttConnectionEvent, type MqttSinkEvents, type MqttSinkStats, type MqttSinkWarning } from './mqtt-event-sink.js';
export { withMqttSink, type MqttPublishedJob, type MqttSinkRun, type WithMqttSinkOptions } from './with-mqtt-sink.js';
export {
  mqttSinkConfigSchema,
  resolveMqttSinkOptions,
  displayBrokerUrl,
  MQTT_SCHEMES,
  type MqttSinkOptions,
  type MqttSinkConfigInput,
  type ResolvedMqttSinkOptions,
  type MqttQos,
  type WhenBrokerDown,
} from './mqtt-options.js';
export { MqttSinkError, type MqttFailureReason } from './mqtt-errors.js';
export { eventTopic, statusTopic, eventLevels, topicLevel, STATUS_LEVEL } from './topics.js';
export { JOB_EVENT_NAMES, serializePayload, type ErrorPayload, type JobErrorPayload, type JobStatusPayload } from './payloads.js';
