/**
 * Polygon geometry for zones. Polygons used per frame are flat `Float64Array`s
 * `[x0, y0, x1, y1, …]` in pixels, built once per camera, so the membership test allocates
 * nothing.
 */
import type { ZoneCoordinates } from './types.js';

/** A polygon as written in a zone definition. */
export type Points = ReadonlyArray<readonly [number, number]>;

/** How close (pixels) a point must be to an edge to count as on it, i.e. inside. */
const EDGE_EPSILON = 1e-6;

/**
 * Drops consecutive repeated vertices and a last vertex equal to the first (a closed ring as
 * GeoJSON writes it), so the remaining points are distinct neighbours.
 */
export function dedupePolygon(points: Points): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (const [x, y] of points) {
    const last = out[out.length - 1];
    if (last === undefined || last[0] !== x || last[1] !== y) out.push([x, y]);
  }
  while (out.length > 1 && out[0]![0] === out[out.length - 1]![0] && out[0]![1] === out[out.length - 1]![1]) out.pop();
  return out;
}

/** Signed area (shoelace formula); positive when the vertices run counter-clockwise in y-up axes. */
export function signedArea(points: Points): number {
  let twice = 0;
  for (let i = 0, n = points.length; i < n; i++) {
    const [x1, y1] = points[i]!;
    const [x2, y2] = points[(i + 1) % n]!;
    twice += x1 * y2 - x2 * y1;
  }
  return twice / 2;
}

function cross(ax: number, ay: number, bx: number, by: number, cx: number, cy: number): number {
  return (bx - ax) * (cy - ay) - (by - ay) * (cx - ax);
}

function onSegment(ax: number, ay: number, bx: number, by: number, px: number, py: number): boolean {
  return Math.min(ax, bx) <= px && px <= Math.max(ax, bx) && Math.min(ay, by) <= py && py <= Math.max(ay, by);
}

/** True when segments AB and CD share at least one point (touching and collinear overlap count). */
export function segmentsIntersect(
  ax: number, ay: number, bx: number, by: number,
  cx: number, cy: number, dx: number, dy: number,
): boolean {
  const d1 = cross(cx, cy, dx, dy, ax, ay);
  const d2 = cross(cx, cy, dx, dy, bx, by);
  const d3 = cross(ax, ay, bx, by, cx, cy);
  const d4 = cross(ax, ay, bx, by, dx, dy);
  if (((d1 > 0 && d2 < 0) || (d1 < 0 && d2 > 0)) && ((d3 > 0 && d4 < 0) || (d3 < 0 && d4 > 0))) return true;
  return (d1 === 0 && onSegment(cx, cy, dx, dy, ax, ay))
    || (d2 === 0 && onSegment(cx, cy, dx, dy, bx, by))
    || (d3 === 0 && onSegment(ax, ay, bx, by, cx, cy))
    || (d4 === 0 && onSegment(ax, ay, bx, by, dx, dy));
}

/**
 * Finds two edges of a closed polygon that cross or touch, other than neighbours meeting at
 * their shared vertex (neighbours folding back over each other do count). Edge `i` runs from
 * vertex `i` to vertex `i + 1`. Returns `null` for a simple polygon. O(n²): zones are small.
 */
export function findSelfIntersection(points: Points): [number, number] | null {
  const n = points.length;
  for (let i = 0; i < n; i++) {
    const [ax, ay] = points[i]!;
    const [bx, by] = points[(i + 1) % n]!;
    for (let j = i + 1; j < n; j++) {
      const [cx, cy] = points[j]!;
      const [dx, dy] = points[(j + 1) % n]!;
      const adjacent = j === i + 1 || (i === 0 && j === n - 1);
      if (adjacent) {
        // Neighbours share one vertex; they only conflict when they run back along each other.
        const [sx, sy, ux, uy, vx, vy] = j === i + 1 ? [bx, by, ax, ay, dx, dy] : [ax, ay, bx, by, cx, cy];
        const collinear = cross(sx, sy, ux, uy, vx, vy) === 0;
        const backwards = (ux - sx) * (vx - sx) + (uy - sy) * (vy - sy) > 0;
        if (collinear && backwards) return [i, j];
        continue;
      }
      if (segmentsIntersect(ax, ay, bx, by, cx, cy, dx, dy)) return [i, j];
    }
  }
  return null;
}

/**
 * Converts a zone polygon to flat pixel coordinates for {@link pointInPolygon}.
 * Normalised coordinates are scaled by the frame size.
 */
export function toPixelPolygon(points: Points, coordinates: ZoneCoordinates, frameWidth: number, frameHeight: number): Float64Array {
  const sx = coordinates === 'normalized' ? frameWidth : 1;
  const sy = coordinates === 'normalized' ? frameHeight : 1;
  const flat = new Float64Array(points.length * 2);
  for (let i = 0; i < points.length; i++) {
    flat[2 * i] = points[i]![0] * sx;
    flat[2 * i + 1] = points[i]![1] * sy;
  }
  return flat;
}

/**
 * Whether point (x, y) lies inside a flat polygon `[x0, y0, x1, y1, …]` or on its boundary.
 * Even-odd ray casting, then an edge-distance check so points on an edge or vertex (for
 * example a box touching the bottom of the frame when the zone reaches it) count as inside.
 */
export function pointInPolygon(flat: Float64Array, x: number, y: number): boolean {
  const n = flat.length >> 1;
  let inside = false;
  for (let i = 0, j = n - 1; i < n; j = i++) {
    const xi = flat[2 * i]!, yi = flat[2 * i + 1]!;
    const xj = flat[2 * j]!, yj = flat[2 * j + 1]!;
    if ((yi > y) !== (yj > y) && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  if (inside) return true;
  for (let i = 0, j = n - 1; i < n; j = i++) {
    const xi = flat[2 * i]!, yi = flat[2 * i + 1]!;
    const xj = flat[2 * j]!, yj = flat[2 * j + 1]!;
    const ex = xj - xi, ey = yj - yi;
    const lengthSq = ex * ex + ey * ey;
    // Projection of the point on the edge, clamped to the segment, then its distance.
    const t = lengthSq === 0 ? 0 : Math.max(0, Math.min(1, ((x - xi) * ex + (y - yi) * ey) / lengthSq));
    const dx = xi + t * ex - x, dy = yi + t * ey - y;
    if (dx * dx + dy * dy <= EDGE_EPSILON * EDGE_EPSILON) return true;
  }
  return false;
}

/** Axis-aligned bounds `[minX, minY, maxX, maxY]` of a flat polygon. */
export function polygonBounds(flat: Float64Array): [number, number, number, number] {
  let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
  for (let i = 0; i < flat.length; i += 2) {
    const x = flat[i]!, y = flat[i + 1]!;
    if (x < minX) minX = x;
    if (x > maxX) maxX = x;
    if (y < minY) minY = y;
    if (y > maxY) maxY = y;
  }
  return [minX, minY, maxX, maxY];
}

/**
 * Signed distance in pixels from (x, y) to the infinite line through A → B, in image
 * coordinates (x to the right, y down): positive on the right side seen from A towards B,
 * negative on the left, 0 on the line. For A = (0, 0), B = (1, 0) the point (0, 1), below
 * the line on screen, is at +1. A and B must differ.
 */
export function signedDistanceToLine(ax: number, ay: number, bx: number, by: number, x: number, y: number): number {
  const dx = bx - ax, dy = by - ay;
  return (dx * (y - ay) - dy * (x - ax)) / Math.hypot(dx, dy);
}

/**
 * Where the projection of (x, y) falls along A → B: 0 at A, 1 at B, outside [0, 1] beyond
 * the segment's ends. A and B must differ.
 */
export function positionAlongLine(ax: number, ay: number, bx: number, by: number, x: number, y: number): number {
  const dx = bx - ax, dy = by - ay;
  return ((x - ax) * dx + (y - ay) * dy) / (dx * dx + dy * dy);
}
