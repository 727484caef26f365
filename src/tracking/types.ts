import type { Detection } from '../models/types.js';

/** A detection handed to a tracker, optionally with a L2-normalised appearance embedding. */
export interface TrackerDetection extends Detection {
  embedding?: Float32Array;
}

/** Lifecycle state of a track, as in ByteTrack. */
export type TrackState = 'tracked' | 'lost' | 'removed';

/** A tracked object as reported by {@link ByteTracker.update}. Box in frame pixels. */
export interface Track {
  /** Local track id, unique within one tracker (one camera), starting at 1. */
  id: number;
  x1: number;
  y1: number;
  x2: number;
  y2: number;
  /** Score of the last matched detection. */
  score: number;
  classId: number;
  state: TrackState;
  /** True once the track is activated (confirmed) as ByteTrack does. */
  confirmed: boolean;
  /** Frame number (tracker's own counter, 1-based) where the track started. */
  startFrame: number;
  /** Number of frames the track has been matched since it started. */
  hits: number;
  /** Index into the detections passed to the latest `update()`, or -1 when not matched in it. */
  detectionIndex: number;
  /** Exponentially smoothed appearance embedding when embeddings are supplied. */
  embedding?: Float32Array;
}

/** What one tracker step changed. */
export interface TrackerUpdate {
  /** Confirmed tracks matched or still tracked in this frame (what ByteTrack outputs). */
  active: Track[];
  /** Tracks that became confirmed in this frame. */
  started: Track[];
  /** Confirmed tracks that lost their detection in this frame. */
  lost: Track[];
  /** Tracks removed in this frame (lost for longer than the buffer). */
  removed: Track[];
}
