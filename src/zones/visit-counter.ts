/**
 * The stateful half of zones: from each frame's membership (see `membership.ts`) to visits,
 * following the tracker's lifecycle. A membership change needs `inertiaFrames` consecutive
 * seen frames that agree; frames where the tracker only predicts the track (lost) are not
 * seen and change nothing, so an occlusion keeps the visit open. A visit ends when the track
 * is seen outside long enough, or when the track ends (removed, vanished, end of job).
 */
import { DistinctCounter } from './distinct.js';
import { RecentItems } from './ring.js';
import type { ZoneEvent, ZoneExitReason, ZoneVisit } from './types.js';

/** Limits of {@link ZoneVisitCounter}. */
export interface ZoneVisitCounterOptions {
  inertiaFrames: number;
  maxVisitsPerZone: number;
  exactDistinctLimit: number;
}

/** Slots per zone in {@link ZoneTrackState.stamps}. */
const ENTER_FRAME = 0;
const ENTER_TIME = 1;
const LAST_INSIDE_FRAME = 2;
const LAST_INSIDE_TIME = 3;
const STAMPS = 4;

const NO_NAMES: readonly string[] = Object.freeze([]);

/** What the counter remembers of one track; arrays are indexed by zone. Freed with the track. */
export interface ZoneTrackState {
  /** 1 while the track counts as inside the zone (its visit is open). */
  readonly inside: Uint8Array;
  /** Consecutive seen frames whose membership disagreed with `inside`. */
  readonly streak: Uint16Array;
  /**
   * Per zone, {@link STAMPS} numbers: the enter frame and time (while outside: the first frame
   * of the current run seen inside, the enter stamp if it lasts), then the last frame and time
   * the track was seen inside.
   */
  readonly stamps: Float64Array;
  /** 1 once the track has entered the zone: it counts once in the zone's distinct tracks. */
  readonly counted: Uint8Array;
  /** True once the track has entered any zone. */
  countedAnywhere: boolean;
  /** Zone names the track is inside, rebuilt only when membership changes. */
  names: readonly string[];
}

/** Running figures of one zone. */
interface ZoneFigures {
  entries: number;
  exits: number;
  closedAtEnd: number;
  occupancy: number;
  maxOccupancy: number;
  maxOccupancyTime: number | null;
  visits: RecentItems<ZoneVisit>;
  uniqueTracks: number;
  globalIds: DistinctCounter;
  /** Sums over every closed visit, end-of-job ones included. */
  closedVisits: number;
  totalDwell: number;
  maxDwell: number;
}

/** A pending enter, applied after the frame's exits so a hand-over does not look like a crowd. */
interface PendingEnter {
  trackId: number;
  globalId: number | null;
  state: ZoneTrackState;
  zone: number;
}

/** The frame being observed, as the monitor passes it. */
export interface ObservedFrame {
  frameIndex: number;
  timestamp: number;
}

/** Zone visits of one camera's tracks. */
export class ZoneVisitCounter {
  readonly figures: readonly ZoneFigures[];
  /** Distinct tracks / global ids over every zone, for the camera's summary. */
  uniqueTracksAnywhere = 0;
  readonly globalIdsAnywhere: DistinctCounter;
  private readonly pending: PendingEnter[] = [];

  constructor(private readonly names: readonly string[], private readonly options: ZoneVisitCounterOptions) {
    this.figures = names.map(() => ({
      entries: 0, exits: 0, closedAtEnd: 0, occupancy: 0, maxOccupancy: 0, maxOccupancyTime: null,
      visits: new RecentItems<ZoneVisit>(options.maxVisitsPerZone), uniqueTracks: 0,
      globalIds: new DistinctCounter(options.exactDistinctLimit), closedVisits: 0, totalDwell: 0, maxDwell: 0,
    }));
    this.globalIdsAnywhere = new DistinctCounter(options.exactDistinctLimit);
  }

  newTrackState(): ZoneTrackState {
    const zoneCount = this.names.length;
    return {
      inside: new Uint8Array(zoneCount), streak: new Uint16Array(zoneCount), stamps: new Float64Array(zoneCount * STAMPS),
      counted: new Uint8Array(zoneCount), countedAnywhere: false, names: NO_NAMES,
    };
  }

  /**
   * One seen frame of one track: `member[offset + z]` is 1 when its anchor is in zone `z`
   * now. Exits are pushed to `events` at once; enters wait for {@link ZoneVisitCounter.flushEnters}.
   */
  observe(
    trackId: number, globalId: number | null, state: ZoneTrackState, member: Uint8Array, offset: number,
    frame: ObservedFrame, events: ZoneEvent[],
  ): void {
    const { inside, streak, stamps } = state;
    let changed = false;
    for (let z = 0; z < inside.length; z++) {
      const now = member[offset + z] === 1;
      const s = z * STAMPS;
      if (now) {
        if (inside[z] === 0 && streak[z] === 0) {
          // First frame of a run seen inside: the enter stamp, if the run lasts.
          stamps[s + ENTER_FRAME] = frame.frameIndex;
          stamps[s + ENTER_TIME] = frame.timestamp;
        }
        stamps[s + LAST_INSIDE_FRAME] = frame.frameIndex;
        stamps[s + LAST_INSIDE_TIME] = frame.timestamp;
      }
      if (now === (inside[z] === 1)) {
        streak[z] = 0;
        continue;
      }
      if (++streak[z]! < this.options.inertiaFrames) continue;
      streak[z] = 0;
      if (now) {
        this.pending.push({ trackId, globalId, state, zone: z });
      } else {
        events.push(this.close(trackId, globalId, state, z, 'left', frame, frame));
        changed = true;
      }
    }
    if (changed) refreshNames(state, this.names);
  }

  /** Applies the enters decided since the last call, in order, and pushes their events. */
  flushEnters(frame: ObservedFrame, events: ZoneEvent[]): void {
    if (this.pending.length === 0) return;
    for (const { trackId, globalId, state, zone } of this.pending) {
      events.push(this.open(trackId, globalId, state, zone, frame));
      refreshNames(state, this.names);
    }
    this.pending.length = 0;
  }

  /**
   * Ends every open visit of a track that has ended. `left`, `removed`, `lost`: each visit is
   * stamped with the last frame the track was seen inside; `end`: with `endFrame`.
   */
  closeAll(trackId: number, globalId: number | null, state: ZoneTrackState, reason: ZoneExitReason, decision: ObservedFrame, endFrame: ObservedFrame, events: ZoneEvent[]): void {
    for (let z = 0; z < state.inside.length; z++) {
      if (state.inside[z] === 1) events.push(this.close(trackId, globalId, state, z, reason, decision, endFrame));
    }
    state.names = NO_NAMES;
  }

  private open(trackId: number, globalId: number | null, state: ZoneTrackState, z: number, decision: ObservedFrame): ZoneEvent {
    const f = this.figures[z]!;
    const s = z * STAMPS;
    const frameIndex = state.stamps[s + ENTER_FRAME]!;
    const timestamp = state.stamps[s + ENTER_TIME]!;
    state.inside[z] = 1;
    f.entries++;
    f.occupancy++;
    if (state.counted[z] === 0) {
      state.counted[z] = 1;
      f.uniqueTracks++;
    }
    if (!state.countedAnywhere) {
      state.countedAnywhere = true;
      this.uniqueTracksAnywhere++;
    }
    this.countGlobalId(f, globalId);
    if (f.occupancy > f.maxOccupancy) {
      f.maxOccupancy = f.occupancy;
      f.maxOccupancyTime = timestamp;
    }
    const event: ZoneEvent = {
      type: 'enter', zone: this.names[z]!, trackId, frameIndex, timestamp,
      decisionFrame: decision.frameIndex, decisionTimestamp: decision.timestamp,
    };
    if (globalId !== null) event.globalId = globalId;
    return event;
  }

  private close(
    trackId: number, globalId: number | null, state: ZoneTrackState, z: number, reason: ZoneExitReason,
    decision: ObservedFrame, endFrame: ObservedFrame,
  ): ZoneEvent {
    const f = this.figures[z]!;
    const s = z * STAMPS;
    const enterFrame = state.stamps[s + ENTER_FRAME]!;
    const enterTime = state.stamps[s + ENTER_TIME]!;
    const atEnd = reason === 'end';
    const exitFrame = atEnd ? endFrame.frameIndex : state.stamps[s + LAST_INSIDE_FRAME]!;
    const exitTime = atEnd ? endFrame.timestamp : state.stamps[s + LAST_INSIDE_TIME]!;
    const dwell = Math.max(0, exitTime - enterTime);
    state.inside[z] = 0;
    state.streak[z] = 0;
    f.occupancy--;
    if (atEnd) f.closedAtEnd++;
    else f.exits++;
    f.closedVisits++;
    f.totalDwell += dwell;
    if (dwell > f.maxDwell) f.maxDwell = dwell;
    // A global id assigned after the enter still belongs to this visit.
    this.countGlobalId(f, globalId);
    f.visits.push({ trackId, globalId, enterFrame, exitFrame, enterTime, exitTime, dwell, reason });
    const event: ZoneEvent = {
      type: 'exit', zone: this.names[z]!, trackId, frameIndex: exitFrame, timestamp: exitTime,
      decisionFrame: decision.frameIndex, decisionTimestamp: decision.timestamp, dwell, reason,
    };
    if (globalId !== null) event.globalId = globalId;
    return event;
  }

  private countGlobalId(f: ZoneFigures, globalId: number | null): void {
    if (globalId === null) return;
    f.globalIds.add(globalId);
    this.globalIdsAnywhere.add(globalId);
  }

}

/** Where the open visit of a track in zone `z` began. */
export function enterStamp(state: ZoneTrackState, z: number): { frameIndex: number; timestamp: number } {
  return { frameIndex: state.stamps[z * STAMPS + ENTER_FRAME]!, timestamp: state.stamps[z * STAMPS + ENTER_TIME]! };
}

function refreshNames(state: ZoneTrackState, names: readonly string[]): void {
  const inside: string[] = [];
  for (let z = 0; z < names.length; z++) if (state.inside[z] === 1) inside.push(names[z]!);
  state.names = inside.length === 0 ? NO_NAMES : Object.freeze(inside);
}
