/**
 * One attempt of one camera on a worker: the camera's {@link CameraSession}, built exactly as
 * the local job runner builds it (the job's configuration with the worker's models, the job's
 * stamp, time zone, clock origin and zones), writing into the attempt's staging folder, its
 * events forwarded to the submitter, its outputs moved into place when it ends.
 */
import path from 'node:path';
import type { Redis } from 'ioredis';
import { ModelError, type MulticamReidError } from '../errors.js';
import type { IdentityGallery } from '../identity/gallery.js';
import { CameraSession } from '../pipeline/camera-session.js';
import { parseConfig, type PipelineConfig } from '../pipeline/config.js';
import type { CameraResult, CameraStatusEvent, EmitFn, JobEvents, PreviewEvent } from '../pipeline/events.js';
import type { LoadedModels } from '../pipeline/pipeline.js';
import { Redactor } from '../pipeline/plan.js';
import { emptyCameraResult } from '../pipeline/results.js';
import { MAX_DURATION, StopSignal } from '../pipeline/stop-signal.js';
import { WarningLog } from '../pipeline/warnings.js';
import { resolveByteTrackerOptions, type ByteTrackerOptions } from '../tracking/options.js';
import { EventPublisher, type RedisTraffic } from './event-stream.js';
import { decodeConfig, type CameraJobData, type CameraJobOutcome } from './job-data.js';
import { JobKeys } from './keys.js';
import { PreviewScaler } from './preview-scale.js';
import { createStaging, discardStaging, promoteStaging } from './staging.js';
import { FORWARDED_EVENTS, type ForwardedEvent, type WorkerIdentity } from './wire.js';

/** Why a camera attempt was stopped by its worker rather than by its job: it is handed to another worker. */
export const HAND_BACK = Symbol('hand-back');

/** A camera's identity gallery for one attempt, and what to do when the attempt ends. */
export interface GalleryLease {
  gallery?: IdentityGallery;
  /** Redis traffic of the gallery for this attempt (the shared gallery), for the report. */
  traffic?: RedisTraffic;
  release(): Promise<void>;
}

/** Where a worker gets each camera's gallery: one per job in this process, or the job's shared one. */
export interface GalleryProvider {
  acquire(data: CameraJobData, attempt: CameraAttempt, config: PipelineConfig, models: LoadedModels): Promise<GalleryLease>;
}

/** Which attempt of which BullMQ job this is. */
export interface CameraAttempt {
  /** BullMQ job id of the camera. */
  id: string;
  /** 1 for the first attempt; counts every start, also after a worker died. */
  number: number;
  /** BullMQ's lock token of this attempt: unique per attempt. */
  token: string;
}

/** What the worker lends every camera it runs. */
export interface CameraJobDeps {
  models: LoadedModels;
  /** The worker's own configuration: its models, threads and ffmpeg. */
  machineConfig: PipelineConfig;
  /** Command connection (events, results). */
  redis: Redis;
  prefix: string;
  worker: WorkerIdentity;
  galleries: GalleryProvider;
  log: (line: string) => void;
  /** @see EventPublisherOptions.flushMs */
  eventFlushMs?: number;
}

/** How an attempt ended, for the BullMQ processor. */
export type AttemptEnd =
  /** The camera ended (completed, removed, max duration, or failed on its own): the job completes. */
  | { kind: 'ended'; outcome: CameraJobOutcome }
  /** Cancelled by its job: the BullMQ job fails without retry. */
  | { kind: 'cancelled'; outcome: CameraJobOutcome }
  /** Stopped by this worker (shutdown): discarded, back to the queue. */
  | { kind: 'handed-back' };

/**
 * The camera's configuration on this worker: the job's, except what belongs to the machine
 * — the detector (loaded once per worker with its thresholds), the ReID model, its batching
 * and threads, the models folder and the ffmpeg/ffprobe binaries — which is the worker's. The
 * MQTT sink stays with the submitter (it sees every event).
 * @throws ModelError `MODEL_MISMATCH` when the job asks for other models than the worker has.
 */
export function cameraConfig(jobConfig: PipelineConfig, machine: PipelineConfig, models: LoadedModels): PipelineConfig {
  const wanted = { detector: modelKey(jobConfig.detector), reid: jobConfig.reid.enabled ? modelKey(jobConfig.reid) : 'off' };
  const has = { detector: modelKey(machine.detector), reid: models.embedder === undefined ? 'off' : modelKey(machine.reid) };
  if (wanted.detector !== has.detector || (wanted.reid !== 'off' && wanted.reid !== has.reid)) {
    throw new ModelError(
      'MODEL_MISMATCH',
      `the job wants detector ${wanted.detector} and ReID ${wanted.reid}, but this worker loaded detector ${has.detector} and ReID ${has.reid}; ` +
        'start the workers with the same model ids as the submitter (--detector/--reid or the config file)',
      { culprit: wanted.detector === has.detector ? wanted.reid : wanted.detector },
    );
  }
  const { mqtt: _submitterPublishes, ...rest } = jobConfig;
  const r = machine.reid;
  return {
    ...rest,
    detector: machine.detector,
    reid: {
      ...jobConfig.reid,
      modelPath: r.modelPath,
      modelId: r.modelId,
      model: r.model,
      manifest: r.manifest,
      maxBatch: r.maxBatch,
      batching: r.batching,
      executionProviders: r.executionProviders,
      intraOpNumThreads: r.intraOpNumThreads,
    },
    streams: { ...jobConfig.streams, ffmpegPath: machine.streams.ffmpegPath, ffprobePath: machine.streams.ffprobePath },
    modelsDir: machine.modelsDir,
  };
}

function modelKey(section: { modelId?: string; modelPath?: string }): string {
  return section.modelId ?? (section.modelPath !== undefined ? path.basename(section.modelPath) : 'default');
}

export class CameraJob {
  private readonly stop = new StopSignal();
  private session: CameraSession | undefined;
  private removeRequested = false;
  private readonly keys: JobKeys;
  private readonly publisher: EventPublisher;
  private readonly scaler = new PreviewScaler();

  constructor(
    private readonly deps: CameraJobDeps,
    readonly data: CameraJobData,
    readonly attempt: CameraAttempt,
    /** BullMQ's signal: aborted by `worker.cancelJob` (the job's cancel). */
    signal: AbortSignal,
  ) {
    this.stop.follow(signal);
    this.keys = new JobKeys(deps.prefix, data.jobId);
    this.publisher = new EventPublisher(deps.redis, this.keys.events, { flushMs: deps.eventFlushMs });
  }

  /** A live source: it never ends on its own, so a shutting-down worker hands it back at once. */
  get live(): boolean {
    return this.data.live;
  }

  /** `job.removeSource`: the camera ends as `removed`, its outputs finalised. */
  remove(): void {
    this.removeRequested = true;
    this.session?.remove();
  }

  /** Stops the attempt for another worker to redo (this worker is shutting down). */
  handBack(): void {
    this.stop.abort(HAND_BACK);
  }

  /** Runs the attempt to its end. Throws only for what makes the camera impossible here (its models). */
  async run(): Promise<AttemptEnd> {
    const { data, deps } = this;
    const startedAt = Date.now();
    const jobConfig = parseConfig(decodeConfig(data.config), `configuration of job ${data.jobId}`);
    const config = cameraConfig(jobConfig, deps.machineConfig, deps.models);
    const models: LoadedModels = config.reid.enabled ? deps.models : { detector: deps.models.detector };
    const lease = await deps.galleries.acquire(data, this.attempt, config, models);
    const staging = await createStaging(data.outputDir, data.cameraIndex, this.attempt.number, this.attempt.token);
    deps.log(`took camera ${data.cameraIndex} of job ${data.jobId} (${data.display}), attempt ${this.attempt.number}`);
    this.publisher.send({ k: 'taken', cameraIndex: data.cameraIndex, worker: deps.worker, attempt: this.attempt.number, token: this.attempt.token });
    if (data.stopAt !== undefined) {
      const left = (data.stopAt - Date.now()) / 1000;
      if (left <= 0) this.stop.abort(MAX_DURATION);
      else this.stop.after(left, MAX_DURATION);
    }

    const session = this.createSession(config, models, lease.gallery, resolveByteTrackerOptions(config.tracker as Partial<ByteTrackerOptions>));
    this.session = session;
    if (this.removeRequested) session.remove();
    const samples = setInterval(() => this.sendSample(), config.processing.progressInterval * 1000);
    let result: CameraResult;
    try {
      // A failure to open is the camera's own: its result says it. Once open, its zones and
      // lines in pixels are checked against its frame size, as the local runner does.
      const opened = await session.open(data.live && data.retryOpen).catch(() => 'failed' as const);
      if (opened === 'open') session.checkZones();
      result = await session.run(staging);
    } catch (error) {
      await discardStaging(staging);
      throw error;
    } finally {
      clearInterval(samples);
      await session.release();
      await lease.release();
      this.stop.dispose();
    }

    if (this.stop.reason === HAND_BACK) {
      await discardStaging(staging);
      await this.publisher.flush();
      deps.log(`handed camera ${data.cameraIndex} of job ${data.jobId} back to the queue after ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
      return { kind: 'handed-back' };
    }
    await promoteStaging(staging, data.outputDir, result);
    result.worker = deps.worker;
    result.attempts = this.attempt.number;
    this.sendSample();
    await this.publisher.flush();
    const redis: CameraJobOutcome['redis'] = { events: { ...this.publisher.traffic } };
    if (lease.traffic !== undefined) redis.gallery = { ...lease.traffic };
    const outcome: CameraJobOutcome = { result, stages: session.stages, redis, eventsDropped: this.publisher.dropped };
    await deps.redis.hset(this.keys.results, String(data.cameraIndex), JSON.stringify(outcome));
    deps.log(
      `camera ${data.cameraIndex} of job ${data.jobId}: ${result.status} (${result.stopReason}), ${result.frames} frames in ${((Date.now() - startedAt) / 1000).toFixed(1)} s` +
        (result.error === undefined ? '' : ` — [${result.error.code}] ${result.error.message}`),
    );
    return result.status === 'cancelled' ? { kind: 'cancelled', outcome } : { kind: 'ended', outcome };
  }

  private createSession(config: PipelineConfig, models: LoadedModels, gallery: IdentityGallery | undefined, trackerOptions: ByteTrackerOptions): CameraSession {
    const { data } = this;
    const redactor = new Redactor();
    redactor.add(data.source);
    const emit = this.forwarder();
    return new CameraSession({
      cameraIndex: data.cameraIndex,
      source: { source: data.source, display: data.display, live: data.live },
      zones: data.zones,
      lines: data.lines,
      config,
      trackerOptions,
      models,
      gallery,
      detectionStride: data.detectionStride,
      similarityThreshold: data.similarityThreshold,
      realtime: data.realtime,
      previewInterval: data.previewInterval,
      timeZone: data.timeZone,
      stamp: data.stamp,
      timeOrigin: data.timeOrigin,
      emit,
      warnings: new WarningLog((event) => emit('warning', event), redactor.text),
      redact: redactor.text,
      jobSignal: this.stop.signal,
    });
  }

  /** The session's `emit`: camera events go to the submitter; a preview is scaled down first. */
  private forwarder(): EmitFn {
    const forwarded = new Set<string>(FORWARDED_EVENTS);
    return ((event: keyof JobEvents, payload: unknown) => {
      if (event === 'preview') {
        const p = payload as PreviewEvent;
        const scaled = this.scaler.scale(p.data, p.width, p.height);
        this.publisher.sendPreview({ cameraIndex: p.cameraIndex, frameIndex: p.frameIndex, width: scaled.width, height: scaled.height, pixelFormat: p.pixelFormat }, scaled.data);
        return;
      }
      if (!forwarded.has(event)) return;
      this.publisher.send({ k: 'event', name: event as ForwardedEvent, payload });
      if (event === 'camera:status' && (payload as CameraStatusEvent).state === 'connected' && this.session !== undefined) {
        this.publisher.send({ k: 'opened', cameraIndex: this.data.cameraIndex, ...this.session.properties });
      }
    }) as EmitFn;
  }

  private sendSample(): void {
    const status = this.session?.status;
    if (status === undefined) return;
    const sample = { cameraIndex: status.cameraIndex, state: status.state, frames: status.frames, fps: status.sampleRate(), position: status.position, activeTracks: status.activeTracks };
    this.publisher.send({ k: 'sample', sample: status.duration === undefined ? sample : { ...sample, duration: status.duration } });
  }
}

/** The result of a camera that never ran here (refused), for the results hash. */
export function refusedResult(data: CameraJobData, error: MulticamReidError, worker: WorkerIdentity, attempt: number): CameraResult {
  const dir = path.join(data.outputDir, `camera_${data.cameraIndex}`);
  return {
    ...emptyCameraResult({ cameraIndex: data.cameraIndex, source: data.display, status: 'failed', stopReason: 'error', dir, stamp: data.stamp }),
    error: { code: error.code, message: error.message },
    worker,
    attempts: attempt,
  };
}
