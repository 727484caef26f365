/**
 * A worker process of the distributed mode: loads the models once, then takes camera jobs
 * from the BullMQ queue (`concurrency` at a time) and runs each as a {@link CameraJob}. It
 * listens on the control channel for its jobs' cancels and removals, refuses jobs of another
 * library version, and on `close()` stops taking jobs, lets file cameras finish for a grace
 * period and hands the others back to the queue.
 */
import os from 'node:os';
import { UnrecoverableError, WaitingError, Worker, type Job as BullJob } from 'bullmq';
import type { Redis } from 'ioredis';
import { ConfigError, MulticamReidError, QueueError, toLibraryError } from '../errors.js';
import { DetectionTrackingPipeline } from '../pipeline/pipeline.js';
import type { PipelineConfigInput } from '../pipeline/config.js';
import { CameraJob, refusedResult, type GalleryProvider } from './camera-job.js';
import type { CameraJobData, CameraJobOutcome } from './job-data.js';
import { CAMERA_QUEUE, DEFAULT_PREFIX, JobKeys, controlChannel } from './keys.js';
import { PerWorkerGalleries } from './per-worker-gallery.js';
import { SharedGalleries } from './shared-gallery.js';
import { checkRedis, openRedis, parseRedisUrl, resilientOptions } from './redis.js';
import { libraryVersion } from './version.js';
import type { ControlMessage } from './control.js';
import type { WorkerIdentity } from './wire.js';

export interface StartWorkerOptions {
  /** Redis URL, `redis://[user:password@]host[:port][/db]` (or `rediss://` for TLS). */
  redis: string;
  /**
   * Cameras this process runs at once. They share its models (one detector session pool), so
   * on a small machine more cameras mean fewer frames per second each: size it from the
   * per-camera cost in docs/scale-out.md.
   * @default 1
   */
  concurrency?: number;
  /**
   * This machine's configuration: an object or a YAML/JSON file. Its models (detector, ReID,
   * `modelsDir`, threads, sessions) and `streams.ffmpegPath` are used for every camera; every
   * other setting comes with each job from its submitter.
   */
  config?: PipelineConfigInput | string;
  /** Prefix of the queues and keys; the same as the submitters'. @default 'multicam-reid' */
  prefix?: string;
  /**
   * Milliseconds a camera job's lock lasts without renewal (BullMQ `lockDuration`). A worker
   * that dies is noticed after about this long plus up to two {@link stalledInterval}s; too
   * short and a busy worker that renews late loses its camera to another worker.
   * @default 30000
   */
  lockDuration?: number;
  /** Milliseconds between this worker's checks for cameras whose worker died (BullMQ `stalledInterval`). @default 30000 */
  stalledInterval?: number;
  /**
   * Times a camera may lose its worker (stall) and be restarted elsewhere before it fails with
   * `WORKER_LOST` (BullMQ `maxStalledCount`).
   * @default 2
   */
  maxStalledCount?: number;
  /**
   * Seconds that `close()` lets file cameras run to their end before handing them back to the
   * queue (live cameras are handed back at once: they never end on their own).
   * @default 30
   */
  shutdownGraceSeconds?: number;
  /** Milliseconds between flushes of a camera's events to its submitter. @default 50 */
  eventFlushMs?: number;
  /** Milliseconds between flushes of a camera's calls to its job's shared gallery (see RemoteGalleryOptions.flushMs). @default 50 */
  galleryFlushMs?: number;
  /** Where the worker's log lines go (one per taken, ended, refused or handed-back camera). @default stderr */
  log?: (line: string) => void;
  /** Where cameras get their gallery (default: the job's shared gallery, or one per job in this process, as each job asks). */
  galleries?: GalleryProvider;
}

/** A running worker. */
export interface WorkerHandle {
  /** `host:pid`, as shown in camera results. */
  readonly identity: WorkerIdentity;
  /** Camera jobs running now. */
  readonly running: number;
  /**
   * Stops taking jobs; lets file cameras finish within `graceSeconds` (default: the
   * `shutdownGraceSeconds` option), hands back the rest, then closes the connections and
   * releases the models. Idempotent.
   */
  close(options?: { graceSeconds?: number }): Promise<void>;
}

/**
 * Starts a worker: checks Redis and loads the models first, so a bad URL, a refused password,
 * an unreachable Redis or a missing model is a typed error before any camera is taken.
 * @throws QueueError `INVALID_REDIS_URL`, `REDIS_UNREACHABLE`, `REDIS_AUTH_FAILED`; ConfigError; ModelError.
 */
export async function startWorker(options: StartWorkerOptions): Promise<WorkerHandle> {
  const target = parseRedisUrl(options.redis);
  const concurrency = options.concurrency ?? 1;
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new ConfigError('INVALID_OPTION', `concurrency must be a whole number ≥ 1, got ${String(concurrency)}`, { culprit: 'concurrency' });
  }
  const pipeline = new DetectionTrackingPipeline(options.config);
  await checkRedis(target);
  const models = await pipeline.load();
  const prefix = options.prefix ?? DEFAULT_PREFIX;
  const identity: WorkerIdentity = { host: os.hostname(), pid: process.pid };
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const say = (line: string) => log(`[worker ${identity.host}:${identity.pid}] ${line}`);
  const version = libraryVersion();
  const redis = openRedis(target, 'multicam-reid:worker');
  const subscriber = openRedis(target, 'multicam-reid:worker-control');
  const active = new Map<string, CameraJob>();
  const perWorker = new PerWorkerGalleries();
  const shared = new SharedGalleries(target, prefix, { flushMs: options.galleryFlushMs });
  const galleries: GalleryProvider = options.galleries ?? {
    acquire: (data, attempt, config, loaded) => (data.gallery === 'shared' ? shared : perWorker).acquire(data, attempt, config, loaded),
  };

  const processor = async (job: BullJob<CameraJobData>, token: string | undefined, signal: AbortSignal | undefined): Promise<CameraJobOutcome> => {
    const data = job.data;
    const attempt = job.attemptsStarted;
    if (data?.version !== version) {
      const error = new QueueError(
        'VERSION_MISMATCH',
        `worker ${identity.host}:${identity.pid} runs multicam-reid ${version} but camera ${data?.cameraIndex} of job ${data?.jobId} was submitted by ${String(data?.version)}; run one version on the submitter and every worker`,
      );
      say(`refused camera ${data?.cameraIndex} of job ${data?.jobId}: ${error.message}`);
      if (typeof data?.jobId === 'string' && typeof data.outputDir === 'string') await writeRefusal(redis, prefix, data, error, identity, attempt);
      throw new UnrecoverableError(`[${error.code}] ${error.message}`);
    }
    const camera = new CameraJob({ models, machineConfig: pipeline.config, redis, prefix, worker: identity, galleries, log: say, eventFlushMs: options.eventFlushMs }, data, { id: job.id!, number: attempt, token: token ?? '' }, signal ?? new AbortController().signal);
    active.set(job.id!, camera);
    try {
      await applyFlags(redis, prefix, camera, (reason) => cancelCamera(job.id!, camera, reason, 'flag'));
      const end = await camera.run().catch(async (error: unknown) => {
        const failure = toLibraryError(error, `running camera ${data.cameraIndex}`);
        say(`cannot run camera ${data.cameraIndex} of job ${data.jobId}: [${failure.code}] ${failure.message}`);
        await writeRefusal(redis, prefix, data, failure, identity, attempt);
        throw new UnrecoverableError(`[${failure.code}] ${failure.message}`);
      });
      if (end.kind === 'handed-back') {
        await job.moveToWait(token);
        throw new WaitingError();
      }
      if (end.kind === 'cancelled') throw new UnrecoverableError(`camera ${data.cameraIndex} of job ${data.jobId} cancelled`);
      return end.outcome;
    } finally {
      active.delete(job.id!);
    }
  };

  const bullWorker: Worker<CameraJobData, CameraJobOutcome> = new Worker(CAMERA_QUEUE, processor, {
    connection: resilientOptions(target, 'multicam-reid:bullmq-worker'),
    prefix,
    concurrency,
    autorun: false,
    lockDuration: options.lockDuration ?? 30_000,
    stalledInterval: options.stalledInterval ?? 30_000,
    maxStalledCount: options.maxStalledCount ?? 2,
    removeOnComplete: { age: 3600 },
    removeOnFail: { age: 24 * 3600 },
  });
  bullWorker.on('error', () => undefined); // connection errors while Redis is away: BullMQ retries
  // The submitter re-checks its flow at once when a camera's job has settled in BullMQ.
  const settled = (job: BullJob<CameraJobData> | undefined) => {
    if (job?.data?.jobId === undefined) return;
    const marker = JSON.stringify([{ k: 'settled', cameraIndex: job.data.cameraIndex }]);
    redis.xadd(new JobKeys(prefix, job.data.jobId).events, 'MAXLEN', '~', 10_000, '*', 'm', marker).catch(() => undefined);
  };
  bullWorker.on('completed', settled);
  bullWorker.on('failed', settled);

  // A cancel arrives as a control message, or as the job's flag when the message was missed.
  const cancelCamera = (id: string, camera: CameraJob, reason: string | undefined, via: 'message' | 'flag') => {
    say(`cancel of job ${camera.data.jobId} received${via === 'flag' ? ' (from its flag)' : ''}: stopping camera ${camera.data.cameraIndex}`);
    bullWorker.cancelJob(id, reason);
  };

  // Control: the submitter's cancel and removeSource reach the camera's worker within milliseconds.
  subscriber.on('message', (_channel: string, text: string) => {
    let message: ControlMessage;
    try {
      message = JSON.parse(text) as ControlMessage;
    } catch {
      return;
    }
    for (const [id, camera] of active) {
      if (camera.data.jobId !== message.jobId) continue;
      if (message.type === 'cancel') {
        cancelCamera(id, camera, message.reason, 'message');
      } else if (message.type === 'remove' && camera.data.cameraIndex === message.cameraIndex) {
        say(`removal of camera ${message.cameraIndex} of job ${message.jobId} received: ending it`);
        camera.remove();
      }
    }
  });
  // A message published while the subscriber was away is lost: the flags tell what it said.
  subscriber.on('ready', () => {
    for (const [id, camera] of active) void applyFlags(redis, prefix, camera, (reason) => cancelCamera(id, camera, reason, 'flag')).catch(() => undefined);
  });
  await subscriber.subscribe(controlChannel(prefix));
  void bullWorker.run().catch((error: unknown) => say(`stopped taking jobs: ${(error as Error).message}`));
  say(`multicam-reid ${version}: taking camera jobs from ${target.display} (concurrency ${concurrency})`);

  let closing: Promise<void> | undefined;
  return {
    identity,
    get running() {
      return active.size;
    },
    close({ graceSeconds = options.shutdownGraceSeconds ?? 30 } = {}) {
      closing ??= (async () => {
        say(`shutting down: ${active.size} camera(s) running; file cameras get ${graceSeconds} s to end, the rest go back to the queue`);
        const closed = bullWorker.close();
        for (const camera of active.values()) if (camera.live) camera.handBack();
        const grace = setTimeout(() => {
          for (const camera of active.values()) camera.handBack();
        }, graceSeconds * 1000);
        try {
          await closed;
        } finally {
          clearTimeout(grace);
        }
        await shared.close();
        await subscriber.quit().catch(() => subscriber.disconnect());
        await redis.quit().catch(() => redis.disconnect());
        await pipeline.release();
        say('stopped');
      })();
      return closing;
    },
  };
}

/** Applies the job's cancel and removal flags to a camera (they were set before it started, or while Redis was away). */
async function applyFlags(redis: Redis, prefix: string, camera: CameraJob, cancel: (reason: string) => void): Promise<void> {
  const keys = new JobKeys(prefix, camera.data.jobId);
  const [cancelled, removed] = await Promise.all([redis.get(keys.cancelled), redis.sismember(keys.removed, String(camera.data.cameraIndex))]);
  if (cancelled !== null) cancel(cancelled);
  if (removed === 1) camera.remove();
}

async function writeRefusal(redis: Redis, prefix: string, data: CameraJobData, error: MulticamReidError, worker: WorkerIdentity, attempt: number): Promise<void> {
  const outcome: CameraJobOutcome = {
    result: refusedResult(data, error, worker, attempt),
    stages: { read: 0, detect: 0, track: 0, reid: 0, identity: 0, zones: 0, annotate: 0, encode: 0, csv: 0 },
    redis: { events: { commands: 0, roundTrips: 0 } },
    eventsDropped: 0,
  };
  await redis.hset(new JobKeys(prefix, data.jobId).results, String(data.cameraIndex), JSON.stringify(outcome)).catch(() => undefined);
}
