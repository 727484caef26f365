/**
 * A running job: a typed event emitter (typed-emitter over eventemitter3) with a `result`
 * promise that always resolves — failures are described in the result and in an 'error'
 * event, never thrown from `result`.
 */
import { EventEmitter } from 'eventemitter3';
import type TypedEmitterModule from 'typed-emitter';
import type { JobEvents, JobResult } from './events.js';
import type { AddSourceOptions } from './job-runner.js';
import { StopSignal } from './stop-signal.js';

/**
 * typed-emitter's listener signatures, limited to the methods eventemitter3 really has
 * (it has no prependListener, rawListeners or max-listener settings).
 */
export type JobEmitter = Pick<
  TypedEmitterModule.default<JobEvents>,
  'on' | 'once' | 'off' | 'addListener' | 'removeListener' | 'removeAllListeners' | 'emit' | 'listeners' | 'listenerCount' | 'eventNames'
>;

const TypedEventEmitter = EventEmitter as unknown as new () => JobEmitter;

/** What drives a job: the local runner, or the distributed submitter. */
export interface JobDriver {
  run(): Promise<JobResult>;
  addSource(source: string, options?: AddSourceOptions): number;
  removeSource(cameraIndex: number): void;
  warn(message: string, cameraIndex?: number, code?: string): void;
}

export class Job extends TypedEventEmitter {
  /** Resolves when the job has ended and every output is finalised. */
  readonly result: Promise<JobResult>;
  /**
   * The job's one stop signal, alive from its first line: aborted by the caller's signal,
   * {@link cancel} or the max-duration timer. Its listener on the caller's signal is removed
   * when the job settles.
   */
  private readonly stop = new StopSignal();
  private readonly driver: JobDriver;

  constructor(
    /** Unique id of this job. */
    readonly id: string,
    createDriver: (job: Job, stop: StopSignal) => JobDriver,
    external?: AbortSignal,
  ) {
    super();
    this.stop.follow(external);
    this.driver = createDriver(this, this.stop);
    // Start on the next tick so callers can subscribe to 'start' first.
    this.result = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => this.driver.run())
      .finally(() => this.stop.dispose());
  }

  /** Requests cancellation (same as aborting the `signal` passed in the options). Idempotent. */
  cancel(reason: unknown = 'cancelled by caller'): void {
    this.stop.abort(reason);
  }

  /** True once cancellation was requested. */
  get cancelRequested(): boolean {
    return this.stop.aborted;
  }

  /**
   * Adds a camera while the job runs (after its `start` event): a new camera index with its
   * own outputs in the same job folder, sharing the job's identity gallery. Emits
   * `camera:added`; the camera's result joins `result.cameras`.
   * @returns the new camera's index.
   * @throws StreamError `INVALID_URL` for a bad source; ConfigError `INVALID_OPTION` when the job is not running.
   */
  addSource(source: string, options?: AddSourceOptions): number {
    return this.driver.addSource(source, options);
  }

  /**
   * Adds a warning to the job: emitted as a `warning` event and kept in `result.warnings`
   * (credentials masked), for hosts that attach their own services to a job.
   */
  warn(message: string, code?: string, cameraIndex?: number): void {
    this.driver.warn(message, cameraIndex, code);
  }

  /**
   * Ends one camera while the others go on: its outputs are finalised and its result says
   * `stopReason: 'removed'`. Emits `camera:removed`. Removing an ended camera does nothing.
   * @throws ConfigError `INVALID_OPTION` for an unknown index or a job that is not running.
   */
  removeSource(cameraIndex: number): void {
    this.driver.removeSource(cameraIndex);
  }
}
