/**
 * A job's warnings: every one is emitted as a `warning` event, the first `limit` are kept for
 * the result and the rest only counted, so a camera that flaps for days cannot grow memory.
 * Each camera reports a given failure once: repeats with the same code are counted, not kept.
 */
import type { WarningEvent } from './events.js';

/** Warnings kept in a job's result. */
export const DEFAULT_WARNING_LIMIT = 200;

export class WarningLog {
  /** Kept warnings, `camera N: message` for camera warnings. */
  readonly kept: string[] = [];
  /** Warnings emitted but not kept. */
  suppressed = 0;
  /** `camera:code` of source failures already reported, so each is reported once. */
  private readonly reportedFailures = new Set<string>();

  constructor(
    private readonly emit: (event: WarningEvent) => void,
    /** Masks credentials in any text that leaves the job. */
    private readonly redact: (text: string) => string,
    private readonly limit = DEFAULT_WARNING_LIMIT,
  ) {}

  /** Emits and records a warning. */
  warn(message: string, cameraIndex?: number, code?: string): void {
    const text = this.redact(message);
    const event: WarningEvent = { message: text };
    if (cameraIndex !== undefined) event.cameraIndex = cameraIndex;
    if (code !== undefined) event.code = code;
    this.emit(event);
    if (this.kept.length < this.limit) this.kept.push(cameraIndex === undefined ? text : `camera ${cameraIndex}: ${text}`);
    else this.suppressed++;
  }

  /**
   * Reports a camera's failure unless the same kind (code) was already reported for that
   * camera: the reader's `error` event and the camera loop's outcome describe the same failure.
   */
  failure(cameraIndex: number, code: string, message: string): void {
    const key = `${cameraIndex}:${code}`;
    if (this.reportedFailures.has(key)) return;
    this.reportedFailures.add(key);
    this.warn(message, cameraIndex, code);
  }
}
