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
 * - `buffers / frame`: pixel buffers the reader allocated per frame delivered (consumers release
 *   every frame, so the pool reuses them).
 *
 * Two more tables:
 * - open(): milliseconds from `new StreamReader(file)` to `open()` resolved (first frame ready),
 *   with ffprobe describing the file (the default) and with `ffprobePath: false` (ffmpeg's banner,
 *   as before ffprobe was used), and ffprobe alone.
 * - showinfo: ffmpeg's own CPU time per frame (`-benchmark`, `-threads 1`) decoding to rgb24 with
 *   no filter, with the `showinfo=checksum=0` the readers use, and with showinfo's default checksums.
 */
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { promisify } from 'node:util';
import { resolveFfprobePath } from '../src/streams/ffmpeg-path.js';
import { classifySource } from '../src/streams/url.js';
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

/** Reads every clip with its own StreamReader, releasing each frame; returns wall seconds, frames and buffers allocated. */
async function readers(clips: string[]): Promise<{ seconds: number; frames: number; buffers: number }> {
  const t0 = performance.now();
  const counts = await Promise.all(
    clips.map(async (clip, cameraIndex) => {
      const reader = new StreamReader(clip, { cameraIndex, pixelFormat: PIXEL_FORMAT });
      let frames = 0;
      try {
        for await (const frame of reader) {
          if (frame.data.length > 0) frames++;
          frame.release();
        }
        return { frames, buffers: reader.getProperties().buffersAllocated };
      } finally {
        await reader.release();
      }
    }),
  );
  return { seconds: (performance.now() - t0) / 1000, frames: counts.reduce((a, c) => a + c.frames, 0), buffers: counts.reduce((a, c) => a + c.buffers, 0) };
}

/** Reads the clips as frame sets through one MultiStreamReader; returns wall seconds and frames. */
async function multiReader(clips: string[]): Promise<{ seconds: number; frames: number }> {
  const t0 = performance.now();
  const multi = new MultiStreamReader(clips, { pixelFormat: PIXEL_FORMAT });
  let frames = 0;
  try {
    await multi.open();
    for await (const set of multi) {
      frames += set.frames.length;
      for (const frame of set.frames) frame.release();
    }
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
    let buffers = 0;
    let multiFrames = 0;
    const rss = trackPeakRss();
    for (let round = 0; round < ROUNDS; round++) {
      raw.push(await rawFfmpeg(config.clips));
      pipe.push(await pipeOnly(config.clips));
      const r = await readers(config.clips);
      reader.push(r.seconds);
      frames = r.frames;
      buffers = r.buffers;
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
      'buffers / frame': Number((buffers / frames).toFixed(4)),
    });
  }
  printTable(rows);
  console.log('');
  const open = await openLatency();
  printTable(open);
  console.log('');
  const showinfo = await showinfoCost();
  printTable(showinfo);
  return { pixelFormat: PIXEL_FORMAT, rounds: ROUNDS, rows, open, showinfo };
}

export function summarize(result: unknown): string[] {
  const r = result as { rows: Array<Record<string, number | string>>; open: Array<Record<string, number | string>>; showinfo: Array<Record<string, number | string>> };
  return [
    ...r.rows.map((row) => `- ${row.cameras}: reader ${row['reader / ffmpeg']}× ffmpeg alone, ${row['buffers / frame']} buffers per frame`),
    ...r.open.map((row) => `- open() ${row.clip}: ${row['open() ms']} ms with ffprobe, ${row['open() ffprobePath false ms']} ms without (ffprobe alone ${row['ffprobe alone ms']} ms)`),
    ...r.showinfo.map((row) => `- showinfo ${row.clip}: ${row['none ms/frame']} → ${row['checksum=0 ms/frame']} ms/frame (default showinfo ${row['default ms/frame']})`),
  ];
}

const OPEN_ROUNDS = 11;
const execFileAsync = promisify(execFile);

/** open() of each clip with and without ffprobe, and ffprobe alone; medians, interleaved. */
async function openLatency(): Promise<Array<Record<string, string | number>>> {
  const ffprobe = resolveFfprobePath();
  const rows: Array<Record<string, string | number>> = [];
  for (const clip of [CAM1, CAM2, PLAZA]) {
    const info = classifySource(clip);
    const open: number[] = [];
    const probe: number[] = [];
    const bare: number[] = [];
    for (let round = 0; round < OPEN_ROUNDS; round++) {
      for (const [times, ffprobePath] of [[open, undefined], [bare, false]] as const) {
        const t0 = performance.now();
        const reader = new StreamReader(clip, { pixelFormat: PIXEL_FORMAT, ...(ffprobePath === false ? { ffprobePath } : {}) });
        await reader.open();
        times.push(performance.now() - t0);
        await reader.release();
      }

      if (ffprobe !== undefined) {
        const t0 = performance.now();
        await execFileAsync(ffprobe, ['-v', 'error', '-print_format', 'json', '-show_streams', '-show_format', '-select_streams', 'v:0', info.ffmpegInput]);
        probe.push(performance.now() - t0);
      }
    }
    rows.push({
      clip: path.basename(clip),
      'open() ms': Number(median(open).toFixed(1)),
      'open() ffprobePath false ms': Number(median(bare).toFixed(1)),
      'ffprobe alone ms': probe.length > 0 ? Number(median(probe).toFixed(1)) : 'n/a',
    });
  }
  return rows;
}

/** ffmpeg's CPU seconds (user + system, from -benchmark) decoding `clip` to rgb24 with the given filter, and its frame count. */
async function ffmpegCpuSeconds(clip: string, filter: string | undefined): Promise<{ seconds: number; frames: number }> {
  const args = ['-hide_banner', '-nostdin', '-benchmark', '-threads', '1', '-i', clip, '-map', '0:v:0', ...(filter ? ['-vf', filter] : []), '-vsync', 'passthrough', '-f', 'rawvideo', '-pix_fmt', PIXEL_FORMAT, '-y', '/dev/null'];
  const { stderr } = await execFileAsync(resolveFfmpegPath(), args, { maxBuffer: 256 * 1024 * 1024 });
  const bench = /bench: utime=([\d.]+)s stime=([\d.]+)s/.exec(stderr);
  const frames = [...stderr.matchAll(/frame=\s*(\d+)/g)].pop();
  if (!bench || !frames) throw new Error(`no -benchmark line or frame count from ffmpeg for ${clip}`);
  return { seconds: Number(bench[1]) + Number(bench[2]), frames: Number(frames[1]) };
}

/** Per-frame CPU cost of showinfo at 640×360 and 1280×720: no filter, checksum=0, default; medians of 5, interleaved. */
async function showinfoCost(): Promise<Array<Record<string, string | number>>> {
  const rows: Array<Record<string, string | number>> = [];
  for (const clip of [CAM1, PLAZA]) {
    const runs: Record<'none' | 'fast' | 'full', number[]> = { none: [], fast: [], full: [] };
    let frames = 0;
    for (let round = 0; round < 5; round++) {
      for (const [key, filter] of [['none', undefined], ['fast', 'showinfo=checksum=0'], ['full', 'showinfo']] as const) {
        const run = await ffmpegCpuSeconds(clip, filter);
        runs[key].push(run.seconds);
        frames = run.frames;
      }
    }
    const perFrame = (values: number[]) => Number(((median(values) / frames) * 1000).toFixed(3));
    rows.push({
      clip: path.basename(clip),
      'none ms/frame': perFrame(runs.none),
      'checksum=0 ms/frame': perFrame(runs.fast),
      'default ms/frame': perFrame(runs.full),
    });
  }
  return rows;
}
