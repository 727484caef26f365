/**
 * One camera's whole life in a job, in phases: open its source (retrying a live source that
 * is down), open its outputs, run its loop, finalise its outputs. The job runner drives one
 * session per camera; a distributed worker drives one session per camera job. A session never
 * throws from `run()`: however it ends, its outputs are finalised and its result says why.
 */
import path from 'node:path';
import { StreamError, type MulticamReidError, toLibraryError } from '../errors.js';
import { StreamReader } from '../streams/stream-reader.js';
import type { OpenRetry } from '../streams/options.js';
import { ByteTracker } from '../tracking/byte-tracker.js';
import type { ByteTrackerOptions } from '../tracking/options.js';
import type { IdentityRegistry } from '../identity/types.js';
import { ZoneMonitor, type LineDefinition, type ZoneDefinition } from '../zones/index.js';
import { DEFAULT_CROP_QUALITY } from '../identity/crop-quality.js';
import { FrameAnnotator } from '../output/annotator.js';
import { CameraIdentityAlbum } from '../output/identity-album.js';
import { OccupancyHeatmap } from '../output/heatmap.js';
import { writeIdentityPart } from './identities.js';
import { finaliseCameraOutputs, openCameraOutputs, type CameraOutputs } from './camera-outputs.js';
import { CameraStatus } from './camera-status.js';
import { CameraWorker, emptyStageTimings, type LoopOutcome } from './camera-worker.js';
import type { PipelineConfig } from './config.js';
import type { CameraResult, CameraStopReason, EmitFn, StageTimings } from './events.js';
import type { LoadedModels } from './pipeline.js';
import type { PlannedSource } from './plan.js';
import { ReidGate } from './reid-gate.js';
import { emptyCameraResult } from './results.js';
import { MAX_DURATION, StopSignal } from './stop-signal.js';
import type { WarningLog } from './warnings.js';

/** Why a session was asked to stop, besides its job's cancel. */
export const REMOVED = Symbol('removed');

/** What a session needs from its job. */
export interface CameraSessionContext {
  cameraIndex: number;
  source: PlannedSource;
  zones: readonly ZoneDefinition[];
  lines: readonly LineDefinition[];
  config: PipelineConfig;
  trackerOptions: ByteTrackerOptions;
  models: LoadedModels;
  /** The job's identities: its gallery here, or a distributed worker's view of the shared one. */
  gallery?: IdentityRegistry;
  detectionStride: number;
  similarityThreshold: number;
  realtime: boolean;
  previewInterval?: number;
  timeZone: string;
  /** `YYYYMMDD_HHMMSS` of the job's start, in the output file names. */
  stamp: string;
  /** `Date.now()` the job's clock starts at: live timestamps of every camera count from it. */
  timeOrigin: number;
  emit: EmitFn;
  warnings: WarningLog;
  /** Masks credentials in any text that leaves the job. */
  redact: (text: string) => string;
  /** The job's stop signal (cancel, max duration). */
  jobSignal: AbortSignal;
}

/** How the first attempt to open a source went. */
export type OpenOutcome = 'open' | 'retrying' | 'stopped';

export class CameraSession {
  readonly status: CameraStatus;
  readonly cameraIndex: number;
  private readonly stop = new StopSignal();
  private reader: StreamReader | undefined;
  /** Resolves when the source is open (true) or the session stopped before (false). */
  private opened: Promise<boolean> | undefined;
  private failure: MulticamReidError | undefined;
  private worker: CameraWorker | undefined;
  private outputs: CameraOutputs | undefined;
  private readonly album: CameraIdentityAlbum;
  private runPromise: Promise<CameraResult> | undefined;
  /** Stage timings of the loop (zeros before it ran). */
  stages: StageTimings = emptyStageTimings();


  constructor(private readonly ctx: CameraSessionContext) {
    this.cameraIndex = ctx.cameraIndex;
    this.album = new CameraIdentityAlbum(ctx.cameraIndex);
    this.status = new CameraStatus(ctx.cameraIndex, ctx.source.display, (event) => ctx.emit('camera:status', event), ctx.redact);
    this.stop.follow(ctx.jobSignal);
  }

  /** Stop signal of this camera alone: the job's, or {@link remove}. */
  get signal(): AbortSignal {
    return this.stop.signal;
  }

  /** The reader's frame size once open (0 before). */
  get properties(): { width: number; height: number; fps: number; codec: string } {
    const p = this.reader?.getProperties();
    return { width: p?.width ?? 0, height: p?.height ?? 0, fps: p?.fps ?? 0, codec: p?.codec ?? 'unknown' };
  }

  /**
   * Opens the source once, within `connectTimeout`. A failure rejects with the reader's typed
   * error, unless `retry` is set and the failure can pass (a live source that is down or slow):
   * then the session keeps retrying with back-off in the background (`waiting` state) and
   * {@link run} starts the camera when its source comes.
   */
  open(retry: boolean): Promise<OpenOutcome> {
    const first = this.attemptOpen().then(
      (ok): OpenOutcome => (ok ? 'open' : 'stopped'),
      (error: unknown): OpenOutcome => {
        const failure = toLibraryError(error, `opening camera ${this.cameraIndex}`);
        if (!retry || !isPassing(failure)) {
          this.failure = failure;
          this.status.set('failed', 'error', failure.message);
          throw failure;
        }
        this.status.set('waiting', 'retrying', failure.message);
        this.ctx.warnings.warn(`${failure.message}; retrying until it comes`, this.cameraIndex, 'CAMERA_WAITING');
        return 'retrying';
      },
    );
    // The whole opening, retries included, for run() to wait on.
    this.opened = first.then(
      (outcome) => (outcome === 'open' ? true : outcome === 'retrying' ? this.keepOpening() : false),
      () => false,
    );
    return first;
  }

  /**
   * Runs the camera in `jobDir/camera_<index>` until its source ends, the job stops or the
   * camera is removed, then finalises its outputs. Never throws.
   */
  run(jobDir: string): Promise<CameraResult> {
    this.runPromise ??= this.runPhases(path.join(jobDir, `camera_${this.cameraIndex}`));
    return this.runPromise;
  }

  /**
   * Checks the camera's zones and lines against its frame size now that the source is open
   * (a polygon or line entirely outside the frame is an INVALID_ZONE naming it), so a job can
   * refuse them before it writes anything. Does nothing before the source is open.
   */
  checkZones(): void {
    const { width, height } = this.properties;
    if (width > 0 && height > 0) new ZoneMonitor(this.ctx.zones, { frameWidth: width, frameHeight: height, lines: this.ctx.lines });
  }

  /** Stops this camera alone (`job.removeSource`); {@link run} then finalises it. */
  remove(): void {
    this.stop.abort(REMOVED);
  }

  /** True once {@link remove} was called (or the session released). */
  get removed(): boolean {
    return this.stop.reason === REMOVED;
  }

  /** Ends the reader (and any attempt in progress). Idempotent. */
  async release(): Promise<void> {
    this.stop.abort(REMOVED);
    await this.reader?.release();
    this.stop.dispose();
  }

  // ── phases ─────────────────────────────────────────────────────────────────

  private async runPhases(dir: string): Promise<CameraResult> {
    const startedOpen = (await this.opened) === true;
    let outcome: LoopOutcome = { kind: 'stopped' };
    if (startedOpen && !this.stop.aborted) {
      try {
        this.outputs = await this.prepare(dir);
      } catch (error) {
        this.failure = toLibraryError(error, `opening the outputs of camera ${this.cameraIndex}`);
      }
      if (this.outputs !== undefined && this.worker !== undefined) outcome = await this.worker.run(this.stop.signal);
    }
    if (outcome.kind === 'failed') this.failure ??= outcome.error;
    const result = await this.finalise(dir, outcome);
    await this.reader?.release();
    this.stop.dispose();
    return result;
  }

  /** Opens the camera's outputs at the reader's fixed frame size and builds its loop. */
  private async prepare(dir: string): Promise<CameraOutputs> {
    const { config: cfg } = this.ctx;
    const reader = this.reader!;
    const props = reader.getProperties();
    const outputs = await openCameraOutputs({
      dir,
      stamp: this.ctx.stamp,
      width: props.width,
      height: props.height,
      fps: props.fps > 0 ? props.fps : 25,
      video: cfg.output.video,
      preset: cfg.output.videoPreset,
      crf: cfg.output.videoCrf,
      ffmpegPath: cfg.streams.ffmpegPath,
    });
    const zoneMonitor = new ZoneMonitor(this.ctx.zones, { frameWidth: props.width, frameHeight: props.height, lines: this.ctx.lines });
    const fps = props.fps > 0 ? props.fps : 25;
    const wantAnnotator = outputs.video !== undefined || this.ctx.previewInterval !== undefined;
    this.worker = new CameraWorker({
      cameraIndex: this.cameraIndex,
      reader,
      status: this.status,
      detector: this.ctx.models.detector,
      embedder: this.ctx.models.embedder,
      gallery: this.ctx.gallery,
      tracker: new ByteTracker({ ...this.ctx.trackerOptions, frameRate: props.fps > 0 ? props.fps : 30 }),
      reidGate: new ReidGate(cfg.reid),
      zoneMonitor,
      annotator: wantAnnotator ? new FrameAnnotator(props.width, props.height) : undefined,
      outputs,
      album: this.album,
      cropQuality: { ...DEFAULT_CROP_QUALITY, minWidth: cfg.reid.minCropWidth, minHeight: cfg.reid.minCropHeight, minScore: this.ctx.gallery?.options.minDetectionScore ?? DEFAULT_CROP_QUALITY.minScore },
      csvDelayFrames: this.csvDelayFrames(fps),
      fuseAbove: cfg.reid.fuseWithTracker ? this.ctx.trackerOptions.trackThreshold : undefined,
      heatmap: cfg.output.heatmap.enabled ? new OccupancyHeatmap({ frameWidth: props.width, frameHeight: props.height, cellSize: cfg.output.heatmap.cellSize, halfLife: cfg.output.heatmap.halfLife }) : undefined,
      heatmapInVideo: cfg.output.heatmap.enabled && cfg.output.heatmap.inVideo,
      trailLength: cfg.output.trails,
      detectionStride: this.ctx.detectionStride,
      similarityThreshold: this.ctx.similarityThreshold,
      previewInterval: this.ctx.previewInterval,
      emit: this.ctx.emit,
    });
    return outputs;
  }

  /**
   * Frames the CSV lags behind processing: long enough for a new track's id to be decided
   * (minEvidence crops one ReID interval apart, or maxDeferSeconds), so its first rows carry it.
   */
  private csvDelayFrames(fps: number): number {
    const gallery = this.ctx.gallery;
    if (gallery === undefined) return 0;
    const { minEvidence, maxDeferSeconds } = gallery.options;
    const interval = this.ctx.config.reid.uncertainInterval * this.ctx.detectionStride;
    return Math.max(minEvidence * interval, Math.ceil(maxDeferSeconds * fps) + interval) + 1;
  }

  /** Closes the zone visits, the CSV, the MP4 and writes the zone report; records the result. */
  private async finalise(dir: string, outcome: LoopOutcome): Promise<CameraResult> {
    const stopReason = this.stopReason(outcome);
    const status = this.failure !== undefined ? 'failed' : stopReason === 'cancelled' ? 'cancelled' : 'completed';
    if (this.failure !== undefined) {
      this.ctx.warnings.failure(this.cameraIndex, this.failure.code, this.failure.message);
      this.status.set('failed', 'error', this.failure.message);
    } else {
      this.status.set('ended', stopReason === 'end-of-input' ? 'eof' : stopReason);
    }
    const result = this.emptyResult(dir, status, stopReason);
    const worker = this.worker;
    if (worker !== undefined && this.outputs !== undefined) {
      try {
        await worker.finish();
      } catch (error) {
        const failure = toLibraryError(error, `ending camera ${this.cameraIndex}`);
        this.ctx.warnings.warn(failure.message, this.cameraIndex, failure.code);
      }
      const c = worker.counters;
      result.detectedFrames = c.detectedFrames;
      result.detections = c.detections;
      result.tracks = c.confirmedTracks;
      result.globalIds = [...c.globalIds].sort((a, b) => a - b);
      if (c.globalIdsTruncated) result.globalIdsTruncated = true;
      result.droppedFrames = this.reader?.getProperties().framesDropped ?? 0;
      this.stages = c.stages;
      await finaliseCameraOutputs(this.outputs, worker.parts.zoneMonitor, result, this.ctx.timeZone, (message) =>
        this.ctx.warnings.warn(message, this.cameraIndex, 'OUTPUT_FAILED'),
      );
      try {
        const heatmap = path.join(dir, `heatmap_${this.ctx.stamp}.png`);
        if (await worker.writeHeatmap(heatmap)) result.heatmapPath = heatmap;
      } catch (error) {
        this.ctx.warnings.warn(`writing the heatmap failed: ${(error as Error).message}`, this.cameraIndex, 'OUTPUT_FAILED');
      }
      worker.releaseShownFrame(); // the video is closed: its last frame is no longer needed
      result.framesRepeated = this.outputs.video?.framesRepeated ?? 0;
      result.videoStartTime = this.outputs.video?.startTime ?? 0;
      await this.writeIdentities(path.dirname(dir));
    } else {
      // Never started (source never came, outputs failed): still leave a CSV header and a report.
      await writeEmptyOutputs(dir, this.ctx, result).catch((error: unknown) =>
        this.ctx.warnings.warn(`writing the outputs of camera ${this.cameraIndex} failed: ${(error as Error).message}`, this.cameraIndex, 'OUTPUT_FAILED'),
      );
    }
    if (this.failure !== undefined) result.error = { code: this.failure.code, message: this.ctx.redact(this.failure.message) };
    return result;
  }

  /** This camera's part of `identities.json` and its crops, in the job folder (merged by the job). */
  private async writeIdentities(jobDir: string): Promise<void> {
    if (this.album.size === 0) return;
    try {
      const entries = await this.album.write(jobDir);
      await writeIdentityPart(jobDir, this.cameraIndex, entries);
    } catch (error) {
      this.ctx.warnings.warn(`writing the identities of camera ${this.cameraIndex} failed: ${(error as Error).message}`, this.cameraIndex, 'OUTPUT_FAILED');
    }
  }

  private stopReason(outcome: LoopOutcome): CameraStopReason {
    if (this.failure !== undefined || outcome.kind === 'failed') return 'error';
    if (outcome.kind === 'ended') return 'end-of-input';
    const reason = this.stop.reason;
    if (reason === REMOVED) return 'removed';
    if (reason === MAX_DURATION) return 'max-duration';
    return 'cancelled';
  }

  private emptyResult(dir: string, status: CameraResult['status'], stopReason: CameraStopReason): CameraResult {
    const result = emptyCameraResult({ cameraIndex: this.cameraIndex, source: this.ctx.source.display, status, stopReason, dir, stamp: this.ctx.stamp });
    result.frames = this.status.frames;
    if (this.outputs !== undefined) {
      result.csvPath = this.outputs.csvPath;
      result.zonesPath = this.outputs.zonesPath;
      if (this.outputs.videoPath !== undefined) result.videoPath = this.outputs.videoPath;
    }
    return result;
  }


  // ── opening ────────────────────────────────────────────────────────────────

  private createReader(openRetry: OpenRetry): StreamReader {
    const s = this.ctx.config.streams;
    const reader = new StreamReader(this.ctx.source.source, {
      openRetry,
      keyframeTimeout: s.keyframeTimeout,
      framesInFlight: s.framesInFlight,
      ...(s.ffprobePath === undefined ? {} : { ffprobePath: s.ffprobePath }),
      cameraIndex: this.cameraIndex,
      bufferSize: this.ctx.source.live ? s.bufferSize : Math.min(s.bufferSize, s.fileBufferSize),
      rtspTransport: s.rtspTransport,
      maxWidth: s.maxWidth,
      maxHeight: s.maxHeight,
      connectTimeout: s.connectTimeout,
      stallTimeout: s.stallTimeout,
      reconnect: s.reconnect,
      ffmpegPath: s.ffmpegPath,
      realtime: this.ctx.realtime,
      pixelFormat: 'rgb24',
      timeOrigin: this.ctx.timeOrigin,
    });
    reader.on('connected', () => {
      this.status.duration = reader.getProperties().duration;
      this.status.set('connected', 'connected');
    });
    reader.on('waiting', () => this.status.set('waiting', 'keyframe', 'data arrives, waiting for a keyframe'));
    reader.on('stalled', () => this.status.set('stalled', 'stalled'));
    // Before its first connection a camera that is down stays `waiting` while it is retried.
    reader.on('reconnecting', (e) => this.status.set(this.status.state === 'waiting' ? 'waiting' : 'reconnecting', 'reconnecting', e.reason));
    reader.on('reconnected', () => this.status.set('connected', 'reconnected'));
    reader.on('error', (e) => {
      this.failure ??= e.error;
      this.ctx.warnings.failure(this.cameraIndex, e.error.code, e.error.message);
    });
    reader.on('ended', (e) => {
      if (e.reason === 'gave-up' || e.reason === 'failed') {
        this.failure ??= new StreamError('STREAM_FAILED', `camera ${this.cameraIndex} (${this.ctx.source.display}) stopped delivering frames: ${e.reason}`, { culprit: this.ctx.source.display });
      }
    });
    return reader;
  }

  /** One open: true when open, false when stopped meanwhile; rejects with the reader's error. */
  private async attemptOpen(openRetry: OpenRetry = 'until-timeout'): Promise<boolean> {
    const reader = this.createReader(openRetry);
    this.reader = reader;
    try {
      await reader.open(this.stop.signal);
      return true;
    } catch (error) {
      await reader.release();
      if (this.stop.aborted) return false;
      throw error;
    }
  }

  /**
   * Waits for a live source that was down at the start: one reader that retries with the
   * reconnect back-off (`openRetry: 'forever'`) until the source delivers or the camera stops.
   */
  private async keepOpening(): Promise<boolean> {
    try {
      return await this.attemptOpen('forever');
    } catch (error) {
      this.failure = toLibraryError(error, `opening camera ${this.cameraIndex}`);
      return false;
    }
  }
}

/** Failures that waiting can cure: the source is down, slow, or not sending video yet. */
function isPassing(error: MulticamReidError): boolean {
  return error.code === 'CONNECT_TIMEOUT' || error.code === 'STREAM_FAILED' || error.code === 'INVALID_MEDIA';
}

/** The outputs of a camera that never ran: a CSV with its header and a zone report. */
async function writeEmptyOutputs(dir: string, ctx: CameraSessionContext, result: CameraResult): Promise<void> {
  const outputs = await openCameraOutputs({ dir, stamp: ctx.stamp, width: 2, height: 2, fps: 25, video: false, preset: 'superfast', crf: 23 });
  const monitor = new ZoneMonitor([], { frameWidth: 1, frameHeight: 1 });
  await finaliseCameraOutputs(outputs, monitor, result, ctx.timeZone, (message) => ctx.warnings.warn(message, ctx.cameraIndex, 'OUTPUT_FAILED'));
}
