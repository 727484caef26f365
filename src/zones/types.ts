/**
 * Plain data types of zone monitoring: what a zone and a counting line are, what the monitor
 * reports per frame (events, crossings) and at the end of a job (the report written to
 * `zones_{…}.json`).
 */

/** How the numbers of a {@link ZoneDefinition.polygon} or {@link LineDefinition.line} are meant. */
export type ZoneCoordinates = 'pixels' | 'normalized';

/**
 * The point of a track's box that stands for the track: `bottom-center` is where a standing
 * person's feet are (what a floor plan shows), `center` the middle of the box, `top-center`
 * the middle of its top edge (a head seen from above).
 */
export type AnchorPoint = 'bottom-center' | 'center' | 'top-center';

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
 * One named, directed counting line on one camera's image: a segment from its first point
 * to its second.
 *
 * Seen from the first point towards the second, on the image (x to the right, y down), the
 * **right** side is the one a clockwise turn of the direction points to: for a segment drawn
 * from left to right across the image, right is below it (larger y) and left above it. A
 * track crossing from the left side to the right side counts as `in`, the other way as `out`.
 *
 * @example
 * ```yaml
 * name: door_line
 * coordinates: normalized
 * line: [[0.1, 0.6], [0.9, 0.6]]   # drawn left to right: walking down the image is "in"
 * margin: 6
 * ```
 */
export interface LineDefinition {
  /**
   * Unique within its camera, among zones and lines alike. Same rules as a zone name (no `;`,
   * no control characters, at most 64 characters).
   */
  name: string;
  /** The segment's two endpoints `[[x1, y1], [x2, y2]]`, distinct; its direction runs from the first to the second. */
  line: [[number, number], [number, number]];
  /**
   * `pixels`: frame pixels (0,0 top-left); both endpoints must lie within the frame.
   * `normalized`: fractions of the frame width and height, each in [0, 1].
   * @default 'pixels'
   */
  coordinates?: ZoneCoordinates;
  /** Drawing colour on the annotated video: any CSS colour. Optional. */
  color?: string;
  /**
   * Distance in frame pixels (whatever `coordinates` says) the anchor must get past the line,
   * on the new side, before a crossing counts; a track then has to get back past it on the
   * old side before the opposite crossing counts. Larger values ignore more jitter of boxes
   * standing on the line, but miss tracks that turn back within it. Positive.
   * @default the monitor's `lineMargin` (5 px)
   */
  margin?: number;
  /**
   * Which point of the box has to cross.
   * @default 'bottom-center'
   */
  anchor?: AnchorPoint;
}

/** Counting lines of every camera of a job, shaped like {@link ZonesByCamera}. */
export interface LinesByCamera {
  /** Lines of cameras that have no entry in {@link LinesByCamera.cameras}. Empty when none. */
  readonly allCameras: readonly LineDefinition[];
  /** Lines of specific cameras by 0-based camera index; an entry replaces {@link LinesByCamera.allCameras}. */
  readonly cameras: Readonly<Record<number, readonly LineDefinition[]>>;
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
  /**
   * Counting lines from the same file (entries with `line` instead of `polygon`). A camera
   * with its own list in the file gets its own lines from it (possibly none), exactly as its
   * zones. Always set by {@link parseZones}; use {@link linesForCamera}.
   */
  readonly lines?: LinesByCamera;
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
  /**
   * True while the tracker holds the track as lost (no detection matched it; occlusion). Its
   * box is only a prediction, so it moves no membership and crosses no line: its visits stay
   * open and its line sides stay as they were until it is seen again or removed.
   * @default false
   */
  readonly lost?: boolean;
}

/**
 * Why a visit ended. `left`: the track's point left the polygon (for `inertiaFrames` seen
 * frames); `removed`: the tracker removed the track ({@link ZoneMonitor.removeTrack});
 * `lost`: the track vanished from `update` (neither tracked nor lost) for `inertiaFrames`
 * calls without being removed; `end`: {@link ZoneMonitor.finish} closed it at the end of the
 * job. Only `end` is not an exit: the report counts it apart.
 */
export type ZoneExitReason = 'left' | 'lost' | 'removed' | 'end';

/**
 * A track entered or left a zone.
 *
 * An enter is stamped with the first frame of the `inertiaFrames` seen frames inside that
 * decided it; an exit with the last frame the track was seen inside (for reason `end`: the
 * last processed frame). Both are therefore earlier than the frame where the monitor decided
 * ({@link ZoneEvent.decisionFrame}); events come in decision order, which can differ from
 * stamp order by up to `inertiaFrames` frames (and by an occlusion's length for `removed`).
 */
export interface ZoneEvent {
  type: 'enter' | 'exit';
  /** Zone name. */
  zone: string;
  trackId: number;
  /** Global identity of the track when known (the latest one on exit). */
  globalId?: number;
  /** Frame index (as passed to `update`) the event is stamped with; see above. */
  frameIndex: number;
  /** Seconds (as passed to `update`) of that frame. */
  timestamp: number;
  /** Frame index of the `update` (or the last one before `removeTrack`/`finish`) that decided the event. */
  decisionFrame: number;
  /** Seconds of {@link ZoneEvent.decisionFrame}. */
  decisionTimestamp: number;
  /** On exit: seconds between the enter and the exit stamp of this visit. */
  dwell?: number;
  /** On exit: why the visit ended. */
  reason?: ZoneExitReason;
}

/** Direction of a line crossing: `in` from the line's left side to its right, `out` back (see {@link LineDefinition}). */
export type LineDirection = 'in' | 'out';

/**
 * A track crossed a counting line, as returned by {@link ZoneMonitor.lastCrossings}. Stamped
 * with the frame where the anchor got past the margin on the new side (where the crossing
 * was decided). Camera-agnostic: the caller adds the camera.
 */
export interface LineCrossEvent {
  type: 'line:cross';
  /** Line name. */
  line: string;
  direction: LineDirection;
  trackId: number;
  /** Global identity of the track when known at the crossing. */
  globalId?: number;
  /** Frame index (as passed to `update`). */
  frameIndex: number;
  /** Seconds (as passed to `update`). */
  timestamp: number;
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

/** Aggregates over all finished visits of one zone (including those closed at the end). */
export interface ZoneTotals {
  /**
   * Distinct local track ids that entered the zone. Exact without a set: counted on a track's
   * first entry, remembered in per-track state that lives as long as the track (a tracker
   * never reuses ids). A track whose state the monitor's safety net freed (missing from
   * `update` for `inertiaFrames` calls) counts again if it comes back.
   */
  uniqueTracks: number;
  /**
   * Distinct global ids among them (tracks without one are not counted). Exact up to the
   * monitor's `exactDistinctLimit`, an estimate beyond (see {@link ZoneTotals.uniqueGlobalIdsEstimated}).
   */
  uniqueGlobalIds: number;
  /** True once {@link ZoneTotals.uniqueGlobalIds} is a HyperLogLog estimate (about 1.6 % standard error). */
  uniqueGlobalIdsEstimated: boolean;
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
  /**
   * Exits so far: visits that ended by `left`, `removed` or `lost`, not those closed by
   * `finish` (see {@link ZoneReport.closedAtEnd}). Always `entries − exits = currentOccupancy`.
   */
  exits: number;
  /** Visits still open when {@link ZoneMonitor.finish} closed them (reason `end`); 0 before `finish`. */
  closedAtEnd: number;
  /**
   * Tracks inside now (lost ones included: a visit stays open through an occlusion). After
   * {@link ZoneMonitor.finish}: the occupancy at the last processed frame, which equals
   * {@link ZoneReport.closedAtEnd}.
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
  /** Exits of all zones (end-of-job closures not included). */
  totalExits: number;
  /** Visits closed by `finish` in all zones. */
  totalClosedAtEnd: number;
  /** Distinct local track ids that entered any zone. */
  uniqueTracks: number;
  /** Distinct global ids that entered any zone (exact up to `exactDistinctLimit`, then estimated). */
  uniqueGlobalIds: number;
  /** True once {@link CameraZoneSummary.uniqueGlobalIds} is an estimate. */
  uniqueGlobalIdsEstimated: boolean;
  /** Number of counting lines. */
  lineCount: number;
  /** Crossings of all lines, by direction. */
  totalIn: number;
  totalOut: number;
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

/** One crossing of a line, as kept in {@link LineReport.crossings}. */
export interface LineCrossing {
  direction: LineDirection;
  trackId: number;
  /** Global identity at the crossing; `null` when none was assigned yet. */
  globalId: number | null;
  frameIndex: number;
  /** Seconds. */
  timestamp: number;
}

/** Crossings of one line by one global identity. */
export interface LineIdentityCount {
  globalId: number;
  in: number;
  out: number;
  /** Seconds of the identity's first and latest crossing of this line. */
  firstTime: number;
  lastTime: number;
}

/** Everything known about one counting line of one camera. */
export interface LineReport {
  name: string;
  color?: string;
  /** How {@link LineReport.line} is meant (as given). */
  coordinates: ZoneCoordinates;
  /** The segment as given. */
  line: [[number, number], [number, number]];
  /** The segment in frame pixels, as used for counting. */
  linePixels: [[number, number], [number, number]];
  /** Margin in pixels a crossing has to get past the line. */
  margin: number;
  anchor: AnchorPoint;
  /** Crossings from the left side to the right (see {@link LineDefinition}). */
  in: number;
  /** Crossings from the right side to the left. */
  out: number;
  /** Distinct local track ids that crossed (exact). */
  uniqueTracks: number;
  /** Distinct global ids that crossed (exact up to `exactDistinctLimit`, then estimated). */
  uniqueGlobalIds: number;
  uniqueGlobalIdsEstimated: boolean;
  /** Seconds of the first and the latest crossing; `null` when none. */
  firstCrossingTime: number | null;
  lastCrossingTime: number | null;
  /**
   * Crossings per global identity, by global id (the `maxIdentitiesPerLine` most recently
   * active identities; tracks without a global id at the crossing are not in it).
   */
  byGlobalId: LineIdentityCount[];
  /** Identities left out of {@link LineReport.byGlobalId} by `maxIdentitiesPerLine` (in/out still count them). */
  identitiesDropped: number;
  /** Crossings in the order they happened (most recent `maxCrossingsPerLine` only). */
  crossings: LineCrossing[];
  /** Crossings left out of {@link LineReport.crossings} by `maxCrossingsPerLine`. */
  crossingsDropped: number;
}

/** The zone report of one camera, as returned by {@link ZoneMonitor.report}. */
export interface CameraZoneReport {
  frameWidth: number;
  frameHeight: number;
  inertiaFrames: number;
  zones: ZoneReport[];
  /** Counting lines, in definition order (empty when the camera has none). */
  lines: LineReport[];
  summary: CameraZoneSummary;
}
