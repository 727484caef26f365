/**
 * DetectionTrackingPipeline: loads the models once, then runs jobs. A job reads every camera
 * independently and in parallel, runs detection → tracking → ReID → identity → zones →
 * outputs per frame (see CameraWorker), and finalises every output however it ends.
 */
import { randomUUID } from 'node:crypto';
import { copyFile, mkdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import PQueue from 'p-queue';
import { ConfigError, MulticamReidError } from '../errors.js';
import { parseStreamUrls } from '../streams/url.js';
import { StreamReader } from '../streams/stream-reader.js';
import { PersonDetector } from '../models/person-detector.js';
import { ReidEmbedder } from '../models/reid-embedder.js';
import { ByteTracker } from '../tracking/byte-tracker.js';
import { resolveByteTrackerOptions, type ByteTrackerOptions } from '../tracking/options.js';
import { IdentityGallery } from '../identity/gallery.js';
import { resolveIdentityGalleryOptions } from '../identity/options.js';
import { registerReferenceImages } from '../identity/reference-persons.js';
import { loadZonesFile, parseZones, zonesForCamera, ZoneMonitor, type ZonesByCamera } from '../zones/index.js';
import { FrameAnnotator } from '../output/annotator.js';
import { fileStamp, jobFolderName, zipName } from '../output/naming.js';
import { zipDirectory } from '../output/zip.js';
import { resolveConfig, type PipelineConfig, type PipelineConfigInput } from './config.js';
import type { ProcessVideoOptions } from './options.js';
import { Job } from './job.js';
import { CameraWorker, emptyStageTimings } from './camera-worker.js';
import { ReidGate } from './reid-gate.js';
import { finaliseCameraOutputs, openCameraOutputs } from './camera-outputs.js';
import type { CameraResult, CameraState, JobEvents, JobResult, JobStatus, StageTimings } from './events.js';

/** Options validated before a job starts, with the configuration's defaults applied. */
interface JobPlan {
  sources: string[];
  similarityThreshold: number;
  outputRoot: string;
  outputVideoPath?: string;
  maxDurationSeconds?: number;
  zones: ZonesByCamera;
  detectionStride: number;
  realtime: boolean;
  previewInterval?: number;
  timeZone: string;
  now: Date;
  referencePersons: Array<{ name: string; imagePaths: string[] }>;
}

/** The models a pipeline loads once and shares between its jobs and cameras. */
export interface LoadedModels {
  detector: PersonDetector;
  embedder?: ReidEmbedder;
}

const MAX_DURATION = Symbol('max-duration');
/** Longest delay a Node timer takes (2^31 − 1 ms); longer ones fire at once. */
const MAX_TIMER_SECONDS = Math.floor((2 ** 31 - 1) / 1000);

export class DetectionTrackingPipeline {
  /** The validated configuration (defaults applied). */
  readonly config: PipelineConfig;
  private models?: Promise<LoadedModels>;
  private readonly trackerOptions: ByteTrackerOptions;

  /**
   * @param config a configuration object, or the path of a YAML/JSON configuration file
   *   (see `configs/config.yaml`). Invalid fields throw a {@link ConfigError} naming the field.
   */
  constructor(config?: PipelineConfigInput | string) {
    this.config = resolveConfig(config);
    // The tracker and gallery check their own options: do it now, before any job writes anything.
    this.trackerOptions = resolveByteTrackerOptions(this.config.tracker as Partial<ByteTrackerOptions>);
    resolveIdentityGalleryOptions(this.config.identity);
  }

  /** Loads (once) and returns the detector and the ReID embedder. Missing or wrong models reject with a ModelError. */
  load(): Promise<LoadedModels> {
    this.models ??= this.loadModels().catch((error: unknown) => {
      this.models = undefined; // let a later call retry, e.g. after the user fixed the path
      throw error;
    });
    return this.models;
  }

  /**
   * Starts a job. Invalid options (sources, zones, thresholds) throw here, synchronously,
   * before anything is written; failures after that (a model that cannot load, a source that
   * cannot be opened) make `job.result` resolve with status `failed` and emit 'error'.
   */
  processVideo(options: ProcessVideoOptions): Job {
    const plan = this.plan(options);
    return new Job(randomUUID(), (job, signal) => this.runJob(job, plan, signal), options.signal);
  }

  /**
   * Checks job options the way {@link processVideo} does (sources, zones, thresholds, paths)
   * without starting anything: throws the same {@link ConfigError} / StreamError. Useful for a
   * service that queues jobs and wants to reject bad requests at once.
   */
  validate(options: ProcessVideoOptions): void {
    this.plan(options);
  }

  /** Releases the ONNX sessions. */
  async release(): Promise<void> {
    const models = this.models;
    this.models = undefined;
    if (models === undefined) return;
    const loaded = await models.catch(() => undefined);
    await loaded?.detector.release();
    await loaded?.embedder?.release();
  }

  private async loadModels(): Promise<LoadedModels> {
    const { detector: d, reid: r, modelsDir } = this.config;
    if (modelsDir !== undefined) process.env.MULTICAM_REID_MODELS ??= modelsDir;
    const detector = await PersonDetector.load({
      modelPath: d.modelPath,
      modelId: d.modelId,
      format: d.format,
      scoreThreshold: d.scoreThreshold,
      nmsThreshold: d.nmsThreshold,
      classes: d.classes,
      sessions: d.sessions,
      intraOpNumThreads: d.intraOpNumThreads,
      executionProviders: d.executionProviders,
    });
    if (!r.enabled) return { detector };
    const embedder = await ReidEmbedder.load({ modelPath: r.modelPath, modelId: r.modelId, intraOpNumThreads: r.intraOpNumThreads });
    return { detector, embedder };
  }

  private plan(options: ProcessVideoOptions): JobPlan {
    const cfg = this.config;
    if (options.sources !== undefined && options.videoPath !== undefined) {
      throw new ConfigError('INVALID_OPTION', 'give either videoPath or sources, not both', { culprit: 'sources' });
    }
    const sources = options.sources !== undefined ? options.sources.flatMap((s) => parseStreamUrls(s)) : parseStreamUrls(options.videoPath ?? '');
    if (sources.length === 0) throw new ConfigError('INVALID_OPTION', 'no source given: set videoPath (one URL/path, or several separated by commas or newlines) or sources', { culprit: 'videoPath' });

    const similarityThreshold = options.similarityThreshold ?? cfg.identity.similarityThreshold;
    checkRange('similarityThreshold', similarityThreshold, 0, 1);
    if (options.maxDurationSeconds !== undefined) checkRange('maxDurationSeconds', options.maxDurationSeconds, Number.MIN_VALUE, MAX_TIMER_SECONDS);
    const detectionStride = options.detectionStride ?? cfg.processing.detectionStride;
    if (!Number.isInteger(detectionStride) || detectionStride < 1) {
      throw new ConfigError('INVALID_OPTION', `detectionStride must be a whole number ≥ 1, got ${detectionStride}`, { culprit: 'detectionStride' });
    }
    if (options.previewInterval !== undefined) checkRange('previewInterval', options.previewInterval, Number.MIN_VALUE, MAX_TIMER_SECONDS);
    if (options.outputVideoPath !== undefined && sources.length > 1) {
      throw new ConfigError('INVALID_OPTION', 'outputVideoPath is for single-camera jobs; a multi-camera job writes one video per camera in its folder', { culprit: 'outputVideoPath' });
    }
    const zoneOptions = { cameraCount: sources.length };
    const zones = typeof options.zones === 'string' ? loadZonesFile(options.zones, zoneOptions) : parseZones(options.zones ?? [], zoneOptions);
    const referencePersons = options.referencePersons ?? [];
    for (const person of referencePersons) {
      for (const imagePath of person.imagePaths) {
        if (!existsSync(imagePath)) throw new ConfigError('INVALID_OPTION', `reference image of "${person.name}" not found: ${imagePath}`, { culprit: imagePath });
      }
    }
    const timeZone = options.timeZone ?? cfg.output.timeZone;
    const now = options.now ?? new Date();
    jobFolderName(now, timeZone); // validates the time zone before any work
    return {
      sources,
      similarityThreshold,
      outputRoot: path.resolve(options.outputDir ?? cfg.output.dir),
      outputVideoPath: options.outputVideoPath,
      maxDurationSeconds: options.maxDurationSeconds,
      zones,
      detectionStride,
      realtime: options.realtime ?? cfg.processing.realtime,
      previewInterval: options.previewInterval,
      timeZone,
      now,
      referencePersons,
    };
  }

  private async runJob(job: Job, plan: JobPlan, signal: AbortSignal): Promise<JobResult> {
    const cfg = this.config;
    const started = Date.now();
    const warnings: string[] = [];
    const emit = <E extends keyof JobEvents>(event: E, ...args: Parameters<JobEvents[E]>): void => {
      (job.emit as (e: E, ...a: Parameters<JobEvents[E]>) => boolean)(event, ...args);
    };
    const warn = (message: string, cameraIndex?: number, code?: string): void => {
      warnings.push(cameraIndex === undefined ? message : `camera ${cameraIndex}: ${message}`);
      emit('warning', { message, cameraIndex, code });
    };
    const result: JobResult = {
      jobId: job.id,
      status: 'failed',
      cameras: [],
      identities: 0,
      startedAt: new Date(started).toISOString(),
      endedAt: '',
      elapsedSeconds: 0,
      stages: emptyStageTimings(),
      warnings,
      stopReason: 'error',
    };
    const finish = (status: JobStatus, error?: MulticamReidError): JobResult => {
      result.status = status;
      result.endedAt = new Date().toISOString();
      result.elapsedSeconds = (Date.now() - started) / 1000;
      if (error !== undefined) result.error = { code: error.code, message: error.message };
      if (status === 'cancelled') emit('cancelled', result);
      else if (status === 'failed') emit('error', error ?? new MulticamReidError('STREAM_FAILED', 'job failed'), result);
      else emit('done', result);
      return result;
    };

    // 1. models and sources — nothing is written until both are ready
    const readers: StreamReader[] = [];
    let models: LoadedModels;
    try {
      models = await this.load();
      if (signal.aborted) return finish('cancelled');
      const s = cfg.streams;
      plan.sources.forEach((source, cameraIndex) => {
        const reader = new StreamReader(source, {
          cameraIndex,
          bufferSize: s.bufferSize,
          rtspTransport: s.rtspTransport,
          maxWidth: s.maxWidth,
          maxHeight: s.maxHeight,
          connectTimeout: s.connectTimeout,
          stallTimeout: s.stallTimeout,
          reconnect: s.reconnect,
          ffmpegPath: s.ffmpegPath,
          realtime: plan.realtime,
          pixelFormat: 'rgb24',
        });
        readers.push(reader);
        this.forwardReaderEvents(reader, cameraIndex, source, emit, warn);
      });
      await Promise.all(readers.map((r) => r.open(signal)));
    } catch (error) {
      await Promise.all(readers.map((r) => r.release()));
      if (signal.aborted) return finish('cancelled');
      return finish('failed', asLibraryError(error));
    }
    if (signal.aborted) {
      await Promise.all(readers.map((r) => r.release()));
      return finish('cancelled');
    }

    // 2. the identity gallery, shared by every camera of this job
    let gallery: IdentityGallery | undefined;
    if (models.embedder !== undefined) {
      gallery = new IdentityGallery({ ...cfg.identity, similarityThreshold: plan.similarityThreshold });
      try {
        if (plan.referencePersons.length > 0) {
          await registerReferenceImages(gallery, models.embedder, plan.referencePersons.flatMap((p) => p.imagePaths.map((imagePath) => ({ name: p.name, imagePath }))));
        }
      } catch (error) {
        await Promise.all(readers.map((r) => r.release()));
        return finish('failed', asLibraryError(error));
      }
    }

    // 3. output folder and per-camera writers
    let folderName = jobFolderName(plan.now, plan.timeZone);
    let outputDir = path.join(plan.outputRoot, folderName);
    const stamp = fileStamp(plan.now, plan.timeZone);
    const workers: CameraWorker[] = [];
    const cameraResults: CameraResult[] = [];
    let setupError: MulticamReidError | undefined;
    try {
      folderName = await createJobFolder(plan.outputRoot, folderName);
      outputDir = path.join(plan.outputRoot, folderName);
      result.outputDir = outputDir;
      for (const [cameraIndex, reader] of readers.entries()) {
        const props = reader.getProperties();
        const outputs = await openCameraOutputs({
          dir: path.join(outputDir, `camera_${cameraIndex}`),
          stamp,
          width: props.width,
          height: props.height,
          fps: props.fps,
          video: cfg.output.video,
          preset: cfg.output.videoPreset,
          crf: cfg.output.videoCrf,
          ffmpegPath: cfg.streams.ffmpegPath,
        });
        cameraResults.push({
          cameraIndex,
          source: plan.sources[cameraIndex]!,
          status: 'completed',
          frames: 0,
          detectedFrames: 0,
          detections: 0,
          tracks: 0,
          globalIds: [],
          droppedFrames: 0,
          videoPath: outputs.videoPath,
          csvPath: outputs.csvPath,
          zonesPath: outputs.zonesPath,
        });
        const zoneMonitor = new ZoneMonitor(zonesForCamera(plan.zones, cameraIndex), { frameWidth: props.width, frameHeight: props.height });
        const annotator = outputs.video !== undefined || plan.previewInterval !== undefined ? new FrameAnnotator(props.width, props.height) : undefined;
        workers.push(
          new CameraWorker({
            cameraIndex,
            source: plan.sources[cameraIndex]!,
            reader,
            detector: models.detector,
            embedder: models.embedder,
            gallery,
            tracker: new ByteTracker({ ...this.trackerOptions, frameRate: props.fps > 0 ? props.fps : 30 }),
            reidGate: new ReidGate(cfg.reid),
            zoneMonitor,
            zonePolygons: zoneMonitor.pixelZones,
            annotator,
            outputs,
            detectionStride: plan.detectionStride,
            similarityThreshold: plan.similarityThreshold,
            previewInterval: plan.previewInterval,
            emit,
          }),
        );
      }
    } catch (error) {
      setupError = asLibraryError(error);
    }

    emit('start', {
      jobId: job.id,
      sources: plan.sources,
      outputDir,
      cameras: readers.map((r, cameraIndex) => {
        const p = r.getProperties();
        return { cameraIndex, source: plan.sources[cameraIndex]!, width: p.width, height: p.height, fps: p.fps, codec: p.codec };
      }),
    });

    // 4. run every camera in parallel; stop at max duration or on abort
    const stop = new AbortController();
    const onAbort = () => stop.abort(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    const durationTimer =
      plan.maxDurationSeconds !== undefined ? setTimeout(() => stop.abort(MAX_DURATION), plan.maxDurationSeconds * 1000) : undefined;
    const progressState = { lastFrames: new Map<number, number>(), lastAt: Date.now() };
    const progressTimer = setInterval(() => this.emitProgress(job.id, started, workers, cameraResults, emit, progressState), cfg.processing.progressInterval * 1000);

    const statuses: Array<{ status: JobStatus; error?: MulticamReidError }> = [];
    if (setupError === undefined) {
      const queue = new PQueue({ concurrency: workers.length });
      await Promise.all(
        workers.map((worker, i) =>
          queue.add(async () => {
            statuses[i] = await worker.run(stop.signal);
            const error = statuses[i]!.error;
            // A reader failure was already reported by its 'error' event; report only new ones.
            if (error !== undefined && !warnings.some((w) => w.endsWith(error.message))) warn(error.message, i, error.code);
          }),
        ),
      );
    }
    clearTimeout(durationTimer);
    clearInterval(progressTimer);
    // Stopping at maxDurationSeconds is a normal end for every camera still running.
    if (stop.signal.reason === MAX_DURATION) {
      for (const s of statuses) if (s?.status === 'cancelled') s.status = 'completed';
    }
    signal.removeEventListener('abort', onAbort);

    // 5. finalise every output, whatever happened above
    await Promise.all(
      workers.map(async (worker, i) => {
        const camera = cameraResults[i]!;
        try {
          worker.finishTracks();
        } catch (error) {
          warn(`closing zone visits failed: ${(error as Error).message}`, i);
        }
        const outcome = statuses[i];
        const c = worker.counters;
        camera.status = outcome?.status ?? 'failed';
        if (outcome?.error !== undefined) camera.error = { code: outcome.error.code, message: outcome.error.message };
        camera.frames = c.frames;
        camera.detectedFrames = c.detectedFrames;
        camera.detections = c.detections;
        camera.tracks = c.confirmedTrackIds.size;
        camera.globalIds = [...c.globalIds].sort((a, b) => a - b);
        camera.droppedFrames = readers[i]!.getProperties().framesDropped;
        await finaliseCameraOutputs(worker.parts.outputs, worker.parts.zoneMonitor, camera, plan.timeZone, (message) => warn(message, i, 'OUTPUT_FAILED'));
      }),
    );
    await Promise.all(readers.map((r) => r.release()));
    const stageTotals = workers.reduce<StageTimings>((acc, w) => addStages(acc, w.counters.stages), emptyStageTimings());
    result.stages = stageTotals;
    result.cameras = cameraResults;
    result.identities = gallery?.size ?? 0;

    if (cfg.output.zip && result.outputDir !== undefined) {
      const zipPath = path.join(plan.outputRoot, zipName(folderName));
      try {
        await zipDirectory(outputDir, zipPath);
        result.zipPath = zipPath;
      } catch (error) {
        warn(`writing the ZIP failed: ${(error as Error).message}`, undefined, 'OUTPUT_FAILED');
      }
    }
    if (plan.outputVideoPath !== undefined && cameraResults[0]?.videoPath !== undefined && cameraResults[0].frames > 0) {
      try {
        await mkdir(path.dirname(path.resolve(plan.outputVideoPath)), { recursive: true });
        await copyFile(cameraResults[0].videoPath, plan.outputVideoPath);
        result.outputVideoPath = path.resolve(plan.outputVideoPath);
      } catch (error) {
        warn(`copying the video to ${plan.outputVideoPath} failed: ${(error as Error).message}`, 0, 'OUTPUT_FAILED');
      }
    }

    if (setupError !== undefined) return finish('failed', setupError);
    const aborted = stop.signal.aborted;
    if (aborted && stop.signal.reason !== MAX_DURATION) {
      result.stopReason = 'cancelled';
      return finish('cancelled');
    }
    result.stopReason = aborted ? 'max-duration' : 'end-of-input';
    const failed = statuses.filter((s) => s?.status === 'failed');
    if (failed.length === workers.length && failed.length > 0) {
      result.stopReason = 'error';
      return finish('failed', failed[0]!.error);
    }
    return finish('completed');
  }

  private forwardReaderEvents(
    reader: StreamReader,
    cameraIndex: number,
    source: string,
    emit: <E extends keyof JobEvents>(event: E, ...args: Parameters<JobEvents[E]>) => void,
    warn: (message: string, cameraIndex?: number, code?: string) => void,
  ): void {
    const states: Array<[string, CameraState]> = [
      ['connected', 'connected'],
      ['stalled', 'stalled'],
      ['reconnecting', 'reconnecting'],
      ['reconnected', 'connected'],
      ['ended', 'ended'],
    ];
    for (const [reason, state] of states) {
      reader.on(reason as 'connected', () => emit('camera:status', { cameraIndex, source, state, reason }));
    }
    reader.on('error', (event: { error: MulticamReidError }) => {
      emit('camera:status', { cameraIndex, source, state: 'failed', reason: 'error', message: event.error.message });
      warn(event.error.message, cameraIndex, event.error.code);
    });
  }

  private emitProgress(
    jobId: string,
    started: number,
    workers: CameraWorker[],
    cameras: CameraResult[],
    emit: <E extends keyof JobEvents>(event: E, ...args: Parameters<JobEvents[E]>) => void,
    state: { lastFrames: Map<number, number>; lastAt: number },
  ): void {
    const now = Date.now();
    const dt = Math.max(1e-3, (now - state.lastAt) / 1000);
    state.lastAt = now;
    let totalFps = 0;
    const perCamera = workers.map((w, i) => {
      const frames = w.counters.frames;
      const fps = (frames - (state.lastFrames.get(i) ?? 0)) / dt;
      state.lastFrames.set(i, frames);
      totalFps += fps;
      return {
        cameraIndex: i,
        source: cameras[i]!.source,
        state: w.counters.state,
        frames,
        fps,
        position: w.counters.position,
        activeTracks: w.counters.activeTracks,
      };
    });
    emit('progress', { jobId, elapsedSeconds: (now - started) / 1000, totalFps, cameras: perCamera });
  }
}

/** Throws a ConfigError unless `value` is a finite number in [min, max]. */
function checkRange(name: string, value: number, min: number, max: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    const range = min === Number.MIN_VALUE ? `above 0 and at most ${max}` : `between ${min} and ${max}`;
    throw new ConfigError('INVALID_OPTION', `${name} must be a number ${range}, got ${String(value)}`, { culprit: name });
  }
}

function asLibraryError(error: unknown): MulticamReidError {
  if (error instanceof MulticamReidError) return error;
  return new MulticamReidError('STREAM_FAILED', (error as Error)?.message ?? String(error), { cause: error });
}

function addStages(a: StageTimings, b: StageTimings): StageTimings {
  const out = { ...a };
  for (const key of Object.keys(out) as Array<keyof StageTimings>) out[key] += b[key];
  return out;
}

/**
 * Creates the job folder with the seed's name, appending `_2`, `_3`… when a job of the same
 * minute already has it. `mkdir` without `recursive` fails on an existing folder, so two jobs
 * starting together cannot pick the same one.
 */
async function createJobFolder(root: string, base: string): Promise<string> {
  await mkdir(root, { recursive: true });
  for (let n = 1; ; n++) {
    const name = n === 1 ? base : `${base}_${n}`;
    if (existsSync(path.join(root, zipName(name)))) continue;
    try {
      await mkdir(path.join(root, name));
      return name;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
}

/**
 * Runs one job with a pipeline built from `options.config` (or the defaults) and releases
 * the models when the job ends. For several jobs, build one {@link DetectionTrackingPipeline}.
 */
export function processVideo(options: ProcessVideoOptions & { config?: PipelineConfigInput | string }): Job {
  const pipeline = new DetectionTrackingPipeline(options.config);
  const job = pipeline.processVideo(options);
  void job.result.finally(() => pipeline.release());
  return job;
}
