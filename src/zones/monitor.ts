/**
 * Per-camera zone monitoring: the tracker's tracks in, zone visits and line crossings out.
 *
 * Each frame: the anchors of the tracks seen now go through the stateless membership test
 * (`membership.ts`), then the stateful counters — zone visits (`visit-counter.ts`) and line
 * crossings (`line-counter.ts`) — follow the tracker's lifecycle. All per-track state lives
 * in one map entry, freed when the track ends.
 */
import { ConfigError } from '../errors.js';
import { anchorX, anchorY } from './anchor.js';
import { checkUniqueNames, compileLines, compileZones, type PixelLine, type PixelZone } from './compile.js';
import { LineCrossingCounter, type LineTrackState } from './line-counter.js';
import { zoneMembership } from './membership.js';
import type {
  CameraZoneReport,
  LineCrossEvent,
  LineDefinition,
  LineReport,
  OpenZoneVisit,
  ZoneDefinition,
  ZoneEvent,
  ZoneReport,
  ZoneTrackInput,
} from './types.js';
import { enterStamp, ZoneVisitCounter, type ObservedFrame, type ZoneTrackState } from './visit-counter.js';

/** Options of {@link ZoneMonitor}. */
export interface ZoneMonitorOptions {
  /** Width of this camera's frames in pixels (scales normalised polygons and lines). */
  frameWidth: number;
  /** Height of this camera's frames in pixels. */
  frameHeight: number;
  /**
   * Consecutive seen frames that must agree before a track counts as entered or left (as
   * Frigate's zone inertia), and `update` calls a track may be missing altogether (neither
   * tracked nor lost) before it counts as gone. Higher values ignore longer flicker at the
   * zone border, but decide later (the stamps stay right: an enter is stamped at the first
   * frame inside, an exit at the last); 1 reacts on every frame.
   * @default 3
   */
  inertiaFrames?: number;
  /**
   * Finished visits kept per zone for the report (the most recent ones). Counts and totals
   * always include every visit; this only bounds memory on long live jobs.
   * @default 10000
   */
  maxVisitsPerZone?: number;
  /**
   * Counting lines of this camera, beside the zones (see {@link linesForCamera}). Names must
   * differ from every zone's and line's on the camera.
   * @default []
   */
  lines?: readonly LineDefinition[];
  /**
   * Margin in pixels for lines that do not set their own: how far past a line the anchor must
   * get before a crossing counts. Larger ignores more jitter, but misses tracks that turn
   * back sooner.
   * @default 5
   */
  lineMargin?: number;
  /**
   * Crossings kept per line for the report (the most recent ones); `in`/`out` always count
   * every crossing. Bounds memory on long live jobs.
   * @default 10000
   */
  maxCrossingsPerLine?: number;
  /**
   * Global identities kept per line with their own in/out counts (the most recently active);
   * totals count every identity. Bounds memory on long live jobs.
   * @default 10000
   */
  maxIdentitiesPerLine?: number;
  /**
   * Distinct global ids a zone or line counts exactly; beyond, the count becomes a HyperLogLog
   * estimate (about 1.6 % standard error, 4 KiB) and the report says `uniqueGlobalIdsEstimated`.
   * Higher stays exact longer at about 50 bytes per identity and counter; `Infinity` is
   * always exact and unbounded.
   * @default 4096
   */
  exactDistinctLimit?: number;
}

/** Sizes of what a monitor holds, from {@link ZoneMonitor.stats}: all bounded by options, except `tracks`, bounded by the tracker. */
export interface ZoneMonitorStats {
  /** Tracks with per-track state (seen, not ended). */
  tracks: number;
  /** Finished visits kept, over all zones. */
  visits: number;
  /** Crossings kept, over all lines. */
  crossings: number;
  /** Per-identity line records kept, over all lines. */
  lineIdentities: number;
  /** Global ids held exactly by the distinct counters (zones, lines, summary). */
  distinctValues: number;
  /** Tracks the per-frame scratch buffers have room for. */
  scratchCapacity: number;
}

const NO_EVENTS: readonly ZoneEvent[] = Object.freeze([]);
const NO_CROSSINGS: readonly LineCrossEvent[] = Object.freeze([]);
const NO_ZONES: readonly string[] = Object.freeze([]);

/** Everything the monitor remembers of one track. */
interface TrackEntry {
  globalId: number | null;
  /** `update` call in which the track was last passed (tracked or lost). */
  lastPresent: number;
  zones: ZoneTrackState;
  lines: LineTrackState | null;
}

function requirePositive(name: string, value: number, integer: boolean): void {
  if (!(Number.isFinite(value) && value > 0 && (!integer || Number.isInteger(value)))) {
    throw new ConfigError('INVALID_OPTION', `ZoneMonitor option ${name} must be a positive ${integer ? 'integer' : 'number'} (got ${String(value)})`, { culprit: name });
  }
}

function requireCapacity(name: string, value: number): number {
  if (!(value === Infinity || (Number.isInteger(value) && value >= 0))) {
    throw new ConfigError('INVALID_OPTION', `ZoneMonitor option ${name} must be a non-negative integer or Infinity (got ${String(value)})`, { culprit: name });
  }
  return value;
}

/**
 * Zones and counting lines of one camera, following the tracker.
 *
 * A track is in a zone when the bottom-centre of its box (where the feet are) lies inside the
 * polygon or on its edge. A change of membership needs `inertiaFrames` consecutive seen
 * frames that agree, so flicker of fewer frames produces no events. Pass every track the
 * tracker holds: tracked ones, and lost ones with `lost: true` — a lost track's box is a
 * prediction, so it moves nothing and its visits stay open through the occlusion. A visit
 * closes when the track is seen outside, when {@link ZoneMonitor.removeTrack} says the tracker
 * removed it, or, as a safety net, when it is missing from `update` for `inertiaFrames` calls
 * (reason `lost`); an exit is stamped with the last frame the track was seen inside.
 * {@link ZoneMonitor.finish} closes the visits still open with reason `end`, counted apart
 * from exits, so that `entries − exits = currentOccupancy` holds in every report.
 *
 * Unconfirmed tracks are ignored. Per frame it allocates nothing unless an event happens or
 * a new track appears; memory is bounded by the options (see {@link ZoneMonitor.stats}).
 *
 * @example
 * ```ts
 * const monitor = new ZoneMonitor(zonesForCamera(zones, 0), { frameWidth: 640, frameHeight: 360, lines: linesForCamera(zones, 0) });
 * for (const frame of frames) {
 *   const held = [...update.active, ...lostTracks.map((t) => ({ ...t, lost: true }))];
 *   for (const event of monitor.update(held, frame.index, frame.timestamp)) emit('zone', event);
 *   for (const crossing of monitor.lastCrossings) emit('line:cross', crossing);
 *   for (const track of update.removed) for (const event of monitor.removeTrack(track.id)) emit('zone', event);
 * }
 * monitor.finish();
 * await writeZoneReport(path, { ...monitor.report(), camera: 0, source, frames });
 * ```
 */
export class ZoneMonitor {
  readonly frameWidth: number;
  readonly frameHeight: number;
  readonly inertiaFrames: number;
  /** Each zone with its polygon in frame pixels, in definition order: what an annotator draws. */
  readonly pixelZones: ReadonlyArray<{ readonly name: string; readonly color?: string; readonly polygon: ReadonlyArray<readonly [number, number]> }>;
  /** Each counting line in frame pixels (first point to second), in definition order: what an annotator draws. */
  readonly pixelLines: ReadonlyArray<{ readonly name: string; readonly color?: string; readonly line: readonly [readonly [number, number], readonly [number, number]] }>;
  private readonly zones: readonly ZoneDefinition[];
  private readonly lines: readonly LineDefinition[];
  private readonly names: readonly string[];
  private readonly indexByName = new Map<string, number>();
  private readonly lineIndexByName = new Map<string, number>();
  private readonly compiledZones: readonly PixelZone[];
  private readonly compiledLines: readonly PixelLine[];
  private readonly visits: ZoneVisitCounter;
  private readonly crossings: LineCrossingCounter;
  private readonly tracks = new Map<number, TrackEntry>();
  /** Per-frame scratch: the seen tracks' entries, anchors and membership rows. */
  private readonly seen: TrackEntry[] = [];
  private readonly seenInputs: ZoneTrackInput[] = [];
  private anchors = new Float64Array(64);
  private membership = new Uint8Array(0);
  private latestCrossings: readonly LineCrossEvent[] = NO_CROSSINGS;
  /** The frame of the running `update`, reused (counters copy its numbers). */
  private readonly current: ObservedFrame = { frameIndex: 0, timestamp: 0 };
  /** Events of the running `update`, copied out only when there are some. */
  private readonly found: ZoneEvent[] = [];
  private readonly lineNameList: readonly string[];
  /** Bound once so the per-frame sweep allocates no closure. */
  private readonly sweepAbsent = (entry: TrackEntry, id: number): void => {
    if (this.frameCount - entry.lastPresent < this.inertiaFrames) return;
    this.visits.closeAll(id, entry.globalId, entry.zones, 'lost', this.current, this.current, this.found);
    this.tracks.delete(id);
  };
  /** Number of `update` calls; also the "present" stamp of tracks. */
  private frameCount = 0;
  private firstFrame: number | null = null;
  private lastFrame: number | null = null;
  private firstTimestamp: number | null = null;
  private lastTimestamp: number | null = null;
  /** Occupancy per zone just before `finish` emptied the zones; `null` until then. */
  private occupancyAtFinish: Int32Array | null = null;

  /**
   * @param zones this camera's zones, already validated (see {@link parseZones}).
   * @throws {@link ConfigError} `INVALID_OPTION` for a bad frame size or option; `INVALID_ZONE`
   * for a name used twice among zones and lines, a polygon entirely outside the frame, a line
   * endpoint outside it, a line whose points coincide, or a bad line margin.
   */
  constructor(zones: readonly ZoneDefinition[], options: ZoneMonitorOptions) {
    requirePositive('frameWidth', options.frameWidth, true);
    requirePositive('frameHeight', options.frameHeight, true);
    const inertia = options.inertiaFrames ?? 3;
    requirePositive('inertiaFrames', inertia, true);
    if (inertia > 65535) throw new ConfigError('INVALID_OPTION', `ZoneMonitor option inertiaFrames must be at most 65535 (got ${inertia})`, { culprit: 'inertiaFrames' });
    const lineMargin = options.lineMargin ?? 5;
    requirePositive('lineMargin', lineMargin, false);
    const exactDistinctLimit = requireCapacity('exactDistinctLimit', options.exactDistinctLimit ?? 4096);
    const lines = options.lines ?? [];
    this.frameWidth = options.frameWidth;
    this.frameHeight = options.frameHeight;
    this.inertiaFrames = inertia;
    this.zones = zones;
    this.lines = lines;
    this.names = zones.map((zone) => zone.name);
    this.lineNameList = Object.freeze(lines.map((line) => line.name));
    checkUniqueNames(zones, lines);
    zones.forEach((zone, i) => this.indexByName.set(zone.name, i));
    lines.forEach((line, i) => this.lineIndexByName.set(line.name, i));
    this.compiledZones = compileZones(zones, this.frameWidth, this.frameHeight);
    this.compiledLines = compileLines(lines, this.frameWidth, this.frameHeight, lineMargin);
    this.pixelZones = zones.map((zone, i) => {
      const flat = this.compiledZones[i]!.polygon;
      const polygon: Array<[number, number]> = [];
      for (let k = 0; k < flat.length; k += 2) polygon.push([flat[k]!, flat[k + 1]!]);
      return zone.color === undefined ? { name: zone.name, polygon } : { name: zone.name, color: zone.color, polygon };
    });
    this.pixelLines = lines.map((line, i) => {
      const { ax, ay, bx, by } = this.compiledLines[i]!;
      const segment: [[number, number], [number, number]] = [[ax, ay], [bx, by]];
      return line.color === undefined ? { name: line.name, line: segment } : { name: line.name, color: line.color, line: segment };
    });
    this.visits = new ZoneVisitCounter(this.names, {
      inertiaFrames: inertia,
      maxVisitsPerZone: requireCapacity('maxVisitsPerZone', options.maxVisitsPerZone ?? 10_000),
      exactDistinctLimit,
    });
    this.crossings = new LineCrossingCounter(this.compiledLines, {
      maxCrossingsPerLine: requireCapacity('maxCrossingsPerLine', options.maxCrossingsPerLine ?? 10_000),
      maxIdentitiesPerLine: requireCapacity('maxIdentitiesPerLine', options.maxIdentitiesPerLine ?? 10_000),
      exactDistinctLimit,
    });
  }

  /** Names of this camera's zones, in definition order. */
  get zoneNames(): readonly string[] {
    return this.names;
  }

  /** Names of this camera's counting lines, in definition order. */
  get lineNames(): readonly string[] {
    return this.lineNameList;
  }

  /**
   * The line crossings decided by the latest {@link ZoneMonitor.update} call, in order (an
   * empty array when none). Replaced by the next `update`; `removeTrack` and `finish` decide
   * no crossings.
   */
  get lastCrossings(): readonly LineCrossEvent[] {
    return this.latestCrossings;
  }

  /**
   * Feeds one processed frame: every track the tracker holds — tracked ones, and lost ones
   * with `lost: true` (unconfirmed ones are ignored) — and returns the zone enter/exit events
   * decided at this frame, exits before enters (so a hand-over never counts both). The line
   * crossings decided at this frame are then in
   * {@link ZoneMonitor.lastCrossings}. Call once per processed frame, in order.
   *
   * @param frameIndex the frame's index, copied into events, visits and crossings.
   * @param timestamp the frame's time in seconds, used for dwell.
   */
  update(tracks: ReadonlyArray<ZoneTrackInput>, frameIndex: number, timestamp: number): readonly ZoneEvent[] {
    const stamp = ++this.frameCount;
    if (this.firstFrame === null) {
      this.firstFrame = frameIndex;
      this.firstTimestamp = timestamp;
    }
    this.lastFrame = frameIndex;
    this.lastTimestamp = timestamp;
    this.latestCrossings = NO_CROSSINGS;
    if (this.zones.length === 0 && this.lines.length === 0) return NO_EVENTS;
    const frame = this.current;
    frame.frameIndex = frameIndex;
    frame.timestamp = timestamp;
    const found = this.found;

    // 1. Which tracks are seen now; lost ones only keep their entry alive. The scratch arrays
    // are overwritten up to `count`, never shortened (their tails hold at most a frame's tracks).
    const seen = this.seen;
    const inputs = this.seenInputs;
    let count = 0;
    for (let t = 0; t < tracks.length; t++) {
      const track = tracks[t]!;
      if (!track.confirmed) continue;
      let entry = this.tracks.get(track.id);
      if (track.lost === true) {
        if (entry !== undefined) this.present(entry, track, stamp);
        continue;
      }
      if (entry === undefined) {
        entry = { globalId: null, lastPresent: 0, zones: this.visits.newTrackState(), lines: this.lines.length === 0 ? null : this.crossings.newTrackState() };
        this.tracks.set(track.id, entry);
      }
      this.present(entry, track, stamp);
      seen[count] = entry;
      inputs[count++] = track;
    }

    // 2. Zones: membership now (stateless), then visits (stateful).
    const zoneCount = this.zones.length;
    if (zoneCount > 0 && count > 0) {
      this.ensureScratch(count);
      for (let i = 0; i < count; i++) {
        this.anchors[2 * i] = anchorX(inputs[i]!);
        this.anchors[2 * i + 1] = anchorY(inputs[i]!, 'bottom-center');
      }
      zoneMembership(this.compiledZones, this.anchors, count, this.membership);
      for (let i = 0; i < count; i++) {
        this.visits.observe(inputs[i]!.id, seen[i]!.globalId, seen[i]!.zones, this.membership, i * zoneCount, frame, found);
      }
    }
    // Safety net: a track missing from `update` for `inertiaFrames` calls, never removed, is
    // gone. Before the enters, like the other exits, so occupancy never counts both.
    this.tracks.forEach(this.sweepAbsent);
    this.visits.flushEnters(frame, found);

    // 3. Lines.
    if (this.lines.length > 0) {
      let crossed: LineCrossEvent[] | null = null;
      for (let i = 0; i < count; i++) {
        const track = inputs[i]!;
        crossed = this.crossings.observe(track.id, seen[i]!.globalId, seen[i]!.lines!, track, frameIndex, timestamp, crossed);
      }
      if (crossed !== null) this.latestCrossings = crossed;
    }

    if (found.length === 0) return NO_EVENTS;
    const events = found.slice();
    found.length = 0;
    return events;
  }

  /**
   * Ends a track the tracker has removed: exit events (reason `removed`) for the zones it is
   * in, each stamped with the last frame it was seen inside, and its state is freed. Call it
   * for every removed track (`TrackerUpdate.removed`); unknown ids do nothing.
   *
   * @param _timestamp ignored (exits are stamped with the last frame seen); kept so older
   * callers compile.
   */
  removeTrack(trackId: number, _timestamp?: number): readonly ZoneEvent[] {
    const entry = this.tracks.get(trackId);
    if (entry === undefined) return NO_EVENTS;
    this.tracks.delete(trackId);
    const events: ZoneEvent[] = [];
    const decision = this.decisionFrame();
    this.visits.closeAll(trackId, entry.globalId, entry.zones, 'removed', decision, decision, events);
    return events.length === 0 ? NO_EVENTS : events;
  }

  /**
   * Ends the job: every open visit is closed (reason `end`) at the last processed frame, with
   * `timestamp` (default: that frame's time), so the report's visits and dwell totals cover
   * everyone. These closures are counted in `closedAtEnd`, not in `exits`; `currentOccupancy`
   * keeps the occupancy at the last frame. Idempotent. Frees every track's state.
   */
  finish(timestamp?: number): readonly ZoneEvent[] {
    if (this.occupancyAtFinish === null) this.occupancyAtFinish = Int32Array.from(this.visits.figures, (f) => f.occupancy);
    const end: ObservedFrame = { frameIndex: this.lastFrame ?? 0, timestamp: timestamp ?? this.lastTimestamp ?? 0 };
    const events: ZoneEvent[] = [];
    for (const [id, entry] of this.tracks) this.visits.closeAll(id, entry.globalId, entry.zones, 'end', end, end, events);
    this.tracks.clear();
    return events;
  }

  /** Tracks inside a zone now (by name or index); 0 for an unknown zone. */
  occupancy(zone: string | number): number {
    const index = typeof zone === 'number' ? zone : this.indexByName.get(zone);
    return index === undefined ? 0 : this.visits.figures[index]?.occupancy ?? 0;
  }

  /** Crossings of a line so far (by name or index), for running counts on the video; zeros for an unknown line. */
  lineCounts(line: string | number): { in: number; out: number } {
    const index = typeof line === 'number' ? line : this.lineIndexByName.get(line);
    if (index === undefined || index < 0 || index >= this.lines.length) return { in: 0, out: 0 };
    return this.crossings.countsOf(index);
  }

  /** Names of the zones a track is in now (empty when none or unknown). Cheap: cached per change. */
  zonesOf(trackId: number): readonly string[] {
    return this.tracks.get(trackId)?.zones.names ?? NO_ZONES;
  }

  /** Sizes of what the monitor holds now: bounded by its options and the tracker's live tracks. */
  stats(): ZoneMonitorStats {
    const lines = this.crossings.sizes();
    let visits = 0;
    let distinctValues = this.visits.globalIdsAnywhere.exactSize + lines.distinctValues;
    for (const f of this.visits.figures) {
      visits += f.visits.length;
      distinctValues += f.globalIds.exactSize;
    }
    return {
      tracks: this.tracks.size,
      visits,
      crossings: lines.crossings,
      lineIdentities: lines.identities,
      distinctValues,
      scratchCapacity: this.anchors.length / 2,
    };
  }

  /** Snapshot of every zone's and line's figures; see {@link CameraZoneReport}. */
  report(): CameraZoneReport {
    const atFinish = this.occupancyAtFinish;
    const open: OpenZoneVisit[][] = this.zones.map(() => []);
    for (const [trackId, entry] of this.tracks) {
      for (let z = 0; z < this.zones.length; z++) {
        if (entry.zones.inside[z] !== 1) continue;
        const { frameIndex, timestamp } = enterStamp(entry.zones, z);
        open[z]!.push({ trackId, globalId: entry.globalId, enterFrame: frameIndex, enterTime: timestamp });
      }
    }
    const zones = this.zones.map((zone, z): ZoneReport => {
      const f = this.visits.figures[z]!;
      const report: ZoneReport = {
        name: zone.name,
        coordinates: zone.coordinates ?? 'pixels',
        polygon: zone.polygon.map(([x, y]) => [x, y]),
        polygonPixels: this.pixelZones[z]!.polygon.map(([x, y]) => [x, y]),
        entries: f.entries,
        exits: f.exits,
        closedAtEnd: f.closedAtEnd,
        currentOccupancy: atFinish === null ? f.occupancy : atFinish[z]!,
        maxOccupancy: f.maxOccupancy,
        maxOccupancyTime: f.maxOccupancyTime,
        visits: f.visits.toArray(),
        visitsDropped: f.visits.dropped,
        openVisits: open[z]!,
        totals: {
          uniqueTracks: f.uniqueTracks,
          uniqueGlobalIds: f.globalIds.count,
          uniqueGlobalIdsEstimated: f.globalIds.estimated,
          totalDwell: f.totalDwell,
          meanDwell: f.closedVisits === 0 ? null : f.totalDwell / f.closedVisits,
          maxDwell: f.closedVisits === 0 ? null : f.maxDwell,
        },
      };
      if (zone.color !== undefined) report.color = zone.color;
      return report;
    });
    const lines = this.lines.map((line, l): LineReport => {
      const pixels = this.compiledLines[l]!;
      const report: LineReport = {
        name: line.name,
        coordinates: line.coordinates ?? 'pixels',
        line: [[line.line[0][0], line.line[0][1]], [line.line[1][0], line.line[1][1]]],
        linePixels: [[pixels.ax, pixels.ay], [pixels.bx, pixels.by]],
        margin: pixels.margin,
        anchor: pixels.anchor,
        ...this.crossings.figuresOf(l),
      };
      if (line.color !== undefined) report.color = line.color;
      return report;
    });

    let busiest: string | null = null;
    let busiestEntries = 0;
    let totalEntries = 0, totalExits = 0, totalClosedAtEnd = 0;
    this.visits.figures.forEach((f, z) => {
      totalEntries += f.entries;
      totalExits += f.exits;
      totalClosedAtEnd += f.closedAtEnd;
      if (f.entries > busiestEntries) {
        busiestEntries = f.entries;
        busiest = this.names[z]!;
      }
    });
    const crossed = this.crossings.totals();
    return {
      frameWidth: this.frameWidth,
      frameHeight: this.frameHeight,
      inertiaFrames: this.inertiaFrames,
      zones,
      lines,
      summary: {
        zoneCount: zones.length,
        totalEntries,
        totalExits,
        totalClosedAtEnd,
        uniqueTracks: this.visits.uniqueTracksAnywhere,
        uniqueGlobalIds: this.visits.globalIdsAnywhere.count,
        uniqueGlobalIdsEstimated: this.visits.globalIdsAnywhere.estimated,
        busiestZone: busiest,
        lineCount: lines.length,
        totalIn: crossed.in,
        totalOut: crossed.out,
        framesProcessed: this.frameCount,
        firstFrame: this.firstFrame,
        lastFrame: this.lastFrame,
        firstTimestamp: this.firstTimestamp,
        lastTimestamp: this.lastTimestamp,
        finished: atFinish !== null,
      },
    };
  }

  /** Marks a track as held by the tracker in this `update` and keeps its latest global id. */
  private present(entry: TrackEntry, track: ZoneTrackInput, stamp: number): void {
    entry.lastPresent = stamp;
    if (track.globalId !== undefined && track.globalId !== null) entry.globalId = track.globalId;
  }

  /** The latest `update`'s frame, where `removeTrack` decisions are taken. */
  private decisionFrame(): ObservedFrame {
    return { frameIndex: this.lastFrame ?? 0, timestamp: this.lastTimestamp ?? 0 };
  }

  /** Grows the per-frame buffers to hold `count` tracks (rarely: they only grow). */
  private ensureScratch(count: number): void {
    if (this.anchors.length < count * 2) this.anchors = new Float64Array(Math.ceil(count * 1.5) * 2);
    const cells = (this.anchors.length / 2) * this.zones.length;
    if (this.membership.length < cells) this.membership = new Uint8Array(cells);
  }
}
