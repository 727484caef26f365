/**
 * A job's tracks CSV rows as MOTChallenge records, for scoring. Decoded frame k of a camera
 * (the CSV's 0-based `frame_index`) is MOT frame k + 1, as for the TUD videos.
 */
import type { TrackCsvRow } from '../output/tracks-csv.js';
import type { MotRecord } from './mot-file.js';

/** Which id of a row becomes the MOT id. */
export type HypothesisId = 'track' | 'global';

export interface TracksToMotOptions {
  /**
   * `'track'`: the camera's local `track_id`, made unique across cameras (camera k's ids
   * offset by k · {@link CAMERA_ID_STRIDE}) — the per-camera floor of multi-camera scoring.
   * `'global'`: the cross-camera `global_id`; a row without one gets an id of its own per
   * camera and track (it still is a box of some identity, never the same as any other).
   * @default 'track'
   */
  id?: HypothesisId;
  /** Only rows of this camera; all cameras when omitted. */
  camera?: number;
  /** Added to every MOT frame number (multi-camera scoring puts cameras on disjoint frames). @default 0 */
  frameOffset?: number;
}

/** Ids of one camera's local tracks never collide with another's: camera k's are k · this + id. */
export const CAMERA_ID_STRIDE = 1_000_000;

/** Converts tracks CSV rows (from `parseTracksCsv`) to MOT records. */
export function tracksCsvToMot(rows: readonly TrackCsvRow[], options: TracksToMotOptions = {}): MotRecord[] {
  const idKind = options.id ?? 'track';
  const frameOffset = options.frameOffset ?? 0;
  const out: MotRecord[] = [];
  for (const row of rows) {
    if (options.camera !== undefined && row.camera !== options.camera) continue;
    const local = row.camera * CAMERA_ID_STRIDE + row.trackId;
    const globalId = row.globalId ?? null;
    // Negative ids for rows without a global id: global ids are ≥ 1, so they cannot collide.
    const id = idKind === 'track' ? local : globalId !== null ? globalId : -1 - local;
    out.push({
      frame: row.frameIndex + 1 + frameOffset,
      id,
      x: row.x1,
      y: row.y1,
      width: row.x2 - row.x1,
      height: row.y2 - row.y1,
      confidence: row.score,
    });
  }
  return out;
}
