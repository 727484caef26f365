/**
 * MOTChallenge text files: one box per line, `frame,id,x,y,w,h,conf,…` (x, y the top-left
 * corner in pixels). Ground truth, tracker output and public detections (id −1) share it.
 * Fields may be separated by commas or white space, as py-motmetrics accepts.
 */
import { readFile } from 'node:fs/promises';
import { MotFormatError } from '../errors.js';

/** One line of a MOTChallenge file. */
export interface MotRecord {
  /** Frame number (1-based in MOTChallenge). */
  frame: number;
  /** Object or track id; −1 for detections. */
  id: number;
  /** Left edge, px. */
  x: number;
  /** Top edge, px. */
  y: number;
  width: number;
  height: number;
  /** Confidence / detection score (column 7); 1 when the column is absent. */
  confidence: number;
}

/** Reads and parses a MOTChallenge file. @throws MotFormatError `INVALID_MOT_FILE`. */
export async function readMotFile(file: string): Promise<MotRecord[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    throw new MotFormatError('INVALID_MOT_FILE', `cannot read MOT file ${file}: ${(cause as Error).message}`, {
      culprit: file,
      cause,
    });
  }
  return parseMot(text, file);
}

/**
 * Parses MOTChallenge text; blank lines are skipped. `source` names the input in errors.
 * @throws MotFormatError `INVALID_MOT_FILE` naming the line, when a line has fewer than six
 *   numbers, a non-integer frame or id, or a negative or non-finite size.
 */
export function parseMot(text: string, source = '<text>'): MotRecord[] {
  const records: MotRecord[] = [];
  const lines = text.split(/\r?\n/);
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n]!.trim();
    if (line === '') continue;
    const fields = line.split(/[\s,]+/).map(Number);
    const fail = (why: string): never => {
      throw new MotFormatError(
        'INVALID_MOT_FILE',
        `${source}:${n + 1}: ${why} in "${line}"; expected frame,id,x,y,w,h[,conf,…] with numbers`,
        { culprit: `${source}:${n + 1}` },
      );
    };
    if (fields.length < 6) fail(`${fields.length} field(s)`);
    if (fields.some((v) => Number.isNaN(v))) fail('a field that is not a number');
    const [frame, id, x, y, width, height] = fields as [number, number, number, number, number, number];
    if (!Number.isInteger(frame) || frame < 0) fail(`frame ${frame} is not a whole number ≥ 0`);
    if (!Number.isInteger(id)) fail(`id ${id} is not a whole number`);
    if (![x, y, width, height].every(Number.isFinite) || width < 0 || height < 0) fail('a non-finite or negative box');
    records.push({ frame, id, x, y, width, height, confidence: fields[6] ?? 1 });
  }
  return records;
}

/** Formats records as MOTChallenge lines (`frame,id,x,y,w,h,conf,-1,-1,-1`). */
export function formatMot(records: readonly MotRecord[]): string {
  return records
    .map((r) => `${r.frame},${r.id},${round(r.x)},${round(r.y)},${round(r.width)},${round(r.height)},${round(r.confidence)},-1,-1,-1\n`)
    .join('');
}

/** Groups records by frame, in ascending frame order. */
export function groupByFrame(records: readonly MotRecord[]): Map<number, MotRecord[]> {
  const frames = new Map<number, MotRecord[]>();
  for (const r of [...records].sort((a, b) => a.frame - b.frame)) {
    let list = frames.get(r.frame);
    if (list === undefined) frames.set(r.frame, (list = []));
    list.push(r);
  }
  return frames;
}

function round(v: number): number {
  return Math.round(v * 1000) / 1000;
}
