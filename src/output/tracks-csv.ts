/**
 * The per-camera tracks CSV (`tracks_{YYYYMMDD_HHMMSS}.csv`): one row per confirmed track per
 * processed frame, written as a stream so a long job never holds its rows in memory.
 *
 * Columns, in order (RFC 4180 CSV, UTF-8, `\n` line ends, header row first):
 *
 * | column | meaning |
 * |---|---|
 * | `frame_index` | index of the processed frame in its camera's stream (0-based) |
 * | `timestamp` | seconds since the camera's first frame, 3 decimals |
 * | `camera` | camera index (0-based, the source's position in the job) |
 * | `track_id` | local track id, unique within the camera |
 * | `global_id` | cross-camera identity; empty until one is assigned |
 * | `x1`, `y1`, `x2`, `y2` | box in frame pixels (top-left, bottom-right), 1 decimal |
 * | `score` | detection confidence of the track's last matched detection, 3 decimals |
 * | `similarity` | cosine similarity behind the global id (or the reference-person match), 3 decimals; empty when none |
 * | `person_name` | name of the matched reference person; empty when none |
 * | `zones` | zones the track is in at this frame, joined with `;`; empty when none |
 *
 * Text cells are quoted when they hold a comma, quote, line break or edge spaces.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { OutputError } from '../errors.js';

/** The CSV header, in column order. */
export const TRACKS_CSV_COLUMNS = [
  'frame_index', 'timestamp', 'camera', 'track_id', 'global_id',
  'x1', 'y1', 'x2', 'y2', 'score', 'similarity', 'person_name', 'zones',
] as const;

/** One row of the tracks CSV: one track in one processed frame. */
export interface TrackCsvRow {
  /** Index of the processed frame in its camera's stream (0-based). */
  frameIndex: number;
  /** Seconds since the camera's first frame; written with 3 decimals. */
  timestamp: number;
  /** Camera index (0-based). */
  camera: number;
  /** Local track id. */
  trackId: number;
  /** Cross-camera identity; `null`/absent (empty cell) until assigned. */
  globalId?: number | null;
  /** Box in frame pixels; written with 1 decimal. */
  x1: number;
  y1: number;
  x2: number;
  y2: number;
  /** Detection confidence; written with 3 decimals. */
  score: number;
  /** Cosine similarity behind the identity; `null`/absent (empty cell) when none. 3 decimals. */
  similarity?: number | null;
  /** Matched reference person; `null`/absent (empty cell) when none. */
  personName?: string | null;
  /** Zones the track is in; joined with `;` (zone names cannot contain `;`). */
  zones?: readonly string[];
}

/** Options of {@link TracksCsvWriter.open}. */
export interface TracksCsvWriterOptions {
  /**
   * Bytes buffered before `write` asks the caller to wait (returns a promise). Larger values
   * mean fewer waits and system calls, at the cost of memory per camera.
   * @default 65536
   */
  highWaterMark?: number;
}

/** Quotes a CSV cell when needed (RFC 4180). */
export function csvCell(text: string): string {
  return /[",\r\n]|^\s|\s$/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

function fixed(value: number | null | undefined, digits: number): string {
  return value === null || value === undefined || !Number.isFinite(value) ? '' : value.toFixed(digits);
}

/** One CSV line (with its `\n`) for a row. */
export function formatTrackCsvRow(row: TrackCsvRow): string {
  const zones = row.zones === undefined || row.zones.length === 0 ? '' : csvCell(row.zones.join(';'));
  const name = row.personName === null || row.personName === undefined ? '' : csvCell(row.personName);
  const globalId = row.globalId === null || row.globalId === undefined ? '' : String(row.globalId);
  return `${row.frameIndex},${fixed(row.timestamp, 3)},${row.camera},${row.trackId},${globalId},`
    + `${fixed(row.x1, 1)},${fixed(row.y1, 1)},${fixed(row.x2, 1)},${fixed(row.y2, 1)},`
    + `${fixed(row.score, 3)},${fixed(row.similarity, 3)},${name},${zones}\n`;
}

/**
 * Streams tracks CSV rows to a file.
 *
 * `write` returns `undefined` while the stream's buffer has room and a promise when it is full;
 * await it (or simply always `await writer.write(row)`) so memory stays bounded. `close`
 * flushes, fsyncs and closes the file; it is idempotent. The header is written on open, so
 * even a job stopped at once leaves a valid CSV.
 *
 * @example
 * ```ts
 * const csv = await TracksCsvWriter.open(path.join(cameraDir, cameraFileNames(stamp).tracks));
 * for (const track of tracks) await csv.write({ frameIndex, timestamp, camera, trackId: track.id, ...box, score: track.score });
 * await csv.close();
 * ```
 */
export class TracksCsvWriter {
  /** The file being written. */
  readonly path: string;
  private readonly stream: WriteStream;
  private rowCount = 0;
  private failure: Error | null = null;
  private drainWait: Promise<void> | null = null;
  private closing: Promise<void> | null = null;

  private constructor(filePath: string, stream: WriteStream) {
    this.path = filePath;
    this.stream = stream;
    // Without a listener a write error would crash the process; keep it for the next call.
    stream.on('error', (error) => {
      this.failure ??= error;
    });
  }

  /**
   * Creates (or truncates) the file, creating its folder when needed, and writes the header.
   * @throws {@link OutputError} `OUTPUT_FAILED` naming the path when it cannot be opened.
   */
  static async open(filePath: string, options: TracksCsvWriterOptions = {}): Promise<TracksCsvWriter> {
    const highWaterMark = options.highWaterMark ?? 65_536;
    if (!(Number.isInteger(highWaterMark) && highWaterMark > 0)) {
      throw new OutputError('OUTPUT_FAILED', `TracksCsvWriter highWaterMark must be a positive integer (got ${String(highWaterMark)})`, { culprit: 'highWaterMark' });
    }
    try {
      await mkdir(path.dirname(filePath), { recursive: true });
      // `flush`: fsync before the descriptor closes, so a finished job's CSV survives a crash.
      const stream = createWriteStream(filePath, { flags: 'w', flush: true, highWaterMark, encoding: 'utf8' });
      await new Promise<void>((resolve, reject) => {
        stream.once('ready', () => {
          stream.off('error', reject);
          resolve();
        });
        stream.once('error', reject);
      });
      const writer = new TracksCsvWriter(filePath, stream);
      stream.write(`${TRACKS_CSV_COLUMNS.join(',')}\n`);
      return writer;
    } catch (cause) {
      throw new OutputError('OUTPUT_FAILED', `cannot create tracks CSV ${filePath}: ${(cause as Error).message}`, { culprit: filePath, cause });
    }
  }

  /** Rows written so far (header excluded). */
  get rows(): number {
    return this.rowCount;
  }

  /** Bytes accepted but not yet handed to the file system (bounded when callers await `write`). */
  get pendingBytes(): number {
    return this.stream.writableLength;
  }

  /**
   * Appends one row. Returns a promise only when the buffer is full (resolved once it drained);
   * a write error rejects it, or a later `write`/`close`, with {@link OutputError}.
   * @throws {@link OutputError} when the writer is closed or an earlier write failed.
   */
  write(row: TrackCsvRow): Promise<void> | void {
    if (this.closing !== null) throw new OutputError('OUTPUT_FAILED', `tracks CSV ${this.path} is closed; cannot write more rows`, { culprit: this.path });
    if (this.failure !== null) throw this.wrap(this.failure);
    this.rowCount++;
    if (this.stream.write(formatTrackCsvRow(row))) return undefined;
    return this.drained();
  }

  /** Flushes, fsyncs and closes the file. Safe to call more than once. */
  close(): Promise<void> {
    this.closing ??= this.finish();
    return this.closing;
  }

  private drained(): Promise<void> {
    this.drainWait ??= new Promise<void>((resolve, reject) => {
      const done = (error?: Error): void => {
        this.stream.off('drain', onDrain);
        this.stream.off('error', done);
        this.drainWait = null;
        if (error === undefined) resolve();
        else reject(this.wrap(error));
      };
      const onDrain = (): void => done();
      this.stream.on('drain', onDrain);
      this.stream.on('error', done);
    });
    return this.drainWait;
  }

  private async finish(): Promise<void> {
    // 'close' comes after the data is written, fsynced (flush) and the descriptor closed,
    // and also after an error destroyed the stream.
    if (!this.stream.closed) {
      await new Promise<void>((resolve) => {
        this.stream.once('close', resolve);
        this.stream.end();
      });
    }
    if (this.failure !== null) throw this.wrap(this.failure);
  }

  private wrap(error: Error): OutputError {
    return error instanceof OutputError ? error : new OutputError('OUTPUT_FAILED', `writing tracks CSV ${this.path} failed: ${error.message}`, { culprit: this.path, cause: error });
  }
}

/** Splits CSV text into records of cells (RFC 4180: quoted cells may hold commas, quotes, line breaks). */
function parseCsvRecords(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      record.push(cell);
      cell = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      record.push(cell);
      records.push(record);
      record = [];
      cell = '';
    } else cell += c;
  }
  if (cell !== '' || record.length > 0) {
    record.push(cell);
    records.push(record);
  }
  return records;
}

/**
 * Reads tracks CSV text back into rows (for tests and analysis). Empty cells become `null`
 * (`globalId`, `similarity`, `personName`) or `[]` (`zones`).
 * @throws {@link OutputError} when the header or a row's cell count does not match.
 */
export function parseTracksCsv(text: string): TrackCsvRow[] {
  const [header, ...records] = parseCsvRecords(text);
  if (header === undefined || header.join(',') !== TRACKS_CSV_COLUMNS.join(',')) {
    throw new OutputError('OUTPUT_FAILED', `not a tracks CSV: header is "${header?.join(',') ?? ''}", expected "${TRACKS_CSV_COLUMNS.join(',')}"`);
  }
  const number = (cell: string): number => (cell === '' ? Number.NaN : Number(cell));
  const optional = (cell: string): number | null => (cell === '' ? null : Number(cell));
  return records.map((cells, i) => {
    if (cells.length !== TRACKS_CSV_COLUMNS.length) {
      throw new OutputError('OUTPUT_FAILED', `tracks CSV row ${i + 1} has ${cells.length} cells, expected ${TRACKS_CSV_COLUMNS.length}`);
    }
    const [frameIndex, timestamp, camera, trackId, globalId, x1, y1, x2, y2, score, similarity, personName, zones] = cells as [string, ...string[]];
    return {
      frameIndex: number(frameIndex), timestamp: number(timestamp!), camera: number(camera!), trackId: number(trackId!),
      globalId: optional(globalId!), x1: number(x1!), y1: number(y1!), x2: number(x2!), y2: number(y2!), score: number(score!),
      similarity: optional(similarity!), personName: personName === '' ? null : personName!, zones: zones === '' ? [] : zones!.split(';'),
    };
  });
}
