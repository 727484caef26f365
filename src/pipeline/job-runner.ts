/**
 * Runs one job in phases around one stop signal: load the models → open the sources →
 * create the job folder and start every camera → wait for the cameras (also those added
 * while running) → finalise the job (ZIP, video copy). Each await of the setup is raced
 * against the stop signal, so a cancel is seen at any moment; each camera finalises its own
 * outputs however it ends, and the job's result always resolves.
 */
import diagnosticsChannel from 'node:diagnostics_channel';
import path from 'node:path';
import { ConfigError, MulticamReidError, toLibraryError } from '../errors.js';
import { IdentityGallery } from '../identity/gallery.js';
import { registerReferenceImages } from '../identity/reference-persons.js';
import type { ByteTrackerOptions } from '../tracking/options.js';
import { linesForCamera, parseZones, type LineDefinition, type ZoneDefinition } from '../zones/index.js';
import { fileStamp, jobFolderName } from '../output/naming.js';
import { CameraSession } from './camera-session.js';
import { createJobFolder, finaliseJobFolder } from './job-folder.js';
import { emptyStageTimings } from './camera-worker.js';
import type { PipelineConfig } from './config.js';
import type { CameraResult, EmitFn, JobResult, JobStatus, StageTimings } from './events.js';
import type { LoadedModels } from './pipeline.js';
import { planSource, zonesOf, type JobPlan } from './plan.js';
import { MAX_DURATION, STOPPED, StopSignal, untilStopped } from './stop-signal.js';
import { WarningLog } from './warnings.js';
import { endJob, newJobResult } from './results.js';
import { MqttEventSink } from '../service/mqtt-event-sink.js';
import type { Job } from './job.js';

/** The phases of a job, in order, as published on {@link JOB_PHASE_CHANNEL}. */
export type JobPhase = 'models' | 'sources' | 'outputs' | 'running' | 'finalising' | 'ended';

/** What {@link JOB_PHASE_CHANNEL} publishes when a job enters a phase. */
export interface JobPhaseMessage {
  jobId: string;
  phase: JobPhase;
}

/**
 * Name of the `node:diagnostics_channel` channel that receives a {@link JobPhaseMessage}
 * whenever a job enters a phase (for tracing, and for tests that cancel at an exact moment).
 * Subscribers run synchronously at the phase boundary.
 */
export const JOB_PHASE_CHANNEL = 'multicam-reid:job-phase';
const phaseChannel = diagnosticsChannel.channel(JOB_PHASE_CHANNEL);

/** What the runner takes from its pipeline. */
export interface RunnerDeps {
  config: PipelineConfig;
  trackerOptions: ByteTrackerOptions;
  loadModels: () => Promise<LoadedModels>;
}

/** Options of `job.addSource`. */
export interface AddSourceOptions {
  /** Zones of the new camera (same shape as one camera's list in the job's `zones`); default: the job's zones for every camera. */
  zones?: unknown;
}

export class JobRunner {
  private readonly started = Date.now();
  private readonly warnings: WarningLog;
  private readonly sessions: CameraSession[] = [];
  private readonly runs: Array<Promise<CameraResult>> = [];
  private models: LoadedModels | undefined;
  private gallery: IdentityGallery | undefined;
  private outputDir: string | undefined;
  private folderName: string | undefined;
  /** True from the start event until the last camera has ended: cameras can be added and removed. */
  private accepting = false;
  private readonly stamp: string;
  private readonly jobId: string;
  private readonly emit: EmitFn;
  private sink: MqttEventSink | undefined;

  constructor(
    private readonly job: Job,
    private readonly plan: JobPlan,
    private readonly deps: RunnerDeps,
    private readonly stop: StopSignal,
  ) {
    this.jobId = job.id;
    this.emit = job.emit.bind(job) as EmitFn;
    this.warnings = new WarningLog((event) => this.emit('warning', event), plan.redactor.text);
    this.stamp = fileStamp(plan.now, plan.timeZone);
  }

  /** A warning from outside the runner (a service attached to the job). */
  warn(message: string, cameraIndex?: number, code?: string): void {
    this.warnings.warn(message, cameraIndex, code);
  }

  /** Runs every phase; always resolves, with the job's result. */
  async run(): Promise<JobResult> {
    const progress = setInterval(() => this.emitProgress(), this.deps.config.processing.progressInterval * 1000);
    try {
      return await this.phases();
    } catch (error) {
      return this.finish('failed', toLibraryError(error, 'running the job'));
    } finally {
      clearInterval(progress);
      this.accepting = false;
      await Promise.all(this.sessions.map((s) => s.release()));
      this.stop.dispose();
      await this.sink?.close(); // the final events are queued: flush them, then disconnect
    }
  }

  /** Adds a camera to the running job: a new camera index with its own outputs, sharing the gallery. */
  addSource(source: string, options: AddSourceOptions = {}): number {
    if (!this.accepting || this.outputDir === undefined) {
      throw new ConfigError('INVALID_OPTION', `addSource(): the job ${this.stop.aborted || this.outputDir !== undefined ? 'has ended' : "has not started yet: add sources in the job's options, or after its 'start' event"}`, { culprit: 'addSource' });
    }
    const planned = planSource(source);
    const cameraIndex = this.sessions.length;
    const { zones, lines } = options.zones === undefined ? this.zonesAndLines(cameraIndex) : zonesForNewCamera(options.zones);
    this.plan.redactor.add(planned.source);
    const session = this.createSession(cameraIndex, planned, zones, lines);
    this.emit('camera:added', { cameraIndex, source: planned.display });
    void session.open(planned.live).catch(() => undefined); // a failure is the camera's own (its result says it)
    this.runs.push(session.run(this.outputDir));
    return cameraIndex;
  }

  /** Ends one camera while the others go on; its outputs are finalised. */
  removeSource(cameraIndex: number): void {
    const session = this.sessions[cameraIndex];
    if (session === undefined || !Number.isInteger(cameraIndex)) {
      throw new ConfigError('INVALID_OPTION', `removeSource(${String(cameraIndex)}): no such camera; this job has cameras 0–${this.sessions.length - 1}`, { culprit: String(cameraIndex) });
    }
    if (!this.accepting) throw new ConfigError('INVALID_OPTION', 'removeSource(): the job is not running', { culprit: String(cameraIndex) });
    if (session.status.finished || session.removed) return;
    session.remove();
    this.emit('camera:removed', { cameraIndex, source: session.status.source });
  }

  /** The state of every camera, from its one owner. */
  cameraStatuses(): CameraSession['status'][] {
    return this.sessions.map((s) => s.status);
  }

  // ── phases ─────────────────────────────────────────────────────────────────

  private async phases(): Promise<JobResult> {
    const signal = this.stop.signal;
    // 0. the event sink, when configured: a broker that is down fails the job before any work
    if (this.deps.config.mqtt !== undefined) {
      const sink = await untilStopped(MqttEventSink.connect(this.deps.config.mqtt), signal);
      if (sink === STOPPED) return this.finish('cancelled');
      this.sink = sink;
      sink.on('warning', (w) => this.warnings.warn(w.message, undefined, w.code));
      sink.attach(this.job, { sources: this.plan.sources.map((s) => s.source) });
    }
    // 1. models, and the gallery with any reference persons
    this.enter('models');
    const models = await untilStopped(this.deps.loadModels(), signal);
    if (models === STOPPED) return this.finish('cancelled');
    this.models = models;
    if (models.embedder !== undefined) {
      this.gallery = new IdentityGallery({ embeddingDimension: models.embedder.dimension, ...this.deps.config.identity, similarityThreshold: this.plan.similarityThreshold });
      const references = this.plan.referencePersons.flatMap((p) => p.imagePaths.map((imagePath) => ({ name: p.name, imagePath })));
      if (references.length > 0 && (await untilStopped(registerReferenceImages(this.gallery, models.embedder, references), signal)) === STOPPED) {
        return this.finish('cancelled');
      }
    }

    // 2. sources: files must all open; a live camera that is down may join later
    this.enter('sources');
    this.plan.sources.forEach((source, i) => {
      const { zones, lines } = this.zonesAndLines(i);
      this.createSession(i, source, zones, lines);
    });
    const openFailure = await this.openSources();
    if (this.stop.aborted) return this.finish('cancelled');
    if (openFailure !== undefined) return this.finish('failed', openFailure);
    // Zones and lines in pixels can only be checked against a frame size: now, before any output.
    for (const session of this.sessions) session.checkZones();

    // 3. the job folder, then every camera runs
    this.enter('outputs');
    this.folderName = await createJobFolder(this.plan.outputRoot, jobFolderName(this.plan.now, this.plan.timeZone));
    this.outputDir = path.join(this.plan.outputRoot, this.folderName);
    this.emitStart();
    if (this.plan.maxDurationSeconds !== undefined) this.stop.after(this.plan.maxDurationSeconds, MAX_DURATION);
    this.accepting = true;
    this.enter('running');
    for (const session of this.sessions) this.runs.push(session.run(this.outputDir));

    // 4. wait for every camera, also those added meanwhile
    const cameras: CameraResult[] = [];
    for (let i = 0; i < this.runs.length; i++) cameras.push(await this.runs[i]!);
    this.accepting = false;

    // 5. the job's own outputs
    this.enter('finalising');
    return this.finaliseJob(cameras);
  }

  /**
   * Opens every source; returns the error that fails the job, if any. Files (and, with
   * `requireAllCameras`, every source) must all open. Otherwise the job starts as soon as the
   * files are open and one live camera is (or, with files, at once): a live camera still
   * connecting or down goes on trying in the background and joins when it comes.
   */
  private async openSources(): Promise<MulticamReidError | undefined> {
    const tolerant = !this.deps.config.streams.requireAllCameras;
    const live = this.plan.sources.map((s) => tolerant && s.live);
    const opens = this.sessions.map((s, i) => s.open(live[i]!));
    for (const open of opens) open.catch(() => undefined); // each failure is read below, or is its camera's own
    const files = await Promise.allSettled(opens.filter((_, i) => !live[i]));
    const fileFailure = files.find((o): o is PromiseRejectedResult => o.status === 'rejected');
    if (fileFailure !== undefined) return toLibraryError(fileFailure.reason, 'opening the sources');
    const liveOpens = opens.filter((_, i) => live[i]);
    if (liveOpens.length === 0 || files.length > 0 || this.stop.aborted) return undefined;
    if (await anyOpens(liveOpens)) return undefined;
    const outcomes = await Promise.allSettled(liveOpens);
    const rejected = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
    if (rejected !== undefined) return toLibraryError(rejected.reason, 'opening the sources');
    return new MulticamReidError('CONNECT_TIMEOUT', `no camera delivered video within connectTimeout = ${this.deps.config.streams.connectTimeout} s: ${this.sessions.map((s) => s.status.source).join(', ')}`);
  }

  private async finaliseJob(cameras: CameraResult[]): Promise<JobResult> {
    const result = this.baseResult();
    result.cameras = cameras;
    result.outputDir = this.outputDir;
    result.stages = this.sessions.reduce<StageTimings>((acc, s) => addStages(acc, s.stages), emptyStageTimings());
    if (this.outputDir !== undefined) {
      Object.assign(
        result,
        await finaliseJobFolder({
          outputRoot: this.plan.outputRoot,
          folderName: this.folderName!,
          jobId: this.jobId,
          cameras,
          zip: this.deps.config.output.zip,
          outputVideoPath: this.plan.outputVideoPath,
          evicted: this.gallery?.stats().evicted ?? 0,
          warn: (message, cameraIndex, code) => this.warnings.warn(message, cameraIndex, code),
        }),
      );
    }
    if (this.stop.aborted && this.stop.reason !== MAX_DURATION) return this.finish('cancelled', undefined, result);
    const failed = cameras.filter((c) => c.status === 'failed');
    if (failed.length === cameras.length && failed[0]?.error !== undefined) {
      const error = new MulticamReidError(failed[0].error.code as MulticamReidError['code'], failed[0].error.message);
      return this.finish('failed', error, result);
    }
    result.stopReason = this.stop.reason === MAX_DURATION ? 'max-duration' : 'end-of-input';
    return this.finish('completed', undefined, result);
  }

  // ── parts ──────────────────────────────────────────────────────────────────

  private enter(phase: JobPhase): void {
    if (phaseChannel.hasSubscribers) phaseChannel.publish({ jobId: this.jobId, phase } satisfies JobPhaseMessage);
  }

  private zonesAndLines(cameraIndex: number): { zones: readonly ZoneDefinition[]; lines: readonly LineDefinition[] } {
    return { zones: zonesOf(this.plan, cameraIndex), lines: linesForCamera(this.plan.zones, cameraIndex) };
  }

  private createSession(cameraIndex: number, source: JobPlan['sources'][number], zones: readonly ZoneDefinition[], lines: readonly LineDefinition[]): CameraSession {
    const session = new CameraSession({
      cameraIndex,
      source,
      zones,
      lines,
      config: this.deps.config,
      trackerOptions: this.deps.trackerOptions,
      models: this.models!,
      gallery: this.gallery,
      detectionStride: this.plan.detectionStride,
      similarityThreshold: this.plan.similarityThreshold,
      realtime: this.plan.realtime,
      previewInterval: this.plan.previewInterval,
      timeZone: this.plan.timeZone,
      stamp: this.stamp,
      timeOrigin: this.started,
      emit: this.emit,
      warnings: this.warnings,
      redact: this.plan.redactor.text,
      jobSignal: this.stop.signal,
    });
    this.sessions.push(session);
    return session;
  }

  private emitStart(): void {
    this.emit('start', {
      jobId: this.jobId,
      sources: this.sessions.map((s) => s.status.source),
      outputDir: this.outputDir!,
      cameras: this.sessions.map((s) => ({ cameraIndex: s.cameraIndex, source: s.status.source, ...s.properties })),
    });
  }

  private emitProgress(): void {
    if (this.outputDir === undefined) return; // progress starts with the job's start event, when the cameras are known
    const now = Date.now();
    let totalFps = 0;
    const cameras = this.sessions.map((s) => {
      const st = s.status;
      totalFps += st.sampleRate(now);
      const camera = { cameraIndex: st.cameraIndex, source: st.source, state: st.state, frames: st.frames, fps: st.fps, position: st.position, activeTracks: st.activeTracks };
      return st.duration === undefined ? camera : { ...camera, duration: st.duration };
    });
    this.emit('progress', { jobId: this.jobId, elapsedSeconds: (now - this.started) / 1000, totalFps, cameras });
  }

  private baseResult(): JobResult {
    return newJobResult(this.jobId, this.started, this.warnings, this.gallery === undefined ? 0 : this.gallery.size + this.gallery.stats().evicted);
  }

  /** Completes the result and emits the job's last event: done, cancelled or error. */
  private finish(status: JobStatus, error?: MulticamReidError, result = this.baseResult()): JobResult {
    this.enter('ended');
    return endJob(result, status, error, this.started, this.warnings, this.plan.redactor.text, this.emit);
  }
}

/** True as soon as one of the opens succeeds; false once all have settled without one. */
function anyOpens(opens: Array<Promise<string>>): Promise<boolean> {
  return new Promise((resolve) => {
    let pending = opens.length;
    for (const open of opens) {
      open.then(
        (outcome) => {
          if (outcome === 'open') resolve(true);
          else if (--pending === 0) resolve(false);
        },
        () => {
          if (--pending === 0) resolve(false);
        },
      );
    }
  });
}


function zonesForNewCamera(zones: unknown): { zones: readonly ZoneDefinition[]; lines: readonly LineDefinition[] } {
  const parsed = parseZones({ 0: zones }, { cameraCount: 1 });
  return { zones: parsed.cameras[0] ?? [], lines: linesForCamera(parsed, 0) };
}

function addStages(a: StageTimings, b: StageTimings): StageTimings {
  const out = { ...a };
  for (const key of Object.keys(out) as Array<keyof StageTimings>) out[key] += b[key];
  return out;
}
