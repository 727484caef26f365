/**
 * The sink's typed error, and the translation of the `mqtt` package's connection errors into
 * it: a message that names the broker (credentials masked) and says what to check.
 */
import { MulticamReidError } from '../errors.js';
import { REDACTED } from '../streams/redact.js';

/** Why a connection to the broker failed. */
export type MqttFailureReason = 'unreachable' | 'timeout' | 'auth' | 'refused';

/** The broker could not be reached, or refused the connection. Code `MQTT_FAILED`. */
export class MqttSinkError extends MulticamReidError {
  /** Why it failed: switch on this rather than parse the message. */
  readonly reason: MqttFailureReason;
  /** The broker URL, credentials masked. */
  readonly broker: string;

  constructor(reason: MqttFailureReason, broker: string, message: string, options: { cause?: unknown } = {}) {
    super('MQTT_FAILED', message, { culprit: broker, cause: options.cause });
    this.reason = reason;
    this.broker = broker;
  }
}

/** CONNACK codes that mean "wrong credentials" or "not allowed": MQTT 3.1.1 (4, 5) and 5 (134, 135). */
const AUTH_CODES = new Set([4, 5, 134, 135]);
/** CONNACK codes that mean "up but not serving now": 3.1.1 (3) and 5 (136 unavailable, 137 busy). */
const UNAVAILABLE_CODES = new Set([3, 136, 137]);

/** What went wrong, from an error the `mqtt` client emitted while connecting. */
export function classifyConnectError(error: Error & { code?: unknown }): MqttFailureReason {
  if (typeof error.code === 'number') {
    if (AUTH_CODES.has(error.code)) return 'auth';
    return UNAVAILABLE_CODES.has(error.code) ? 'unreachable' : 'refused';
  }
  if (/connack timeout/i.test(error.message)) return 'timeout';
  return 'unreachable';
}

/** The sink's error for a failed first connection, with the fix in its message. */
export function connectError(reason: MqttFailureReason, broker: string, detail: string, secrets: readonly string[], cause?: unknown): MqttSinkError {
  const said = maskSecrets(detail, secrets);
  const message = {
    unreachable: `cannot reach MQTT broker ${broker} (${said}): check that it runs and the host and port are right, or set whenDown: 'buffer' to start anyway and send events once it is up`,
    timeout: `MQTT broker ${broker} did not accept the connection within the connect timeout (${said}): check the host, port and scheme (mqtt:// vs mqtts:// or ws://), or raise connectTimeout`,
    auth: `MQTT broker ${broker} refused the credentials (${said}): check the user name and password (in the URL or the username/password options) and the broker's access list`,
    refused: `MQTT broker ${broker} refused the connection (${said}): check the client id, protocol and the broker's settings`,
  }[reason];
  return new MqttSinkError(reason, broker, message, { cause });
}

/** Masks the given secrets (a password; 3 characters or more, like `redactText`) in a text the `mqtt` package produced. */
export function maskSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) if (secret.length >= 3) out = out.split(secret).join(REDACTED);
  return out;
}
