/**
 * Reading and validating zone and counting-line definitions (from an object, YAML or JSON).
 * Every problem is a {@link ConfigError} with code `INVALID_ZONE` whose message names the
 * camera, the zone or line and the field, so a bad zones file fails before a job starts.
 * (What needs the frame size — a line endpoint outside the frame — is checked by the
 * `ZoneMonitor` constructor, when the camera's size is known and before its first frame.)
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import YAML from 'yaml';
import { ConfigError } from '../errors.js';
import { dedupePolygon, findSelfIntersection } from './geometry.js';
import { ANCHOR_POINTS } from './anchor.js';
import type { LineDefinition, LinesByCamera, ZoneDefinition, ZonesByCamera } from './types.js';

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
const LINE_FIELDS = ['name', 'line', 'coordinates', 'color', 'margin', 'anchor'] as const;

const coordinate = z.number({
  error: (issue) => (issue.input === undefined ? 'is missing' : `must be a finite number (got ${String(issue.input)})`),
});

const nameSchema = z
    .string({ error: 'must be a string' })
    .trim()
    .min(1, { error: 'must not be empty' })
    .max(MAX_NAME_LENGTH, { error: `must be at most ${MAX_NAME_LENGTH} characters` })
    .refine((name) => !name.includes(';'), { error: 'must not contain ";" (the tracks CSV joins zone names with it)' })
    // eslint-disable-next-line no-control-regex
    .refine((name) => !/[\u0000-\u001f\u007f]/.test(name), { error: 'must not contain control characters' });
const coordinatesSchema = z.enum(['pixels', 'normalized'], { error: 'must be "pixels" or "normalized"' }).optional();
const colorSchema = z.string({ error: 'must be a CSS colour string' }).trim().min(1, { error: 'must not be empty' }).max(64).optional();
const pointSchema = z.tuple([coordinate, coordinate], { error: 'must be an [x, y] pair' });

const zoneSchema = z.strictObject({
  name: nameSchema,
  polygon: z.array(pointSchema, { error: 'must be a list of [x, y] points' }),
  coordinates: coordinatesSchema,
  color: colorSchema,
});

const lineSchema = z.strictObject({
  name: nameSchema,
  line: z.tuple([pointSchema, pointSchema], { error: 'must be two [x, y] points: [[x1, y1], [x2, y2]]' }),
  coordinates: coordinatesSchema,
  color: colorSchema,
  margin: z.number({ error: 'must be a positive number of pixels' }).positive({ error: 'must be a positive number of pixels' }).optional(),
  anchor: z.enum(ANCHOR_POINTS, { error: `must be one of ${ANCHOR_POINTS.map((a) => `"${a}"`).join(', ')}` }).optional(),
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
function zoneError(where: string, field: string, problem: string, source?: string, kind: 'zone' | 'line' = 'zone'): ConfigError {
  const from = source === undefined ? '' : ` in ${source}`;
  const subject = field === '' ? '' : `${field} `;
  return new ConfigError('INVALID_ZONE', `invalid ${kind}${from} (${where}): ${subject}${problem}`, {
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

/** The entry's name for messages, `""` when it has none yet. */
function entryName(raw: unknown): string {
  return typeof raw === 'object' && raw !== null && typeof (raw as { name?: unknown }).name === 'string' ? (raw as { name: string }).name.trim() : '';
}

/** Parses one entry with a schema, turning the first problem into an error naming the field. */
function parseEntry<T>(schema: z.ZodType<T>, raw: unknown, where: string, fields: readonly string[], options: ParseZonesOptions, kind: 'zone' | 'line'): T {
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  if (issue.code === 'unrecognized_keys') {
    throw zoneError(where, '', `has unknown field ${issue.keys.map(quote).join(', ')} (allowed: ${fields.join(', ')})`, options.source, kind);
  }
  // Zod leaves the input out of final issues; look the value up to tell "missing" apart.
  const value = issue.path.reduce<unknown>((node, key) => (node as Record<PropertyKey, unknown> | undefined)?.[key], raw);
  const missing = issue.code === 'invalid_type' && value === undefined;
  throw zoneError(where, fieldPath(issue.path), missing ? 'is missing' : issue.message, options.source, kind);
}

/** Throws for the first normalised point outside [0, 1]. */
function checkNormalized(points: ReadonlyArray<readonly [number, number]>, field: string, where: string, options: ParseZonesOptions, kind: 'zone' | 'line'): void {
  points.forEach(([x, y], i) => {
    const axis = x < 0 || x > 1 ? 0 : y < 0 || y > 1 ? 1 : -1;
    if (axis >= 0) {
      throw zoneError(where, `${field}[${i}][${axis}]`, `is ${[x, y][axis]}, outside [0, 1] for normalized coordinates (use coordinates: pixels for pixel values)`, options.source, kind);
    }
  });
}

/** A zone (with `polygon`) or a counting line (with `line`). */
type Entry = { kind: 'zone'; zone: ZoneDefinition } | { kind: 'line'; line: LineDefinition };

function validateEntry(raw: unknown, index: number, cameraLabel: string, options: ParseZonesOptions): Entry {
  if (typeof raw === 'object' && raw !== null && !Array.isArray(raw) && 'line' in raw) {
    const name = entryName(raw);
    if ('polygon' in raw) {
      throw zoneError(`${cameraLabel}, ${name === '' ? `entry #${index}` : quote(name)}`, '', 'has both polygon and line: give polygon for a zone or line for a counting line', options.source, 'line');
    }
    return { kind: 'line', line: validateLine(raw, index, cameraLabel, options) };
  }
  return { kind: 'zone', zone: validateZone(raw, index, cameraLabel, options) };
}

function validateLine(raw: object, index: number, cameraLabel: string, options: ParseZonesOptions): LineDefinition {
  const name = entryName(raw);
  const where = `${cameraLabel}, line ${name === '' ? `#${index}` : quote(name)}`;
  const line = parseEntry(lineSchema, raw, where, LINE_FIELDS, options, 'line');
  const coordinates = line.coordinates ?? 'pixels';
  if (coordinates === 'normalized') checkNormalized(line.line, 'line', where, options, 'line');
  const [[x1, y1], [x2, y2]] = line.line;
  if (x1 === x2 && y1 === y2) {
    throw zoneError(where, 'line', `has two identical points [${x1}, ${y1}], so it has no direction; give two distinct points`, options.source, 'line');
  }
  const result: LineDefinition = { name: line.name, line: [[x1, y1], [x2, y2]], coordinates };
  if (line.color !== undefined) result.color = line.color;
  if (line.margin !== undefined) result.margin = line.margin;
  if (line.anchor !== undefined) result.anchor = line.anchor;
  return result;
}

function validateZone(raw: unknown, index: number, cameraLabel: string, options: ParseZonesOptions): ZoneDefinition {
  const rawName = entryName(raw);
  const where = `${cameraLabel}, zone ${rawName === '' ? `#${index}` : quote(rawName)}`;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw zoneError(where, '', `must be an object with fields ${ZONE_FIELDS.join(', ')} (or ${LINE_FIELDS.join(', ')} for a counting line) (got ${Array.isArray(raw) ? 'a list' : quote(raw)})`, options.source);
  }
  const zone = parseEntry(zoneSchema, raw, where, ZONE_FIELDS, options, 'zone');
  const coordinates = zone.coordinates ?? 'pixels';
  if (coordinates === 'normalized') checkNormalized(zone.polygon, 'polygon', where, options, 'zone');
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

/** One camera's list (or the list for all cameras), split into zones and lines. */
interface CameraEntries {
  zones: ZoneDefinition[];
  lines: LineDefinition[];
}

function validateZoneList(raw: unknown, cameraLabel: string, options: ParseZonesOptions): CameraEntries {
  if (raw === null || raw === undefined) return { zones: [], lines: [] };
  if (!Array.isArray(raw)) {
    throw zoneError(cameraLabel, '', `zones must be a list (got ${typeof raw === 'object' ? 'an object' : quote(raw)})`, options.source);
  }
  const zones: ZoneDefinition[] = [];
  const lines: LineDefinition[] = [];
  const kindOfName = new Map<string, 'zone' | 'line'>();
  raw.forEach((item, i) => {
    const entry = validateEntry(item, i, cameraLabel, options);
    const name = entry.kind === 'zone' ? entry.zone.name : entry.line.name;
    const earlier = kindOfName.get(name);
    if (earlier !== undefined) {
      const also = earlier === entry.kind ? '' : ` (already the name of a ${earlier})`;
      throw zoneError(`${cameraLabel}, ${entry.kind} ${quote(name)}`, 'name', `is used twice on this camera${also}; zone and line names must be unique per camera`, options.source, entry.kind);
    }
    kindOfName.set(name, entry.kind);
    if (entry.kind === 'zone') zones.push(entry.zone);
    else lines.push(entry.line);
  });
  return { zones, lines };
}

/** `0`, `"1"`, `"camera_2"` → camera index; `null` when the key is not a camera key. */
function cameraIndexOf(key: string): number | null {
  const match = /^(?:camera_)?(\d{1,4})$/.exec(key);
  return match === null ? null : Number(match[1]);
}

const ALL_CAMERA_KEYS = new Set(['all', '*', 'default']);

/** Collects the per-camera lists into the returned shape. */
class Collected {
  private all: CameraEntries = { zones: [], lines: [] };
  private readonly zones: Record<number, ZoneDefinition[]> = {};
  private readonly lines: Record<number, LineDefinition[]> = {};

  setAll(entries: CameraEntries): void {
    this.all = entries;
  }

  setCamera(index: number, entries: CameraEntries): void {
    this.zones[index] = entries.zones;
    this.lines[index] = entries.lines;
  }

  result(): ZonesByCamera {
    const lines: LinesByCamera = { allCameras: this.all.lines, cameras: this.lines };
    return { allCameras: this.all.zones, cameras: this.zones, lines };
  }
}

/**
 * Validates zone and counting-line definitions and returns them per camera.
 *
 * Each entry of a camera's list is a zone (`polygon`) or a counting line (`line`: two points).
 * Accepted shapes (in YAML/JSON or as objects):
 * - a list of entries: the same zones and lines on every camera;
 * - a list of lists: entries of camera 0, camera 1, …;
 * - an object keyed by camera index (`0`, `1`, …, or `camera_0`, `camera_1`, … as the output
 *   folders are named), optionally with `all` (or `*`, `default`) for cameras not listed;
 * - any of these under a top-level `zones` key.
 *
 * `null`/`undefined` means no zones.
 *
 * @throws {@link ConfigError} code `INVALID_ZONE` naming the camera, zone or line and field:
 * fewer than 3 distinct points, non-finite numbers, normalised values outside [0, 1], a name
 * used twice among one camera's zones and lines, a self-intersecting or zero-area polygon, a
 * line whose two points are identical, an entry with both `polygon` and `line`, a bad margin
 * or anchor, unknown fields or camera keys.
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

  const collected = new Collected();
  if (input === null || input === undefined) return collected.result();
  if (Array.isArray(input)) {
    if (input.length > 0 && input.every((entry) => Array.isArray(entry) || entry === null)) {
      input.forEach((list, i) => {
        checkCamera(i, `camera ${i}`);
        collected.setCamera(i, validateZoneList(list, `camera ${i}`, options));
      });
      return collected.result();
    }
    collected.setAll(validateZoneList(input, 'all cameras', options));
    return collected.result();
  }
  if (typeof input !== 'object') {
    throw zoneError('top level', '', `zones must be a list or an object keyed by camera (got ${quote(input)})`, options.source);
  }
  const entries = Object.entries(input as Record<string, unknown>);
  if (entries.length === 1 && entries[0]![0] === 'zones') return parseZones(entries[0]![1], options);

  const keyOfCamera = new Map<number, string>();
  for (const [key, value] of entries) {
    if (ALL_CAMERA_KEYS.has(key)) {
      collected.setAll(validateZoneList(value, 'all cameras', options));
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
    collected.setCamera(index, validateZoneList(value, label, options));
  }
  return collected.result();
}

/** The zones of one camera: its own list when it has one, else the zones for all cameras. */
export function zonesForCamera(zones: ZonesByCamera, camera: number): readonly ZoneDefinition[] {
  return zones.cameras[camera] ?? zones.allCameras;
}

/**
 * The counting lines of one camera: those of its own list when it has one (possibly none),
 * else the lines for all cameras. Empty when `zones` has no lines (e.g. built by hand).
 */
export function linesForCamera(zones: ZonesByCamera, camera: number): readonly LineDefinition[] {
  if (zones.lines === undefined) return [];
  return zones.lines.cameras[camera] ?? (zones.cameras[camera] === undefined ? zones.lines.allCameras : []);
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
