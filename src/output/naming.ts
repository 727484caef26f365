/**
 * Output names as the seed writes them: `multi_stream_{YYYY-MM-DD-HH-MM}` job folders,
 * `camera_{i}` sub-folders, `output|tracks|zones_{YYYYMMDD_HHMMSS}` files and
 * `<folder>_results.zip`, with the time read in a configurable time zone (UTC+7 by default).
 */
import path from 'node:path';
import { ConfigError } from '../errors.js';

/**
 * The seed's time zone for output names: UTC+7 (Vietnam, no daylight saving time).
 * Any IANA name (`'Asia/Ho_Chi_Minh'`, `'Europe/Paris'`) or fixed offset (`'+07:00'`,
 * `'UTC+7'`, `'GMT-05:30'`, `'Z'`) is accepted wherever a time zone is asked for.
 */
export const DEFAULT_TIME_ZONE = 'UTC+7';

/** Calendar fields of an instant in some time zone. */
interface WallClock {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

const OFFSET_PATTERN = /^(?:(?:UTC|GMT)\s*)?([+-])(\d{1,2})(?::?(\d{2}))?$/i;
const formatters = new Map<string, Intl.DateTimeFormat>();

/** Minutes east of UTC for a fixed-offset string, `null` when the string is not an offset. */
function parseOffsetMinutes(timeZone: string): number | null {
  const trimmed = timeZone.trim();
  if (/^(?:UTC|GMT|Z)$/i.test(trimmed)) return 0;
  const match = OFFSET_PATTERN.exec(trimmed);
  if (match === null) return null;
  const hours = Number(match[2]);
  const minutes = match[3] === undefined ? 0 : Number(match[3]);
  if (hours > 14 || minutes > 59 || hours * 60 + minutes > 14 * 60) return Number.NaN;
  return (match[1] === '-' ? -1 : 1) * (hours * 60 + minutes);
}

function invalidTimeZone(timeZone: string, why: string): ConfigError {
  return new ConfigError('INVALID_OPTION', `invalid time zone "${timeZone}": ${why}; use an IANA name such as "Asia/Ho_Chi_Minh" or an offset such as "+07:00" or "UTC+7"`, { culprit: timeZone });
}

function ianaFormatter(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (formatter === undefined) {
    try {
      formatter = new Intl.DateTimeFormat('en-US', {
        timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric',
      });
    } catch {
      throw invalidTimeZone(timeZone, 'unknown time zone');
    }
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/**
 * Checks a time zone string and throws {@link ConfigError} (`INVALID_OPTION`) when it is
 * neither a fixed offset nor an IANA name known to this Node build. Call it while validating
 * options so a typo fails before a job starts.
 */
export function validateTimeZone(timeZone: string): void {
  wallClock(new Date(0), timeZone);
}

function wallClock(date: Date, timeZone: string): WallClock {
  if (!(date instanceof Date) || Number.isNaN(date.getTime())) {
    throw new ConfigError('INVALID_OPTION', `invalid date for an output name: ${String(date)}`, { culprit: 'date' });
  }
  if (typeof timeZone !== 'string' || timeZone.trim() === '') throw invalidTimeZone(String(timeZone), 'empty');
  const offset = parseOffsetMinutes(timeZone);
  if (offset !== null) {
    if (Number.isNaN(offset)) throw invalidTimeZone(timeZone, 'offsets range from -14:00 to +14:00');
    // Shift the instant and read it as UTC: the fields are the wall clock at that offset.
    const shifted = new Date(date.getTime() + offset * 60_000);
    return {
      year: shifted.getUTCFullYear(), month: shifted.getUTCMonth() + 1, day: shifted.getUTCDate(),
      hour: shifted.getUTCHours(), minute: shifted.getUTCMinutes(), second: shifted.getUTCSeconds(),
    };
  }
  const fields: Record<string, number> = {};
  for (const part of ianaFormatter(timeZone.trim()).formatToParts(date)) {
    if (part.type !== 'literal') fields[part.type] = Number(part.value);
  }
  return { year: fields.year!, month: fields.month!, day: fields.day!, hour: fields.hour!, minute: fields.minute!, second: fields.second! };
}

const pad = (value: number, width = 2): string => String(value).padStart(width, '0');

/**
 * Name of a job's output folder: `multi_stream_YYYY-MM-DD-HH-MM` for `date` in `timeZone`.
 * @example jobFolderName(new Date('2024-01-15T07:30:22Z')) // 'multi_stream_2024-01-15-14-30'
 */
export function jobFolderName(date: Date = new Date(), timeZone: string = DEFAULT_TIME_ZONE): string {
  const t = wallClock(date, timeZone);
  return `multi_stream_${pad(t.year, 4)}-${pad(t.month)}-${pad(t.day)}-${pad(t.hour)}-${pad(t.minute)}`;
}

/**
 * Stamp in per-camera file names: `YYYYMMDD_HHMMSS` for `date` in `timeZone`.
 * @example fileStamp(new Date('2024-01-15T07:30:22Z')) // '20240115_143022'
 */
export function fileStamp(date: Date = new Date(), timeZone: string = DEFAULT_TIME_ZONE): string {
  const t = wallClock(date, timeZone);
  return `${pad(t.year, 4)}${pad(t.month)}${pad(t.day)}_${pad(t.hour)}${pad(t.minute)}${pad(t.second)}`;
}

/**
 * The results archive beside a job folder: `<folder>_results.zip`. Works on a bare name or a
 * path (trailing separators are ignored).
 * @example zipName('outputs/multi_stream_2024-01-15-14-30') // 'outputs/multi_stream_2024-01-15-14-30_results.zip'
 */
export function zipName(folder: string): string {
  const trimmed = folder.replace(/[\\/]+$/, '');
  if (trimmed === '' || path.basename(trimmed) === '') {
    throw new ConfigError('INVALID_OPTION', `cannot name a ZIP after folder "${folder}"`, { culprit: folder });
  }
  return `${trimmed}_results.zip`;
}

/** Sub-folder of camera `index` (0-based) inside a job folder: `camera_{index}`. */
export function cameraFolderName(index: number): string {
  if (!(Number.isInteger(index) && index >= 0)) {
    throw new ConfigError('INVALID_OPTION', `camera index must be a non-negative integer (got ${String(index)})`, { culprit: 'camera' });
  }
  return `camera_${index}`;
}

/** The three per-camera file names for one stamp (see {@link fileStamp}). */
export interface CameraFileNames {
  /** Annotated video: `output_{stamp}.mp4`. */
  video: string;
  /** Tracks CSV: `tracks_{stamp}.csv`. */
  tracks: string;
  /** Zone report: `zones_{stamp}.json`. */
  zones: string;
}

/** `output_{stamp}.mp4`, `tracks_{stamp}.csv`, `zones_{stamp}.json`. */
export function cameraFileNames(stamp: string): CameraFileNames {
  return { video: `output_${stamp}.mp4`, tracks: `tracks_${stamp}.csv`, zones: `zones_${stamp}.json` };
}
