/**
 * File timestamps are the decoder's presentation times: on a variable-frame-rate clip made here
 * with ffmpeg (irregular gaps and sub-frame jitter, `-vsync vfr`), every `Frame.pts` equals
 * ffprobe's frame time minus the first one, within 1 ms. Also through the fallback for files
 * ffprobe cannot describe (the bundled static ffprobe crashes on MPEG-TS).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { resolveFfmpegPath } from '../../src/streams/ffmpeg-path.js';
import type { StreamReaderOptions } from '../../src/streams/options.js';
import { StreamReader } from '../../src/streams/stream-reader.js';
import { media } from '../helpers/shared.js';
import { childFfmpegPids } from './helpers.js';

const ffprobe = (createRequire(import.meta.url)('@ffprobe-installer/ffprobe') as { path: string }).path;
const dir = mkdtempSync(path.join(os.tmpdir(), 'mcr-vfr-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

/** 4 s of test pattern with frames dropped irregularly and timestamps jittered by 0–24 ms, H.264 with B-frames in MP4. */
function makeVfrClip(): string {
  const out = path.join(dir, 'vfr.mp4');
  const filters = "select='not(mod(n\\,3))+not(mod(n\\,7))+lt(n\\,4)',settb=expr=1/90000,setpts='PTS+0.006*mod(N*N\\,5)/TB'";
  execFileSync(resolveFfmpegPath(), [
    '-hide_banner', '-nostdin', '-loglevel', 'error',
    '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=30', '-t', '4', '-vf', filters,
    '-vsync', 'vfr', '-enc_time_base', '1:90000', '-video_track_timescale', '90000',
    '-c:v', 'libx264', '-preset', 'ultrafast', '-bf', '2', '-g', '12', '-y', out,
  ]);
  return out;
}

/** ffprobe's presentation time of every decoded frame, in seconds. */
function ffprobeFrameTimes(file: string): number[] {
  const json = execFileSync(ffprobe, ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'frame=best_effort_timestamp_time', '-of', 'json', file], { encoding: 'utf8' });
  return (JSON.parse(json) as { frames: Array<{ best_effort_timestamp_time: string }> }).frames.map((f) => Number(f.best_effort_timestamp_time));
}

async function readPts(source: string, options: StreamReaderOptions = {}): Promise<{ pts: number[]; fps: number; duration: number | undefined }> {
  const reader = new StreamReader(source, options);
  try {
    const pts: number[] = [];
    const props = await reader.open();
    for await (const frame of reader) {
      pts.push(frame.pts);
      frame.release();
    }
    return { pts, fps: props.fps, duration: props.duration };
  } finally {
    await reader.release();
  }
}

test('variable frame rate: pts equal ffprobe\'s frame times (minus the first) within 1 ms', async () => {
  const clip = makeVfrClip();
  const times = ffprobeFrameTimes(clip);
  const gaps = times.slice(1).map((t, i) => t - times[i]!);
  assert.ok(Math.max(...gaps) - Math.min(...gaps) > 0.05, `the clip is really irregular: gaps ${Math.min(...gaps)}…${Math.max(...gaps)}`);

  const { pts, fps, duration } = await readPts(clip);
  assert.equal(pts.length, times.length);
  assert.equal(pts[0], 0, 'the first frame is 0');
  const worst = Math.max(...pts.map((p, i) => Math.abs(p - (times[i]! - times[0]!))));
  assert.ok(worst < 0.001, `worst difference ${worst} s`);
  // A constant rate would be wrong here: frameIndex / fps drifts far from the real times.
  const cfrError = Math.max(...pts.map((p, i) => Math.abs(p - i / fps)));
  assert.ok(cfrError > 0.05, `frameIndex / fps would be off by ${cfrError} s`);
  assert.ok(duration !== undefined && Math.abs(duration - (times.at(-1)! - times[0]!)) < 0.2, `duration ${duration}`);

  // Without ffprobe (ffmpeg's banner describes the file): the same timestamps, no duration.
  const banner = await readPts(clip, { ffprobePath: false });
  assert.deepEqual(banner.pts, pts);
  assert.equal(banner.duration, undefined);
  assert.deepEqual(childFfmpegPids(), []);
});

test('an MPEG-TS file, which the bundled ffprobe cannot describe, gets the same timestamps through ffmpeg\'s own log', async () => {
  const ts = path.join(dir, 'vfr.ts');
  const nut = path.join(dir, 'vfr.nut');
  const remux = (from: string, format: string, to: string) => execFileSync(resolveFfmpegPath(), ['-hide_banner', '-nostdin', '-loglevel', 'error', '-i', from, '-c', 'copy', '-f', format, '-y', to]);
  remux(path.join(dir, 'vfr.mp4'), 'mpegts', ts);
  // The reference: the same packets in NUT (90 kHz time base, no edit list), which ffprobe reads.
  remux(ts, 'nut', nut);
  const times = ffprobeFrameTimes(nut);
  const { pts } = await readPts(ts);
  assert.equal(pts.length, times.length);
  const worst = Math.max(...pts.map((p, i) => Math.abs(p - (times[i]! - times[0]!))));
  assert.ok(worst < 0.001, `worst difference ${worst} s`);
  assert.deepEqual(childFfmpegPids(), []);
});

test('constant-rate store clips: pts = frameIndex / fps exactly, duration from ffprobe', async () => {
  const { pts, fps, duration } = await readPts(media('multicam/cam2_with_tracking_overlay.mp4'));
  assert.equal(fps, 18);
  assert.equal(pts.length, 419);
  for (let i = 0; i < pts.length; i++) assert.ok(Math.abs(pts[i]! - i / 18) < 1e-9, `frame ${i}: ${pts[i]}`);
  assert.ok(duration !== undefined && Math.abs(duration - 23.28) < 0.05, `duration ${duration}`);
});
