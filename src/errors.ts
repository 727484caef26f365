/**
 * The library's error family. Every error thrown on purpose is a {@link MulticamReidError}
 * with a stable {@link MulticamReidError.code}, so host applications can branch on the code
 * rather than parse messages. Messages name the bad value and, where possible, the fix.
 */

/** Stable machine-readable error codes. */
export type ErrorCode =
  | 'INVALID_URL'
  | 'SOURCE_NOT_FOUND'
  | 'SOURCE_UNAUTHORIZED'
  | 'INVALID_MEDIA'
  | 'CONNECT_TIMEOUT'
  | 'STREAM_FAILED'
  | 'INVALID_OPTION'
  | 'INVALID_CONFIG'
  | 'INVALID_ZONE'
  | 'MODEL_NOT_FOUND'
  | 'MODEL_MISMATCH'
  | 'MODEL_CORRUPT'
  | 'INVALID_MODEL_ENTRY'
  | 'INFERENCE_FAILED'
  | 'DOWNLOAD_FAILED'
  | 'CHECKSUM_MISMATCH'
  | 'FFMPEG_FAILED'
  | 'OUTPUT_FAILED'
  | 'INVALID_MOT_FILE'
  | 'INVALID_DETECTION'
  /** The MQTT event sink could not reach or log in to its broker (see src/service/). */
  | 'MQTT_FAILED'
  | 'ABORTED'
  /** The distributed mode (BullMQ on Redis): see {@link QueueError}. */
  | 'INVALID_REDIS_URL'
  | 'REDIS_UNREACHABLE'
  | 'REDIS_AUTH_FAILED'
  | 'REDIS_STATE_LOST'
  | 'VERSION_MISMATCH'
  | 'WORKER_LOST'
  /** A bug: an error nobody meant to throw (see {@link toLibraryError}). */
  | 'INTERNAL';

/** Base class of every error the library throws on purpose. */
export class MulticamReidError extends Error {
  /** Stable code, safe to switch on. */
  readonly code: ErrorCode;
  /** The offending value (URL, path, field name…) when there is one. */
  readonly culprit?: string;

  constructor(code: ErrorCode, message: string, options: { culprit?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    if (options.culprit !== undefined) this.culprit = options.culprit;
  }
}

/** A source (URL, file, stream) is malformed, missing, unreadable or failed. */
export class StreamError extends MulticamReidError {}

/** An option, configuration field or zone definition is invalid. */
export class ConfigError extends MulticamReidError {}

/** A model file is missing, corrupt or of the wrong kind. */
export class ModelError extends MulticamReidError {}

/** Writing an output (video, CSV, JSON, ZIP) failed. */
export class OutputError extends MulticamReidError {}

/**
 * The distributed mode (BullMQ on Redis) cannot work: a bad Redis URL (`INVALID_REDIS_URL`),
 * Redis unreachable (`REDIS_UNREACHABLE`) or refusing the credentials (`REDIS_AUTH_FAILED`),
 * the job's state gone from Redis mid-job (`REDIS_STATE_LOST`, e.g. a restart without
 * persistence), a worker of another library version (`VERSION_MISMATCH`), or a camera whose
 * workers kept dying (`WORKER_LOST`).
 */
export class QueueError extends MulticamReidError {}

/** A MOTChallenge file could not be parsed. */
export class MotFormatError extends MulticamReidError {}

/** File-system error codes that mean "this output cannot be written here" rather than a bug. */
const FILE_SYSTEM_CODES = new Set(['EACCES', 'EPERM', 'ENOENT', 'ENOSPC', 'EDQUOT', 'EROFS', 'EISDIR', 'ENOTDIR', 'EEXIST', 'EMFILE', 'ENFILE', 'EIO', 'ENAMETOOLONG', 'EPIPE']);

/**
 * Turns anything thrown into a library error, by cause: a {@link MulticamReidError} stays as
 * it is; a file-system error (EACCES, ENOSPC…) becomes `OUTPUT_FAILED`; anything else (a
 * TypeError, a RangeError) is a bug and becomes `INTERNAL`, with the original as `cause`.
 *
 * @param what what was being done, for the message ("opening the outputs of camera 1").
 */
export function toLibraryError(error: unknown, what: string): MulticamReidError {
  if (error instanceof MulticamReidError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const errno = (error as NodeJS.ErrnoException | undefined)?.code;
  if (typeof errno === 'string' && FILE_SYSTEM_CODES.has(errno)) {
    const culprit = (error as NodeJS.ErrnoException).path;
    return new OutputError('OUTPUT_FAILED', `${what} failed: ${message}`, { cause: error, ...(culprit === undefined ? {} : { culprit }) });
  }
  return new MulticamReidError('INTERNAL', `internal error while ${what}: ${message} (please report it with the stack of error.cause)`, { cause: error });
}
