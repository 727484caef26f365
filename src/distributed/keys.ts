/**
 * Names in Redis: the two BullMQ queues (a parent job per job, a child per camera) and the
 * few keys of our own per job (its event stream, camera results, control flags, the shared
 * identity gallery's streams), all under one prefix so several deployments can share a Redis.
 */

/** Prefix of every key (BullMQ's and ours) unless configured otherwise. */
export const DEFAULT_PREFIX = 'multicam-reid';
/** The queue of camera jobs, taken by `multicam-reid worker`. */
export const CAMERA_QUEUE = 'cameras';
/** The queue holding each job's parent: it tracks its cameras and is never processed by a worker. */
export const JOB_QUEUE = 'jobs';

/** BullMQ job id of camera `cameraIndex` of job `jobId` (BullMQ ids may not contain ':'). */
export function cameraJobId(jobId: string, cameraIndex: number): string {
  return `${jobId}-cam${cameraIndex}`;
}

/** Pub/sub channel of control messages (cancel, remove) to every worker. */
export function controlChannel(prefix: string): string {
  return `${prefix}:control`;
}

/** The keys of one job. */
export class JobKeys {
  constructor(
    readonly prefix: string,
    readonly jobId: string,
  ) {}

  private key(name: string): string {
    return `${this.prefix}:job:${this.jobId}:${name}`;
  }

  /** Stream of the job's events, from every worker to the submitter. */
  get events(): string {
    return this.key('events');
  }

  /** Hash: camera index → the final result of its last attempt (JSON). */
  get results(): string {
    return this.key('results');
  }

  /** Set when the job was cancelled (workers check it when they take a camera and after reconnecting). */
  get cancelled(): string {
    return this.key('cancelled');
  }

  /** Set once the job has been finalised: a late attempt of one of its cameras does nothing. */
  get finalised(): string {
    return this.key('finalised');
  }

  /** Set of the camera indexes removed with `removeSource`. */
  get removed(): string {
    return this.key('removed');
  }

  /** Stream of the shared gallery's operations, from every camera to the gallery owner. */
  get galleryOps(): string {
    return this.key('gallery:ops');
  }

  /** Stream of the gallery owner's decisions for one camera attempt. */
  galleryDecisions(attempt: string): string {
    return this.key(`gallery:decisions:${attempt}`);
  }

  /** Every key of ours for this job (for expiry at the end). */
  all(): string[] {
    return [this.events, this.results, this.cancelled, this.finalised, this.removed, this.galleryOps];
  }
}
