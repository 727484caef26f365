/**
 * The per-camera zone report (`zones_{YYYYMMDD_HHMMSS}.json`): a {@link CameraZoneReport}
 * (zones and counting lines) plus the job's context, written atomically as pretty JSON.
 */
import { writeJsonFile } from './json-file.js';
import { redactSource } from '../streams/redact.js';
import type { CameraZoneReport } from '../zones/types.js';

/**
 * Version of the JSON layout below; raised when a field changes meaning or disappears.
 * - 2: `exits` no longer counts end-of-job closures (new `closedAtEnd`, so `entries − exits =
 *   currentOccupancy`); visits stay open while the tracker holds a track as lost; enters are
 *   stamped with the first frame seen inside, exits with the last; `lines` (counting lines);
 *   `uniqueGlobalIdsEstimated`; summary `totalClosedAtEnd`, `lineCount`, `totalIn`, `totalOut`.
 * - 1: first layout.
 */
export const ZONE_REPORT_SCHEMA_VERSION = 2;

/**
 * What {@link writeZoneReport} writes: the monitor's report with the job context. Extra
 * fields (status, fps, start time…) are written as given.
 */
export interface ZoneReportDocument extends CameraZoneReport {
  /** Camera index (0-based). */
  camera: number;
  /** The camera's source URL or path (credentials in URLs are masked when written). */
  source: string;
  /** Frames processed on this camera. */
  frames: number;
  [extra: string]: unknown;
}

/**
 * Writes the zone report as pretty JSON (2-space indent), numbers rounded to 3 decimals, with
 * `schemaVersion` and `generator` fields first. The file appears complete or not at all: it is
 * written to a temporary file, fsynced, then renamed over `filePath`. The folder is created
 * when needed.
 *
 * @throws {@link OutputError} `OUTPUT_FAILED` naming the path.
 */
export async function writeZoneReport(filePath: string, report: ZoneReportDocument): Promise<void> {
  const document = {
    schemaVersion: ZONE_REPORT_SCHEMA_VERSION,
    generator: 'multicam-reid',
    ...report,
    source: redactSource(report.source),
  };
  await writeJsonFile(filePath, document, 'zone report');
}
