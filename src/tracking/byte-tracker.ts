/**
 * ByteTrack (Zhang et al., "ByteTrack: Multi-Object Tracking by Associating Every Detection
 * Box", ECCV 2022) with optional BoT-SORT-style appearance fusion. One instance per camera;
 * nothing is shared between instances.
 *
 * Per `update()`:
 * 1. Kalman-predict the confirmed tracked tracks and the lost ones.
 * 2. First association: those tracks × high-score detections (score > trackThreshold), cost
 *    1 − IoU·score (plus appearance when embeddings are present), optimal assignment with
 *    `matchThreshold`. Lost tracks matched here are re-found with their old id.
 * 3. Second association: still-unmatched tracked tracks × low-score detections
 *    (lowThreshold < score ≤ trackThreshold), plain IoU with `lowMatchThreshold`. Tracked tracks
 *    left over become lost.
 * 4. Unconfirmed tracks (seen in one frame) × leftover high-score detections with
 *    `unconfirmedMatchThreshold`: a match confirms the track, no match discards it.
 * 5. Leftover high-score detections scoring ≥ newTrackThreshold start unconfirmed tracks
 *    (confirmed at once on the tracker's first frame, as ByteTrack does).
 * 6. Lost tracks unmatched for more than `floor(frameRate / 30 × trackBuffer)` frames are removed;
 *    a tracked and a lost track overlapping with IoU > 0.85 are duplicates, the younger one goes.
 *
 * Deviations from the reference code in the `'default'` mode, all deliberate: ids are given
 * when a track is confirmed (so public ids are consecutive), not when it is created; a lost
 * track past its buffer is removed in that frame (ByteTrack keeps it one more frame by accident
 * of list bookkeeping); a detection scoring exactly `trackThreshold` counts as low-score instead
 * of being dropped; IoU is the plain continuous one; tracks dropped as duplicates are reported
 * as removed.
 *
 * `mode: 'reference'` undoes every one of those deviations and ignores embeddings, so that it
 * follows ifzhang/ByteTrack `yolox/tracker/byte_tracker.py` (commit d1bf019, `BYTETracker.update`,
 * lines 159–289) step by step; comments below cite those line numbers as `L…`. What it cannot
 * reproduce is the reference's tie-breaking between equal-cost assignments (`lap.lapjv`).
 * Removals are reported when a track really leaves the lists (one frame after the reference
 * marks it removed), and tracks dropped as duplicates are reported as removed.
 */
import { MulticamReidError } from '../errors.js';
import { KalmanFilterXYAH } from './kalman-filter.js';
import { LinearAssignment } from './linear-assignment.js';
import { boxIou, boxIouInclusive, fuseAppearance, fuseDetectionScores, iouDistances } from './matching.js';
import { maxFramesLost, resolveByteTrackerOptions, type ByteTrackerOptions } from './options.js';
import { TrackRecord } from './track-record.js';
import type { Track, TrackerDetection, TrackerUpdate } from './types.js';

/** A tracked and a lost track closer than this IoU distance are the same object twice. */
const DUPLICATE_IOU_DISTANCE = 0.15;

/**
 * Multi-object tracker for one camera.
 *
 * The `Track` objects in a {@link TrackerUpdate} are the tracker's live records: their fields
 * change on the next `update()`/`advance()`. Read them (or copy what you keep) before the next
 * call. The arrays themselves are fresh per call and never touched again by the tracker.
 *
 * @example
 * const tracker = new ByteTracker({ frameRate: 25 });
 * for (const detections of frames) {
 *   const { active, started, removed } = tracker.update(detections);
 *   for (const t of active) console.log(t.id, t.x1, t.y1, t.x2, t.y2);
 * }
 */
export class ByteTracker {
  /** The resolved options (defaults filled in). */
  readonly options: Readonly<ByteTrackerOptions>;
  private readonly kalman = new KalmanFilterXYAH();
  private readonly solver = new LinearAssignment();
  private readonly maxLost: number;
  /** `mode: 'reference'`: the official ByteTrack's exact behaviour. */
  private readonly reference: boolean;

  private frame = 0;
  private nextId = 1;
  private embeddingLength = -1;
  /** Tracks in the tracked state, confirmed or not (ByteTrack's `tracked_stracks`). */
  private tracked: TrackRecord[] = [];
  /** Confirmed tracks that lost their detection, kept for `maxLost` frames. */
  private lost: TrackRecord[] = [];

  // Per-frame scratch, grown on demand and reused.
  private pool: TrackRecord[] = [];
  private leftoverTracked: TrackRecord[] = [];
  private unconfirmed: TrackRecord[] = [];
  private rowEmbeddings: Array<Float32Array | undefined> = [];
  private colEmbeddings: Array<Float32Array | undefined> = [];
  private highIndex: Int32Array = new Int32Array(64);
  private lowIndex: Int32Array = new Int32Array(64);
  private leftoverHigh: Int32Array = new Int32Array(64);
  private rowBoxes: Float64Array = new Float64Array(256);
  private colBoxes: Float64Array = new Float64Array(256);
  private colScores: Float64Array = new Float64Array(64);
  private iou: Float64Array = new Float64Array(1024);
  private cost: Float64Array = new Float64Array(1024);

  /** @throws ConfigError `INVALID_OPTION` naming the bad option. */
  constructor(options: Partial<ByteTrackerOptions> = {}) {
    this.options = Object.freeze(resolveByteTrackerOptions(options));
    this.maxLost = maxFramesLost(this.options);
    this.reference = this.options.mode === 'reference';
  }

  /** Frames seen since construction or `reset()` (updates and advances). */
  get frameCount(): number {
    return this.frame;
  }

  /**
   * Associates one frame's detections with the tracks. Boxes in frame pixels; embeddings, when
   * given, L2-normalised and of one length.
   * @throws MulticamReidError `INVALID_DETECTION` for a non-finite or empty box, a non-finite
   *   score, or an embedding whose length differs from the ones seen before.
   */
  update(detections: readonly TrackerDetection[]): TrackerUpdate {
    this.validate(detections);
    const o = this.options;
    const frame = ++this.frame;
    this.clearDetectionIndices();

    // Split detections by score (L177–185: high `> track_thresh`; low `> 0.1` and, in the
    // reference, strictly `< track_thresh`, so a score of exactly track_thresh is dropped there).
    const reference = this.reference;
    let highCount = 0;
    let lowCount = 0;
    this.highIndex = ensureInt(this.highIndex, detections.length);
    this.lowIndex = ensureInt(this.lowIndex, detections.length);
    for (let d = 0; d < detections.length; d++) {
      const s = detections[d]!.score;
      if (s > o.trackThreshold) this.highIndex[highCount++] = d;
      else if (s > o.lowThreshold && (!reference || s < o.trackThreshold)) this.lowIndex[lowCount++] = d;
    }

    const pool = this.pool;
    const unconfirmed = this.unconfirmed;
    pool.length = 0;
    unconfirmed.length = 0;
    for (const t of this.tracked) (t.confirmed ? pool : unconfirmed).push(t);
    for (const t of this.lost) pool.push(t);
    for (const t of pool) t.predict(this.kalman);

    const refound: TrackRecord[] = [];
    const newlyLost: TrackRecord[] = [];
    const removed: TrackRecord[] = [];

    // 1. Confirmed tracked + lost tracks × high-score detections (L195–220).
    let m = this.associate(pool, detections, this.highIndex, highCount, o.matchThreshold, true);
    const leftoverTracked = this.leftoverTracked;
    leftoverTracked.length = 0;
    this.leftoverHigh = ensureInt(this.leftoverHigh, highCount);
    let leftoverHighCount = 0;
    for (let j = 0; j < highCount; j++) if (m.colToRow[j]! < 0) this.leftoverHigh[leftoverHighCount++] = this.highIndex[j]!;
    for (let i = 0; i < pool.length; i++) {
      const track = pool[i]!;
      const j = m.rowToCol[i]!;
      if (j < 0) {
        if (track.state === 'tracked') leftoverTracked.push(track);
        continue;
      }
      if (track.state === 'lost') refound.push(track);
      this.absorb(track, detections, this.highIndex[j]!, frame);
    }

    // 2. Remaining tracked tracks × low-score detections, IoU only (L222–247).
    m = this.associate(leftoverTracked, detections, this.lowIndex, lowCount, o.lowMatchThreshold, false);
    for (let i = 0; i < leftoverTracked.length; i++) {
      const track = leftoverTracked[i]!;
      const j = m.rowToCol[i]!;
      if (j >= 0) {
        this.absorb(track, detections, this.lowIndex[j]!, frame);
      } else {
        track.state = 'lost';
        newlyLost.push(track);
      }
    }

    // 3. Unconfirmed tracks × leftover high-score detections: confirm or discard (L249–261).
    m = this.associate(unconfirmed, detections, this.leftoverHigh, leftoverHighCount, o.unconfirmedMatchThreshold, true);
    const confirmedNow: TrackRecord[] = [];
    for (let i = 0; i < unconfirmed.length; i++) {
      const track = unconfirmed[i]!;
      const j = m.rowToCol[i]!;
      if (j >= 0) {
        this.absorb(track, detections, this.leftoverHigh[j]!, frame);
        track.confirmed = true;
        confirmedNow.push(track);
      } else {
        track.state = 'removed';
      }
    }
    let newCount = 0; // compact the still-unclaimed detections in place (newCount ≤ j)
    for (let j = 0; j < leftoverHighCount; j++) {
      if (m.colToRow[j]! < 0) this.leftoverHigh[newCount++] = this.leftoverHigh[j]!;
    }

    // 4. New tracks from the high-score detections nobody claimed (L263–269; the reference
    // draws the id here, in `activate`, even for tracks that are never confirmed).
    const created: TrackRecord[] = [];
    for (let k = 0; k < newCount; k++) {
      const d = this.leftoverHigh[k]!;
      const det = detections[d]!;
      if (det.score < o.newTrackThreshold) continue;
      const track = new TrackRecord(this.kalman, det, d, frame);
      if (reference) track.id = this.nextId++;
      if (frame === 1) {
        track.confirmed = true;
        confirmedNow.push(track);
      }
      created.push(track);
    }

    // 5. Lost tracks past their buffer (L271–274). The reference marks them removed but
    // subtracts only the removals of earlier frames from its lost list (L283–284), so such a
    // track stays matchable in the next frame's first association; it leaves in the
    // bookkeeping below one frame later, and a re-found one leaves as soon as it is lost again.
    for (const track of this.lost) {
      if (track.state !== 'lost' || frame - track.lastFrame <= this.maxLost) continue;
      if (!reference) {
        track.state = 'removed';
        removed.push(track);
      } else if (track.expiredAt === 0) {
        track.expiredAt = frame;
      }
    }

    // Bookkeeping in ByteTrack's order (L278–285): surviving tracked, then new, then re-found;
    // surviving lost, then newly lost; then duplicates.
    const nextTracked = this.tracked.filter((t) => t.state === 'tracked');
    for (const t of created) nextTracked.push(t);
    for (const t of refound) nextTracked.push(t);
    const nextLost: TrackRecord[] = [];
    for (const list of [this.lost, newlyLost]) {
      for (const t of list) {
        if (t.state !== 'lost') continue;
        if (t.expiredAt > 0 && t.expiredAt < frame) {
          t.state = 'removed';
          removed.push(t);
        } else {
          nextLost.push(t);
        }
      }
    }
    this.dropDuplicates(nextTracked, nextLost, removed);
    this.tracked = nextTracked.filter((t) => t.state === 'tracked');
    this.lost = nextLost.filter((t) => t.state === 'lost');

    const started: Track[] = [];
    for (const t of confirmedNow) {
      if (t.state !== 'tracked') continue; // discarded as a duplicate in the frame it was confirmed
      if (!reference) t.id = this.nextId++;
      started.push(t);
    }
    return {
      active: this.activeTracks(),
      started,
      lost: newlyLost.filter((t) => t.state === 'lost'),
      removed: removed.filter((t) => t.confirmed && t.id > 0),
    };
  }

  /**
   * Moves to the next frame without detections (detection stride): Kalman-predicts the
   * confirmed and lost tracks and reports the tracked ones at their predicted boxes
   * (`detectionIndex` −1). No association, no state changes; lost tracks past their buffer are
   * removed by the next `update()`.
   */
  advance(): TrackerUpdate {
    ++this.frame;
    this.clearDetectionIndices();
    for (const t of this.tracked) if (t.confirmed) t.predict(this.kalman);
    for (const t of this.lost) t.predict(this.kalman);
    return { active: this.activeTracks(), started: [], lost: [], removed: [] };
  }

  /** Forgets every track and restarts ids at 1 and the frame count at 0. */
  reset(): void {
    this.frame = 0;
    this.nextId = 1;
    this.embeddingLength = -1;
    this.tracked = [];
    this.lost = [];
  }

  /** Confirmed tracked tracks larger than `minBoxArea` — what ByteTrack outputs. */
  private activeTracks(): Track[] {
    const active: Track[] = [];
    const minArea = this.options.minBoxArea;
    for (const t of this.tracked) {
      if (t.confirmed && (t.x2 - t.x1) * (t.y2 - t.y1) > minArea) active.push(t);
    }
    return active;
  }

  /**
   * Builds the cost matrix between `tracks` and the detections listed in `index[0..count)`
   * and solves it with a cost limit. With `fused`, scores (and appearance) enter the cost.
   */
  private associate(
    tracks: readonly TrackRecord[],
    detections: readonly TrackerDetection[],
    index: Int32Array,
    count: number,
    limit: number,
    fused: boolean,
  ) {
    const rows = tracks.length;
    const cols = count;
    this.rowBoxes = ensureFloat(this.rowBoxes, rows * 4);
    this.colBoxes = ensureFloat(this.colBoxes, cols * 4);
    this.colScores = ensureFloat(this.colScores, cols);
    this.iou = ensureFloat(this.iou, rows * cols);
    this.cost = ensureFloat(this.cost, rows * cols);
    const { rowBoxes, colBoxes, colScores, iou, cost } = this;

    let withEmbeddings = false;
    this.rowEmbeddings.length = rows;
    this.colEmbeddings.length = cols;
    for (let i = 0; i < rows; i++) {
      const t = tracks[i]!;
      rowBoxes[i * 4] = t.x1;
      rowBoxes[i * 4 + 1] = t.y1;
      rowBoxes[i * 4 + 2] = t.x2;
      rowBoxes[i * 4 + 3] = t.y2;
      this.rowEmbeddings[i] = t.embedding;
    }
    for (let j = 0; j < cols; j++) {
      const d = detections[index[j]!]!;
      colBoxes[j * 4] = d.x1;
      colBoxes[j * 4 + 1] = d.y1;
      colBoxes[j * 4 + 2] = d.x2;
      colBoxes[j * 4 + 3] = d.y2;
      colScores[j] = d.score;
      this.colEmbeddings[j] = d.embedding;
      if (d.embedding !== undefined) withEmbeddings = true;
    }

    iouDistances(rowBoxes, rows, colBoxes, cols, iou, this.reference);
    if (fused && this.options.fuseScore) fuseDetectionScores(iou, rows, cols, colScores, cost);
    else cost.set(iou.subarray(0, rows * cols));
    if (fused && withEmbeddings && !this.reference) {
      fuseAppearance(cost, iou, rows, cols, this.rowEmbeddings, this.colEmbeddings, this.options);
    }
    if (this.options.assignment === 'lapjv') return this.solver.solveWithLimit(cost, rows, cols, limit);
    // 'max-matches': pairs above the limit are forbidden, then as many pairs as possible.
    const n = rows * cols;
    for (let k = 0; k < n; k++) if (cost[k]! > limit) cost[k] = Number.NaN;
    return this.solver.solveMaxCardinality(cost, rows, cols);
  }

  private absorb(track: TrackRecord, detections: readonly TrackerDetection[], d: number, frame: number): void {
    track.absorb(this.kalman, detections[d]!, d, frame, this.options.embeddingMomentum);
  }

  /** ByteTrack's `remove_duplicate_stracks` (L317–330): of two near-identical boxes, the younger track goes. */
  private dropDuplicates(tracked: TrackRecord[], lost: TrackRecord[], removed: TrackRecord[]): void {
    if (tracked.length === 0 || lost.length === 0) return;
    for (const a of tracked) {
      for (const b of lost) {
        if (iouDistanceOf(a, b, this.reference) >= DUPLICATE_IOU_DISTANCE) continue;
        const loser = a.age > b.age ? b : a;
        if (loser.state !== 'removed') {
          loser.state = 'removed';
          removed.push(loser);
        }
      }
    }
  }

  private clearDetectionIndices(): void {
    for (const t of this.tracked) t.detectionIndex = -1;
    for (const t of this.lost) t.detectionIndex = -1;
  }

  private validate(detections: readonly TrackerDetection[]): void {
    for (let d = 0; d < detections.length; d++) {
      const det = detections[d]!;
      const { x1, y1, x2, y2, score } = det;
      if (![x1, y1, x2, y2, score].every(Number.isFinite) || !(x2 > x1) || !(y2 > y1)) {
        throw new MulticamReidError(
          'INVALID_DETECTION',
          `detection ${d} has box (${x1}, ${y1}, ${x2}, ${y2}) and score ${score}; expected finite numbers with x2 > x1 and y2 > y1`,
          { culprit: `detections[${d}]` },
        );
      }
      const e = det.embedding;
      if (e === undefined) continue;
      if (this.embeddingLength < 0) this.embeddingLength = e.length;
      if (e.length !== this.embeddingLength || e.length === 0) {
        throw new MulticamReidError(
          'INVALID_DETECTION',
          `detection ${d} has an embedding of length ${e.length}; this tracker has seen length ${this.embeddingLength} — use one ReID model per tracker`,
          { culprit: `detections[${d}].embedding` },
        );
      }
    }
  }
}

function iouDistanceOf(a: Track, b: Track, inclusive: boolean): number {
  const iou = inclusive ? boxIouInclusive : boxIou;
  return 1 - iou(a.x1, a.y1, a.x2, a.y2, b.x1, b.y1, b.x2, b.y2);
}

function ensureInt(buffer: Int32Array, size: number): Int32Array {
  return buffer.length >= size ? buffer : new Int32Array(Math.ceil(size * 1.5));
}

function ensureFloat(buffer: Float64Array, size: number): Float64Array {
  return buffer.length >= size ? buffer : new Float64Array(Math.ceil(size * 1.5));
}
