/**
 * One camera's processing loop: Frame → detections → tracks → identities → zone events →
 * annotated video, CSV rows and events. Cameras run independently; the detector, the
 * embedder and the identity gallery are shared by all of them.
 */
import diagnosticsChannel from 'node:diagnostics_channel';
import { performance } from 'node:perf_hooks';
import { MulticamReidError, StreamError } from '../errors.js';
import type { Frame } from '../streams/frame.js';
import type { StreamReader } from '../streams/stream-reader.js';
import type { PersonDetector } from '../models/person-detector.js';
import type { Detection } from '../models/types.js';
import type { ReidEmbedder } from '../models/reid-embedder.js';
import type { ByteTracker } from '../tracking/byte-tracker.js';
import type { Track, TrackerUpdate } from '../tracking/types.js';
import type { IdentityGallery } from '../identity/gallery.js';
import type { IdentityAssignment } from '../identity/types.js';
import type { ZoneEvent, ZoneMonitor } from '../zones/index.js';
import type { FrameAnnotator, OverlayBox, OverlayZone } from '../output/annotator.js';
import type { CameraOutputs } from './camera-outputs.js';
import type { CameraState, JobEvents, JobStatus, StageTimings } from './events.js';
import type { ReidGate } from './reid-gate.js';

/** Everything one camera needs; built by the pipeline, owned by the worker until it ends. */
export interface CameraWorkerParts {
  cameraIndex: number;
  source: string;
  reader: StreamReader;
  detector: PersonDetector;
  embedder?: ReidEmbedder;
  gallery?: IdentityGallery;
  tracker: ByteTracker;
  reidGate: ReidGate;
  zoneMonitor: ZoneMonitor;
  /** Zone polygons in pixels, for drawing. */
  zonePolygons: ZoneMonitor['pixelZones'];
  annotator?: FrameAnnotator;
  /** The camera's CSV and video writers (closed by the pipeline, not by the worker). */
  outputs: CameraOutputs;
  detectionStride: number;
  similarityThreshold: number;
  previewInterval?: number;
  emit: <E extends keyof JobEvents>(event: E, ...args: Parameters<JobEvents[E]>) => void;
}

/** Live counters the pipeline reads for progress events and the result. */
export interface CameraCounters {
  state: CameraState;
  frames: number;
  detectedFrames: number;
  detections: number;
  position: number;
  activeTracks: number;
  confirmedTrackIds: Set<number>;
  globalIds: Set<number>;
  stages: StageTimings;
}

export function emptyStageTimings(): StageTimings {
  return { read: 0, detect: 0, track: 0, reid: 0, identity: 0, zones: 0, annotate: 0, encode: 0, csv: 0 };
}

/** What {@link FRAME_PROCESSED_CHANNEL} publishes for every processed frame. */
export interface FrameProcessedMessage {
  cameraIndex: number;
  frameIndex: number;
  /** Wall-clock ms when the frame left the decoder (`Frame.capturedAt`). */
  capturedAt: number;
  /** Wall-clock ms (`Date.now()`) when its outputs were written. */
  processedAt: number;
  /** Whether the detector ran on it (false on the frames a detection stride skips). */
  detected: boolean;
}

/**
 * Name of the `node:diagnostics_channel` channel that receives a {@link FrameProcessedMessage}
 * per processed frame, for latency measurements (the live soak script subscribes to it).
 * Publishing costs nothing while no one subscribes.
 */
export const FRAME_PROCESSED_CHANNEL = 'multicam-reid:frame-processed';
const frameProcessed = diagnosticsChannel.channel(FRAME_PROCESSED_CHANNEL);

/** A frame taken from the reader, with its detection already under way when it is a detection frame. */
interface PreparedFrame {
  frame: Frame;
  detections?: Promise<Detection[]>;
}

/** How close to the threshold a similarity must be for the identity to stay "uncertain". */
const UNCERTAIN_MARGIN = 0.05;

export class CameraWorker {
  readonly counters: CameraCounters = {
    state: 'connected',
    frames: 0,
    detectedFrames: 0,
    detections: 0,
    position: 0,
    activeTracks: 0,
    confirmedTrackIds: new Set(),
    globalIds: new Set(),
    stages: emptyStageTimings(),
  };
  private lastPreviewAt = 0;
  /** Zone polygons as drawn on the video; only their counts change per frame. */
  private readonly overlayZones: OverlayZone[];
  /** The global id last announced per local track, so each assignment and switch is announced once. */
  private readonly announcedIds = new Map<number, number>();
  /** Set when the reader reports a failure or gives up reconnecting. */
  private sourceFailure: MulticamReidError | undefined;

  constructor(readonly parts: CameraWorkerParts) {
    this.overlayZones = parts.zonePolygons.map((z) => ({ name: z.name, polygon: z.polygon, color: z.color, count: 0 }));
    parts.reader.on('error', (event) => {
      this.sourceFailure ??= event.error;
    });
    parts.reader.on('ended', (event) => {
      if (event.reason === 'gave-up' || event.reason === 'failed') {
        this.sourceFailure ??= new StreamError('STREAM_FAILED', `camera ${parts.cameraIndex} (${parts.source}) stopped delivering frames: ${event.reason}`, { culprit: parts.source });
      }
    });
  }

  /**
   * Processes frames until the source ends or `signal` aborts. Never throws for a source
   * failure: it returns status 'failed' with the error, so the other cameras go on.
   *
   * One frame ahead: while frame n is tracked, embedded, annotated and encoded, frame n+1 is
   * already read and its detection runs in an inference worker. So a camera keeps the
   * detector busy while its own main-thread work runs (a single camera otherwise leaves the
   * detector idle for that time), at the cost of holding one more frame.
   */
  async run(signal: AbortSignal): Promise<{ status: JobStatus; error?: MulticamReidError }> {
    const stages = this.counters.stages;
    let next = this.prepare(signal);
    try {
      for (;;) {
        if (signal.aborted) return { status: 'cancelled' };
        const t = performance.now();
        const prepared = await next;
        stages.read += performance.now() - t;
        if (prepared === null) {
          if (signal.aborted) return { status: 'cancelled' };
          const failure = this.sourceFailure;
          if (failure !== undefined) {
            this.counters.state = 'failed';
            return { status: 'failed', error: failure };
          }
          this.counters.state = 'ended';
          return { status: 'completed' };
        }
        next = this.prepare(signal);
        await this.processFrame(prepared.frame, prepared.detections);
      }
    } catch (error) {
      if (signal.aborted) return { status: 'cancelled' };
      this.counters.state = 'failed';
      const wrapped =
        error instanceof MulticamReidError
          ? error
          : new MulticamReidError('STREAM_FAILED', `camera ${this.parts.cameraIndex} failed: ${(error as Error).message}`, { cause: error });
      return { status: 'failed', error: wrapped };
    } finally {
      // A look-ahead left behind when the loop stops early settles on its own (the reader is
      // released, the detection finishes); nothing awaits it any more.
      next.then((p) => p?.detections?.catch(() => undefined)).catch(() => undefined);
    }
  }

  /** Reads the next frame and, on a detection frame, starts its detection at once. */
  private async prepare(signal: AbortSignal): Promise<PreparedFrame | null> {
    const frame = await this.parts.reader.next(signal);
    if (frame === null) return null;
    if (frame.frameIndex % this.parts.detectionStride !== 0) return { frame };
    const detections = this.parts.detector.detect(frame);
    // Awaited by processFrame; this only keeps a failure from counting as unhandled meanwhile.
    detections.catch(() => undefined);
    return { frame, detections };
  }

  /** Ends the tracks still open and closes the zone visits at the last processed time. */
  finishTracks(): void {
    const { zoneMonitor } = this.parts;
    for (const event of zoneMonitor.finish(this.counters.position)) this.emitZoneEvent(event);
  }

  private async processFrame(frame: Frame, pendingDetections: Promise<Detection[]> | undefined): Promise<void> {
    const p = this.parts;
    const c = this.counters;
    const stages = c.stages;
    const frameIndex = frame.frameIndex;
    const timestamp = frame.pts;

    // 1. detection (every k-th frame) and tracking
    let t = performance.now();
    let update: TrackerUpdate;
    if (pendingDetections !== undefined) {
      // Wall time this camera waits for its detections (they started while the previous frame was processed).
      const detections = await pendingDetections;
      stages.detect += performance.now() - t;
      c.detectedFrames += 1;
      c.detections += detections.length;
      t = performance.now();
      update = p.tracker.update(detections);
    } else {
      update = p.tracker.advance();
    }
    stages.track += performance.now() - t;
    this.emitTrackChanges(update, frameIndex, timestamp);

    // 2. appearance: embed the gated tracks in one batch, then assign identities
    if (p.embedder !== undefined && p.gallery !== undefined) await this.updateIdentities(frame, update.active);

    // 3. zones (each track's identity looked up once, for the zones and the outputs)
    t = performance.now();
    const identities = update.active.map((track) => p.gallery?.get(p.cameraIndex, track.id));
    const zoneInput = update.active.map((track, i) => ({
      id: track.id,
      globalId: identities[i]?.globalId,
      x1: track.x1,
      y1: track.y1,
      x2: track.x2,
      y2: track.y2,
      confirmed: track.confirmed,
    }));
    for (const event of p.zoneMonitor.update(zoneInput, frameIndex, timestamp)) this.emitZoneEvent(event);
    stages.zones += performance.now() - t;

    // 4. outputs
    await this.writeOutputs(frame, update.active, identities);
    if (frameProcessed.hasSubscribers) {
      const message: FrameProcessedMessage = { cameraIndex: p.cameraIndex, frameIndex, capturedAt: frame.capturedAt, processedAt: Date.now(), detected: pendingDetections !== undefined };
      frameProcessed.publish(message);
    }
    c.frames += 1;
    c.position = timestamp;
    c.activeTracks = update.active.length;
  }

  private emitTrackChanges(update: TrackerUpdate, frameIndex: number, timestamp: number): void {
    const p = this.parts;
    for (const track of update.started) {
      this.counters.confirmedTrackIds.add(track.id);
      p.emit('track:new', { cameraIndex: p.cameraIndex, trackId: track.id, frameIndex, timestamp });
    }
    for (const track of update.lost) {
      const globalId = p.gallery?.get(p.cameraIndex, track.id)?.globalId;
      p.emit('track:lost', { cameraIndex: p.cameraIndex, trackId: track.id, globalId, frameIndex, timestamp });
    }
    for (const track of update.removed) {
      const globalId = p.gallery?.get(p.cameraIndex, track.id)?.globalId;
      p.gallery?.endTrack(p.cameraIndex, track.id);
      p.reidGate.forget(track.id);
      this.announcedIds.delete(track.id);
      for (const event of p.zoneMonitor.removeTrack(track.id, timestamp)) this.emitZoneEvent(event);
      if (track.confirmed) p.emit('track:removed', { cameraIndex: p.cameraIndex, trackId: track.id, globalId, frameIndex, timestamp });
    }
  }

  private async updateIdentities(frame: Frame, active: readonly Track[]): Promise<void> {
    const p = this.parts;
    const stages = this.counters.stages;
    const wanted: Track[] = [];
    for (const track of active) {
      if (track.detectionIndex < 0) continue; // predicted box only: no fresh appearance
      if (p.reidGate.wants(track.id, frame.frameIndex, track.x2 - track.x1, track.y2 - track.y1)) wanted.push(track);
    }
    if (wanted.length === 0) return;
    let t = performance.now();
    const embeddings = await p.embedder!.embed(frame, wanted);
    stages.reid += performance.now() - t;

    t = performance.now();
    for (let i = 0; i < wanted.length; i++) {
      const track = wanted[i]!;
      const assignment = p.gallery!.observe({
        cameraIndex: p.cameraIndex,
        trackId: track.id,
        embedding: embeddings[i]!,
        box: track,
        score: track.score,
        timestamp: frame.pts,
      });
      const uncertain = Math.abs(assignment.similarity - p.similarityThreshold) < UNCERTAIN_MARGIN;
      p.reidGate.embedded(track.id, frame.frameIndex, uncertain);
      this.announceIdentity(track.id, assignment, frame);
    }
    stages.identity += performance.now() - t;
  }

  /** Announces a track's first global id ('identity:assigned') and every later switch ('identity:changed'). */
  private announceIdentity(trackId: number, assignment: IdentityAssignment, frame: Frame): void {
    const p = this.parts;
    const announced = this.announcedIds.get(trackId);
    if (announced === assignment.globalId) return;
    this.announcedIds.set(trackId, assignment.globalId);
    p.emit(announced === undefined ? 'identity:assigned' : 'identity:changed', {
      cameraIndex: p.cameraIndex,
      trackId,
      globalId: assignment.globalId,
      previousGlobalId: announced,
      similarity: assignment.similarity,
      name: assignment.name,
      frameIndex: frame.frameIndex,
      timestamp: frame.pts,
    });
  }

  private emitZoneEvent(event: ZoneEvent): void {
    const p = this.parts;
    const payload = {
      cameraIndex: p.cameraIndex,
      zone: event.zone,
      trackId: event.trackId,
      globalId: event.globalId,
      frameIndex: event.frameIndex,
      timestamp: event.timestamp,
      dwell: event.dwell,
      occupancy: p.zoneMonitor.occupancy(event.zone),
    };
    p.emit(event.type === 'enter' ? 'zone:enter' : 'zone:exit', payload);
  }

  private async writeOutputs(frame: Frame, active: readonly Track[], identities: ReadonlyArray<IdentityAssignment | undefined>): Promise<void> {
    const p = this.parts;
    const stages = this.counters.stages;
    const boxes: OverlayBox[] = [];
    let t = performance.now();
    for (let i = 0; i < active.length; i++) {
      const track = active[i]!;
      const identity = identities[i];
      if (identity !== undefined) this.counters.globalIds.add(identity.globalId);
      const zones = p.zoneMonitor.zonesOf(track.id);
      const pending = p.outputs.csv.write({
        frameIndex: frame.frameIndex,
        timestamp: frame.pts,
        camera: p.cameraIndex,
        trackId: track.id,
        globalId: identity?.globalId,
        x1: track.x1,
        y1: track.y1,
        x2: track.x2,
        y2: track.y2,
        score: track.score,
        similarity: identity?.similarity,
        personName: identity?.name,
        zones,
      });
      if (pending !== undefined) await pending; // only when the CSV stream asks the writer to wait
      boxes.push({ x1: track.x1, y1: track.y1, x2: track.x2, y2: track.y2, trackId: track.id, globalId: identity?.globalId, name: identity?.name });
    }
    stages.csv += performance.now() - t;

    const wantPreview = p.previewInterval !== undefined && performance.now() - this.lastPreviewAt >= p.previewInterval * 1000;
    if (p.annotator === undefined || (p.outputs.video === undefined && !wantPreview)) return;
    t = performance.now();
    for (const zone of this.overlayZones) zone.count = p.zoneMonitor.occupancy(zone.name);
    const rgba = p.annotator.annotate(frame, { boxes, zones: this.overlayZones, header: `cam ${p.cameraIndex} · frame ${frame.frameIndex} · ${frame.pts.toFixed(2)} s` });
    stages.annotate += performance.now() - t;
    if (wantPreview) {
      this.lastPreviewAt = performance.now();
      p.emit('preview', { cameraIndex: p.cameraIndex, frameIndex: frame.frameIndex, width: frame.width, height: frame.height, rgba });
    }
    if (p.outputs.video !== undefined) {
      t = performance.now();
      await p.outputs.video.write(rgba);
      stages.encode += performance.now() - t;
    }
  }
}

