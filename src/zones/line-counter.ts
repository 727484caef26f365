/**
 * Counting lines: crossings of directed segments by tracks' anchors, in both directions.
 *
 * Per track and line the counter remembers the side the anchor last settled on — at least
 * `margin` pixels from the line — and where the anchor's path last passed the infinite line.
 * When the anchor settles on the other side, that is one crossing, counted only if the
 * passage lay within the segment (between its ends); the opposite crossing then needs the
 * anchor to settle back on the first side. So jitter within the margin counts nothing, and a
 * path around the segment's end counts nothing. Frames where the tracker only predicts the
 * track (lost) are not seen: a track lost on the line and found again on the other side
 * counts once, with the passage taken from its last seen point to its first one after.
 */
import { anchorX, anchorY, type AnchorBox } from './anchor.js';
import type { PixelLine } from './compile.js';
import { DistinctCounter } from './distinct.js';
import { positionAlongLine, signedDistanceToLine } from './geometry.js';
import { RecentItems } from './ring.js';
import type { LineCrossEvent, LineCrossing, LineDirection, LineIdentityCount, LineReport } from './types.js';

/** Limits of {@link LineCrossingCounter}. */
export interface LineCrossingCounterOptions {
  maxCrossingsPerLine: number;
  maxIdentitiesPerLine: number;
  exactDistinctLimit: number;
}

/** Slots per line in {@link LineTrackState.geometry}. */
const DISTANCE = 0;
const ALONG = 1;
const PASSAGE = 2;
const SLOTS = 3;

/** What the counter remembers of one track; indexed by line. Freed with the track. */
export interface LineTrackState {
  /** Side the anchor last settled on: −1 left, +1 right, 0 not yet. */
  readonly side: Int8Array;
  /**
   * Per line: the signed distance and the position along the line of the last seen anchor
   * (NaN before the first), and the position along the line where its path last passed the
   * line since it settled (NaN when it has not).
   */
  readonly geometry: Float64Array;
  /** 1 once the track has crossed the line: it counts once in the line's distinct tracks. */
  readonly counted: Uint8Array;
}

/** Running figures of one line. */
interface LineFigures {
  in: number;
  out: number;
  uniqueTracks: number;
  globalIds: DistinctCounter;
  firstCrossingTime: number | null;
  lastCrossingTime: number | null;
  /** Most recently active identities last (a Map keeps insertion order). */
  byGlobalId: Map<number, LineIdentityCount>;
  identitiesDropped: number;
  crossings: RecentItems<LineCrossing>;
}

/** Crossings of one camera's counting lines. */
export class LineCrossingCounter {
  private readonly figures: LineFigures[];

  constructor(readonly lines: readonly PixelLine[], private readonly options: LineCrossingCounterOptions) {
    this.figures = lines.map(() => ({
      in: 0, out: 0, uniqueTracks: 0, globalIds: new DistinctCounter(options.exactDistinctLimit),
      firstCrossingTime: null, lastCrossingTime: null, byGlobalId: new Map(), identitiesDropped: 0,
      crossings: new RecentItems<LineCrossing>(options.maxCrossingsPerLine),
    }));
  }

  newTrackState(): LineTrackState {
    const lineCount = this.lines.length;
    return { side: new Int8Array(lineCount), geometry: new Float64Array(lineCount * SLOTS).fill(Number.NaN), counted: new Uint8Array(lineCount) };
  }

  /**
   * One seen frame of one track. Returns `events` with the crossings decided now appended;
   * `events` is created on the first crossing when `null` (no allocation without crossings).
   */
  observe(
    trackId: number, globalId: number | null, state: LineTrackState, box: AnchorBox, frameIndex: number, timestamp: number,
    events: LineCrossEvent[] | null,
  ): LineCrossEvent[] | null {
    const { side, geometry } = state;
    const x = anchorX(box);
    for (let l = 0; l < this.lines.length; l++) {
      const line = this.lines[l]!;
      const y = anchorY(box, line.anchor);
      const distance = signedDistanceToLine(line.ax, line.ay, line.bx, line.by, x, y);
      const along = positionAlongLine(line.ax, line.ay, line.bx, line.by, x, y);
      const g = l * SLOTS;
      const previous = geometry[g + DISTANCE]!;
      // The path from the previous anchor passed the line: remember where (linear interpolation).
      if ((previous < 0 && distance >= 0) || (previous > 0 && distance <= 0)) {
        const t = previous / (previous - distance);
        geometry[g + PASSAGE] = geometry[g + ALONG]! + t * (along - geometry[g + ALONG]!);
      }
      geometry[g + DISTANCE] = distance;
      geometry[g + ALONG] = along;

      const settled = distance >= line.margin ? 1 : distance <= -line.margin ? -1 : 0;
      if (settled === 0) continue;
      const passage = geometry[g + PASSAGE]!;
      if (side[l] === -settled && passage >= 0 && passage <= 1) {
        events ??= [];
        events.push(this.count(l, settled === 1 ? 'in' : 'out', trackId, globalId, state, frameIndex, timestamp));
      }
      side[l] = settled;
      geometry[g + PASSAGE] = Number.NaN;
    }
    return events;
  }

  private count(l: number, direction: LineDirection, trackId: number, globalId: number | null, state: LineTrackState, frameIndex: number, timestamp: number): LineCrossEvent {
    const f = this.figures[l]!;
    f[direction]++;
    if (state.counted[l] === 0) {
      state.counted[l] = 1;
      f.uniqueTracks++;
    }
    f.firstCrossingTime ??= timestamp;
    f.lastCrossingTime = timestamp;
    f.crossings.push({ direction, trackId, globalId, frameIndex, timestamp });
    const event: LineCrossEvent = { type: 'line:cross', line: this.lines[l]!.name, direction, trackId, frameIndex, timestamp };
    if (globalId !== null) {
      event.globalId = globalId;
      f.globalIds.add(globalId);
      let identity = f.byGlobalId.get(globalId);
      if (identity === undefined) {
        identity = { globalId, in: 0, out: 0, firstTime: timestamp, lastTime: timestamp };
        if (f.byGlobalId.size >= this.options.maxIdentitiesPerLine) {
          // Let go of the identity that crossed longest ago.
          const oldest = f.byGlobalId.keys().next();
          if (!oldest.done) {
            f.byGlobalId.delete(oldest.value);
            f.identitiesDropped++;
          }
        }
      } else {
        f.byGlobalId.delete(globalId); // re-inserted below: most recently active last
      }
      identity[direction]++;
      identity.lastTime = timestamp;
      if (this.options.maxIdentitiesPerLine > 0) f.byGlobalId.set(globalId, identity);
      else f.identitiesDropped++;
    }
    return event;
  }

  /** Crossings of line `l` so far, without the definition part of the report. */
  figuresOf(l: number): Omit<LineReport, 'name' | 'color' | 'coordinates' | 'line' | 'linePixels' | 'margin' | 'anchor'> {
    const f = this.figures[l]!;
    return {
      in: f.in,
      out: f.out,
      uniqueTracks: f.uniqueTracks,
      uniqueGlobalIds: f.globalIds.count,
      uniqueGlobalIdsEstimated: f.globalIds.estimated,
      firstCrossingTime: f.firstCrossingTime,
      lastCrossingTime: f.lastCrossingTime,
      byGlobalId: [...f.byGlobalId.values()].map((c) => ({ ...c })).sort((a, b) => a.globalId - b.globalId),
      identitiesDropped: f.identitiesDropped,
      crossings: f.crossings.toArray(),
      crossingsDropped: f.crossings.dropped,
    };
  }

  /** Crossings of line `l` so far. */
  countsOf(l: number): { in: number; out: number } {
    const f = this.figures[l]!;
    return { in: f.in, out: f.out };
  }

  /** Crossings in/out of every line. */
  totals(): { in: number; out: number } {
    let totalIn = 0, totalOut = 0;
    for (const f of this.figures) {
      totalIn += f.in;
      totalOut += f.out;
    }
    return { in: totalIn, out: totalOut };
  }

  /** Memory held: crossings and identity records kept, exact distinct values. */
  sizes(): { crossings: number; identities: number; distinctValues: number } {
    let crossings = 0, identities = 0, distinctValues = 0;
    for (const f of this.figures) {
      crossings += f.crossings.length;
      identities += f.byGlobalId.size;
      distinctValues += f.globalIds.exactSize;
    }
    return { crossings, identities, distinctValues };
  }
}
