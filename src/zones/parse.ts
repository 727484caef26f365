/**
 * Reading and validating zone definitions (from an object, YAML or JSON). Every problem is a
 * {@link ConfigError} with code `INVALID_ZONE` whose message names the camera, the zone and
 * the field, so a bad zones file fails before a job starts.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import YAML from 'yaml';
import { ConfigError } from '../errors.js';
import { dedupePolygon, findSelfIntersection } from './geometry.js';
import type { ZoneDefinition, ZonesByCamera } from './types.js';

/** Options of {@link parseZones} and {@link loadZonesFile}. */
export interface ParseZonesOptions {
  /**
   * Number of cameras of the job. When given, zones for a camera index at or beyond it are
   * an error (a typo in the zones file would otherwise be silently ignored).
   */
  cameraCount?: number;
  /** Where the zones came from (a file path), quoted in error messages. */
  source?: string;
}

const MAX_NAME_LENGTH = 64;
const ZONE_FIELDS = ['name', 'polygon', 'coordinates', 'color'] as const;

const coordinate = z.number({
  error: (issue) => (issue.input === undefined ? 'is missing' : `must be a finite number (got ${String(issue.input)})`),
});

const zoneSchema = z.strictObject({
  name: z
    .string({ error: 'must be a string' })
    .trim()
    .min(1, { error: 'must not be empty' })
    .max(MAX_NAME_LENGTH, { error: `must be at most ${MAX_NAME_LENGTH} characters` })
    .refine((name) => !name.includes(';'), { error: 'must not contain ";" (the tracks CSV joins zone names with it)' })
    // eslint-disable-next-line no-control-regex
    .refine((name) => !/[\u0000-\u001f\u007f]/.test(name), { error: 'must not contain control characters' }),
  polygon: z.array(z.tuple([coordinate, coordinate], { error: 'must be an [x, y] pair' }), {
    error: 'must be a list of [x, y] points',
  }),
  coordinates: z.enum(['pixels', 'normalized'], { error: 'must be "pixels" or "normalized"' }).optional(),
  color: z.string({ error: 'must be a CSS colour string' }).trim().min(1, { error: 'must not be empty' }).max(64).optional(),
});

/** `polygon.2.0` → `polygon[2][0]`. */
function fieldPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const part of path) out += typeof part === 'number' ? `[${part}]` : out === '' ? String(part) : `.${String(part)}`;
  return out;
}

function quote(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

/** Builds the error for one bad field, e.g. `camera 1, zone "entrance": polygon[2][0] must be a finite number`. */
function zoneError(where: string, field: string, problem: string, source?: string): ConfigError {
  const from = source === undefined ? '' : ` in ${source}`;
  const subject = field === '' ? '' : `${field} `;
  return new ConfigError('INVALID_ZONE', `invalid zone${from} (${where}): ${subject}${problem}`, {
    culprit: field === '' ? where : `${where}: ${field}`,
  });
}

/** True when every point lies on the line through the first two (within rounding of the inputs). */
function allOnOneLine(points: ReadonlyArray<readonly [number, number]>): boolean {
  const [ax, ay] = points[0]!;
  const [bx, by] = points[1]!;
  const lengthSq = (bx - ax) ** 2 + (by - ay) ** 2;
  // |cross| / |AB| is the distance from AB; compare it to a tiny fraction of |AB|.
  return points.every(([x, y]) => Math.abs((bx - ax) * (y - ay) - (by - ay) * (x - ax)) <= 1e-9 * lengthSq);
}

function validateZone(raw: unknown, index: number, cameraLabel: string, options: ParseZonesOptions): ZoneDefinition {
  const rawName = typeof raw === 'object' && raw !== null && typeof (raw as { name?: unknown }).name === 'string'
    ? (raw as { name: string }).name.trim()
    : '';
  const where = `${cameraLabel}, zone ${rawName === '' ? `#${index}` : quote(rawName)}`;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw zoneError(where, '', `must be an object with fields ${ZONE_FIELDS.join(', ')} (got ${Array.isArray(raw) ? 'a list' : quote(raw)})`, options.source);
  }
  const parsed = zoneSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    if (issue.code === 'unrecognized_keys') {
      throw zoneError(where, '', `has unknown field ${issue.keys.map(quote).join(', ')} (allowed: ${ZONE_FIELDS.join(', ')})`, options.source);
    }
    // Zod leaves the input out of final issues; look the value up to tell "missing" apart.
    const value = issue.path.reduce<unknown>((node, key) => (node as Record<PropertyKey, unknown> | undefined)?.[key], raw);
    const missing = issue.code === 'invalid_type' && value === undefined;
    throw zoneError(where, fieldPath(issue.path), missing ? 'is missing' : issue.message, options.source);
  }
  const zone = parsed.data;
  const coordinates = zone.coordinates ?? 'pixels';

  if (coordinates === 'normalized') {
    zone.polygon.forEach(([x, y], i) => {
      const axis = x < 0 || x > 1 ? 0 : y < 0 || y > 1 ? 1 : -1;
      if (axis >= 0) {
        throw zoneError(where, `polygon[${i}][${axis}]`, `is ${[x, y][axis]}, outside [0, 1] for normalized coordinates (use coordinates: pixels for pixel values)`, options.source);
      }
    });
  }
  const polygon = dedupePolygon(zone.polygon);
  if (polygon.length < 3) {
    throw zoneError(where, 'polygon', `needs at least 3 distinct points (got ${polygon.length})`, options.source);
  }
  // Flat first: points on one line also "cross" themselves, but zero area is the clearer message.
  if (allOnOneLine(polygon)) {
    throw zoneError(where, 'polygon', 'has zero area (all points on one line)', options.source);
  }
  const crossing = findSelfIntersection(polygon);
  if (crossing !== null) {
    const [a, b] = crossing;
    throw zoneError(where, 'polygon', `is self-intersecting: the edge from point ${a} crosses the edge from point ${b}; list the points in order around the area`, options.source);
  }
  const result: ZoneDefinition = { name: zone.name, polygon, coordinates };
  if (zone.color !== undefined) result.color = zone.color;
  return result;
}

function validateZoneList(raw: unknown, cameraLabel: string, options: ParseZonesOptions): ZoneDefinition[] {
  if (raw === null || raw === undefined) return [];
  if (!Array.isArray(raw)) {
    throw zoneError(cameraLabel, '', `zones must be a list (got ${typeof raw === 'object' ? 'an object' : quote(raw)})`, options.source);
  }
  const zones = raw.map((entry, i) => validateZone(entry, i, cameraLabel, options));
  const seen = new Set<string>();
  for (const zone of zones) {
    if (seen.has(zone.name)) {
      throw zoneError(`${cameraLabel}, zone ${quote(zone.name)}`, 'name', 'is used twice on this camera; zone names must be unique per camera', options.source);
    }
    seen.add(zone.name);
  }
  return zones;
}

/** `0`, `"1"`, `"camera_2"` → camera index; `null` when the key is not a camera key. */
function cameraIndexOf(key: string): number | null {
  const match = /^(?:camera_)?(\d{1,4})$/.exec(key);
  return match === null ? null : Number(match[1]);
}

const ALL_CAMERA_KEYS = new Set(['all', '*', 'default']);

/**
 * Validates zone definitions and returns them per camera.
 *
 * Accepted shapes (in YAML/JSON or as objects):
 * - a list of zones: the same zones on every camera;
 * - a list of lists: zones of camera 0, camera 1, …;
 * - an object keyed by camera index (`0`, `1`, …, or `camera_0`, `camera_1`, … as the output
 *   folders are named), optionally with `all` (or `*`, `default`) for cameras not listed;
 * - any of these under a top-level `zones` key.
 *
 * `null`/`undefined` means no zones.
 *
 * @throws {@link ConfigError} code `INVALID_ZONE` naming the camera, zone and field: fewer than
 * 3 distinct points, non-finite numbers, normalised values outside [0, 1], duplicate names in
 * one camera, a self-intersecting or zero-area polygon, unknown fields or camera keys.
 */
export function parseZones(input: unknown, options: ParseZonesOptions = {}): ZonesByCamera {
  const { cameraCount } = options;
  if (cameraCount !== undefined && !(Number.isInteger(cameraCount) && cameraCount >= 1)) {
    throw new ConfigError('INVALID_OPTION', `cameraCount must be a positive integer (got ${String(cameraCount)})`, { culprit: 'cameraCount' });
  }
  const checkCamera = (index: number, label: string): void => {
    if (cameraCount !== undefined && index >= cameraCount) {
      throw zoneError(label, '', `has zones but the job has only ${cameraCount} camera(s) (indexes start at 0)`, options.source);
    }
  };

  if (input === null || input === undefined) return { allCameras: [], cameras: {} };
  if (Array.isArray(input)) {
    if (input.length > 0 && input.every((entry) => Array.isArray(entry) || entry === null)) {
      const cameras: Record<number, ZoneDefinition[]> = {};
      input.forEach((list, i) => {
        checkCamera(i, `camera ${i}`);
        cameras[i] = validateZoneList(list, `camera ${i}`, options);
      });
      return { allCameras: [], cameras };
    }
    return { allCameras: validateZoneList(input, 'all cameras', options), cameras: {} };
  }
  if (typeof input !== 'object') {
    throw zoneError('top level', '', `zones must be a list or an object keyed by camera (got ${quote(input)})`, options.source);
  }
  const entries = Object.entries(input as Record<string, unknown>);
  if (entries.length === 1 && entries[0]![0] === 'zones') return parseZones(entries[0]![1], options);

  let allCameras: ZoneDefinition[] = [];
  const cameras: Record<number, ZoneDefinition[]> = {};
  const keyOfCamera = new Map<number, string>();
  for (const [key, value] of entries) {
    if (ALL_CAMERA_KEYS.has(key)) {
      allCameras = validateZoneList(value, 'all cameras', options);
      continue;
    }
    const index = cameraIndexOf(key);
    if (index === null) {
      throw zoneError(`key ${quote(key)}`, '', 'is not a camera: use 0, 1, … or camera_0, camera_1, …, or "all" for every camera', options.source);
    }
    const label = `camera ${index}`;
    const earlier = keyOfCamera.get(index);
    if (earlier !== undefined) throw zoneError(label, '', `is given twice (keys ${quote(earlier)} and ${quote(key)})`, options.source);
    keyOfCamera.set(index, key);
    checkCamera(index, label);
    cameras[index] = validateZoneList(value, label, options);
  }
  return { allCameras, cameras };
}

/** The zones of one camera: its own list when it has one, else the zones for all cameras. */
export function zonesForCamera(zones: ZonesByCamera, camera: number): readonly ZoneDefinition[] {
  return zones.cameras[camera] ?? zones.allCameras;
}

/**
 * Reads a YAML or JSON zones file (YAML 1.2 reads JSON too) and validates it with
 * {@link parseZones}.
 *
 * @throws {@link ConfigError} code `INVALID_ZONE` when the file is missing or unreadable, is
 * not valid YAML/JSON, or holds invalid zones; the message names the path.
 */
export function loadZonesFile(path: string, options: Omit<ParseZonesOptions, 'source'> = {}): ZonesByCamera {
  // Synchronous on purpose: zone files are tiny, and processVideo validates them before it returns.
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    const problem = code === 'ENOENT' ? 'not found' : code === 'EISDIR' ? 'is a directory' : `cannot be read (${code ?? String(cause)})`;
    throw new ConfigError('INVALID_ZONE', `zones file ${problem}: ${path}`, { culprit: path, cause });
  }
  let data: unknown;
  try {
    data = YAML.parse(text);
  } catch (cause) {
    throw new ConfigError('INVALID_ZONE', `zones file ${path} is not valid YAML/JSON: ${(cause as Error).message}`, { culprit: path, cause });
  }
  return parseZones(data, { ...options, source: path });
}
