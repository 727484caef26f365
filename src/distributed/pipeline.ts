/**
 * The submitter of the distributed mode: `new DistributedPipeline({ redis, config })` and
 * `processVideo(options)` give the same {@link Job} as the local pipeline — same options,
 * events, result and output layout — but its cameras run on `multicam-reid worker` processes
 * anywhere, as one BullMQ flow: a parent job with one child per camera.
 */
import { randomUUID } from 'node:crypto';
import { FlowProducer, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { resolveConfig, type PipelineConfig, type PipelineConfigInput } from '../pipeline/config.js';
import { Job } from '../pipeline/job.js';
import type { ProcessVideoOptions } from '../pipeline/options.js';
import { planJob } from '../pipeline/plan.js';
import { resolveByteTrackerOptions, type ByteTrackerOptions } from '../tracking/options.js';
import { resolveIdentityGalleryOptions } from '../identity/options.js';
import { ConfigError } from '../errors.js';
import { resolveMqttSinkOptions } from '../service/mqtt-options.js';
import { DistributedJobDriver } from './submitter.js';
import type { GalleryMode } from './job-data.js';
import { CAMERA_QUEUE, DEFAULT_PREFIX, JOB_QUEUE } from './keys.js';
import { checkRedis, openRedis, parseRedisUrl, resilientOptions, type RedisTarget } from './redis.js';

export interface DistributedPipelineOptions {
  /** Redis URL, `redis://[user:password@]host[:port][/db]` (or `rediss://` for TLS). */
  redis: string;
  /**
   * The job configuration (an object or a YAML/JSON file), as for the local pipeline. It
   * travels with every camera; each worker uses its own models, threads and ffmpeg, and
   * refuses a job that asks for other model ids than it has.
   */
  config?: PipelineConfigInput | string;
  /** Prefix of the queues and keys; the workers' must be the same. @default 'multicam-reid' */
  prefix?: string;
  /**
   * `shared`: one identity gallery per job, so global ids agree across workers. `per-worker`:
   * each worker keeps its own gallery for the job's cameras it runs (ids agree only among those).
   * @default 'shared'
   */
  gallery?: GalleryMode;
  /**
   * Seconds Redis may stay unreachable in the middle of a job before the job fails with
   * `REDIS_UNREACHABLE` (a restart takes a second or two; a job survives it).
   * @default 30
   */
  redisDownTimeout?: number;
  /**
   * Seconds a cancelled (or failed) job waits for its running cameras to report their end
   * before it ends without them (their workers may be gone).
   * @default 30
   */
  cancelTimeout?: number;
}

/** What the submitter's jobs share: the Redis connections of one pipeline. */
export interface SubmitterConnections {
  commands: Redis;
  flow: FlowProducer;
  cameras: Queue;
  jobs: Queue;
}

/** What a distributed job's driver takes from its pipeline. */
export interface SubmitterDeps {
  config: PipelineConfig;
  target: RedisTarget;
  prefix: string;
  gallery: GalleryMode;
  redisDownTimeout: number;
  cancelTimeout: number;
  connect: () => Promise<SubmitterConnections>;
}

export class DistributedPipeline {
  /** The validated job configuration (defaults applied). */
  readonly config: PipelineConfig;
  private readonly target: RedisTarget;
  private readonly deps: SubmitterDeps;
  private connections: Promise<SubmitterConnections> | undefined;
  private released = false;

  /**
   * Checks the options at once: a bad Redis URL or configuration throws here.
   * @throws QueueError `INVALID_REDIS_URL`; ConfigError `INVALID_CONFIG` / `INVALID_OPTION`.
   */
  constructor(options: DistributedPipelineOptions) {
    this.target = parseRedisUrl(options.redis);
    this.config = resolveConfig(options.config);
    resolveByteTrackerOptions(this.config.tracker as Partial<ByteTrackerOptions>);
    resolveIdentityGalleryOptions(this.config.identity);
    if (this.config.mqtt !== undefined) resolveMqttSinkOptions(this.config.mqtt, 'configuration mqtt');
    const seconds = (name: string, value: number | undefined, fallback: number) => {
      const v = value ?? fallback;
      if (!Number.isFinite(v) || v <= 0) throw new ConfigError('INVALID_OPTION', `${name} must be a number of seconds above 0, got ${String(value)}`, { culprit: name });
      return v;
    };
    const gallery = options.gallery ?? 'shared';
    if (gallery !== 'shared' && gallery !== 'per-worker') throw new ConfigError('INVALID_OPTION', `gallery must be 'shared' or 'per-worker', got ${String(gallery)}`, { culprit: 'gallery' });
    this.deps = {
      config: this.config,
      target: this.target,
      prefix: options.prefix ?? DEFAULT_PREFIX,
      gallery,
      redisDownTimeout: seconds('redisDownTimeout', options.redisDownTimeout, 30),
      cancelTimeout: seconds('cancelTimeout', options.cancelTimeout, 30),
      connect: () => this.connect().then(() => this.connections!),
    };
  }

  /**
   * Checks that Redis answers and accepts the credentials, then opens the connections (once).
   * `processVideo` does it too, as the first step of every job.
   * @throws QueueError `REDIS_UNREACHABLE` or `REDIS_AUTH_FAILED`.
   */
  async connect(): Promise<void> {
    if (this.released) throw new ConfigError('INVALID_OPTION', 'this DistributedPipeline was released; create a new one', { culprit: 'connect' });
    this.connections ??= (async () => {
      await checkRedis(this.target);
      const connection = resilientOptions(this.target, 'multicam-reid:submitter');
      const prefix = this.deps.prefix;
      const flow = new FlowProducer({ connection, prefix });
      const cameras = new Queue(CAMERA_QUEUE, { connection, prefix });
      const jobs = new Queue(JOB_QUEUE, { connection, prefix });
      // Redis away: they retry.
      flow.on('error', () => undefined);
      cameras.on('error', () => undefined);
      jobs.on('error', () => undefined);
      return { commands: openRedis(this.target, 'multicam-reid:submitter-commands'), flow, cameras, jobs };
    })().catch((error: unknown) => {
      this.connections = undefined; // a later call may succeed once Redis is up
      throw error;
    });
    await this.connections;
  }

  /**
   * Starts a distributed job. Invalid options throw here, synchronously, as for the local
   * pipeline; a Redis that cannot be reached makes `job.result` resolve `failed` before any
   * work (no folder, nothing queued).
   */
  processVideo(options: ProcessVideoOptions): Job {
    const plan = planJob(options, this.config);
    return new Job(randomUUID(), (job, stop) => new DistributedJobDriver(job, plan, this.deps, stop), options.signal);
  }

  /** Checks job options as `processVideo` does, without starting anything. */
  validate(options: ProcessVideoOptions): void {
    planJob(options, this.config);
  }

  /** Closes the Redis connections (running jobs should have ended). Idempotent. */
  async release(): Promise<void> {
    this.released = true;
    const connections = await this.connections?.catch(() => undefined);
    this.connections = undefined;
    if (connections === undefined) return;
    await Promise.all([connections.flow.close(), connections.cameras.close(), connections.jobs.close()].map((p) => p.catch(() => undefined)));
    await connections.commands.quit().catch(() => connections.commands.disconnect());
  }

  /** Same as {@link release}. */
  close(): Promise<void> {
    return this.release();
  }
}
