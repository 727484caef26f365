/**
 * The driver of one distributed job, in phases like the local runner: check Redis → create
 * the job folder → queue the flow (a parent, a child per camera) → follow the cameras (their
 * events from the job's stream, their state from the flow) → finalise the job (identities,
 * ZIP, video copy) when the last camera has ended. It always resolves with the job's result,
 * also when Redis goes away for good or loses the job.
 */
import diagnosticsChannel from 'node:diagnostics_channel';
import path from 'node:path';
import type { Job as BullJob } from 'bullmq';
import { ConfigError, MulticamReidError, QueueError, toLibraryError } from '../errors.js';
import type { AddSourceOptions } from '../pipeline/job-runner.js';
import type { Job, JobDriver } from '../pipeline/job.js';
import { MqttEventSink } from '../service/mqtt-event-sink.js';
import type { CameraProgress, CameraResult, CameraState, EmitFn, JobResult, JobStatus, StageTimings } from '../pipeline/events.js';
import { createJobFolder, finaliseJobFolder } from '../pipeline/job-folder.js';
import { emptyCameraResult, endJob, newJobResult } from '../pipeline/results.js';
import { planSource, zonesOf, type JobPlan, type PlannedSource } from '../pipeline/plan.js';
import { STOPPED, StopSignal, untilStopped } from '../pipeline/stop-signal.js';
import { WarningLog } from '../pipeline/warnings.js';
import { fileStamp, jobFolderName } from '../output/naming.js';
import { classifySource } from '../streams/url.js';
import { linesForCamera, parseZones, type LineDefinition, type ZoneDefinition } from '../zones/index.js';
import { publishCancel, publishRemove } from './control.js';
import { EventReader, type ReceivedPreview, type RedisTraffic } from './event-stream.js';
import { GalleryOwner } from './gallery-owner.js';
import { writeEmptyOutputs } from './job-folder.js';
import { encodeConfig, type CameraJobData, type CameraJobOutcome, type ParentJobData } from './job-data.js';
import { CAMERA_QUEUE, JOB_QUEUE, JobKeys, cameraJobId } from './keys.js';
import type { SubmitterConnections, SubmitterDeps } from './pipeline.js';
import { removeStagingArea } from './staging.js';
import { libraryVersion } from './version.js';
import type { CameraSample, WireMessage, WorkerIdentity } from './wire.js';

/** What {@link DISTRIBUTED_TRAFFIC_CHANNEL} publishes when a distributed job ends: its Redis traffic, by part. */
export interface DistributedTrafficMessage {
  jobId: string;
  /** Per camera (its last attempt): frames, and the commands and round trips of its events and of its shared-gallery calls. */
  cameras: Array<{ cameraIndex: number; frames: number; events?: RedisTraffic; gallery?: RedisTraffic }>;
  /** The submitter's reads of the job's event stream. */
  reader: RedisTraffic;
  /** The shared gallery's owner: its reads and decision writes, and the calls it applied. */
  owner?: RedisTraffic & { operations: number };
}

/**
 * Name of the `node:diagnostics_channel` channel that receives a {@link DistributedTrafficMessage}
 * when a distributed job ends (the bench's Redis operations per frame). Free while no one subscribes.
 */
export const DISTRIBUTED_TRAFFIC_CHANNEL = 'multicam-reid:distributed-traffic';
const trafficChannel = diagnosticsChannel.channel(DISTRIBUTED_TRAFFIC_CHANNEL);

/** Milliseconds between the submitter's checks of its flow and of Redis. */
const WATCH_INTERVAL_MS = 1000;
/** Longest wait for one Redis read while the job ends (Redis may be gone for good). */
const REDIS_WAIT_MS = 3000;

/** What the submitter knows of one camera. */
interface CameraEntry {
  cameraIndex: number;
  planned: PlannedSource;
  zones: readonly ZoneDefinition[];
  lines: readonly LineDefinition[];
  childId: string;
  state: CameraState;
  sample?: CameraSample;
  worker?: WorkerIdentity;
  attempt: number;
  properties: { width: number; height: number; fps: number; codec: string };
  /** Set when the camera ended without a worker's result (removed or cancelled while queued, failed in the queue). */
  synthesized?: CameraResult;
  outcome?: CameraJobOutcome;
  removeRequested: boolean;
}

export class DistributedJobDriver implements JobDriver {
  private readonly started = Date.now();
  private readonly warnings: WarningLog;
  private readonly keys: JobKeys;
  private readonly stamp: string;
  private readonly cameras: CameraEntry[] = [];
  private connections: SubmitterConnections | undefined;
  private reader: EventReader | undefined;
  private owner: GalleryOwner | undefined;
  private outputDir: string | undefined;
  private folderName: string | undefined;
  private accepting = false;
  private pendingAdds = 0;
  /** Resolves the wait for the cameras (all ended, or the job cannot go on). */
  private wake: (() => void) | undefined;
  private failure: MulticamReidError | undefined;
  private downSince: number | undefined;
  private cancelDeadline: number | undefined;
  private checking = false;

  private readonly jobId: string;
  private readonly emit: EmitFn;
  private sink: MqttEventSink | undefined;

  constructor(
    private readonly job: Job,
    private readonly plan: JobPlan,
    private readonly deps: SubmitterDeps,
    private readonly stop: StopSignal,
  ) {
    this.jobId = job.id;
    const emit = job.emit.bind(job) as EmitFn;
    this.emit = emit;
    this.keys = new JobKeys(deps.prefix, job.id);
    this.warnings = new WarningLog((event) => emit('warning', event), plan.redactor.text);
    this.stamp = fileStamp(plan.now, plan.timeZone);
  }

  async run(): Promise<JobResult> {
    const progress = setInterval(() => this.emitProgress(), this.deps.config.processing.progressInterval * 1000);
    let watch: NodeJS.Timeout | undefined;
    let unfollow: (() => void) | undefined;
    const onAbort = () => void this.onCancel();
    try {
      // 1. Redis
      const connections = await untilStopped(this.deps.connect(), this.stop.signal);
      if (connections === STOPPED) return this.finish('cancelled');
      this.connections = connections;
      unfollow = this.followRedis(connections.commands);
      // The MQTT sink, when configured, as in a local job: it sees every event, the workers' too.
      if (this.deps.config.mqtt !== undefined) {
        const sink = await untilStopped(MqttEventSink.connect(this.deps.config.mqtt), this.stop.signal);
        if (sink === STOPPED) return this.finish('cancelled');
        this.sink = sink;
        sink.on('warning', (w) => this.warnings.warn(w.message, undefined, w.code));
        sink.attach(this.job, { sources: this.plan.sources.map((s) => s.source) });
      }

      // 2. the job folder, on storage every worker reaches
      this.folderName = await createJobFolder(this.plan.outputRoot, jobFolderName(this.plan.now, this.plan.timeZone));
      this.outputDir = path.join(this.plan.outputRoot, this.folderName);

      // 3. the job's events, then the flow
      const readerConnection = connections.commands.duplicate();
      readerConnection.on('error', () => undefined);
      this.reader = new EventReader(readerConnection, this.keys.events, (m) => this.onMessages(m), (p) => this.onPreview(p));
      void this.reader.run();
      if (this.deps.gallery === 'shared') {
        const ownerConnection = connections.commands.duplicate();
        ownerConnection.on('error', () => undefined);
        this.owner = new GalleryOwner(connections.commands, ownerConnection, this.keys, { ...this.deps.config.identity, similarityThreshold: this.plan.similarityThreshold }, (m, c, code) => this.warnings.warn(m, c, code));
        this.owner.start();
      }
      this.plan.sources.forEach((source, i) => this.cameras.push(this.newCamera(i, source, zonesOf(this.plan, i), linesForCamera(this.plan.zones, i))));
      if (this.stop.aborted) return await this.finaliseJob();
      await this.queueFlow(connections);
      this.emitStart();
      this.accepting = true;
      this.stop.signal.addEventListener('abort', onAbort, { once: true });
      if (this.stop.aborted) void this.onCancel();

      // 4. follow the cameras until every one has ended
      watch = setInterval(() => void this.watch(), WATCH_INTERVAL_MS);
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        void this.check();
      });
      this.accepting = false;

      // 5. the job's own outputs
      return await this.finaliseJob();
    } catch (error) {
      const failure = error instanceof MulticamReidError ? error : toLibraryError(error, 'running the distributed job');
      if (this.outputDir === undefined) return this.finish('failed', failure);
      this.failure ??= failure;
      return await this.finaliseJob();
    } finally {
      clearInterval(progress);
      if (watch !== undefined) clearInterval(watch);
      this.accepting = false;
      this.stop.signal.removeEventListener('abort', onAbort);
      this.reader?.stop();
      this.owner?.stop();
      unfollow?.();
      this.stop.dispose();
      await this.sink?.close(); // the final events are queued: flush them, then disconnect
    }
  }

  /** A warning from outside the driver (a service attached to the job). */
  warn(message: string, cameraIndex?: number, code?: string): void {
    this.warnings.warn(message, cameraIndex, code);
  }

  addSource(source: string, options: AddSourceOptions = {}): number {
    if (!this.accepting || this.connections === undefined || this.stop.aborted) {
      throw new ConfigError('INVALID_OPTION', `addSource(): the job ${this.outputDir !== undefined ? 'has ended' : "has not started yet: add sources in the job's options, or after its 'start' event"}`, { culprit: 'addSource' });
    }
    const planned = planSource(source);
    const cameraIndex = this.cameras.length;
    const { zones, lines } = options.zones === undefined ? { zones: zonesOf(this.plan, cameraIndex), lines: linesForCamera(this.plan.zones, cameraIndex) } : zonesForNewCamera(options.zones);
    this.plan.redactor.add(planned.source);
    const camera = this.newCamera(cameraIndex, planned, zones, lines);
    this.cameras.push(camera);
    this.emit('camera:added', { cameraIndex, source: planned.display });
    this.pendingAdds++;
    const connections = this.connections;
    connections.cameras
      .add('camera', this.cameraData(camera), { ...CHILD_OPTIONS, jobId: camera.childId, parent: { id: this.jobId, queue: `${this.deps.prefix}:${JOB_QUEUE}` } })
      .catch((error: unknown) => {
        const failure = toLibraryError(error, `queueing camera ${cameraIndex}`);
        this.warnings.warn(failure.message, cameraIndex, failure.code);
        camera.synthesized = this.emptyResult(camera, 'failed', 'error', { code: failure.code, message: failure.message });
      })
      .finally(() => {
        this.pendingAdds--;
        void this.check();
      });
    return cameraIndex;
  }

  removeSource(cameraIndex: number): void {
    const camera = this.cameras[cameraIndex];
    if (camera === undefined || !Number.isInteger(cameraIndex)) {
      throw new ConfigError('INVALID_OPTION', `removeSource(${String(cameraIndex)}): no such camera; this job has cameras 0–${this.cameras.length - 1}`, { culprit: String(cameraIndex) });
    }
    if (!this.accepting) throw new ConfigError('INVALID_OPTION', 'removeSource(): the job is not running', { culprit: String(cameraIndex) });
    if (this.isFinished(camera) || camera.removeRequested) return;
    camera.removeRequested = true;
    const connections = this.connections!;
    void publishRemove(connections.commands, this.deps.prefix, this.jobId, cameraIndex).catch(() => undefined);
    // Still queued: take it out of the queue; it ends as removed without running.
    void this.takeOutOfQueue(camera, 'removed');
    this.emit('camera:removed', { cameraIndex, source: camera.planned.display });
  }

  // ── phases ─────────────────────────────────────────────────────────────────

  private async queueFlow(connections: SubmitterConnections): Promise<void> {
    const parent: ParentJobData = { version: libraryVersion(), jobId: this.jobId, outputDir: this.outputDir!, sources: this.cameras.map((c) => c.planned.display) };
    await connections.flow.add({
      name: 'job',
      queueName: JOB_QUEUE,
      data: parent,
      opts: { jobId: this.jobId },
      children: this.cameras.map((camera) => ({ name: 'camera', queueName: CAMERA_QUEUE, data: this.cameraData(camera), opts: { ...CHILD_OPTIONS, jobId: camera.childId } })),
    });
  }

  /** Called on every settled marker and every second: ends the wait when the flow has no camera left to run. */
  private async check(): Promise<void> {
    if (this.wake === undefined) return;
    if (this.failure !== undefined) return this.ending();
    if (this.checking) return;
    if (this.pendingAdds > 0 || this.downSince !== undefined) return;
    this.checking = true;
    try {
      const parent = (await this.connections!.jobs.getJob(this.jobId)) as BullJob | undefined;
      if (parent === undefined) {
        this.failure = new QueueError('REDIS_STATE_LOST', `job ${this.jobId} is gone from Redis at ${this.deps.target.display} (was Redis restarted without persistence, or its data flushed?); the cameras still running are stopped`);
        return this.ending();
      }
      const { unprocessed = 0 } = await parent.getDependenciesCount({ unprocessed: true });
      if (unprocessed === 0 && this.pendingAdds === 0) this.ending();
    } catch {
      // Redis away mid-check: the next one decides.
    } finally {
      this.checking = false;
    }
  }

  /** Ends the wait; a failure first tells the cameras still running to stop and gives them time to report. */
  private ending(): void {
    const wake = this.wake;
    if (wake === undefined) return;
    this.wake = undefined;
    if (this.failure === undefined) return wake();
    void (async () => {
      if (this.downSince === undefined) {
        await bounded(publishCancel(this.connections!.commands, this.deps.prefix, this.jobId, this.failure!.message), REDIS_WAIT_MS, undefined);
        await this.awaitRunningResults();
      }
      wake();
    })();
  }

  /** After a failure: waits (up to `cancelTimeout`) for the results of cameras a worker had taken. */
  private async awaitRunningResults(): Promise<void> {
    const deadline = Date.now() + this.deps.cancelTimeout * 1000;
    while (Date.now() < deadline) {
      const outcomes = await bounded(this.readOutcomes(), REDIS_WAIT_MS, undefined);
      const waiting = this.cameras.filter((c) => c.worker !== undefined && c.synthesized === undefined && outcomes?.get(c.cameraIndex)?.result.attempts !== c.attempt);
      if (waiting.length === 0) return;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  /** Every second: Redis down too long, a cancel not answered in time, the flow's state. */
  private async watch(): Promise<void> {
    const now = Date.now();
    if (this.downSince !== undefined && now - this.downSince > this.deps.redisDownTimeout * 1000 && this.failure === undefined) {
      this.failure = new QueueError('REDIS_UNREACHABLE', `lost Redis at ${this.deps.target.display} for more than redisDownTimeout = ${this.deps.redisDownTimeout} s; the job ends with what its cameras wrote`);
    }
    if (this.cancelDeadline !== undefined && now > this.cancelDeadline) {
      for (const camera of this.cameras) {
        if (this.isFinished(camera) || camera.outcome !== undefined) continue;
        this.warnings.warn(`camera ${camera.cameraIndex} did not report its end within cancelTimeout = ${this.deps.cancelTimeout} s of the cancel (its worker may be gone)`, camera.cameraIndex, 'WORKER_LOST');
        camera.synthesized = this.emptyResult(camera, 'cancelled', 'cancelled');
      }
      this.wake?.();
      this.wake = undefined;
      return;
    }
    await this.check();
  }

  private async onCancel(): Promise<void> {
    const connections = this.connections;
    if (connections === undefined) return;
    this.cancelDeadline = Date.now() + this.deps.cancelTimeout * 1000;
    const reason = typeof this.stop.reason === 'string' ? this.stop.reason : 'cancelled';
    await bounded(publishCancel(connections.commands, this.deps.prefix, this.jobId, reason), REDIS_WAIT_MS, undefined);
    await Promise.all(this.cameras.map((camera) => this.takeOutOfQueue(camera, 'cancelled')));
    void this.check();
  }

  /** Removes a camera's job from the queue if no worker has taken it; it then ends without running. */
  private async takeOutOfQueue(camera: CameraEntry, why: 'cancelled' | 'removed'): Promise<void> {
    if (camera.worker !== undefined || camera.synthesized !== undefined) return;
    const removed = await bounded(this.connections!.cameras.remove(camera.childId), REDIS_WAIT_MS, 0);
    if (removed !== 1 || camera.worker !== undefined) return;
    camera.synthesized = this.emptyResult(camera, why === 'removed' ? 'completed' : 'cancelled', why);
    camera.state = 'ended';
    this.emit('camera:status', { cameraIndex: camera.cameraIndex, source: camera.planned.display, state: 'ended', reason: why });
    void this.check();
  }

  private async finaliseJob(): Promise<JobResult> {
    // Redis may be gone for good here: every read of the end is bounded.
    if (this.downSince === undefined) {
      await bounded(this.reader?.drain() ?? Promise.resolve(), REDIS_WAIT_MS, undefined);
      await bounded(this.owner?.drain() ?? Promise.resolve(), REDIS_WAIT_MS, undefined);
    }
    this.reader?.stop();
    this.owner?.stop();
    const none = new Map<number, CameraJobOutcome>();
    const outcomes = this.downSince === undefined ? await bounded(this.readOutcomes(), REDIS_WAIT_MS, none) : none;
    const cameras: CameraResult[] = [];
    let stages: StageTimings = { read: 0, detect: 0, track: 0, reid: 0, identity: 0, zones: 0, annotate: 0, encode: 0, csv: 0 };
    for (const camera of this.cameras) {
      const outcome = outcomes.get(camera.cameraIndex);
      let result = outcome?.result ?? camera.synthesized ?? (await this.lostResult(camera));
      if (outcome !== undefined) {
        stages = addStages(stages, outcome.stages);
        if (outcome.eventsDropped > 0) this.warnings.warn(`${outcome.eventsDropped} events of camera ${camera.cameraIndex} were dropped while Redis was away`, camera.cameraIndex, 'EVENTS_DROPPED');
      }
      // A camera that never ran (queued, refused, lost) still leaves a CSV header and a zone report.
      if (this.outputDir !== undefined) {
        await writeEmptyOutputs(result, this.stamp, this.plan.timeZone, (m) => this.warnings.warn(m, camera.cameraIndex, 'OUTPUT_FAILED')).catch((error: unknown) =>
          this.warnings.warn(`writing the outputs of camera ${camera.cameraIndex} failed: ${(error as Error).message}`, camera.cameraIndex, 'OUTPUT_FAILED'),
        );
      }
      if (result.error !== undefined) result = { ...result, error: { code: result.error.code, message: this.plan.redactor.text(result.error.message) } };
      cameras.push(result);
    }
    const result = this.baseResult();
    result.cameras = cameras;
    result.stages = stages;
    result.outputDir = this.outputDir;
    // The shared gallery counts as a local job's does; per-worker galleries only give the ids seen.
    result.identities = this.owner !== undefined ? this.owner.identities : new Set(cameras.flatMap((c) => c.globalIds)).size;
    if (this.outputDir !== undefined) {
      await removeStagingArea(this.outputDir).catch(() => undefined);
      Object.assign(
        result,
        await finaliseJobFolder({
          outputRoot: this.plan.outputRoot,
          folderName: this.folderName!,
          jobId: this.jobId,
          cameras,
          zip: this.deps.config.output.zip,
          outputVideoPath: this.plan.outputVideoPath,
          evicted: this.owner?.evicted ?? 0,
          warn: (message, cameraIndex, code) => this.warnings.warn(message, cameraIndex, code),
        }),
      );
    }
    await this.cleanUp();
    if (trafficChannel.hasSubscribers) {
      const message: DistributedTrafficMessage = {
        jobId: this.jobId,
        cameras: this.cameras.map((c) => {
          const o = outcomes.get(c.cameraIndex);
          return { cameraIndex: c.cameraIndex, frames: o?.result.frames ?? 0, events: o?.redis.events, gallery: o?.redis.gallery };
        }),
        reader: { ...(this.reader?.traffic ?? { commands: 0, roundTrips: 0 }) },
      };
      if (this.owner !== undefined) message.owner = { ...this.owner.traffic, operations: this.owner.operations };
      trafficChannel.publish(message);
    }
    if (this.stop.aborted) return this.finish('cancelled', undefined, result);
    if (this.failure !== undefined) return this.finish('failed', this.failure, result);
    const failed = cameras.filter((c) => c.status === 'failed');
    if (failed.length === cameras.length && failed[0]?.error !== undefined) {
      return this.finish('failed', new MulticamReidError(failed[0].error.code as MulticamReidError['code'], failed[0].error.message), result);
    }
    result.stopReason = cameras.some((c) => c.stopReason === 'max-duration') ? 'max-duration' : 'end-of-input';
    return this.finish('completed', undefined, result);
  }

  /** The result of a camera that ended without a worker's result: its BullMQ failure, or lost with Redis. */
  private async lostResult(camera: CameraEntry): Promise<CameraResult> {
    const child = this.downSince !== undefined || this.connections === undefined ? undefined : ((await bounded(this.connections.cameras.getJob(camera.childId), REDIS_WAIT_MS, undefined)) as BullJob | undefined);
    const reason = child?.failedReason;
    if (reason !== undefined && reason !== '') {
      const code = /^\[([A-Z_]+)\] /.exec(reason)?.[1] ?? (/stalled/i.test(reason) ? 'WORKER_LOST' : 'INTERNAL');
      const message = code === 'WORKER_LOST' ? `camera ${camera.cameraIndex} lost its worker too many times (${reason}); see the workers' logs` : reason.replace(/^\[[A-Z_]+\] /, '');
      const result = this.emptyResult(camera, 'failed', 'error', { code, message });
      result.attempts = child!.attemptsStarted;
      return result;
    }
    if (this.stop.aborted) return this.emptyResult(camera, 'cancelled', 'cancelled');
    const failure = this.failure ?? new QueueError('REDIS_STATE_LOST', `camera ${camera.cameraIndex} left no result in Redis`);
    return this.emptyResult(camera, 'failed', 'error', { code: failure.code, message: failure.message });
  }

  private async readOutcomes(): Promise<Map<number, CameraJobOutcome>> {
    const map = new Map<number, CameraJobOutcome>();
    if (this.connections === undefined) return map;
    const all = await this.connections.commands.hgetall(this.keys.results);
    for (const [index, text] of Object.entries(all)) map.set(Number(index), JSON.parse(text) as CameraJobOutcome);
    return map;
  }

  /** Marks the job finalised (a late attempt does nothing), removes its flow and lets its keys expire. */
  private async cleanUp(): Promise<void> {
    const connections = this.connections;
    if (connections === undefined || this.downSince !== undefined) return;
    const cleaning = connections.commands
      .multi()
      .set(this.keys.finalised, '1', 'EX', 3600)
      .del(this.keys.events, this.keys.galleryOps, ...(this.owner?.decisionKeys() ?? []))
      .expire(this.keys.results, 3600)
      .expire(this.keys.cancelled, 3600)
      .expire(this.keys.removed, 3600)
      .exec()
      .then(() => connections.jobs.remove(this.jobId, { removeChildren: true }));
    await bounded(cleaning, REDIS_WAIT_MS, undefined);
  }

  // ── the job's stream ───────────────────────────────────────────────────────

  private onMessages(messages: WireMessage[]): void {
    for (const message of messages) {
      switch (message.k) {
        case 'event': {
          const payload = message.payload as { cameraIndex?: number; state?: CameraState; message: string; code?: string };
          if (message.name === 'warning') {
            this.warnings.warn(payload.message, payload.cameraIndex, payload.code);
            break;
          }
          if (message.name === 'camera:status' && payload.cameraIndex !== undefined) {
            const camera = this.cameras[payload.cameraIndex];
            if (camera !== undefined && payload.state !== undefined) camera.state = payload.state;
          }
          (this.emit as (name: string, payload: unknown) => void)(message.name, payload);
          break;
        }
        case 'taken': {
          const camera = this.cameras[message.cameraIndex];
          if (camera === undefined) break;
          if (camera.worker !== undefined && message.attempt > camera.attempt) {
            this.warnings.warn(
              `camera ${camera.cameraIndex}: worker ${camera.worker.host}:${camera.worker.pid} stopped before the end; restarted on ${message.worker.host}:${message.worker.pid} (attempt ${message.attempt})`,
              camera.cameraIndex,
              'CAMERA_RESTARTED',
            );
          }
          camera.worker = message.worker;
          camera.attempt = message.attempt;
          camera.state = 'connecting';
          camera.sample = undefined;
          break;
        }
        case 'opened': {
          const camera = this.cameras[message.cameraIndex];
          if (camera !== undefined) camera.properties = { width: message.width, height: message.height, fps: message.fps, codec: message.codec };
          break;
        }
        case 'sample': {
          const camera = this.cameras[message.sample.cameraIndex];
          if (camera !== undefined) camera.sample = message.sample;
          break;
        }
        case 'settled':
          void this.check();
          break;
      }
    }
  }

  private onPreview({ meta, pixels }: ReceivedPreview): void {
    this.emit('preview', { cameraIndex: meta.cameraIndex, frameIndex: meta.frameIndex, width: meta.width, height: meta.height, pixelFormat: meta.pixelFormat, data: pixels });
  }

  /** Redis going away and coming back: the clock of `redisDownTimeout`, and a check of the flow on return. Returns the unsubscribe. */
  private followRedis(commands: SubmitterConnections['commands']): () => void {
    const down = () => {
      this.downSince ??= Date.now();
    };
    const up = () => {
      if (this.downSince === undefined) return;
      this.downSince = undefined;
      void this.check();
    };
    commands.on('close', down);
    commands.on('ready', up);
    return () => {
      commands.off('close', down);
      commands.off('ready', up);
    };
  }

  // ── parts ──────────────────────────────────────────────────────────────────

  private newCamera(cameraIndex: number, planned: PlannedSource, zones: readonly ZoneDefinition[], lines: readonly LineDefinition[]): CameraEntry {
    return {
      cameraIndex,
      planned,
      zones,
      lines,
      childId: cameraJobId(this.jobId, cameraIndex),
      state: 'waiting',
      attempt: 0,
      properties: { width: 0, height: 0, fps: 0, codec: 'unknown' },
      removeRequested: false,
    };
  }

  private cameraData(camera: CameraEntry): CameraJobData {
    const info = classifySource(camera.planned.source);
    const plan = this.plan;
    const data: CameraJobData = {
      version: libraryVersion(),
      jobId: this.jobId,
      cameraIndex: camera.cameraIndex,
      source: info.kind === 'file' && info.filePath !== undefined ? info.filePath : camera.planned.source,
      display: camera.planned.display,
      live: camera.planned.live,
      zones: [...camera.zones],
      lines: [...camera.lines],
      config: encodeConfig(this.deps.config),
      detectionStride: plan.detectionStride,
      similarityThreshold: plan.similarityThreshold,
      realtime: plan.realtime,
      timeZone: plan.timeZone,
      stamp: this.stamp,
      timeOrigin: this.started,
      outputDir: this.outputDir!,
      retryOpen: !this.deps.config.streams.requireAllCameras,
      gallery: this.deps.gallery,
      referencePersons: plan.referencePersons.map((p) => ({ name: p.name, imagePaths: p.imagePaths.map((f) => path.resolve(f)) })),
    };
    if (plan.previewInterval !== undefined) data.previewInterval = plan.previewInterval;
    if (plan.maxDurationSeconds !== undefined) data.stopAt = this.started + plan.maxDurationSeconds * 1000;
    return data;
  }

  private isFinished(camera: CameraEntry): boolean {
    return camera.synthesized !== undefined || camera.state === 'ended' || camera.state === 'failed';
  }

  private emptyResult(camera: CameraEntry, status: JobStatus, stopReason: CameraResult['stopReason'], error?: { code: string; message: string }): CameraResult {
    const dir = path.join(this.outputDir ?? this.plan.outputRoot, `camera_${camera.cameraIndex}`);
    const result = emptyCameraResult({ cameraIndex: camera.cameraIndex, source: camera.planned.display, status, stopReason, dir, stamp: this.stamp });
    result.attempts = camera.attempt;
    if (camera.worker !== undefined) result.worker = camera.worker;
    if (error !== undefined) result.error = error;
    return result;
  }


  private emitStart(): void {
    this.emit('start', {
      jobId: this.jobId,
      sources: this.cameras.map((c) => c.planned.display),
      outputDir: this.outputDir!,
      cameras: this.cameras.map((c) => ({ cameraIndex: c.cameraIndex, source: c.planned.display, ...c.properties })),
    });
  }

  private emitProgress(): void {
    if (this.outputDir === undefined) return;
    let totalFps = 0;
    const cameras = this.cameras.map((c): CameraProgress => {
      const s = c.sample;
      const state = this.isFinished(c) ? (c.state === 'failed' ? 'failed' : 'ended') : (s?.state ?? c.state);
      if (state !== 'ended' && state !== 'failed') totalFps += s?.fps ?? 0;
      const camera: CameraProgress = { cameraIndex: c.cameraIndex, source: c.planned.display, state, frames: s?.frames ?? 0, fps: s?.fps ?? 0, position: s?.position ?? 0, activeTracks: s?.activeTracks ?? 0 };
      if (s?.duration !== undefined) camera.duration = s.duration;
      return camera;
    });
    this.emit('progress', { jobId: this.jobId, elapsedSeconds: (Date.now() - this.started) / 1000, totalFps, cameras });
  }

  private baseResult(): JobResult {
    return newJobResult(this.jobId, this.started, this.warnings, 0);
  }

  /** Completes the result and emits the job's last event, as the local runner does. */
  private finish(status: JobStatus, error?: MulticamReidError, result = this.baseResult()): JobResult {
    return endJob(result, status, error, this.started, this.warnings, this.plan.redactor.text, this.emit);
  }
}

/**
 * Options of every camera job. A camera's own failure is in its result (the job completes);
 * a thrown failure (cancel, refusal) is final; a worker that dies is handled by BullMQ's
 * stalled-job check (the worker's `maxStalledCount`). `ignoreDependencyOnFailure` lets the
 * parent see every camera as done, whatever happened to it.
 */
const CHILD_OPTIONS = { attempts: 1, ignoreDependencyOnFailure: true, removeOnComplete: { age: 3600 }, removeOnFail: { age: 24 * 3600 } } as const;

function zonesForNewCamera(zones: unknown): { zones: readonly ZoneDefinition[]; lines: readonly LineDefinition[] } {
  const parsed = parseZones({ 0: zones }, { cameraCount: 1 });
  return { zones: parsed.cameras[0] ?? [], lines: linesForCamera(parsed, 0) };
}

/** `work`, or `fallback` when it fails or takes longer than `ms`. */
async function bounded<T, F>(work: Promise<T>, ms: number, fallback: F): Promise<T | F> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<F>((resolve) => {
    timer = setTimeout(() => resolve(fallback), ms);
  });
  try {
    return await Promise.race([work.catch(() => fallback), late]);
  } finally {
    clearTimeout(timer);
  }
}

function addStages(a: StageTimings, b: StageTimings): StageTimings {
  const out = { ...a };
  for (const key of Object.keys(out) as Array<keyof StageTimings>) out[key] += b[key] ?? 0;
  return out;
}
