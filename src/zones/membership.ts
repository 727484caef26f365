/**
 * Zone membership now, without memory: which anchor points lie in which polygon. The
 * stateful part (inertia, visits, the tracker's lifecycle) lives in the visit counter; this
 * only answers the geometric question, the same way on every call.
 */
import { pointInPolygon } from './geometry.js';

/** A zone ready for membership tests: its polygon flat in frame pixels and its bounds. */
export interface PixelPolygon {
  /** `[x0, y0, x1, y1, …]` in frame pixels. */
  readonly polygon: Float64Array;
  /** `[minX, minY, maxX, maxY]`, for a quick reject before the polygon test. */
  readonly bounds: Float64Array;
}

/**
 * Fills `out[i * zones.length + z]` with 1 when anchor `i` (at `anchors[2i], anchors[2i + 1]`)
 * lies inside polygon `z` or on its edge, 0 otherwise, for the first `count` anchors.
 * Allocates nothing.
 *
 * @param out at least `count * zones.length` entries.
 */
export function zoneMembership(zones: readonly PixelPolygon[], anchors: Float64Array, count: number, out: Uint8Array): void {
  const zoneCount = zones.length;
  for (let i = 0; i < count; i++) {
    const x = anchors[2 * i]!;
    const y = anchors[2 * i + 1]!;
    const row = i * zoneCount;
    for (let z = 0; z < zoneCount; z++) {
      const { polygon, bounds } = zones[z]!;
      const inBounds = x >= bounds[0]! && y >= bounds[1]! && x <= bounds[2]! && y <= bounds[3]!;
      out[row + z] = inBounds && pointInPolygon(polygon, x, y) ? 1 : 0;
    }
  }
}
