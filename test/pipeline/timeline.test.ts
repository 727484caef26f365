/**
 * One timeline for the video, the CSV and the zone report, on a variable-frame-rate file the
 * test makes with ffmpeg (a store clip with 3.4 s cut out of its middle, timestamps kept): the
 * CSV's timestamps are the decoder's presentation times, the MP4 keeps the gap (the frame
 * before it stays on screen), and the picture the MP4 shows at a zone event's time is the
 * source's picture at that time.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { DetectionTrackingPipeline } from '../../src/pipeline/pipeline.js';
import type { ZoneCrossingEvent } from '../../src/pipeline/events.js';
import { parseTracksCsv } from '../../src/output/tracks-csv.js';
import { parse as parseYaml } from 'yaml';
import { artifactsDir, media, repoRoot } from '../helpers/shared.js';
import { ffmpegPath, inspectVideo } from '../helpers/ffmpeg.js';

const outRoot = artifactsDir('pipeline-timeline');
rmSync(outRoot, { recursive: true, force: true });
mkdirSync(outRoot, { recursive: true });
const pipeline = new DetectionTrackingPipeline({ output: { zip: false } });
after(() => pipeline.release());

const FPS = 18;
const WIDTH = 640;
const HEIGHT = 360;

/** The picture of `file` at time `seconds` (the frame shown then), as rgb24. */
function frameAt(file: string, seconds: number): Uint8Array {
  return new Uint8Array(
    execFileSync(ffmpegPath, ['-v', 'error', '-nostdin', '-i', file, '-ss', seconds.toFixed(3), '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'], { maxBuffer: 1 << 24 }),
  );
}

function meanAbsoluteDifference(a: Uint8Array, b: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i]! - b[i]!);
  return sum / a.length;
}

test('a variable-frame-rate file: CSV times are presentation times, the MP4 keeps the gap, a zone event shows at its time', { timeout: 300_000 }, async () => {
  // Frames 100–160 cut out, the others keep their timestamps: a 61-frame (3.39 s) gap.
  const clip = path.join(outRoot, 'vfr.mp4');
  const cut = spawnSync(ffmpegPath, ['-hide_banner', '-loglevel', 'error', '-y', '-i', media('multicam/cam1_with_tracking_overlay.mp4'), '-vf', "select='not(between(n\\,100\\,160))'", '-vsync', 'vfr', '-an', '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '12', clip]);
  assert.equal(cut.status, 0, String(cut.stderr));

  const sample = parseYaml(readFileSync(path.join(repoRoot, 'configs', 'zones.sample.yaml'), 'utf8')) as Record<string, unknown>;
  const job = pipeline.processVideo({ videoPath: clip, outputDir: outRoot, zones: { 0: sample['0'] ?? sample['camera_0'] } });
  const enters: ZoneCrossingEvent[] = [];
  job.on('zone:enter', (e) => enters.push(e));
  const result = await job.result;
  assert.equal(result.status, 'completed', JSON.stringify(result.error));
  const camera = result.cameras[0]!;
  assert.equal(camera.frames, 419 - 61);

  // CSV: presentation times, with the gap between frame indexes 99 and 100.
  const rows = parseTracksCsv(readFileSync(camera.csvPath, 'utf8'));
  const timeOf = new Map(rows.map((r) => [r.frameIndex, r.timestamp]));
  assert.ok(Math.abs(timeOf.get(99)! - 99 / FPS) < 0.002, `frame 99 at ${timeOf.get(99)}`);
  assert.ok(Math.abs(timeOf.get(100)! - 161 / FPS) < 0.002, `frame 100 at ${timeOf.get(100)} (after the gap)`);

  // MP4: the source's whole timeline at its nominal rate, the gap filled by repeats.
  const video = await inspectVideo(camera.videoPath!);
  assert.equal(camera.videoStartTime, 0);
  assert.equal(video.frames, camera.frames + camera.framesRepeated);
  assert.ok(camera.framesRepeated > 0);
  const seconds = video.frames / video.fps;
  assert.ok(Math.abs(seconds - 419 / FPS) < 0.25, `the MP4 lasts as long as the clip: ${seconds.toFixed(2)} s (${video.frames} frames at ${video.fps} fps)`);

  // A zone event after the gap: the MP4 at its time shows the source's picture at that time,
  // not the one a second before or after (the pictures differ by the people moving).
  const event = enters.find((e) => e.timestamp > 161 / FPS + 1) ?? enters[enters.length - 1];
  assert.ok(event !== undefined, 'the sample zones see people enter');
  const t = event.timestamp - camera.videoStartTime;
  const shown = frameAt(camera.videoPath!, t);
  assert.equal(shown.length, WIDTH * HEIGHT * 3);
  const same = meanAbsoluteDifference(shown, frameAt(clip, event.timestamp));
  const earlier = meanAbsoluteDifference(shown, frameAt(clip, event.timestamp - 1));
  const later = meanAbsoluteDifference(shown, frameAt(clip, Math.min(event.timestamp + 1, 418 / FPS)));
  console.log(`zone enter at ${event.timestamp.toFixed(3)} s (frame ${event.frameIndex}): MP4 vs source picture ${same.toFixed(2)}, vs 1 s earlier ${earlier.toFixed(2)}, vs 1 s later ${later.toFixed(2)}`);
  assert.ok(same < earlier && same < later, 'the MP4 shows the source picture of the event time');
});
