/**
 * Drawing straight into packed 3-channel frames (rgb24 or bgr24): solid and translucent
 * rectangles, thick lines, polygon fills from precomputed scan-line runs, and 8-bit alpha
 * masks (text). Integer arithmetic on the frame's own bytes: no canvas, no copy, no
 * allocation per call (polygon runs are computed once per polygon and reused).
 */

/** A colour as the three bytes of a pixel, in the frame's own channel order. */
export type PixelColor = readonly [number, number, number];

/** A packed frame to draw on. */
export interface Raster {
  data: Uint8Array;
  width: number;
  height: number;
}

/** `#rrggbb` → pixel bytes for the given channel order. */
export function pixelColor(hex: string, bgr: boolean): PixelColor {
  const value = Number.parseInt(hex.slice(1, 7), 16);
  const r = (value >> 16) & 0xff;
  const g = (value >> 8) & 0xff;
  const b = value & 0xff;
  return bgr ? [b, g, r] : [r, g, b];
}

/**
 * Fills `[x1, x2) × [y1, y2)` (clipped) with `color` at opacity `alpha256` (0–256; 256 opaque).
 */
export function fillRect(r: Raster, x1: number, y1: number, x2: number, y2: number, color: PixelColor, alpha256 = 256): void {
  const left = Math.max(0, Math.floor(x1));
  const right = Math.min(r.width, Math.ceil(x2));
  const top = Math.max(0, Math.floor(y1));
  const bottom = Math.min(r.height, Math.ceil(y2));
  if (right <= left || bottom <= top) return;
  const c0 = color[0];
  const c1 = color[1];
  const c2 = color[2];
  const d = r.data;
  const keep = 256 - alpha256;
  for (let y = top; y < bottom; y++) {
    let i = (y * r.width + left) * 3;
    const end = (y * r.width + right) * 3;
    if (alpha256 >= 256) {
      for (; i < end; i += 3) {
        d[i] = c0;
        d[i + 1] = c1;
        d[i + 2] = c2;
      }
    } else {
      for (; i < end; i += 3) {
        d[i] = (d[i]! * keep + c0 * alpha256) >> 8;
        d[i + 1] = (d[i + 1]! * keep + c1 * alpha256) >> 8;
        d[i + 2] = (d[i + 2]! * keep + c2 * alpha256) >> 8;
      }
    }
  }
}

/** The outline of a box, `lineWidth` pixels thick, inside the box. */
export function strokeRect(r: Raster, x1: number, y1: number, x2: number, y2: number, lineWidth: number, color: PixelColor): void {
  fillRect(r, x1, y1, x2, y1 + lineWidth, color);
  fillRect(r, x1, y2 - lineWidth, x2, y2, color);
  fillRect(r, x1, y1, x1 + lineWidth, y2, color);
  fillRect(r, x2 - lineWidth, y1, x2, y2, color);
}

/**
 * A segment `lineWidth` pixels thick: a square stamped at every step along its major axis.
 * The stamps' corners are whole numbers, so the loop boxes no floating-point value.
 */
export function drawLine(r: Raster, x1: number, y1: number, x2: number, y2: number, lineWidth: number, color: PixelColor): void {
  const dx = x2 - x1;
  const dy = y2 - y1;
  const steps = Math.max(1, Math.ceil(Math.max(Math.abs(dx), Math.abs(dy)))) | 0;
  const side = Math.max(1, Math.round(lineWidth)) | 0;
  const left = Math.round(x1 - side / 2) | 0;
  const top = Math.round(y1 - side / 2) | 0;
  const stepX = dx / steps;
  const stepY = dy / steps;
  for (let s = 0; s <= steps; s++) {
    const x = (left + Math.round(stepX * s)) | 0;
    const y = (top + Math.round(stepY * s)) | 0;
    fillRect(r, x, y, x + side, y + side, color);
  }
}

/**
 * Scan-line runs covering a polygon (even-odd rule, pixel centres): triples `[y, xStart, xEnd)`
 * clipped to the frame. Computed once per polygon; {@link fillRuns} draws them.
 */
export function polygonRuns(points: ReadonlyArray<readonly [number, number]>, width: number, height: number): Int32Array {
  const runs: number[] = [];
  const crossings: number[] = [];
  let minY = Infinity;
  let maxY = -Infinity;
  for (const [, y] of points) {
    minY = Math.min(minY, y);
    maxY = Math.max(maxY, y);
  }
  for (let y = Math.max(0, Math.floor(minY)); y < Math.min(height, Math.ceil(maxY)); y++) {
    const cy = y + 0.5;
    crossings.length = 0;
    for (let i = 0, j = points.length - 1; i < points.length; j = i++) {
      const [xi, yi] = points[i]!;
      const [xj, yj] = points[j]!;
      if (yi > cy !== yj > cy) crossings.push(xi + ((cy - yi) * (xj - xi)) / (yj - yi));
    }
    crossings.sort((a, b) => a - b);
    for (let k = 0; k + 1 < crossings.length; k += 2) {
      const start = Math.max(0, Math.ceil(crossings[k]! - 0.5));
      const end = Math.min(width, Math.ceil(crossings[k + 1]! - 0.5));
      if (end > start) runs.push(y, start, end);
    }
  }
  return Int32Array.from(runs);
}

/** Blends `color` at `alpha256` over the pixels of `runs` (from {@link polygonRuns}). */
export function fillRuns(r: Raster, runs: Int32Array, color: PixelColor, alpha256: number): void {
  const c0 = color[0];
  const c1 = color[1];
  const c2 = color[2];
  const d = r.data;
  const keep = 256 - alpha256;
  for (let k = 0; k < runs.length; k += 3) {
    const row = runs[k]! * r.width;
    for (let i = (row + runs[k + 1]!) * 3, end = (row + runs[k + 2]!) * 3; i < end; i += 3) {
      d[i] = (d[i]! * keep + c0 * alpha256) >> 8;
      d[i + 1] = (d[i + 1]! * keep + c1 * alpha256) >> 8;
      d[i + 2] = (d[i + 2]! * keep + c2 * alpha256) >> 8;
    }
  }
}

/** Blends `color` through an 8-bit coverage mask (`maskWidth` wide) placed at (x, y), clipped. */
export function blendMask(r: Raster, mask: Uint8Array, maskWidth: number, maskHeight: number, x: number, y: number, color: PixelColor): void {
  const c0 = color[0];
  const c1 = color[1];
  const c2 = color[2];
  const d = r.data;
  const top = Math.max(0, -y);
  const left = Math.max(0, -x);
  const bottom = Math.min(maskHeight, r.height - y);
  const right = Math.min(maskWidth, r.width - x);
  for (let my = top; my < bottom; my++) {
    let i = ((y + my) * r.width + x + left) * 3;
    for (let mx = left, m = my * maskWidth + left; mx < right; mx++, m++, i += 3) {
      const a = mask[m]!;
      if (a === 0) continue;
      const keep = 255 - a;
      d[i] = (d[i]! * keep + c0 * a + 127) / 255;
      d[i + 1] = (d[i + 1]! * keep + c1 * a + 127) / 255;
      d[i + 2] = (d[i + 2]! * keep + c2 * a + 127) / 255;
    }
  }
}
