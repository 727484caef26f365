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
  | 'INFERENCE_FAILED'
  | 'DOWNLOAD_FAILED'
  | 'CHECKSUM_MISMATCH'
  | 'FFMPEG_FAILED'
  | 'OUTPUT_FAILED'
  | 'INVALID_MOT_FILE'
  | 'INVALID_DETECTION'
  | 'ABORTED';

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

/** A MOTChallenge file could not be parsed. */
export class MotFormatError extends MulticamReidError {}
