/**
 * Options of {@link ByteTracker}. Defaults are ByteTrack's (Zhang et al., ECCV 2022) for the
 * motion part and BoT-SORT's (Aharon et al., 2022) for the optional appearance part.
 */
import { ConfigError } from '../errors.js';

/** How IoU and appearance costs are combined when detections carry embeddings. */
export type AppearanceFusion = 'min' | 'weighted';

/**
 * Overall behaviour of {@link ByteTracker}:
 * - `'default'`: ByteTrack's algorithm with this library's deliberate deviations (ids only
 *   for confirmed tracks, so public ids are consecutive; a lost track leaves the moment its
 *   buffer runs out; a detection scoring exactly `trackThreshold` counts as low-score) and
 *   optional appearance fusion when detections carry embeddings.
 * - `'reference'`: the official ByteTrack (ifzhang/ByteTrack `yolox/tracker/byte_tracker.py`)
 *   step for step — embeddings are ignored (no fusion), ids are drawn when a track is created
 *   (unconfirmed ones too, so ids have gaps), IoU uses its `+1` pixel convention, a lost track
 *   past its buffer stays matchable for one more frame, and a detection scoring exactly
 *   `trackThreshold` is dropped. Use it to compare with published ByteTrack figures.
 */
export type ByteTrackerMode = 'default' | 'reference';

/**
 * How an association step picks its pairs among those whose cost is within the step's limit.
 * - `'lapjv'`: ByteTrack's `lap.lapjv(cost, extend_cost=True, cost_limit=limit)`. Leaving a
 *   track and a detection unpaired costs `limit`, so the solver minimises
 *   `Σ (cost − limit)` over the pairs it takes: it may leave a track unmatched rather than
 *   accept two mediocre pairs in place of one good one.
 * - `'max-matches'`: as many pairs within the limit as possible, and among those the
 *   cheapest (SciPy's `linear_sum_assignment` on a matrix whose entries above the limit are
 *   prohibitive — the rule behind `../shared/media/mot/bytetrack-reference`). Keeps more
 *   tracks alive in crowds, at the price of more forced, possibly wrong, pairs; combined with
 *   appearance fusion it lowered IDF1 on the TUD videos (0.634 / 0.720 without embeddings,
 *   0.631 / 0.682 with them; docs/evaluation.md), so keep `'lapjv'` when fusing.
 */
export type AssignmentRule = 'lapjv' | 'max-matches';

export interface ByteTrackerOptions {
  /**
   * `'reference'` reproduces the official ByteTrack exactly (fusion off, its id numbering,
   * IoU convention and list bookkeeping); `'default'` keeps this library's cleaner lifecycle
   * and lets embeddings refine association. See {@link ByteTrackerMode}.
   * @default 'default'
   */
  mode: ByteTrackerMode;
  /**
   * Assignment rule of every association step; see {@link AssignmentRule}. `'lapjv'` is what
   * the compiled ByteTrack does; `'max-matches'` reproduces the reference tracks shipped for
   * parity tests (made with a SciPy stand-in for `lap`) frame for frame.
   * @default 'lapjv'
   */
  assignment: AssignmentRule;
  /**
   * Detections scoring above this take part in the first association and may start tracks;
   * those between {@link lowThreshold} and this one only extend existing tracks (second
   * association). ByteTrack's `track_thresh`.
   * Raising it keeps weak false positives out of the first pass but leans more on the
   * second pass to bridge occlusions; lowering it lets uncertain boxes steal tracks.
   * @default 0.5
   */
  trackThreshold: number;
  /**
   * Detections scoring at or below this are ignored entirely. Between it and
   * {@link trackThreshold} they are only used to keep tracked objects alive through
   * occlusion and blur — ByteTrack's key idea.
   * @default 0.1
   */
  lowThreshold: number;
  /**
   * An unmatched high-score detection starts a new (unconfirmed) track only when its score
   * reaches this. ByteTrack's `det_thresh`. Higher values mean fewer spurious tracks but
   * later starts.
   * @default trackThreshold + 0.1
   */
  newTrackThreshold: number;
  /**
   * Largest cost accepted in the first association, where the cost is 1 − IoU (multiplied
   * by the detection score when {@link fuseScore} is on, optionally mixed with appearance).
   * ByteTrack's `match_thresh`. Higher values keep identities through fast motion or low
   * frame rates but risk swapping neighbours.
   * @default 0.8
   */
  matchThreshold: number;
  /**
   * Largest IoU distance (1 − IoU) accepted when low-score detections are matched to the
   * tracks left over by the first association. Hard-coded to 0.5 in ByteTrack.
   * @default 0.5
   */
  lowMatchThreshold: number;
  /**
   * Largest cost accepted when a track seen in one frame only (unconfirmed) is matched to a
   * detection in the next. Hard-coded to 0.7 in ByteTrack. Lower values confirm fewer tracks.
   * @default 0.7
   */
  unconfirmedMatchThreshold: number;
  /**
   * Multiply the IoU similarity by the detection score in the first and unconfirmed
   * associations (ByteTrack's `fuse_score`, off in its MOT20 setting), so that confident
   * detections win ties.
   * @default true
   */
  fuseScore: boolean;
  /**
   * How many frames (at 30 fps) a lost track is kept for re-identification by motion before
   * it is removed. Scaled by {@link frameRate}: the track is kept for
   * `floor(frameRate / 30 × trackBuffer)` frames. ByteTrack's `track_buffer`.
   * Larger buffers bridge longer occlusions but let stale tracks grab newcomers.
   * @default 30
   */
  trackBuffer: number;
  /**
   * Frame rate of the input (frames per second, counting frames passed to `advance()`).
   * Only scales {@link trackBuffer}.
   * @default 30
   */
  frameRate: number;
  /**
   * Tracks whose box area (px²) is at or below this are left out of `active` (they are still
   * tracked). ByteTrack's `min_box_area` in its demo. 0 reports everything.
   * @default 10
   */
  minBoxArea: number;
  /**
   * Combination of IoU and appearance costs when both a track and a detection have an
   * embedding. The appearance cost is half the cosine distance, or 1 when the pair fails
   * {@link proximityGate} or {@link appearanceGate}.
   * `'min'` (BoT-SORT): cost = min(motion cost, appearance cost) — appearance can rescue a
   * weakly overlapping match but never veto a good one, so it stays as robust as plain ByteTrack.
   * `'weighted'`: cost = (1 − w)·motion cost + w·appearance cost — appearance also separates
   * well-overlapping neighbours and can veto a match, at the price of depending on ReID quality.
   * @default 'min'
   */
  appearanceFusion: AppearanceFusion;
  /**
   * Weight w of the appearance cost in `'weighted'` fusion (0 ignores appearance, 1 ignores
   * motion). With w = 0.5 a pair whose appearance fails a gate costs at least 0.5, so a
   * higher w makes appearance vetoes stricter against {@link matchThreshold}. Unused by `'min'`.
   * @default 0.5
   */
  appearanceWeight: number;
  /**
   * Proximity gate: appearance is considered only for pairs whose IoU distance (1 − IoU) is at
   * most this. BoT-SORT's `proximity_thresh`. Larger values let look-alikes far away match.
   * @default 0.5
   */
  proximityGate: number;
  /**
   * Appearance gate: appearance is considered only when half the cosine distance
   * ((1 − cos) / 2) is at most this. BoT-SORT's `appearance_thresh` (0.25 there, i.e. cosine
   * similarity ≥ 0.5). Smaller values demand closer looks before appearance overrides motion.
   * The default 0.1 (cosine similarity ≥ 0.8, the identity gallery's default threshold for "same
   * person") is for light ReID models: with OSNet x0.25, different pedestrians of one scene are
   * often within 0.1–0.3 of each other, so 0.25 lets a look-alike neighbour's appearance cost
   * (≤ 0.25) beat the right detection's motion cost (1 − IoU·score, rarely below 0.15) under
   * `'min'` fusion. Measured on the TUD videos (`npm run eval -- tracker-video`): IDF1 0.718 / 0.811
   * with 0.1 against 0.631 / 0.813 with 0.25 and 0.634 / 0.720 for the official ByteTrack.
   * @default 0.1
   */
  appearanceGate: number;
  /**
   * Smoothing of a track's embedding: `e ← α·e + (1 − α)·new`, then L2-normalised. BoT-SORT's
   * `alpha`. Higher values resist one-off bad crops (occlusion) but adapt slower to pose changes.
   * @default 0.9
   */
  embeddingMomentum: number;
}

/** ByteTrack/BoT-SORT defaults (newTrackThreshold is derived from trackThreshold). */
export const DEFAULT_BYTE_TRACKER_OPTIONS: Readonly<Omit<ByteTrackerOptions, 'newTrackThreshold'>> = Object.freeze({
  mode: 'default',
  assignment: 'lapjv',
  trackThreshold: 0.5,
  lowThreshold: 0.1,
  matchThreshold: 0.8,
  lowMatchThreshold: 0.5,
  unconfirmedMatchThreshold: 0.7,
  fuseScore: true,
  trackBuffer: 30,
  frameRate: 30,
  minBoxArea: 10,
  appearanceFusion: 'min',
  appearanceWeight: 0.5,
  proximityGate: 0.5,
  appearanceGate: 0.1,
  embeddingMomentum: 0.9,
});

/**
 * The official ByteTrack as it produced `../shared/media/mot/bytetrack-reference` and the
 * "official ByteTrack" figures of `../shared/media/PROVENANCE.md`: `mode: 'reference'` with
 * ByteTrack's demo thresholds (`track_thresh` 0.5, `match_thresh` 0.8, `track_buffer` 30),
 * every activated track reported (no minimum area), and the `'max-matches'` assignment of the
 * SciPy stand-in used there. Set `assignment: 'lapjv'` for the compiled ByteTrack's rule. Give
 * `frameRate` as well (the sequence's).
 */
export const BYTETRACK_REFERENCE_PRESET: Readonly<Partial<ByteTrackerOptions>> = Object.freeze({
  mode: 'reference',
  assignment: 'max-matches',
  trackThreshold: 0.5,
  matchThreshold: 0.8,
  trackBuffer: 30,
  minBoxArea: 0,
});

/** Fills defaults and validates; throws {@link ConfigError} `INVALID_OPTION` naming the field. */
export function resolveByteTrackerOptions(options: Partial<ByteTrackerOptions> = {}): ByteTrackerOptions {
  for (const key of Object.keys(options)) {
    if (!(key in DEFAULT_BYTE_TRACKER_OPTIONS) && key !== 'newTrackThreshold') {
      throw new ConfigError('INVALID_OPTION', `unknown tracker option "${key}"; known: ${[...Object.keys(DEFAULT_BYTE_TRACKER_OPTIONS), 'newTrackThreshold'].join(', ')}`, { culprit: key });
    }
  }
  const merged = { ...DEFAULT_BYTE_TRACKER_OPTIONS, ...definedOnly(options) };
  const resolved: ByteTrackerOptions = {
    ...merged,
    newTrackThreshold: options.newTrackThreshold ?? merged.trackThreshold + 0.1,
  };
  for (const key of [
    'trackThreshold',
    'lowThreshold',
    'newTrackThreshold',
    'matchThreshold',
    'lowMatchThreshold',
    'unconfirmedMatchThreshold',
    'appearanceWeight',
    'proximityGate',
    'appearanceGate',
    'embeddingMomentum',
  ] as const) {
    requireRange(key, resolved[key], 0, key === 'newTrackThreshold' ? 1.1 : 1);
  }
  if (resolved.lowThreshold > resolved.trackThreshold) {
    throw new ConfigError(
      'INVALID_OPTION',
      `tracker option lowThreshold (${resolved.lowThreshold}) is above trackThreshold (${resolved.trackThreshold}); set lowThreshold ≤ trackThreshold`,
      { culprit: 'lowThreshold' },
    );
  }
  if (!Number.isInteger(resolved.trackBuffer) || resolved.trackBuffer < 0) {
    throw invalid('trackBuffer', resolved.trackBuffer, 'a whole number of frames ≥ 0');
  }
  if (!(resolved.frameRate > 0) || !Number.isFinite(resolved.frameRate)) {
    throw invalid('frameRate', resolved.frameRate, 'a positive number of frames per second');
  }
  if (!(resolved.minBoxArea >= 0) || !Number.isFinite(resolved.minBoxArea)) {
    throw invalid('minBoxArea', resolved.minBoxArea, 'an area in px² ≥ 0');
  }
  if (typeof resolved.fuseScore !== 'boolean') throw invalid('fuseScore', resolved.fuseScore, 'true or false');
  if (resolved.mode !== 'default' && resolved.mode !== 'reference') {
    throw invalid('mode', resolved.mode, "'default' or 'reference'");
  }
  if (resolved.assignment !== 'lapjv' && resolved.assignment !== 'max-matches') {
    throw invalid('assignment', resolved.assignment, "'lapjv' or 'max-matches'");
  }
  if (resolved.appearanceFusion !== 'min' && resolved.appearanceFusion !== 'weighted') {
    throw invalid('appearanceFusion', resolved.appearanceFusion, "'min' or 'weighted'");
  }
  return resolved;
}

/** Number of frames a lost track survives: ByteTrack's `int(frame_rate / 30 * track_buffer)`. */
export function maxFramesLost(options: Pick<ByteTrackerOptions, 'frameRate' | 'trackBuffer'>): number {
  return Math.floor((options.frameRate / 30) * options.trackBuffer);
}

function requireRange(key: string, value: unknown, min: number, max: number): void {
  if (typeof value !== 'number' || !(value >= min && value <= max)) {
    throw invalid(key, value, `a number in [${min}, ${max}]`);
  }
}

function invalid(key: string, value: unknown, expected: string): ConfigError {
  return new ConfigError('INVALID_OPTION', `tracker option ${key} is ${String(value)}; expected ${expected}`, {
    culprit: key,
  });
}

/** Drops keys explicitly set to undefined so that they do not override defaults. */
function definedOnly<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as Partial<T>;
}
