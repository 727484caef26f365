/**
 * Turns one camera's zone and line definitions into frame pixels, checked against the frame:
 * the part of validation that needs the frame size (everything else is checked when the
 * zones file is parsed). Throws before any frame is processed.
 */
import { ConfigError } from '../errors.js';
import type { PixelPolygon } from './membership.js';
import { polygonBounds, toPixelPolygon } from './geometry.js';
import type { AnchorPoint, LineDefinition, ZoneDefinition } from './types.js';

/** A zone in frame pixels. */
export interface PixelZone extends PixelPolygon {
  readonly name: string;
}

/** A counting line in frame pixels: the segment A → B, its margin and anchor. */
export interface PixelLine {
  readonly name: string;
  readonly ax: number;
  readonly ay: number;
  readonly bx: number;
  readonly by: number;
  /** Pixels past the line before a crossing counts. */
  readonly margin: number;
  readonly anchor: AnchorPoint;
}

/** Shortest segment accepted, pixels: shorter ones have no usable direction. */
const MIN_LINE_LENGTH = 1e-6;

function frameSize(width: number, height: number): string {
  return `${width}×${height}`;
}

/**
 * @throws {@link ConfigError} `INVALID_ZONE` for a polygon entirely outside the frame, a line
 * endpoint outside it, a line too short, a bad margin, or a name used twice among the zones
 * and lines of the camera.
 */
export function compileZones(zones: readonly ZoneDefinition[], frameWidth: number, frameHeight: number): PixelZone[] {
  return zones.map((zone) => {
    const polygon = toPixelPolygon(zone.polygon, zone.coordinates ?? 'pixels', frameWidth, frameHeight);
    const bounds = Float64Array.from(polygonBounds(polygon));
    if (bounds[2]! < 0 || bounds[3]! < 0 || bounds[0]! > frameWidth || bounds[1]! > frameHeight) {
      throw new ConfigError('INVALID_ZONE', `invalid zone "${zone.name}": polygon lies entirely outside the ${frameSize(frameWidth, frameHeight)} frame (pixel coordinates; use coordinates: normalized for fractions)`, { culprit: zone.name });
    }
    return { name: zone.name, polygon, bounds };
  });
}

/** Lines in pixels; see {@link compileZones} for the errors. */
export function compileLines(lines: readonly LineDefinition[], frameWidth: number, frameHeight: number, defaultMargin: number): PixelLine[] {
  return lines.map((line) => {
    const normalized = line.coordinates === 'normalized';
    const sx = normalized ? frameWidth : 1;
    const sy = normalized ? frameHeight : 1;
    const [[x1, y1], [x2, y2]] = line.line;
    const ax = x1 * sx, ay = y1 * sy, bx = x2 * sx, by = y2 * sy;
    for (const [x, y, given] of [[ax, ay, line.line[0]], [bx, by, line.line[1]]] as const) {
      if (!(x >= 0 && x <= frameWidth && y >= 0 && y <= frameHeight)) {
        throw new ConfigError('INVALID_ZONE', `invalid line "${line.name}": point [${given.join(', ')}] lies outside the ${frameSize(frameWidth, frameHeight)} frame (pixel x from 0 to ${frameWidth}, y from 0 to ${frameHeight}; move the point inside or use coordinates: normalized for fractions)`, { culprit: line.name });
      }
    }
    if (Math.hypot(bx - ax, by - ay) < MIN_LINE_LENGTH) {
      throw new ConfigError('INVALID_ZONE', `invalid line "${line.name}": its two points are the same, so it has no direction; give two distinct points`, { culprit: line.name });
    }
    const margin = line.margin ?? defaultMargin;
    if (!(Number.isFinite(margin) && margin > 0)) {
      throw new ConfigError('INVALID_ZONE', `invalid line "${line.name}": margin must be a positive number of pixels (got ${String(margin)})`, { culprit: line.name });
    }
    return { name: line.name, ax, ay, bx, by, margin, anchor: line.anchor ?? 'bottom-center' };
  });
}

/** Throws when a name is used twice among one camera's zones and lines. */
export function checkUniqueNames(zones: readonly ZoneDefinition[], lines: readonly LineDefinition[]): void {
  const kinds = new Map<string, string>();
  for (const [kind, list] of [['zone', zones], ['line', lines]] as const) {
    for (const { name } of list) {
      const earlier = kinds.get(name);
      if (earlier !== undefined) {
        throw new ConfigError('INVALID_ZONE', `invalid ${kind} "${name}": name is used twice on this camera (already a ${earlier}); zone and line names must be unique per camera`, { culprit: name });
      }
      kinds.set(name, kind);
    }
  }
}
