/**
 * The tracker's internal record of one track (ByteTrack's `STrack`): the public {@link Track}
 * fields plus the Kalman state. The tracker hands these very objects out, so a reader sees a
 * track's latest state; the fields below the public ones are the tracker's business.
 */
import { KALMAN_STATE_SIZE, type KalmanFilterXYAH } from './kalman-filter.js';
import { normalizedCopy, smoothEmbedding } from './matching.js';
import type { Track, TrackerDetection, TrackState } from './types.js';

export class TrackRecord implements Track {
  /** 0 until the track is confirmed; then a per-tracker id starting at 1. */
  id = 0;
  x1 = 0;
  y1 = 0;
  x2 = 0;
  y2 = 0;
  score: number;
  classId: number;
  state: TrackState = 'tracked';
  confirmed = false;
  startFrame: number;
  hits = 1;
  detectionIndex: number;
  embedding?: Float32Array;

  /** Kalman mean (x, y, a, h, vx, vy, va, vh). */
  readonly mean = new Float64Array(KALMAN_STATE_SIZE);
  /** Kalman covariance, 8×8 row-major. */
  readonly covariance = new Float64Array(KALMAN_STATE_SIZE * KALMAN_STATE_SIZE);
  /** Tracker frame of the last matched detection (ByteTrack's `frame_id` / `end_frame`). */
  lastFrame: number;
  /**
   * Reference mode: the frame in which this track ran past its lost buffer (0 = never). The
   * official ByteTrack marks such a track removed but leaves it in its lost list until the
   * next frame, where it can still be re-found; once marked, it is never kept as lost again.
   */
  expiredAt = 0;

  constructor(kalman: KalmanFilterXYAH, detection: TrackerDetection, detectionIndex: number, frame: number) {
    this.score = detection.score;
    this.classId = detection.classId;
    this.startFrame = frame;
    this.lastFrame = frame;
    this.detectionIndex = detectionIndex;
    if (detection.embedding !== undefined) this.embedding = normalizedCopy(detection.embedding);
    const w = detection.x2 - detection.x1;
    const h = detection.y2 - detection.y1;
    kalman.initiate(detection.x1 + w / 2, detection.y1 + h / 2, w / h, h, this.mean, this.covariance);
    this.syncBox();
  }

  /** Kalman step to the next frame; a track that is not tracked (lost) keeps its height. */
  predict(kalman: KalmanFilterXYAH): void {
    if (this.state !== 'tracked') this.mean[7] = 0;
    kalman.predict(this.mean, this.covariance);
    this.syncBox();
  }

  /** Corrects the state with a matched detection (ByteTrack's `update` and `re_activate`). */
  absorb(
    kalman: KalmanFilterXYAH,
    detection: TrackerDetection,
    detectionIndex: number,
    frame: number,
    embeddingMomentum: number,
  ): void {
    const w = detection.x2 - detection.x1;
    const h = detection.y2 - detection.y1;
    kalman.update(this.mean, this.covariance, detection.x1 + w / 2, detection.y1 + h / 2, w / h, h);
    this.syncBox();
    this.score = detection.score;
    this.classId = detection.classId;
    this.state = 'tracked';
    this.lastFrame = frame;
    this.detectionIndex = detectionIndex;
    this.hits++;
    if (detection.embedding !== undefined) {
      if (this.embedding === undefined) this.embedding = normalizedCopy(detection.embedding);
      else smoothEmbedding(this.embedding, detection.embedding, embeddingMomentum);
    }
  }

  /** Writes the box corners from the Kalman mean (centre, aspect ratio, height). */
  syncBox(): void {
    const m = this.mean;
    const h = m[3]!;
    const w = m[2]! * h;
    this.x1 = m[0]! - w / 2;
    this.y1 = m[1]! - h / 2;
    this.x2 = this.x1 + w;
    this.y2 = this.y1 + h;
  }

  /** Frames between the start and the last match, used to decide which duplicate survives. */
  get age(): number {
    return this.lastFrame - this.startFrame;
  }
}
