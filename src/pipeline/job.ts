/**
 * A running job: a typed event emitter (typed-emitter over eventemitter3) with a `result`
 * promise that always resolves — failures are described in the result and in an 'error'
 * event, never thrown from `result`.
 */
import { EventEmitter } from 'eventemitter3';
import type TypedEmitterModule from 'typed-emitter';
import type { JobEvents, JobResult } from './events.js';

/**
 * typed-emitter's listener signatures, limited to the methods eventemitter3 really has
 * (it has no prependListener, rawListeners or max-listener settings).
 */
export type JobEmitter = Pick<
  TypedEmitterModule.default<JobEvents>,
  'on' | 'once' | 'off' | 'addListener' | 'removeListener' | 'removeAllListeners' | 'emit' | 'listeners' | 'listenerCount' | 'eventNames'
>;

const TypedEventEmitter = EventEmitter as unknown as new () => JobEmitter;

export class Job extends TypedEventEmitter {
  /** Resolves when the job has ended and every output is finalised. */
  readonly result: Promise<JobResult>;
  private readonly controller = new AbortController();

  constructor(
    /** Unique id of this job. */
    readonly id: string,
    run: (job: Job, signal: AbortSignal) => Promise<JobResult>,
    external?: AbortSignal,
  ) {
    super();
    if (external !== undefined) {
      if (external.aborted) this.controller.abort(external.reason);
      else external.addEventListener('abort', () => this.controller.abort(external.reason), { once: true });
    }
    // Start on the next tick so callers can subscribe to 'start' first.
    this.result = new Promise<void>((resolve) => setImmediate(resolve)).then(() => run(this, this.controller.signal));
  }

  /** Requests cancellation (same as aborting the `signal` passed in the options). Idempotent. */
  cancel(reason: unknown = 'cancelled by caller'): void {
    if (!this.controller.signal.aborted) this.controller.abort(reason);
  }

  /** True once cancellation was requested. */
  get cancelRequested(): boolean {
    return this.controller.signal.aborted;
  }
}
