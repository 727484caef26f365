/**
 * The service's jobs: a queue (p-queue) that runs at most `concurrency` pipeline jobs at once,
 * the live state of every job for `GET /status`, and a fan-out of its events for `GET /events`.
 * Each job writes into its own folder `<outputDir>/<job_id>/`, the only place files are served from.
 */
import { randomUUID } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import PQueue from 'p-queue';
import { MulticamReidError, redactSource, type CameraState, type Job, type JobResult, type ProcessVideoOptions } from './library.js';
import { PreviewEncoder, type PreviewImage } from './preview.js';
import { RequestError, zonesFromRequest, type AddSourceRequest, type DetectRequest } from './schema.js';

/**
 * What runs the jobs: the library's `DetectionTrackingPipeline` (cameras in this process) or
 * its `DistributedPipeline` (cameras on `multicam-reid worker` processes through Redis).
 */
export interface JobPipeline {
  processVideo(options: ProcessVideoOptions): Job;
  validate(options: ProcessVideoOptions): void;
  release(): Promise<void>;
}

/** Where a job is: waiting for a slot, running, stopping after a cancel, or ended. */
export type ServerJobStatus = 'queued' | 'running' | 'cancelling' | 'completed' | 'cancelled' | 'failed';

const ENDED: ReadonlySet<ServerJobStatus> = new Set(['completed', 'cancelled', 'failed']);
/** Warnings a job keeps for `GET /status`. */
const MAX_WARNINGS = 100;

/** Live counters of one camera, as `GET /status` shows them. */
export interface CameraView {
  camera_index: number;
  source: string;
  state: CameraState | 'waiting';
  frames: number;
  fps: number;
  position: number;
  duration?: number;
  active_tracks: number;
  width?: number;
  height?: number;
  /** URL of the latest preview JPEG, when one was encoded. */
  preview_url?: string;
  /** Queue mode, once the camera has ended: the worker process that ran it (`host:pid`) and its attempts. */
  worker?: string;
  attempts?: number;
}

/** Receives every event of a job: the library's events (camelCase payloads) and the server's own `status`/`preview`/`end`. */
export type JobListener = (event: string, data: unknown) => void;

export class ServerJob {
  readonly createdAt = new Date();
  status: ServerJobStatus = 'queued';
  startedAt?: Date;
  endedAt?: Date;
  sources: string[];
  cameras: CameraView[];
  /** The first {@link MAX_WARNINGS} warnings (the job's own result keeps its count of the rest). */
  readonly warnings: string[] = [];
  /** `identities`: the highest global id announced so far (ids are handed out from 1 upwards). */
  readonly counts = { tracks: 0, identities: 0, zone_entries: 0, zone_exits: 0 };
  readonly previews = new Map<number, PreviewImage>();
  result?: JobResult;
  error?: { code: string; message: string };
  /** Files of the job folder once it has ended, relative to {@link root}. */
  files: string[] = [];
  /** Aborted by `POST /cancel`. */
  readonly controller = new AbortController();
  /** The library's job while it runs (for adding and removing cameras). */
  running?: Job;
  /** Resolves once the job has ended and its outputs are final. */
  readonly ended: Promise<void>;
  private markEnded!: () => void;
  private finishing = false;
  private readonly listeners = new Set<JobListener>();

  constructor(
    readonly id: string,
    /** The job's own folder: the pipeline writes `multi_stream_…/` and the ZIP here. */
    readonly root: string,
    /** Options for `pipeline.processVideo`, without the signal. */
    readonly options: ProcessVideoOptions,
  ) {
    // Display forms only: a camera's password never reaches a client.
    this.sources = splitSources(options.videoPath ?? '').map(redactSource);
    this.cameras = this.sources.map((source, i) => emptyCamera(i, source));
    this.ended = new Promise((resolve) => (this.markEnded = resolve));
  }

  get isEnded(): boolean {
    return ENDED.has(this.status);
  }

  get isMultiCamera(): boolean {
    return this.sources.length > 1;
  }

  addWarning(text: string): void {
    if (this.warnings.length < MAX_WARNINGS) this.warnings.push(text);
  }

  /** Registers a listener; returns the function that removes it. */
  subscribe(listener: JobListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  publish(event: string, data: unknown): void {
    for (const listener of this.listeners) listener(event, data);
  }

  setStatus(status: ServerJobStatus): void {
    if (this.isEnded || this.status === status) return;
    this.status = status;
    if (status === 'running') this.startedAt = new Date();
    this.publish('status', { job_id: this.id, status });
  }

  /**
   * Records the end (idempotent), lists the outputs and tells every listener. A job that never
   * ran (cancelled while queued) has no outputs and ends synchronously.
   */
  async finish(status: 'completed' | 'cancelled' | 'failed', result?: JobResult, error?: { code: string; message: string }): Promise<void> {
    if (this.finishing) return;
    this.finishing = true;
    if (result !== undefined) this.files = await listFiles(this.root);
    this.result = result;
    for (const c of result?.cameras ?? []) {
      const camera = this.cameras[c.cameraIndex];
      if (camera === undefined) continue;
      camera.frames = c.frames; // the final count; progress events lag by up to a second
      if (c.worker !== undefined) camera.worker = `${c.worker.host}:${c.worker.pid}`;
      if (c.attempts !== undefined) camera.attempts = c.attempts;
    }
    this.error = error ?? result?.error;
    if (result !== undefined) for (const w of result.warnings) if (!this.warnings.includes(w)) this.addWarning(w);
    this.status = status;
    this.endedAt = new Date();
    this.publish('end', { job_id: this.id, status });
    this.listeners.clear();
    this.markEnded();
  }
}

export interface JobManagerOptions {
  pipeline: JobPipeline;
  /** Parent of every job folder. */
  outputDir: string;
  /** Pipeline jobs running at once; more wait as `queued`. Each job already runs its cameras in parallel. */
  concurrency: number;
  /** Seconds between preview images per camera. @default 1 */
  previewInterval?: number;
  /** Width of the preview JPEGs in pixels. @default 320 */
  previewWidth?: number;
  /**
   * Seconds an ended job stays known to `GET /status` and the downloads; then it is forgotten
   * (its files stay on disk), so a service running for months does not grow with its history.
   * @default 3600
   */
  retainEndedSeconds?: number;
}

export class JobManager {
  private readonly jobs = new Map<string, ServerJob>();
  private readonly queue: PQueue;
  private readonly previewEncoder: PreviewEncoder;

  constructor(private readonly options: JobManagerOptions) {
    this.queue = new PQueue({ concurrency: options.concurrency });
    this.previewEncoder = new PreviewEncoder(options.previewWidth ?? 320);
  }

  get(id: string): ServerJob | undefined {
    return this.jobs.get(id);
  }

  /** Jobs waiting ahead of `job` in the queue (0 when it runs or ended). */
  queuePosition(job: ServerJob): number {
    if (job.status !== 'queued') return 0;
    let ahead = 0;
    for (const other of this.jobs.values()) {
      if (other === job) break;
      if (other.status === 'queued') ahead += 1;
    }
    return ahead + 1;
  }

  /**
   * Validates a request against the library and queues the job. Invalid options throw the
   * library's MulticamReidError (→ 400) before anything is queued or written.
   */
  submit(request: DetectRequest): ServerJob {
    const options: ProcessVideoOptions = {
      videoPath: request.video_path,
      similarityThreshold: request.similarity_threshold,
      maxDurationSeconds: request.max_duration_seconds ?? undefined,
      zones: zonesFromRequest(request.zones),
      realtime: request.realtime,
    };
    const id = randomUUID();
    const root = path.join(path.resolve(this.options.outputDir), id);
    this.validate({ ...options, outputDir: root });
    const job = new ServerJob(id, root, { ...options, outputDir: root });
    this.jobs.set(job.id, job);
    // The job's signal also takes it out of the queue when it is cancelled while waiting.
    this.queue.add(() => this.run(job), { signal: job.controller.signal }).catch(() => undefined);
    void job.ended.then(() => this.forgetLater(job));
    return job;
  }

  /**
   * Requests cancellation. A queued job ends at once as `cancelled`; a running one becomes
   * `cancelling` until the pipeline has finalised its outputs. Harmless to repeat.
   */
  cancel(job: ServerJob): void {
    if (job.isEnded) return;
    job.controller.abort('cancelled by user');
    if (job.status === 'queued') void job.finish('cancelled');
    else job.setStatus('cancelling');
  }

  /**
   * Adds a camera to a running job (the library's `job.addSource`): a new camera index with its
   * own outputs in the job folder. A bad URL or zones throw the library's error (→ 400).
   * @throws RequestError 409 when the job is not running.
   */
  addSource(job: ServerJob, request: AddSourceRequest): number {
    const running = this.runningJob(job);
    const zones = zonesFromRequest(request.zones);
    return running.addSource(request.source, zones === undefined ? {} : { zones });
  }

  /**
   * Ends one camera of a running job while the others go on (`job.removeSource`).
   * @throws RequestError 404 for an unknown camera, 409 when the job is not running.
   */
  removeSource(job: ServerJob, cameraIndex: number): void {
    const running = this.runningJob(job);
    if (job.cameras[cameraIndex] === undefined) throw new RequestError(404, 'CAMERA_NOT_FOUND', `job ${job.id} has no camera ${cameraIndex}; its cameras are 0–${job.cameras.length - 1}`);
    running.removeSource(cameraIndex);
  }

  private runningJob(job: ServerJob): Job {
    if (job.status !== 'running' || job.running === undefined) {
      throw new RequestError(409, 'JOB_NOT_RUNNING', `job is ${job.status}; cameras can be added and removed while it runs`);
    }
    return job.running;
  }

  /** Jobs waiting for a slot (cancelled ones have left the queue). */
  get queued(): number {
    return this.queue.size;
  }

  /** Cancels every job and waits until all of them have finalised their outputs. */
  async close(): Promise<void> {
    for (const job of this.jobs.values()) this.cancel(job);
    await Promise.all([...this.jobs.values()].map((job) => job.ended));
    await this.queue.onIdle();
    for (const timer of this.evictions) clearTimeout(timer);
    this.evictions.clear();
  }

  private readonly evictions = new Set<NodeJS.Timeout>();

  private forgetLater(job: ServerJob): void {
    const timer = setTimeout(() => {
      this.evictions.delete(timer);
      this.jobs.delete(job.id);
    }, (this.options.retainEndedSeconds ?? 3600) * 1000);
    timer.unref();
    this.evictions.add(timer);
  }

  /** Rejects bad sources, thresholds or zones at once, before the job is queued. */
  private validate(options: ProcessVideoOptions): void {
    this.options.pipeline.validate(options);
  }

  private async run(job: ServerJob): Promise<void> {
    if (job.controller.signal.aborted) return job.finish('cancelled');
    job.setStatus('running');
    let pipelineJob: Job;
    try {
      pipelineJob = this.options.pipeline.processVideo({
        ...job.options,
        signal: job.controller.signal,
        previewInterval: this.options.previewInterval ?? 1,
      });
    } catch (error) {
      return job.finish('failed', undefined, describeError(error));
    }
    this.forwardEvents(job, pipelineJob);
    job.running = pipelineJob;
    const result = await pipelineJob.result;
    job.running = undefined;
    await job.finish(result.status, result);
  }

  private forwardEvents(job: ServerJob, source: Job): void {
    source.on('start', (e) => {
      job.sources = e.sources;
      job.cameras = e.cameras.map((c) => ({ ...emptyCamera(c.cameraIndex, c.source), ...job.cameras[c.cameraIndex], width: c.width, height: c.height }));
      job.publish('start', { jobId: job.id, sources: e.sources, cameras: e.cameras });
    });
    source.on('camera:added', (e) => {
      job.sources = [...job.sources, e.source];
      job.cameras[e.cameraIndex] = emptyCamera(e.cameraIndex, e.source);
      job.publish('camera:added', e);
    });
    source.on('camera:removed', (e) => job.publish('camera:removed', e));
    source.on('camera:status', (e) => {
      const camera = job.cameras[e.cameraIndex];
      if (camera !== undefined) camera.state = e.state;
      job.publish('camera:status', e);
    });
    source.on('progress', (e) => {
      for (const c of e.cameras) {
        const camera = job.cameras[c.cameraIndex];
        if (camera === undefined) continue;
        Object.assign(camera, { state: c.state, frames: c.frames, fps: c.fps, position: c.position, duration: c.duration, active_tracks: c.activeTracks });
      }
      job.publish('progress', { ...e, jobId: job.id });
    });
    source.on('track:new', (e) => {
      job.counts.tracks += 1;
      job.publish('track:new', e);
    });
    source.on('track:lost', (e) => job.publish('track:lost', e));
    source.on('identity:assigned', (e) => {
      job.counts.identities = Math.max(job.counts.identities, e.globalId);
      job.publish('identity:assigned', e);
    });
    source.on('identity:changed', (e) => {
      job.counts.identities = Math.max(job.counts.identities, e.globalId);
      job.publish('identity:changed', e);
    });
    source.on('zone:enter', (e) => {
      job.counts.zone_entries += 1;
      job.publish('zone:enter', e);
    });
    source.on('zone:exit', (e) => {
      job.counts.zone_exits += 1;
      job.publish('zone:exit', e);
    });
    source.on('warning', (e) => {
      job.addWarning(e.cameraIndex === undefined ? e.message : `camera ${e.cameraIndex}: ${e.message}`);
      job.publish('warning', e);
    });
    source.on('preview', (e) => {
      const encoding = this.previewEncoder.encode(e);
      void encoding?.then(
        (image) => {
          if (job.isEnded) return;
          job.previews.set(e.cameraIndex, image);
          const url = `/preview/${job.id}/${e.cameraIndex}?frame=${image.frameIndex}`;
          const camera = job.cameras[e.cameraIndex];
          if (camera !== undefined) camera.preview_url = url;
          job.publish('preview', { cameraIndex: e.cameraIndex, frameIndex: image.frameIndex, url });
        },
        () => undefined, // a preview that failed to encode is simply not shown
      );
    });
    const ending = (r: JobResult) => ({ jobId: job.id, status: r.status, stopReason: r.stopReason, elapsedSeconds: r.elapsedSeconds, identities: r.identities, error: r.error });
    source.on('done', (r) => job.publish('done', ending(r)));
    source.on('cancelled', (r) => job.publish('cancelled', ending(r)));
    source.on('error', (error, r) => job.publish('error', { ...ending(r), error: { code: error.code, message: error.message } }));
  }
}

/** The seed's rule: comma or newline separated, trimmed, empty entries dropped. */
function splitSources(videoPath: string): string[] {
  return videoPath
    .split(/[,\r\n]+/)
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

function emptyCamera(cameraIndex: number, source: string): CameraView {
  return { camera_index: cameraIndex, source, state: 'waiting', frames: 0, fps: 0, position: 0, active_tracks: 0 };
}

export function describeError(error: unknown): { code: string; message: string } {
  if (error instanceof MulticamReidError) return { code: error.code, message: error.message };
  return { code: 'INTERNAL_ERROR', message: (error as Error)?.message ?? String(error) };
}

/** Every file under `root`, relative to it, with '/' separators; empty when the folder is missing. */
async function listFiles(root: string, prefix = ''): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(path.join(root, prefix), { withFileTypes: true });
  } catch {
    return [];
  }
  const files: string[] = [];
  for (const entry of entries) {
    const relative = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
    if (entry.isDirectory()) files.push(...(await listFiles(root, relative)));
    else if (entry.isFile()) files.push(relative);
  }
  return files.sort();
}
