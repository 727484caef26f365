/**
 * Failures typed by cause: an ffmpeg or ffprobe binary that cannot be started is FFMPEG_FAILED
 * naming its path (the spawn error kept as the cause), and iterating a reader whose open fails
 * throws that error instead of ending quietly.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { StreamError } from '../../src/errors.js';
import { MultiStreamReader } from '../../src/streams/multi-stream-reader.js';
import { StreamReader } from '../../src/streams/stream-reader.js';
import { media } from '../helpers/shared.js';
import { childFfmpegPids } from './helpers.js';

const CAM1 = media('multicam/cam1_with_tracking_overlay.mp4');
const dir = mkdtempSync(path.join(os.tmpdir(), 'mcr-fail-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

function notExecutable(name: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, '#!/bin/sh\nexit 0\n');
  chmodSync(file, 0o644);
  return file;
}

const isSpawnFailure = (binary: string, errno: string) => (e: unknown) =>
  e instanceof StreamError &&
  e.code === 'FFMPEG_FAILED' &&
  e.culprit === binary &&
  e.message.includes(`"${binary}"`) &&
  (e.cause as NodeJS.ErrnoException | undefined)?.code === errno;

test('an ffmpeg binary that is not executable (EACCES) or gone (ENOENT) is FFMPEG_FAILED naming it', async () => {
  const locked = notExecutable('ffmpeg');
  await assert.rejects(new StreamReader(CAM1, { ffmpegPath: locked }).open(), isSpawnFailure(locked, 'EACCES'));
  await assert.rejects(new StreamReader('udp://127.0.0.1:1905', { ffmpegPath: locked, openRetry: 'forever' }).open(), isSpawnFailure(locked, 'EACCES'), 'permanent: never retried');

  const vanishing = path.join(dir, 'ffmpeg-gone');
  copyFileSync(locked, vanishing);
  const reader = new StreamReader(CAM1, { ffmpegPath: vanishing }); // exists when the reader is made…
  rmSync(vanishing); // …and is gone when it starts
  await assert.rejects(reader.open(), isSpawnFailure(vanishing, 'ENOENT'));
  assert.deepEqual(childFfmpegPids(), []);
});

test('an ffprobe that cannot be started is FFMPEG_FAILED naming it', async () => {
  const locked = notExecutable('ffprobe');
  await assert.rejects(new StreamReader(CAM1, { ffprobePath: locked }).open(), isSpawnFailure(locked, 'EACCES'));
  assert.deepEqual(childFfmpegPids(), []);
});

test('for await opens a reader that is not open yet, and throws when that open fails', async () => {
  let frames = 0;
  for await (const frame of new StreamReader(CAM1)) {
    frames++;
    frame.release();
  }
  assert.equal(frames, 419);

  let sets = 0;
  const multi = new MultiStreamReader([CAM1, media('multicam/cam2_with_tracking_overlay.mp4')], { bufferSize: 4 });
  for await (const set of multi) {
    assert.equal(set.frames.length, 2);
    for (const frame of set.frames) frame.release();
    if (++sets === 20) break;
  }
  assert.equal(sets, 20);
  assert.deepEqual(multi.getProperties().cameras.map((c) => c.state), ['released', 'released'], 'leaving the loop early released every camera');

  const missing = path.join(dir, 'missing.mp4');
  await assert.rejects(async () => {
    for await (const _ of new StreamReader(missing)) assert.fail('no frame from a missing file');
  }, (e: unknown) => e instanceof StreamError && e.code === 'SOURCE_NOT_FOUND');
  await assert.rejects(async () => {
    for await (const _ of new MultiStreamReader([CAM1, missing])) assert.fail('no set when a camera cannot open');
  }, (e: unknown) => e instanceof StreamError && e.code === 'SOURCE_NOT_FOUND');
  assert.deepEqual(childFfmpegPids(), []);
});
