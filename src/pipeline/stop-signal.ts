/**
 * One stop signal per job (and per camera), alive from the job's first line: the caller's
 * signal, `job.cancel()` and the max-duration timer all abort it. Every listener it puts on
 * another signal, and every timer, is removed by `dispose()`, so a long-lived signal of the
 * caller is not kept busy by finished jobs.
 */

/** Why a stop signal was aborted when it was not the caller's own reason. */
export const MAX_DURATION = Symbol('max-duration');

export class StopSignal {
  private readonly controller = new AbortController();
  private readonly cleanups: Array<() => void> = [];

  /** The signal every phase of the job watches. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get aborted(): boolean {
    return this.controller.signal.aborted;
  }

  get reason(): unknown {
    return this.controller.signal.reason;
  }

  /** Aborts now (first reason wins). */
  abort(reason: unknown): void {
    if (!this.controller.signal.aborted) this.controller.abort(reason);
  }

  /** Aborts when `source` aborts (at once if it already has), with its reason. */
  follow(source: AbortSignal | undefined): this {
    if (source === undefined) return this;
    if (source.aborted) {
      this.abort(source.reason);
      return this;
    }
    const onAbort = (): void => this.abort(source.reason);
    source.addEventListener('abort', onAbort, { once: true });
    this.cleanups.push(() => source.removeEventListener('abort', onAbort));
    return this;
  }

  /** Aborts with `reason` after `seconds`. */
  after(seconds: number, reason: unknown): this {
    const timer = setTimeout(() => this.abort(reason), seconds * 1000);
    this.cleanups.push(() => clearTimeout(timer));
    return this;
  }

  /** Removes every listener and timer this signal holds. Idempotent. */
  dispose(): void {
    for (const cleanup of this.cleanups.splice(0)) cleanup();
  }
}

/** What {@link untilStopped} resolves to when the signal aborted first. */
export const STOPPED = Symbol('stopped');

/**
 * Waits for `work` unless `signal` aborts first (then resolves {@link STOPPED} at once; the
 * work goes on and its outcome is ignored). The listener is removed either way.
 */
export async function untilStopped<T>(work: Promise<T>, signal: AbortSignal): Promise<T | typeof STOPPED> {
  if (signal.aborted) {
    work.catch(() => undefined);
    return STOPPED;
  }
  let onAbort!: () => void;
  const stopped = new Promise<typeof STOPPED>((resolve) => {
    onAbort = () => resolve(STOPPED);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([work, stopped]);
  } finally {
    signal.removeEventListener('abort', onAbort);
    work.catch(() => undefined);
  }
}
