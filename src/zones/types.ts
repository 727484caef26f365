/**
 * Plain data types of zone monitoring: what a zone is, what the monitor reports per frame
 * (events) and at the end of a job (the report written to `zones_{…}.json`).
 */

/** How the numbers of a {@link ZoneDefinition.polygon} are meant. */
export type ZoneCoordinates = 'pixels' | 'normalized';

/**
 * One named polygon on one camera's image.
 *
 * @example
 * ```yaml
 * name: entrance
 * coordinates: normalized
 * polygon: [[0.0, 0.55], [0.45, 0.55], [0.45, 1.0], [0.0, 1.0]]
 * color: '#00c853'
 * ```
 */
export interface ZoneDefinition {
  /**
   * Unique within its camera. Shown on the video, used in events, the CSV `zones` column and
   * the JSON report. Must not contain `;` (the CSV joins zone names with it) or control characters.
   */
  name: string;
  /**
   * Vertices in order (clockwise or counter-clockwise), at least 3, not self-intersecting, with
   * a non-zero area. The polygon closes itself: repeating the first point at the end is allowed.
   */
  polygon: Array<[number, number]>;
  /**
   * `pixels`: `[x, y]` in the camera's frame pixels (0,0 top-left); may reach outside the frame.
   * `normalized`: `[x, y]` as fractions of the frame width and height, each in [0, 1], so one
   * file fits any resolution.
   * @default 'pixels'
   */
  coordinates?: ZoneCoordinates;
  /** Drawing colour on the annotated video: any CSS colour (`'#ff9800'`, `'orange'`). Optional. */
  color?: string;
}

/**
 * Zones of every camera of a job, as returned by {@link parseZones}.
 *
 * A plain record was not enough: a zones file may give one list "for every camera" without
 * knowing how many cameras the job will have. Use {@link zonesForCamera} to get one camera's
 * zones.
 */
export interface ZonesByCamera {
  /** Zones of cameras that have no entry in {@link ZonesByCamera.cameras}. Empty when none. */
  readonly allCameras: readonly ZoneDefinition[];
  /**
   * Zones of specific cameras, keyed by the 0-based camera index (the source's position in
   * the job's list). An entry replaces {@link ZonesByCamera.allCameras} for that camera; an
   * empty list means "no zones on this camera".
   */
  readonly cameras: Readonly<Record<number, readonly ZoneDefinition[]>>;
}

/** The part of a track the zone monitor reads (a `Track` plus its global id fits). */
export interface ZoneTrackInput {
  /** Local track id (unique within the camera). */
  readonly id: number;
  /** Cross-camera identity, when one has been assigned. */
  readonly globalId?: number | null;
  readonly x1: number;
  readonly y1: number;
  readonly x2: number;
  readonly y2: number;
  /** Unconfirmed (tentative) tracks are ignored, as if absent. */
  readonly confirmed: boolean;
}

/**
 * Why a visit ended. `left`: the track's point left the polygon; `lost`: the track was absent
 * for `inertiaFrames` frames; `removed`: {@link ZoneMonitor.removeTrack} was called; `end`:
 * {@link ZoneMonitor.finish} closed it at the end of the job.
 */
export type ZoneExitReason = 'left' | 'lost' | 'removed' | 'end';

/**
 * A track entered or left a zone. Events are stamped with the frame where the change was
 * decided, i.e. after `inertiaFrames` agreeing frames, so they come in time order.
 */
export interface ZoneEvent {
  type: 'enter' | 'exit';
  /** Zone name. */
  zone: string;
  trackId: number;
  /** Global identity of the track when known (the latest one on exit). */
  globalId?: number;
  /** Frame index (as passed to `update`) where the change was decided. */
  frameIndex: number;
  /** Seconds (as passed to `update`) of that frame. */
  timestamp: number;
  /** On exit: seconds between the enter and the exit event of this visit. */
  dwell?: number;
  /** On exit: why the visit ended. */
  reason?: ZoneExitReason;
}

/** One finished stay of one track in one zone. */
export interface ZoneVisit {
  trackId: number;
  /** Latest global identity of the track during the visit; `null` when never assigned. */
  globalId: number | null;
  enterFrame: number;
  exitFrame: number;
  /** Seconds. */
  enterTime: number;
  /** Seconds. */
  exitTime: number;
  /** `exitTime - enterTime`, seconds. */
  dwell: number;
  reason: ZoneExitReason;
}

/** A visit still going on when the report was taken. */
export interface OpenZoneVisit {
  trackId: number;
  globalId: number | null;
  enterFrame: number;
  enterTime: number;
}

/** Aggregates over all finished visits of one zone. */
export interface ZoneTotals {
  /** Distinct local track ids that entered the zone. */
  uniqueTracks: number;
  /** Distinct global ids among them (tracks without one are not counted). */
  uniqueGlobalIds: number;
  /** Sum of the dwell of finished visits, seconds. */
  totalDwell: number;
  /** Mean dwell of finished visits, seconds; `null` when none finished. */
  meanDwell: number | null;
  /** Longest finished visit, seconds; `null` when none finished. */
  maxDwell: number | null;
}

/** Everything known about one zone of one camera. */
export interface ZoneReport {
  name: string;
  color?: string;
  /** How {@link ZoneReport.polygon} is meant (as given). */
  coordinates: ZoneCoordinates;
  /** The polygon as given in the definition (after dropping a repeated closing point). */
  polygon: Array<[number, number]>;
  /** The polygon in frame pixels, as used for membership. */
  polygonPixels: Array<[number, number]>;
  /** Enter events so far. */
  entries: number;
  /** Exit events so far (including those closed by `finish`). */
  exits: number;
  /**
   * Tracks inside now. After {@link ZoneMonitor.finish}: the count just before `finish`
   * closed their visits, i.e. the occupancy at the end of the job.
   */
  currentOccupancy: number;
  /** Highest simultaneous occupancy seen. */
  maxOccupancy: number;
  /** Seconds when {@link ZoneReport.maxOccupancy} was first reached; `null` if never occupied. */
  maxOccupancyTime: number | null;
  /** Finished visits in the order they ended (most recent `maxVisitsPerZone` only). */
  visits: ZoneVisit[];
  /** Finished visits left out of {@link ZoneReport.visits} by `maxVisitsPerZone` (totals still count them). */
  visitsDropped: number;
  /** Visits not finished yet (empty after `finish`). */
  openVisits: OpenZoneVisit[];
  totals: ZoneTotals;
}

/** Figures over all zones of one camera. */
export interface CameraZoneSummary {
  zoneCount: number;
  totalEntries: number;
  totalExits: number;
  /** Distinct local track ids that entered any zone. */
  uniqueTracks: number;
  /** Distinct global ids that entered any zone. */
  uniqueGlobalIds: number;
  /** Zone with the most entries (first one on ties); `null` when no zone was entered. */
  busiestZone: string | null;
  /** Number of `update` calls. */
  framesProcessed: number;
  /** Frame index and timestamp of the first and last `update`; `null` before any. */
  firstFrame: number | null;
  lastFrame: number | null;
  firstTimestamp: number | null;
  lastTimestamp: number | null;
  /** True once {@link ZoneMonitor.finish} closed the open visits. */
  finished: boolean;
}

/** The zone report of one camera, as returned by {@link ZoneMonitor.report}. */
export interface CameraZoneReport {
  frameWidth: number;
  frameHeight: number;
  inertiaFrames: number;
  zones: ZoneReport[];
  summary: CameraZoneSummary;
}
