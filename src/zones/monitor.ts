/**
 * Per-camera zone monitoring: which confirmed track is in which zone, with a few frames of
 * inertia against flicker, enter/exit events, dwell, occupancy and the end-of-job report.
 */
import { ConfigError } from '../errors.js';
import { pointInPolygon, polygonBounds, toPixelPolygon } from './geometry.js';
import type {
  CameraZoneReport,
  OpenZoneVisit,
  ZoneDefinition,
  ZoneEvent,
  ZoneExitReason,
  ZoneReport,
  ZoneTrackInput,
  ZoneVisit,
} from './types.js';

/** Options of {@link ZoneMonitor}. */
export interface ZoneMonitorOptions {
  /** Width of this camera's frames in pixels (scales normalised polygons). */
  frameWidth: number;
  /** Height of this camera's frames in pixels. */
  frameHeight: number;
  /**
   * Consecutive frames that must agree before a track counts as entered or left, and frames
   * a track may be missing before it counts as gone (as Frigate's zone inertia). Higher values
   * ignore longer flicker at the zone border and brief detector misses, but delay events by
   * `inertiaFrames - 1` frames; 1 reacts on every frame.
   * @default 3
   */
  inertiaFrames?: number;
  /**
   * Finished visits kept per zone for the report (the most recent ones). Counts and totals
   * always include every visit; this only bounds memory on long live jobs.
   * @default 10000
   */
  maxVisitsPerZone?: number;
}

const NO_EVENTS: readonly ZoneEvent[] = Object.freeze([]);
const NO_ZONES: readonly string[] = Object.freeze([]);

/** What the monitor remembers of one track. Arrays are indexed by zone. */
interface TrackState {
  globalId: number | null;
  /** 1 while the track counts as inside the zone. */
  inside: Uint8Array;
  /** Consecutive frames the raw test disagreed with `inside`. */
  streak: Uint16Array;
  enterFrame: Float64Array;
  enterTime: Float64Array;
  /** `update` call in which the track was last present (confirmed). */
  lastSeen: number;
  /** Zone names the track is inside, rebuilt only when membership changes. */
  names: readonly string[];
}

/** Running figures of one zone. */
interface ZoneStats {
  entries: number;
  exits: number;
  occupancy: number;
  maxOccupancy: number;
  maxOccupancyTime: number | null;
  visits: ZoneVisit[];
  visitsDropped: number;
  trackIds: Set<number>;
  globalIds: Set<number>;
  totalDwell: number;
  maxDwell: number;
}

function requirePositive(name: string, value: number, integer: boolean): void {
  if (!(Number.isFinite(value) && value > 0 && (!integer || Number.isInteger(value)))) {
    throw new ConfigError('INVALID_OPTION', `ZoneMonitor option ${name} must be a positive ${integer ? 'integer' : 'number'} (got ${String(value)})`, { culprit: name });
  }
}

/**
 * Zone membership of one camera's tracks.
 *
 * A track is in a zone when the bottom-centre of its box (where the feet are) lies inside the
 * polygon or on its edge. A change of membership needs `inertiaFrames` consecutive agreeing
 * frames, and is then reported as an event stamped with that deciding frame, so flicker of
 * fewer frames produces no events. Unconfirmed tracks are treated as absent. A track absent
 * for `inertiaFrames` frames, or passed to {@link ZoneMonitor.removeTrack}, leaves its zones.
 * {@link ZoneMonitor.finish} ends the visits still open at the end of a job with exit events
 * (reason `end`), so every enter has an exit and every visit has a dwell.
 *
 * Per frame it allocates nothing unless an event happens (or a new track appears).
 *
 * @example
 * ```ts
 * const monitor = new ZoneMonitor(zonesForCamera(zones, 0), { frameWidth: 640, frameHeight: 360 });
 * for (const frame of frames) {
 *   for (const event of monitor.update(tracks, frame.index, frame.timestamp)) emit('zone', event);
 * }
 * monitor.finish(lastTimestamp);
 * await writeZoneReport(path, { ...monitor.report(), camera: 0, source, frames });
 * ```
 */
export class ZoneMonitor {
  readonly frameWidth: number;
  readonly frameHeight: number;
  readonly inertiaFrames: number;
  /** Each zone with its polygon in frame pixels, in definition order: what an annotator draws. */
  readonly pixelZones: ReadonlyArray<{ readonly name: string; readonly color?: string; readonly polygon: ReadonlyArray<readonly [number, number]> }>;
  private readonly maxVisitsPerZone: number;
  private readonly zones: readonly ZoneDefinition[];
  private readonly names: readonly string[];
  private readonly indexByName = new Map<string, number>();
  /** Pixel polygons and their bounds `[minX, minY, maxX, maxY]` per zone, for a quick reject. */
  private readonly polygons: Float64Array[];
  private readonly bounds: Float64Array;
  private readonly stats: ZoneStats[];
  private readonly tracks = new Map<number, TrackState>();
  /** Number of `update` calls; also the "seen" stamp of tracks. */
  private frameCount = 0;
  private firstFrame: number | null = null;
  private lastFrame: number | null = null;
  private firstTimestamp: number | null = null;
  private lastTimestamp: number | null = null;
  /** Occupancy per zone just before `finish` emptied the zones; `null` until then. */
  private occupancyAtFinish: Int32Array | null = null;

  /**
   * @param zones this camera's zones, already validated (see {@link parseZones}).
   * @throws {@link ConfigError} `INVALID_OPTION` for a bad frame size or option, `INVALID_ZONE`
   * for duplicate names or a polygon lying entirely outside the frame.
   */
  constructor(zones: readonly ZoneDefinition[], options: ZoneMonitorOptions) {
    requirePositive('frameWidth', options.frameWidth, true);
    requirePositive('frameHeight', options.frameHeight, true);
    const inertia = options.inertiaFrames ?? 3;
    requirePositive('inertiaFrames', inertia, true);
    if (inertia > 65535) throw new ConfigError('INVALID_OPTION', `ZoneMonitor option inertiaFrames must be at most 65535 (got ${inertia})`, { culprit: 'inertiaFrames' });
    const maxVisits = options.maxVisitsPerZone ?? 10_000;
    if (!(maxVisits === Infinity || (Number.isInteger(maxVisits) && maxVisits >= 0))) {
      throw new ConfigError('INVALID_OPTION', `ZoneMonitor option maxVisitsPerZone must be a non-negative integer or Infinity (got ${String(maxVisits)})`, { culprit: 'maxVisitsPerZone' });
    }
    this.frameWidth = options.frameWidth;
    this.frameHeight = options.frameHeight;
    this.inertiaFrames = inertia;
    this.maxVisitsPerZone = maxVisits;
    this.zones = zones;
    this.names = zones.map((zone) => zone.name);
    this.bounds = new Float64Array(zones.length * 4);
    this.polygons = zones.map((zone, i) => {
      if (this.indexByName.has(zone.name)) {
        throw new ConfigError('INVALID_ZONE', `invalid zone "${zone.name}": name is used twice on this camera`, { culprit: zone.name });
      }
      this.indexByName.set(zone.name, i);
      const flat = toPixelPolygon(zone.polygon, zone.coordinates ?? 'pixels', this.frameWidth, this.frameHeight);
      const [minX, minY, maxX, maxY] = polygonBounds(flat);
      if (maxX < 0 || maxY < 0 || minX > this.frameWidth || minY > this.frameHeight) {
        throw new ConfigError('INVALID_ZONE', `invalid zone "${zone.name}": polygon lies entirely outside the ${this.frameWidth}×${this.frameHeight} frame (pixel coordinates; use coordinates: normalized for fractions)`, { culprit: zone.name });
      }
      this.bounds.set([minX, minY, maxX, maxY], i * 4);
      return flat;
    });
    this.pixelZones = zones.map((zone, i) => {
      const flat = this.polygons[i]!;
      const polygon: Array<[number, number]> = [];
      for (let k = 0; k < flat.length; k += 2) polygon.push([flat[k]!, flat[k + 1]!]);
      return zone.color === undefined ? { name: zone.name, polygon } : { name: zone.name, color: zone.color, polygon };
    });
    this.stats = zones.map(() => ({
      entries: 0, exits: 0, occupancy: 0, maxOccupancy: 0, maxOccupancyTime: null, visits: [], visitsDropped: 0,
      trackIds: new Set<number>(), globalIds: new Set<number>(), totalDwell: 0, maxDwell: 0,
    }));
  }

  /** Names of this camera's zones, in definition order. */
  get zoneNames(): readonly string[] {
    return this.names;
  }

  /**
   * Feeds one processed frame's tracks (all of them; unconfirmed ones are ignored) and returns
   * the enter/exit events decided at this frame. Call once per processed frame, in order.
   *
   * @param frameIndex the frame's index, copied into events and visits.
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
    const zoneCount = this.polygons.length;
    if (zoneCount === 0) return NO_EVENTS;
    let events: ZoneEvent[] | null = null;

    for (let t = 0; t < tracks.length; t++) {
      const track = tracks[t]!;
      if (!track.confirmed) continue;
      let state = this.tracks.get(track.id);
      if (state === undefined) {
        state = {
          globalId: null, inside: new Uint8Array(zoneCount), streak: new Uint16Array(zoneCount),
          enterFrame: new Float64Array(zoneCount), enterTime: new Float64Array(zoneCount), lastSeen: 0, names: NO_ZONES,
        };
        this.tracks.set(track.id, state);
      }
      state.lastSeen = stamp;
      if (track.globalId !== undefined && track.globalId !== null) state.globalId = track.globalId;
      const px = (track.x1 + track.x2) / 2;
      const py = track.y2;
      let changed = false;
      for (let z = 0; z < zoneCount; z++) {
        const b = z * 4;
        const bounds = this.bounds;
        const raw = px >= bounds[b]! && py >= bounds[b + 1]! && px <= bounds[b + 2]! && py <= bounds[b + 3]!
          && pointInPolygon(this.polygons[z]!, px, py);
        if (raw === (state.inside[z] === 1)) {
          state.streak[z] = 0;
          continue;
        }
        if (++state.streak[z]! < this.inertiaFrames) continue;
        state.streak[z] = 0;
        changed = true;
        events ??= [];
        events.push(raw ? this.enter(track.id, state, z, frameIndex, timestamp) : this.exit(track.id, state, z, frameIndex, timestamp, 'left'));
      }
      if (changed) this.refreshNames(state);
    }

    // Tracks not seen for `inertiaFrames` updates are gone: they leave their zones.
    for (const [id, state] of this.tracks) {
      if (stamp - state.lastSeen < this.inertiaFrames) continue;
      for (let z = 0; z < zoneCount; z++) {
        if (state.inside[z] === 1) {
          events ??= [];
          events.push(this.exit(id, state, z, frameIndex, timestamp, 'lost'));
        }
      }
      this.tracks.delete(id);
    }
    return events ?? NO_EVENTS;
  }

  /**
   * Ends a track now (for example when the tracker removes it): exit events for the zones it
   * is in, stamped with `timestamp` and the last frame index passed to `update`.
   */
  removeTrack(trackId: number, timestamp: number): readonly ZoneEvent[] {
    const state = this.tracks.get(trackId);
    if (state === undefined) return NO_EVENTS;
    this.tracks.delete(trackId);
    return this.exitAll(trackId, state, this.lastFrame ?? 0, timestamp, 'removed');
  }

  /**
   * Ends the job: every open visit gets an exit event (reason `end`) at `timestamp` (normally
   * the last frame's time) and the last frame index, so the report's visits and dwell totals
   * cover everyone. The report's `currentOccupancy` then gives the occupancy just before.
   */
  finish(timestamp: number): readonly ZoneEvent[] {
    if (this.occupancyAtFinish === null) this.occupancyAtFinish = Int32Array.from(this.stats, (s) => s.occupancy);
    let events: ZoneEvent[] = [];
    for (const [id, state] of this.tracks) {
      const closed = this.exitAll(id, state, this.lastFrame ?? 0, timestamp, 'end');
      if (closed.length > 0) events = events.concat(closed);
    }
    this.tracks.clear();
    return events;
  }

  /** Tracks inside a zone now (by name or index); 0 for an unknown zone. */
  occupancy(zone: string | number): number {
    const index = typeof zone === 'number' ? zone : this.indexByName.get(zone);
    return index === undefined ? 0 : this.stats[index]?.occupancy ?? 0;
  }

  /** Names of the zones a track is in now (empty when none or unknown). Cheap: cached per change. */
  zonesOf(trackId: number): readonly string[] {
    return this.tracks.get(trackId)?.names ?? NO_ZONES;
  }

  /** Snapshot of every zone's figures and visits; see {@link CameraZoneReport}. */
  report(): CameraZoneReport {
    const atFinish = this.occupancyAtFinish;
    const open: OpenZoneVisit[][] = this.zones.map(() => []);
    for (const [trackId, state] of this.tracks) {
      for (let z = 0; z < this.zones.length; z++) {
        if (state.inside[z] === 1) {
          open[z]!.push({ trackId, globalId: state.globalId, enterFrame: state.enterFrame[z]!, enterTime: state.enterTime[z]! });
        }
      }
    }
    const zones = this.zones.map((zone, z): ZoneReport => {
      const s = this.stats[z]!;
      const closed = s.exits;
      const report: ZoneReport = {
        name: zone.name,
        coordinates: zone.coordinates ?? 'pixels',
        polygon: zone.polygon.map(([x, y]) => [x, y]),
        polygonPixels: this.pixelZones[z]!.polygon.map(([x, y]) => [x, y]),
        entries: s.entries,
        exits: s.exits,
        currentOccupancy: atFinish === null ? s.occupancy : atFinish[z]!,
        maxOccupancy: s.maxOccupancy,
        maxOccupancyTime: s.maxOccupancyTime,
        visits: s.visits.slice(),
        visitsDropped: s.visitsDropped,
        openVisits: open[z]!,
        totals: {
          uniqueTracks: s.trackIds.size,
          uniqueGlobalIds: s.globalIds.size,
          totalDwell: s.totalDwell,
          meanDwell: closed === 0 ? null : s.totalDwell / closed,
          maxDwell: closed === 0 ? null : s.maxDwell,
        },
      };
      if (zone.color !== undefined) report.color = zone.color;
      return report;
    });

    const trackIds = new Set<number>();
    const globalIds = new Set<number>();
    let busiest: string | null = null;
    let busiestEntries = 0;
    for (let z = 0; z < this.stats.length; z++) {
      const s = this.stats[z]!;
      for (const id of s.trackIds) trackIds.add(id);
      for (const id of s.globalIds) globalIds.add(id);
      if (s.entries > busiestEntries) {
        busiestEntries = s.entries;
        busiest = this.names[z]!;
      }
    }
    return {
      frameWidth: this.frameWidth,
      frameHeight: this.frameHeight,
      inertiaFrames: this.inertiaFrames,
      zones,
      summary: {
        zoneCount: zones.length,
        totalEntries: this.stats.reduce((sum, s) => sum + s.entries, 0),
        totalExits: this.stats.reduce((sum, s) => sum + s.exits, 0),
        uniqueTracks: trackIds.size,
        uniqueGlobalIds: globalIds.size,
        busiestZone: busiest,
        framesProcessed: this.frameCount,
        firstFrame: this.firstFrame,
        lastFrame: this.lastFrame,
        firstTimestamp: this.firstTimestamp,
        lastTimestamp: this.lastTimestamp,
        finished: atFinish !== null,
      },
    };
  }

  private enter(trackId: number, state: TrackState, z: number, frameIndex: number, timestamp: number): ZoneEvent {
    const s = this.stats[z]!;
    state.inside[z] = 1;
    state.enterFrame[z] = frameIndex;
    state.enterTime[z] = timestamp;
    s.entries++;
    s.occupancy++;
    s.trackIds.add(trackId);
    if (state.globalId !== null) s.globalIds.add(state.globalId);
    if (s.occupancy > s.maxOccupancy) {
      s.maxOccupancy = s.occupancy;
      s.maxOccupancyTime = timestamp;
    }
    const event: ZoneEvent = { type: 'enter', zone: this.names[z]!, trackId, frameIndex, timestamp };
    if (state.globalId !== null) event.globalId = state.globalId;
    return event;
  }

  private exit(trackId: number, state: TrackState, z: number, frameIndex: number, timestamp: number, reason: ZoneExitReason): ZoneEvent {
    const s = this.stats[z]!;
    const enterTime = state.enterTime[z]!;
    const dwell = Math.max(0, timestamp - enterTime);
    state.inside[z] = 0;
    state.streak[z] = 0;
    s.exits++;
    s.occupancy--;
    s.totalDwell += dwell;
    if (dwell > s.maxDwell) s.maxDwell = dwell;
    // A global id assigned after the enter event still belongs to this visit.
    if (state.globalId !== null) s.globalIds.add(state.globalId);
    if (this.maxVisitsPerZone > 0) {
      if (s.visits.length >= this.maxVisitsPerZone) {
        s.visits.shift();
        s.visitsDropped++;
      }
      s.visits.push({
        trackId, globalId: state.globalId, enterFrame: state.enterFrame[z]!, exitFrame: frameIndex,
        enterTime, exitTime: timestamp, dwell, reason,
      });
    } else {
      s.visitsDropped++;
    }
    const event: ZoneEvent = { type: 'exit', zone: this.names[z]!, trackId, frameIndex, timestamp, dwell, reason };
    if (state.globalId !== null) event.globalId = state.globalId;
    return event;
  }

  private exitAll(trackId: number, state: TrackState, frameIndex: number, timestamp: number, reason: ZoneExitReason): ZoneEvent[] {
    const events: ZoneEvent[] = [];
    for (let z = 0; z < this.zones.length; z++) {
      if (state.inside[z] === 1) events.push(this.exit(trackId, state, z, frameIndex, timestamp, reason));
    }
    state.names = NO_ZONES;
    return events;
  }

  private refreshNames(state: TrackState): void {
    const names: string[] = [];
    for (let z = 0; z < this.names.length; z++) if (state.inside[z] === 1) names.push(this.names[z]!);
    state.names = names.length === 0 ? NO_ZONES : Object.freeze(names);
  }
}
