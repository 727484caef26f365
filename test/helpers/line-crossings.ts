/**
 * Line crossings counted straight from a tracks CSV, independently of `ZoneMonitor`, so a
 * test can check the monitor's `in`/`out` against the rows the job wrote.
 *
 * The rule (docs/zones.md, "Counting lines"), applied to each track's rows in frame order:
 * 1. The anchor is the middle of the box's bottom edge (or its centre / top edge).
 * 2. Its side value is the cross product (B − A) × (P − A) divided by |B − A|: the signed
 *    distance from the line, positive on the right seen from A towards B (image y down).
 * 3. A row is "settled" when that distance is at least `margin` on either side.
 * 4. Between two consecutive settled rows on opposite sides, the track crossed once: at the
 *    last pair of consecutive rows in that stretch where the sign of the distance changes.
 *    The crossing point is interpolated on that pair; it counts when its projection on the
 *    segment lies between A and B. Left → right is `in`, right → left `out`; it is stamped
 *    with the frame of the settled row that ends the stretch.
 *
 * The CSV holds boxes rounded to 0.1 px, and only the tracks the tracker matched (not lost
 * ones); the monitor sees the same rows unrounded, so counts agree except for an anchor
 * within 0.05 px of the margin or a crossing within rounding of a segment end.
 */
import { parseTracksCsv, type TrackCsvRow } from '../../src/output/tracks-csv.js';

/** A directed counting line in frame pixels. */
export interface CountingLine {
  /** First point: the line runs from `a` to `b`. */
  a: readonly [number, number];
  b: readonly [number, number];
  /** Pixels past the line a row must be to count as on a side. */
  margin: number;
  /** @default 'bottom-center' */
  anchor?: 'bottom-center' | 'center' | 'top-center';
}

/** One crossing found in the rows. */
export interface FoundCrossing {
  trackId: number;
  direction: 'in' | 'out';
  /** Frame of the row where the track settled on the new side. */
  frameIndex: number;
}

interface Sample {
  frameIndex: number;
  /** Signed distance from the line, pixels. */
  distance: number;
  /** Projection on the segment: 0 at a, 1 at b. */
  along: number;
}

function sample(row: TrackCsvRow, line: CountingLine): Sample {
  const x = (row.x1 + row.x2) / 2;
  const anchor = line.anchor ?? 'bottom-center';
  const y = anchor === 'bottom-center' ? row.y2 : anchor === 'top-center' ? row.y1 : (row.y1 + row.y2) / 2;
  const [ax, ay] = line.a;
  const [bx, by] = line.b;
  const ux = bx - ax;
  const uy = by - ay;
  const length = Math.sqrt(ux * ux + uy * uy);
  return {
    frameIndex: row.frameIndex,
    distance: (ux * (y - ay) - uy * (x - ax)) / length,
    along: ((x - ax) * ux + (y - ay) * uy) / (length * length),
  };
}

/** True when the distance changes sign from `p` to `q` (reaching 0 counts as reaching the other side). */
function passes(p: Sample, q: Sample): boolean {
  return (p.distance < 0 && q.distance >= 0) || (p.distance > 0 && q.distance <= 0);
}

/** The crossings of one track's samples, in frame order. */
function crossingsOfTrack(trackId: number, samples: Sample[], margin: number): FoundCrossing[] {
  const found: FoundCrossing[] = [];
  let settledAt = -1; // index of the latest settled sample
  for (let k = 0; k < samples.length; k++) {
    const side = samples[k]!.distance >= margin ? 1 : samples[k]!.distance <= -margin ? -1 : 0;
    if (side === 0) continue;
    if (settledAt >= 0 && side !== Math.sign(samples[settledAt]!.distance)) {
      // The last sign change between the two settled samples.
      for (let j = k - 1; j >= settledAt; j--) {
        const p = samples[j]!;
        const q = samples[j + 1]!;
        if (!passes(p, q)) continue;
        const t = p.distance / (p.distance - q.distance);
        const along = p.along + t * (q.along - p.along);
        if (along >= 0 && along <= 1) found.push({ trackId, direction: side === 1 ? 'in' : 'out', frameIndex: samples[k]!.frameIndex });
        break;
      }
    }
    settledAt = k;
  }
  return found;
}

/** Crossings of `line` by the tracks in `rows` (any order), sorted by frame then track. */
export function lineCrossingsInRows(rows: readonly TrackCsvRow[], line: CountingLine): FoundCrossing[] {
  const byTrack = new Map<number, TrackCsvRow[]>();
  for (const row of rows) {
    const list = byTrack.get(row.trackId);
    if (list === undefined) byTrack.set(row.trackId, [row]);
    else list.push(row);
  }
  const found: FoundCrossing[] = [];
  for (const [trackId, list] of byTrack) {
    list.sort((p, q) => p.frameIndex - q.frameIndex);
    found.push(...crossingsOfTrack(trackId, list.map((row) => sample(row, line)), line.margin));
  }
  return found.sort((p, q) => p.frameIndex - q.frameIndex || p.trackId - q.trackId);
}

/** Crossings of `line` in a tracks CSV's text, with the totals per direction. */
export function lineCrossingsInTracksCsv(csv: string, line: CountingLine): { in: number; out: number; crossings: FoundCrossing[] } {
  const crossings = lineCrossingsInRows(parseTracksCsv(csv), line);
  return {
    in: crossings.filter((c) => c.direction === 'in').length,
    out: crossings.filter((c) => c.direction === 'out').length,
    crossings,
  };
}
