/**
 * One camera's processing loop: Frame → detections → tracks → identities → zone events →
 * annotated video, CSV rows and events. Cameras run independently; the detector, the
 * embedder and the identity gallery are shared by all of them.
 */
import diagnosticsChannel from 'node:diagnostics_channel';
import { performance } from 'node:perf_hooks';
import { MulticamReidError, toLibraryError } from '../errors.js';
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
import type { CameraStatus } from './camera-status.js';
import type { EmitFn, StageTimings } from './events.js';
import type { ReidGate } from './reid-gate.js';

/** Everything one camera's loop needs; built by its CameraSession. */
export interface CameraWorkerParts {
  cameraIndex: number;
  reader: StreamReader;
  status: CameraStatus;
  detector: PersonDetector;
  embedder?: ReidEmbedder;
  gallery?: IdentityGallery;
  tracker: ByteTracker;
  reidGate: ReidGate;
  zoneMonitor: ZoneMonitor;
  annotator?: FrameAnnotator;
  /** The camera's CSV and video writers (closed by the session, not by the loop). */
  outputs: CameraOutputs;
  detectionStride: number;
  similarityThreshold: number;
  previewInterval?: number;
  emit: EmitFn;
}

/** Counters the session reads for the result. */
export interface CameraCounters {
  detectedFrames: number;
  detections: number;
  /** Tracks confirmed so far (track ids are handed out in increasing order, so a count suffices). */
  confirmedTracks: number;
  /** Global identities seen by this camera, up to {@link MAX_LISTED_GLOBAL_IDS}. */
  globalIds: Set<number>;
  /** True when more identities were seen than are listed. */
  globalIdsTruncated: boolean;
  stages: StageTimings;
}

/** Global ids a camera lists in its result; a 24/7 camera sees more, which are only flagged. */
export const MAX_LISTED_GLOBAL_IDS = 10_000;

/** How the loop ended. */
export type LoopOutcome = { kind: 'stopped' } | { kind: 'ended' } | { kind: 'failed'; error: MulticamReidError };

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
  readonly counters: CameraCounters = { detectedFrames: 0, detections: 0, confirmedTracks: 0, globalIds: new Set(), globalIdsTruncated: false, stages: emptyStageTimings() };
  private lastPreviewAt = 0;
  /** Zone polygons as drawn on the video; only their counts change per frame. */
  private readonly overlayZones: OverlayZone[];
  /** The global id last announced per local track, so each assignment and switch is announced once. */
  private readonly announcedIds = new Map<number, number>();

  constructor(readonly parts: CameraWorkerParts) {
    this.overlayZones = parts.zoneMonitor.pixelZones.map((z) => ({ name: z.name, polygon: z.polygon, color: z.color, count: 0 }));
  }

  /**
   * Processes frames until the source ends or `signal` aborts. Never throws: a failure is
   * returned, so the other cameras go on.
   *
   * One frame ahead: while frame n is tracked, embedded, annotated and encoded, frame n+1 is
   * already read and its detection runs in an inference worker. So a camera keeps the
   * detector busy while its own main-thread work runs, at the cost of holding one more frame.
   */
  async run(signal: AbortSignal): Promise<LoopOutcome> {
    const stages = this.counters.stages;
    let next = this.prepare(signal);
    try {
      for (;;) {
        if (signal.aborted) return { kind: 'stopped' };
        const t = performance.now();
        const prepared = await next;
        stages.read += performance.now() - t;
        if (prepared === null) return signal.aborted ? { kind: 'stopped' } : { kind: 'ended' };
        next = this.prepare(signal);
        await this.processFrame(prepared.frame, prepared.detections);
      }
    } catch (error) {
      if (signal.aborted) return { kind: 'stopped' };
      return { kind: 'failed', error: toLibraryError(error, `processing camera ${this.parts.cameraIndex}`) };
    } finally {
      // A look-ahead left behind when the loop stops early settles on its own (the reader is
      // released, the detection finishes); nothing awaits it any more.
      next.then((p) => p?.detections?.catch(() => undefined)).catch(() => undefined);
    }
  }

  /** Closes the zone visits still open at the end of the camera's run. */
  finishZones(): void {
    for (const event of this.parts.zoneMonitor.finish(this.parts.status.position)) this.emitZoneEvent(event);
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

  /** The per-frame path: detect → track → identify → zones → outputs. */
  private async processFrame(frame: Frame, pendingDetections: Promise<Detection[]> | undefined): Promise<void> {
    const p = this.parts;
    const stages = this.counters.stages;

    let t = performance.now();
    let update: TrackerUpdate;
    if (pendingDetections !== undefined) {
      // Wall time this camera waits for its detections (they started while the previous frame was processed).
      const detections = await pendingDetections;
      stages.detect += performance.now() - t;
      this.counters.detectedFrames += 1;
      this.counters.detections += detections.length;
      t = performance.now();
      update = p.tracker.update(detections);
    } else {
      update = p.tracker.advance();
    }
    stages.track += performance.now() - t;
    this.emitTrackChanges(update, frame);

    if (p.embedder !== undefined && p.gallery !== undefined) await this.updateIdentities(frame, update.active);

    t = performance.now();
    const identities = update.active.map((track) => p.gallery?.get(p.cameraIndex, track.id));
    const zoneInput = update.active.map((track, i) => ({ id: track.id, globalId: identities[i]?.globalId, x1: track.x1, y1: track.y1, x2: track.x2, y2: track.y2, confirmed: track.confirmed }));
    for (const event of p.zoneMonitor.update(zoneInput, frame.frameIndex, frame.pts)) this.emitZoneEvent(event);
    stages.zones += performance.now() - t;

    await this.writeOutputs(frame, update.active, identities);
    if (frameProcessed.hasSubscribers) {
      const message: FrameProcessedMessage = { cameraIndex: p.cameraIndex, frameIndex: frame.frameIndex, capturedAt: frame.capturedAt, processedAt: Date.now(), detected: pendingDetections !== undefined };
      frameProcessed.publish(message);
    }
    p.status.frameProcessed(frame.pts, update.active.length);
  }

  private emitTrackChanges(update: TrackerUpdate, frame: Frame): void {
    const p = this.parts;
    const at = { frameIndex: frame.frameIndex, timestamp: frame.pts };
    for (const track of update.started) {
      this.counters.confirmedTracks++;
      p.emit('track:new', { cameraIndex: p.cameraIndex, trackId: track.id, ...at });
    }
    for (const track of update.lost) {
      const globalId = p.gallery?.get(p.cameraIndex, track.id)?.globalId;
      p.emit('track:lost', { cameraIndex: p.cameraIndex, trackId: track.id, globalId, ...at });
    }
    for (const track of update.removed) {
      const globalId = p.gallery?.get(p.cameraIndex, track.id)?.globalId;
      p.gallery?.endTrack(p.cameraIndex, track.id);
      p.reidGate.forget(track.id);
      this.announcedIds.delete(track.id);
      for (const event of p.zoneMonitor.removeTrack(track.id, frame.pts)) this.emitZoneEvent(event);
      if (track.confirmed) p.emit('track:removed', { cameraIndex: p.cameraIndex, trackId: track.id, globalId, ...at });
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
      const assignment = p.gallery!.observe({ cameraIndex: p.cameraIndex, trackId: track.id, embedding: embeddings[i]!, box: track, score: track.score, timestamp: frame.pts });
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

  private noteGlobalId(globalId: number): void {
    const ids = this.counters.globalIds;
    if (ids.has(globalId)) return;
    if (ids.size < MAX_LISTED_GLOBAL_IDS) ids.add(globalId);
    else this.counters.globalIdsTruncated = true;
  }

  private emitZoneEvent(event: ZoneEvent): void {
    const p = this.parts;
    const payload = { cameraIndex: p.cameraIndex, zone: event.zone, trackId: event.trackId, globalId: event.globalId, frameIndex: event.frameIndex, timestamp: event.timestamp, dwell: event.dwell, occupancy: p.zoneMonitor.occupancy(event.zone) };
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
      if (identity !== undefined) this.noteGlobalId(identity.globalId);
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
        zones: p.zoneMonitor.zonesOf(track.id),
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
      // Timed: a live camera's dropped frames and outages keep their place on the video's timeline.
      await p.outputs.video.writeAt(rgba, frame.pts);
      stages.encode += performance.now() - t;
    }
  }
}
