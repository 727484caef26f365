/**
 * Stream layer throughput: N cameras read from the sample clips as fast as they decode,
 * against ffmpeg alone decoding the same clips to the same raw pixel format into /dev/null,
 * measured alternately in the same run (the machine is shared, so medians of 3 rounds).
 *
 * - `ffmpeg fps`: N plain ffmpeg processes in parallel, total frames / wall time.
 * - `pipe fps`: the same ffmpeg writing to a pipe that Node drains without looking at the bytes:
 *   the cost of moving raw frames between processes at all, which no reader can avoid.
 * - `reader fps`: N StreamReaders drained in parallel with `for await` (how the pipeline reads).
 * - `multi fps`: one MultiStreamReader, frame sets via `for await`, frames counted per camera.
 * - `peak RSS`: this Node process during the reader runs (ffmpeg children not included).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolveFfmpegPath } from '../src/streams/ffmpeg-path.js';
import { MultiStreamReader } from '../src/streams/multi-stream-reader.js';
import { StreamReader } from '../src/streams/stream-reader.js';
import { median, printTable, trackPeakRss } from './util.js';

const mediaDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'shared', 'media');
const CAM1 = path.join(mediaDir, 'multicam', 'cam1_with_tracking_overlay.mp4');
const CAM2 = path.join(mediaDir, 'multicam', 'cam2_with_tracking_overlay.mp4');
const PLAZA = path.join(mediaDir, 'videos', 'plaza_overhead_pedestrians_720p.mp4');

const CONFIGS: Array<{ label: string; clips: string[] }> = [
  { label: '1 × 1280×720', clips: [PLAZA] },
  { label: '1 × 640×360', clips: [CAM1] },
  { label: '2 × 640×360', clips: [CAM1, CAM2] },
  { label: '4 × 640×360', clips: [CAM1, CAM2, CAM1, CAM2] },
];
const ROUNDS = 3;
const PIXEL_FORMAT = 'rgb24';

/** Decodes every clip with its own ffmpeg into /dev/null; returns wall seconds. */
async function rawFfmpeg(clips: string[]): Promise<number> {
  const ffmpeg = resolveFfmpegPath();
  const t0 = performance.now();
  await Promise.all(
    clips.map(async (clip) => {
      const args = ['-hide_banner', '-nostdin', '-nostats', '-loglevel', 'error', '-i', clip, '-map', '0:v:0', '-an', '-vsync', 'passthrough', '-f', 'rawvideo', '-pix_fmt', PIXEL_FORMAT, '-y', '/dev/null'];
      const child = spawn(ffmpeg, args, { stdio: 'ignore' });
      const [code] = (await once(child, 'exit')) as [number | null];
      if (code !== 0) throw new Error(`ffmpeg failed on ${clip} (${code})`);
    }),
  );
  return (performance.now() - t0) / 1000;
}

/** Decodes every clip with its own ffmpeg into a pipe drained by Node; returns wall seconds. */
async function pipeOnly(clips: string[]): Promise<number> {
  const ffmpeg = resolveFfmpegPath();
  const t0 = performance.now();
  await Promise.all(
    clips.map(async (clip) => {
      const args = ['-hide_banner', '-nostdin', '-nostats', '-loglevel', 'error', '-i', clip, '-map', '0:v:0', '-an', '-vsync', 'passthrough', '-f', 'rawvideo', '-pix_fmt', PIXEL_FORMAT, 'pipe:1'];
      const child = spawn(ffmpeg, args, { stdio: ['ignore', 'pipe', 'ignore'] });
      child.stdout.resume();
      const [code] = (await once(child, 'close')) as [number | null];
      if (code !== 0) throw new Error(`ffmpeg failed on ${clip} (${code})`);
    }),
  );
  return (performance.now() - t0) / 1000;
}

/** Reads every clip with its own StreamReader; returns wall seconds and frames. */
async function readers(clips: string[]): Promise<{ seconds: number; frames: number }> {
  const t0 = performance.now();
  const counts = await Promise.all(
    clips.map(async (clip, cameraIndex) => {
      const reader = new StreamReader(clip, { cameraIndex, pixelFormat: PIXEL_FORMAT });
      let frames = 0;
      try {
        for await (const frame of reader) if (frame.data.length > 0) frames++;
      } finally {
        await reader.release();
      }
      return frames;
    }),
  );
  return { seconds: (performance.now() - t0) / 1000, frames: counts.reduce((a, b) => a + b, 0) };
}

/** Reads the clips as frame sets through one MultiStreamReader; returns wall seconds and frames. */
async function multiReader(clips: string[]): Promise<{ seconds: number; frames: number }> {
  const t0 = performance.now();
  const multi = new MultiStreamReader(clips, { pixelFormat: PIXEL_FORMAT });
  let frames = 0;
  try {
    await multi.open();
    for await (const set of multi) frames += set.frames.length;
  } finally {
    await multi.release();
  }
  return { seconds: (performance.now() - t0) / 1000, frames };
}

export async function run(): Promise<unknown> {
  const rows: Array<Record<string, string | number>> = [];
  for (const config of CONFIGS) {
    const raw: number[] = [];
    const pipe: number[] = [];
    const reader: number[] = [];
    const multi: number[] = [];
    let frames = 0;
    let multiFrames = 0;
    const rss = trackPeakRss();
    for (let round = 0; round < ROUNDS; round++) {
      raw.push(await rawFfmpeg(config.clips));
      pipe.push(await pipeOnly(config.clips));
      const r = await readers(config.clips);
      reader.push(r.seconds);
      frames = r.frames;
      const m = await multiReader(config.clips);
      multi.push(m.seconds);
      multiFrames = m.frames;
    }
    const peakRss = rss.stop();
    const rawFps = frames / median(raw);
    const pipeFps = frames / median(pipe);
    const readerFps = frames / median(reader);
    const multiFps = multiFrames / median(multi);
    rows.push({
      cameras: config.label,
      frames,
      'ffmpeg fps': Math.round(rawFps),
      'pipe fps': Math.round(pipeFps),
      'reader fps': Math.round(readerFps),
      'reader / ffmpeg': Number((readerFps / rawFps).toFixed(3)),
      'reader / pipe': Number((readerFps / pipeFps).toFixed(3)),
      'multi fps': Math.round(multiFps),
      'multi / ffmpeg': Number((multiFps / rawFps).toFixed(3)),
      'peak RSS MiB': Math.round(peakRss),
    });
  }
  printTable(rows);
  return { pixelFormat: PIXEL_FORMAT, rounds: ROUNDS, rows };
}
