/**
 * One real sequence made into two "cameras" with exact cross-camera truth (SPEC §5): a spatial
 * split into two overlapping crops (two cameras that see the same people at the same time), or
 * a time split into the first and the second half (people who come back). The clips are encoded
 * with ffmpeg (argv, never a shell); the ground truth follows the pixels.
 */
import { execFile } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError, StreamError } from '../errors.js';
import { stderrTail } from '../streams/probe.js';
import { resolveFfmpegPath } from '../streams/ffmpeg-path.js';
import type { MotRecord } from './mot-file.js';

/** A vertical strip of the frame, `x ∈ [x, x + width)`, full height. */
export interface CropStrip {
  x: number;
  width: number;
}

/** How much of a box's width must lie inside a crop for the box to count in that camera. @default 0.6 */
export const DEFAULT_MIN_VISIBLE_FRACTION = 0.6;

/**
 * Ground truth of a crop: boxes clipped to the strip and shifted into its coordinates, kept
 * where at least `minVisibleFraction` of the original box width is inside. Ids are unchanged:
 * the same person has the same id in every crop.
 */
export function cropGroundTruth(gt: readonly MotRecord[], strip: CropStrip, minVisibleFraction = DEFAULT_MIN_VISIBLE_FRACTION): MotRecord[] {
  const x1 = strip.x;
  const x2 = strip.x + strip.width;
  const out: MotRecord[] = [];
  for (const r of gt) {
    const left = Math.max(r.x, x1);
    const right = Math.min(r.x + r.width, x2);
    if (right - left < minVisibleFraction * r.width || right <= left) continue;
    out.push({ ...r, x: left - x1, width: right - left });
  }
  return out;
}

/**
 * Ground truth of a time split at `cut`: camera 0 has MOT frames 1…cut, camera 1 frames
 * cut + 1… renumbered from 1 (its clip starts at decoded frame `cut`).
 */
export function splitGroundTruthByTime(gt: readonly MotRecord[], cut: number): [MotRecord[], MotRecord[]] {
  const first = gt.filter((r) => r.frame <= cut);
  const second = gt.filter((r) => r.frame > cut).map((r) => ({ ...r, frame: r.frame - cut }));
  return [first, second];
}

/** Options of {@link encodeCrop} and {@link encodeTimeRange}. */
export interface ClipEncodeOptions {
  /** ffmpeg binary; otherwise MULTICAM_REID_FFMPEG, then the bundled build. */
  ffmpegPath?: string;
  /**
   * x264 constant rate factor of the clips. Low values keep the pixels close to the source
   * (the detector sees almost what it saw on the original) at the price of larger files.
   * @default 12
   */
  crf?: number;
}

/** Encodes the strip of `input` into `output` (H.264 MP4, same frames and timing). */
export async function encodeCrop(input: string, output: string, strip: CropStrip, options: ClipEncodeOptions = {}): Promise<void> {
  if (!(Number.isInteger(strip.x) && Number.isInteger(strip.width) && strip.x >= 0 && strip.width > 0 && strip.width % 2 === 0)) {
    throw new ConfigError('INVALID_OPTION', `crop strip x ${strip.x}, width ${strip.width}: expected whole pixels, x ≥ 0 and an even width > 0 (H.264 4:2:0)`, { culprit: 'crop' });
  }
  await encode(input, output, `crop=${strip.width}:ih:${strip.x}:0`, options);
}

/** Encodes decoded frames `[start, end)` of `input` (0-based; `end` omitted = to the end) into `output`. */
export async function encodeTimeRange(input: string, output: string, start: number, end: number | undefined, options: ClipEncodeOptions = {}): Promise<void> {
  if (!(Number.isInteger(start) && start >= 0 && (end === undefined || (Number.isInteger(end) && end > start)))) {
    throw new ConfigError('INVALID_OPTION', `time range [${start}, ${end ?? 'end'}): expected whole frame numbers with 0 ≤ start < end`, { culprit: 'cut' });
  }
  const range = end === undefined ? `start_frame=${start}` : `start_frame=${start}:end_frame=${end}`;
  await encode(input, output, `trim=${range},setpts=PTS-STARTPTS`, options);
}

async function encode(input: string, output: string, filter: string, options: ClipEncodeOptions): Promise<void> {
  const ffmpeg = resolveFfmpegPath(options.ffmpegPath);
  await mkdir(path.dirname(output), { recursive: true });
  const args = [
    '-hide_banner', '-nostdin', '-loglevel', 'error', '-y', '-i', input,
    '-an', '-vf', filter, '-c:v', 'libx264', '-preset', 'veryfast', '-crf', String(options.crf ?? 12), '-pix_fmt', 'yuv420p', output,
  ];
  await new Promise<void>((resolve, reject) => {
    execFile(ffmpeg, args, { maxBuffer: 16 * 1024 * 1024 }, (error, _stdout, stderr) => {
      if (error === null) resolve();
      else reject(new StreamError('FFMPEG_FAILED', `ffmpeg could not encode ${output} from ${input} (${filter}): ${stderrTail(String(stderr)) || error.message}`, { culprit: input, cause: error }));
    });
  });
}
