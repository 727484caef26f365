/**
 * One camera's processing loop: Frame → detections → tracks → identities → zone events →
 * annotated video, CSV rows and events. Cameras run independently; the detector, the
 * embedder and the identity gallery are shared by all of them.
 */
import diagnosticsChannel from 'node:diagnostics_channel';
import { performance } from 'node:perf_hooks';
import { MulticamReidError, toLibraryError } from '../errors.js';
import type { Frame, ImageView } from '../streams/frame.js';
import type { StreamReader } from '../streams/stream-reader.js';
import type { PersonDetector } from '../models/person-detector.js';
import type { Detection } from '../models/types.js';
import type { ReidEmbedder } from '../models/reid-embedder.js';
import type { ByteTracker } from '../tracking/byte-tracker.js';
import type { Track, TrackerDetection, TrackerUpdate } from '../tracking/types.js';
import type { IdentityRegistry } from '../identity/types.js';
import type { IdentityAssignment } from '../identity/types.js';
import { judgeCrop, type CropQualityOptions } from '../identity/crop-quality.js';
import type { ZoneEvent, ZoneMonitor, ZoneTrackInput } from '../zones/index.js';
import type { FrameAnnotator, OverlayBox, OverlayLine, OverlayTrail, OverlayZone } from '../output/annotator.js';
import { copyCrop, type CameraIdentityAlbum, type CropImage } from '../output/identity-album.js';
import type { TrackCsvRow } from '../output/tracks-csv.js';
import type { CameraOutputs } from './camera-outputs.js';
import { LateRows } from './late-rows.js';
import type { OccupancyHeatmap } from '../output/heatmap.js';
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
  /** The job's identities: its gallery here, or a distributed worker's view of the shared one. */
  gallery?: IdentityRegistry;
  tracker: ByteTracker;
  reidGate: ReidGate;
  zoneMonitor: ZoneMonitor;
  annotator?: FrameAnnotator;
  /** The camera's CSV and video writers (closed by the session, not by the loop). */
  outputs: CameraOutputs;
  /** Where ended tracks leave their identity and best crop (`identities.json`). */
  album: CameraIdentityAlbum;
  /** The rules of a good ReID crop. */
  cropQuality: Readonly<CropQualityOptions>;
  /** Frames the CSV is written behind processing, so a track's first rows carry its settled id. */
  csvDelayFrames: number;
  /**
   * Embed detections scoring at least this before tracking, so the tracker fuses appearance
   * (undefined: no fusion; the gallery's crops are embedded after tracking).
   */
  fuseAbove?: number;
  /** Where people stood over the camera's run (`heatmap_….png`); drawn into the video when `heatmapInVideo`. */
  heatmap?: OccupancyHeatmap;
  heatmapInVideo: boolean;
  /** Positions kept per track for its trail on the video (0: no trails). */
  trailLength: number;
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
const NO_DETECTIONS: Detection[] = [];

/** A frame taken from the reader, with its detection already under way when it is a detection frame. */
interface PreparedFrame {
  frame: Frame;
  detections?: Promise<Detection[]>;
}

/** How close to the threshold a similarity must be for the identity to stay "uncertain". */
const UNCERTAIN_MARGIN = 0.05;

/** What the loop remembers of one track while it is held by the tracker (and a little after, for the late CSV rows). */
interface TrackMemo {
  /** The identity last announced, once decided. */
  identity?: IdentityAssignment;
  firstSeen: number;
  lastSeen: number;
  /** Best good crop so far, for `identities/`. */
  crop?: CropImage;
  /** The tracker holds it as lost (occluded). */
  lost: boolean;
  /** Set when the tracker removed it: forgotten once the late CSV rows are written. */
  removedAtFrame?: number;
  /** The last box it had, for the zone monitor while it is lost. */
  box: ZoneTrackInput;
  /** Recent anchor points (bottom-centre), oldest first, for its trail: `[x0, y0, x1, y1, …]`. */
  trail?: number[];
}

export class CameraWorker {
  readonly counters: CameraCounters = { detectedFrames: 0, detections: 0, confirmedTracks: 0, globalIds: new Set(), globalIdsTruncated: false, stages: emptyStageTimings() };
  private lastPreviewAt = 0;
  /** Zone polygons and counting lines as drawn on the video; only their counts change per frame. */
  private readonly overlayZones: OverlayZone[];
  private readonly overlayLines: OverlayLine[];
  /** Every track the tracker holds (tracked or lost), plus removed ones until their late rows are out. */
  private readonly tracks = new Map<number, TrackMemo>();
  private readonly csv: LateRows;
  private lastFrameIndex = -1;
  /** A clean copy of the camera's first frame: the background of its heatmap. */
  private background: ImageView | undefined;
  /** The frame the video writer holds until the next one is written (timed writing); released then. */
  private shown: Frame | undefined;

  constructor(readonly parts: CameraWorkerParts) {
    this.overlayZones = parts.zoneMonitor.pixelZones.map((z) => ({ name: z.name, polygon: z.polygon, color: z.color, count: 0 }));
    this.overlayLines = parts.zoneMonitor.pixelLines.map((l) => ({ name: l.name, line: l.line, color: l.color, in: 0, out: 0 }));
    this.csv = new LateRows(parts.outputs.csv, parts.csvDelayFrames, (trackId) => this.tracks.get(trackId)?.identity);
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
      // released, the detection finishes); its frame goes back to the pool once the detector
      // no longer reads it.
      next
        .then((p) => {
          if (p === null) return;
          void (p.detections ?? Promise.resolve()).catch(() => undefined).finally(() => p.frame.release());
        })
        .catch(() => undefined);
    }
  }

  /** The camera's heatmap over its first frame, as `heatmap_….png` (when the camera ran and has a heatmap). */
  async writeHeatmap(file: string): Promise<boolean> {
    if (this.parts.heatmap === undefined || this.background === undefined) return false;
    await this.parts.heatmap.writePng(file, this.background);
    return true;
  }

  /**
   * Ends the camera's run: every track still held ends (its identity decided, its crop in the
   * album), the zone visits still open close, and the late CSV rows are written.
   */
  async finish(): Promise<void> {
    for (const [trackId, memo] of this.tracks) if (memo.removedAtFrame === undefined) this.endTrack(trackId, memo, this.lastFrameIndex);
    for (const event of this.parts.zoneMonitor.finish()) this.emitZoneEvent(event);
    await this.csv.flush();
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
    let detections: TrackerDetection[] = NO_DETECTIONS;
    if (pendingDetections !== undefined) {
      // Wall time this camera waits for its detections (they started while the previous frame was processed).
      detections = await pendingDetections;
      stages.detect += performance.now() - t;
      this.counters.detectedFrames += 1;
      this.counters.detections += detections.length;
      if (p.fuseAbove !== undefined && p.embedder !== undefined) detections = await this.embedDetections(frame, detections, p.fuseAbove);
      t = performance.now();
      update = p.tracker.update(detections);
    } else {
      update = p.tracker.advance();
    }
    stages.track += performance.now() - t;
    this.lastFrameIndex = frame.frameIndex;
    this.followTracks(update, frame);

    if (p.embedder !== undefined && p.gallery !== undefined) await this.updateIdentities(frame, update.active, detections);

    t = performance.now();
    const held: ZoneTrackInput[] = [];
    this.tracks.forEach((memo) => {
      if (memo.removedAtFrame === undefined) held.push(memo.box);
    });
    for (const event of p.zoneMonitor.update(held, frame.frameIndex, frame.pts)) this.emitZoneEvent(event);
    for (const crossing of p.zoneMonitor.lastCrossings) p.emit('line:cross', { cameraIndex: p.cameraIndex, ...crossing });
    for (const track of update.removed) for (const event of p.zoneMonitor.removeTrack(track.id)) this.emitZoneEvent(event);
    stages.zones += performance.now() - t;

    if (p.heatmap !== undefined) {
      this.background ??= { width: frame.width, height: frame.height, pixelFormat: frame.pixelFormat, data: frame.data.slice() };
      p.heatmap.add(update.active, frame.pts);
    }
    await this.writeOutputs(frame, update.active);
    this.doneWith(frame);
    this.forgetWrittenTracks(frame.frameIndex);
    if (frameProcessed.hasSubscribers) {
      const message: FrameProcessedMessage = { cameraIndex: p.cameraIndex, frameIndex: frame.frameIndex, capturedAt: frame.capturedAt, processedAt: Date.now(), detected: pendingDetections !== undefined };
      frameProcessed.publish(message);
    }
    p.status.frameProcessed(frame.pts, update.active.length);
  }

  /** Embeds the detections scoring at least `floor` (one batch) and returns them with their embeddings, for appearance fusion. */
  private async embedDetections(frame: Frame, detections: Detection[], floor: number): Promise<TrackerDetection[]> {
    const confident = detections.filter((d) => d.score >= floor);
    if (confident.length === 0) return detections;
    const t = performance.now();
    const embeddings = await this.parts.embedder!.embed(frame, confident);
    this.counters.stages.reid += performance.now() - t;
    const byDetection = new Map(confident.map((d, i) => [d, embeddings[i]!]));
    return detections.map((d) => {
      const embedding = byDetection.get(d);
      return embedding === undefined ? d : { ...d, embedding };
    });
  }

  /** Keeps {@link tracks} in step with the tracker, and announces its changes. */
  private followTracks(update: TrackerUpdate, frame: Frame): void {
    for (const track of update.active) {
      let memo = this.tracks.get(track.id);
      if (memo === undefined || memo.removedAtFrame !== undefined) {
        memo = { firstSeen: frame.pts, lastSeen: frame.pts, lost: false, box: { id: track.id, x1: 0, y1: 0, x2: 0, y2: 0, confirmed: true } };
        this.tracks.set(track.id, memo);
      }
      memo.lost = false;
      memo.lastSeen = frame.pts;
      memo.box = { id: track.id, globalId: memo.identity?.globalId, x1: track.x1, y1: track.y1, x2: track.x2, y2: track.y2, confirmed: track.confirmed };
      if (this.parts.trailLength > 0) {
        const trail = (memo.trail ??= []);
        trail.push((track.x1 + track.x2) / 2, track.y2);
        if (trail.length > 2 * this.parts.trailLength) trail.splice(0, 2);
      }
    }
    for (const track of update.lost) {
      const memo = this.tracks.get(track.id);
      if (memo === undefined) continue;
      memo.lost = true;
      memo.box = { ...memo.box, lost: true };
    }
    this.emitTrackChanges(update, frame);
  }

  /**
   * Gives a processed frame's buffer back to the reader's pool. The video writer holds the
   * latest frame until the next one is written (it repeats it to fill gaps), so that one is
   * given back one frame later.
   */
  private doneWith(frame: Frame): void {
    if (this.parts.outputs.video === undefined) {
      frame.release();
      return;
    }
    this.shown?.release();
    this.shown = frame;
  }

  /** Releases the frame the video writer held: call once the writer is closed. */
  releaseShownFrame(): void {
    this.shown?.release();
    this.shown = undefined;
  }

  /** Drops the memo of removed tracks whose late CSV rows have all been written. */
  private forgetWrittenTracks(frameIndex: number): void {
    // forEach: a per-frame loop with no [key, value] pair allocated per entry.
    this.tracks.forEach((memo, trackId) => {
      if (memo.removedAtFrame !== undefined && frameIndex - memo.removedAtFrame > this.parts.csvDelayFrames) this.tracks.delete(trackId);
    });
  }

  private emitTrackChanges(update: TrackerUpdate, frame: Frame): void {
    const p = this.parts;
    const at = { frameIndex: frame.frameIndex, timestamp: frame.pts };
    for (const track of update.started) {
      this.counters.confirmedTracks++;
      p.emit('track:new', { cameraIndex: p.cameraIndex, trackId: track.id, ...at });
    }
    for (const track of update.lost) {
      p.emit('track:lost', { cameraIndex: p.cameraIndex, trackId: track.id, globalId: this.tracks.get(track.id)?.identity?.globalId, ...at });
    }
    for (const track of update.removed) {
      const memo = this.tracks.get(track.id);
      if (memo !== undefined && memo.removedAtFrame === undefined) this.endTrack(track.id, memo, frame.frameIndex);
      p.reidGate.forget(track.id);
      if (track.confirmed) p.emit('track:removed', { cameraIndex: p.cameraIndex, trackId: track.id, globalId: memo?.identity?.globalId, ...at });
    }
  }

  /** A track ends: its identity is decided for good (rows still held get it) and it joins the album. */
  private endTrack(trackId: number, memo: TrackMemo, frameIndex: number): void {
    const p = this.parts;
    memo.removedAtFrame = frameIndex;
    const final = p.gallery?.endTrack(p.cameraIndex, trackId);
    if (final !== undefined) this.announceIdentity(trackId, memo, final, frameIndex, memo.lastSeen);
    if (memo.identity !== undefined) {
      p.album.addTrack({ trackId, globalId: memo.identity.globalId, name: memo.identity.name, firstSeen: memo.firstSeen, lastSeen: memo.lastSeen, crop: memo.crop });
      this.noteGlobalId(memo.identity.globalId);
    }
    memo.crop = undefined;
  }

  /**
   * Appearance: the good crops of this frame's detections (see judgeCrop) of tracks the ReID
   * gate wants are embedded in one batch — from the detection box, not the smoothed track box —
   * and folded into their tracks' descriptors; every other tracked track is only `touch`ed, so
   * the gallery knows when it was seen.
   */
  private async updateIdentities(frame: Frame, active: readonly Track[], detections: readonly TrackerDetection[]): Promise<void> {
    const p = this.parts;
    const gallery = p.gallery!;
    const stages = this.counters.stages;
    const wanted: Track[] = [];
    const boxes: Detection[] = [];
    const qualities: number[] = [];
    for (const track of active) {
      if (track.detectionIndex < 0 || !track.confirmed) continue; // predicted box only: no fresh appearance
      const quality = judgeCrop(detections, track.detectionIndex, frame.width, frame.height, p.cropQuality);
      if (quality.good && p.reidGate.wants(track.id, frame.frameIndex, track.x2 - track.x1, track.y2 - track.y1)) {
        wanted.push(track);
        boxes.push(detections[track.detectionIndex]!);
        qualities.push(quality.score);
      } else {
        const decided = gallery.touch(p.cameraIndex, track.id, frame.pts);
        if (decided !== undefined) this.announceIdentity(track.id, this.tracks.get(track.id)!, decided, frame.frameIndex, frame.pts);
      }
    }
    if (wanted.length === 0) return;
    let t = performance.now();
    // With appearance fusion most detections already carry their embeddings: embed the others.
    const missing = boxes.filter((b) => (b as TrackerDetection).embedding === undefined);
    const fresh = missing.length > 0 ? await p.embedder!.embed(frame, missing) : [];
    const embeddings = boxes.map((b) => (b as TrackerDetection).embedding ?? fresh[missing.indexOf(b)]!);
    stages.reid += performance.now() - t;

    t = performance.now();
    for (let i = 0; i < wanted.length; i++) {
      const track = wanted[i]!;
      const box = boxes[i]!;
      const memo = this.tracks.get(track.id)!;
      const assignment = gallery.observe({ cameraIndex: p.cameraIndex, trackId: track.id, embedding: embeddings[i]!, box, score: box.score, trusted: true, timestamp: frame.pts });
      const uncertain = assignment === undefined || Math.abs(assignment.similarity - p.similarityThreshold) < UNCERTAIN_MARGIN;
      p.reidGate.embedded(track.id, frame.frameIndex, uncertain);
      if (qualities[i]! > (memo.crop?.quality ?? 0)) memo.crop = copyCrop(frame, box, qualities[i]!);
      if (assignment !== undefined) this.announceIdentity(track.id, memo, assignment, frame.frameIndex, frame.pts);
    }
    stages.identity += performance.now() - t;
  }

  /** Announces a track's first global id ('identity:assigned') and every later switch ('identity:changed'). */
  private announceIdentity(trackId: number, memo: TrackMemo, assignment: IdentityAssignment, frameIndex: number, timestamp: number): void {
    const p = this.parts;
    const announced = memo.identity?.globalId;
    memo.identity = assignment;
    if (announced === assignment.globalId) return;
    p.emit(announced === undefined ? 'identity:assigned' : 'identity:changed', {
      cameraIndex: p.cameraIndex,
      trackId,
      globalId: assignment.globalId,
      previousGlobalId: announced,
      similarity: assignment.similarity,
      name: assignment.name,
      frameIndex,
      timestamp,
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
    const payload = { cameraIndex: p.cameraIndex, zone: event.zone, trackId: event.trackId, globalId: event.globalId, frameIndex: event.frameIndex, timestamp: event.timestamp, dwell: event.dwell, reason: event.reason, occupancy: p.zoneMonitor.occupancy(event.zone) };
    p.emit(event.type === 'enter' ? 'zone:enter' : 'zone:exit', payload);
  }

  private async writeOutputs(frame: Frame, active: readonly Track[]): Promise<void> {
    const p = this.parts;
    const stages = this.counters.stages;
    const boxes: OverlayBox[] = [];
    const rows: TrackCsvRow[] = [];
    let t = performance.now();
    for (const track of active) {
      const identity = this.tracks.get(track.id)?.identity;
      rows.push({
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
      boxes.push({ x1: track.x1, y1: track.y1, x2: track.x2, y2: track.y2, trackId: track.id, globalId: identity?.globalId, name: identity?.name });
    }
    await this.csv.push(rows);
    stages.csv += performance.now() - t;

    const wantPreview = p.previewInterval !== undefined && performance.now() - this.lastPreviewAt >= p.previewInterval * 1000;
    if (p.annotator === undefined || (p.outputs.video === undefined && !wantPreview)) return;
    t = performance.now();
    for (const zone of this.overlayZones) zone.count = p.zoneMonitor.occupancy(zone.name);
    for (const line of this.overlayLines) {
      const counts = p.zoneMonitor.lineCounts(line.name);
      line.in = counts.in;
      line.out = counts.out;
    }
    if (p.heatmapInVideo) p.heatmap?.blendInto(frame.data, frame.pixelFormat);
    const trails: OverlayTrail[] = [];
    if (p.trailLength > 0) for (const memo of this.tracks.values()) if (memo.trail !== undefined && memo.removedAtFrame === undefined && !memo.lost) trails.push({ points: memo.trail, globalId: memo.identity?.globalId });
    // Drawn into the frame itself: the encoder takes the annotated frame as it is.
    const pixels = p.annotator.annotate(frame, { boxes, zones: this.overlayZones, lines: this.overlayLines, trails, header: `cam ${p.cameraIndex} · frame ${frame.frameIndex} · ${frame.pts.toFixed(2)} s` });
    stages.annotate += performance.now() - t;
    if (wantPreview) {
      this.lastPreviewAt = performance.now();
      p.emit('preview', { cameraIndex: p.cameraIndex, frameIndex: frame.frameIndex, width: frame.width, height: frame.height, data: pixels, pixelFormat: frame.pixelFormat });
    }
    if (p.outputs.video !== undefined) {
      t = performance.now();
      // Timed: a live camera's dropped frames and outages keep their place on the video's timeline.
      await p.outputs.video.writeAt(pixels, frame.pts);
      stages.encode += performance.now() - t;
    }
  }
}
