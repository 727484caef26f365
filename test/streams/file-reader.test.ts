/**
 * Readers over the real sample clips: counts, sizes and rates against what ffmpeg itself
 * reports, pixel formats, downscaling, both buffering policies, frame sets, bad files, and no
 * ffmpeg left behind.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MulticamReidError, StreamError } from '../../src/errors.js';
import { hstack } from '../../src/streams/combine.js';
import type { EndedEvent } from '../../src/streams/events.js';
import type { Frame } from '../../src/streams/frame.js';
import { MultiStreamReader } from '../../src/streams/multi-stream-reader.js';
import { StreamReader } from '../../src/streams/stream-reader.js';
import { media } from '../helpers/shared.js';
import { childFfmpegPids, ffmpegReport } from './helpers.js';

const CAM1 = media('multicam/cam1_with_tracking_overlay.mp4');
const CAM2 = media('multicam/cam2_with_tracking_overlay.mp4');
const PLAZA = media('videos/plaza_overhead_pedestrians_720p.mp4');

/** Releases the readers after the test whatever happened, then checks no ffmpeg is left. */
function cleanup(t: TestContext, ...readers: Array<{ release(): Promise<void> }>): void {
  t.after(async () => {
    await Promise.all(readers.map((r) => r.release()));
    assert.deepEqual(childFfmpegPids(), [], 'ffmpeg left running');
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

for (const clip of [CAM1, PLAZA]) {
  test(`decodes every frame of ${path.basename(clip)} as ffmpeg reports it`, async (t) => {
    const expected = ffmpegReport(clip);
    const reader = new StreamReader(clip, { cameraIndex: 3 });
    cleanup(t, reader);
    const ended: EndedEvent[] = [];
    reader.on('ended', (e) => ended.push(e));
    const props = await reader.open();
    assert.equal(props.width, expected.width);
    assert.equal(props.height, expected.height);
    assert.equal(props.fps, expected.fps);
    assert.equal(props.codec, 'h264');
    assert.equal(props.mode, 'file');

    let count = 0;
    for await (const frame of reader) {
      assert.equal(frame.frameIndex, count);
      assert.equal(frame.cameraIndex, 3);
      assert.equal(frame.data.length, expected.width * expected.height * 3);
      assert.ok(Math.abs(frame.pts - count / expected.fps) < 1e-9);
      count++;
    }
    assert.equal(count, expected.frames);
    const after = reader.getProperties();
    assert.equal(after.state, 'ended');
    assert.equal(after.framesRead, expected.frames);
    assert.equal(after.framesDropped, 0);
    assert.equal(reader.ended, true);
    assert.deepEqual(ended.map((e) => [e.reason, e.framesDecoded]), [['eof', expected.frames]]);
    assert.equal(await reader.next(), null, 'after the end next() resolves null');
  });
}

test('rgb24 and bgr24 carry the same pixels in swapped channel order; frames stay intact', async (t) => {
  const rgb = new StreamReader(CAM2, { pixelFormat: 'rgb24' });
  const bgr = new StreamReader(CAM2, { pixelFormat: 'bgr24' });
  cleanup(t, rgb, bgr);
  await Promise.all([rgb.open(), bgr.open()]);
  const first = (await rgb.next())!;
  const kept = first.data.slice();
  const b = (await bgr.next())!;
  assert.equal(first.pixelFormat, 'rgb24');
  assert.equal(b.pixelFormat, 'bgr24');
  let differing = 0;
  for (let i = 0; i < first.data.length; i += 3) {
    if (first.data[i] !== b.data[i + 2] || first.data[i + 1] !== b.data[i + 1] || first.data[i + 2] !== b.data[i]) differing++;
  }
  assert.equal(differing, 0);
  // Later frames never overwrite a frame already delivered.
  for (let i = 0; i < 40; i++) assert.ok(await rgb.next());
  assert.deepEqual(first.data, kept);
});

test('maxWidth / maxHeight downscale inside ffmpeg, keeping aspect and even sizes', async (t) => {
  const wide = new StreamReader(PLAZA, { maxWidth: 640 });
  const short = new StreamReader(CAM1, { maxHeight: 201 });
  const noUpscale = new StreamReader(CAM1, { maxWidth: 4000, maxHeight: 4000 });
  cleanup(t, wide, short, noUpscale);
  const [a, b, c] = await Promise.all([wide.open(), short.open(), noUpscale.open()]);
  assert.deepEqual([a.width, a.height, a.sourceWidth, a.sourceHeight], [640, 360, 1280, 720]);
  assert.ok(b.height <= 201 && b.height % 2 === 0 && b.width % 2 === 0, `${b.width}x${b.height}`);
  assert.ok(Math.abs(b.width / b.height - 640 / 360) < 0.02);
  assert.deepEqual([c.width, c.height], [640, 360]);
  const frame = (await wide.next())!;
  assert.equal(frame.data.length, 640 * 360 * 3);
});

test("file mode loses nothing: a slow consumer pauses ffmpeg and the buffer stays bounded", async (t) => {
  const expected = ffmpegReport(CAM1).frames;
  const reader = new StreamReader(CAM1, { bufferSize: 2 });
  cleanup(t, reader);
  await reader.open();
  let count = 0;
  let maxDepth = 0;
  for (;;) {
    if (count < 15) await sleep(20); // slower than the decoder at the start
    maxDepth = Math.max(maxDepth, reader.getProperties().queueDepth);
    const frame = await reader.next();
    if (frame === null) break;
    assert.equal(frame.frameIndex, count++);
  }
  assert.equal(count, expected);
  assert.equal(reader.getProperties().framesDropped, 0);
  // The queue may overshoot by the frames of one stdout chunk already in flight, never more.
  assert.ok(maxDepth <= 3, `queue depth reached ${maxDepth}`);
});

test("live mode keeps only the freshest frames and counts the drops (a file read as a camera)", async (t) => {
  const reader = new StreamReader(CAM1, { mode: 'live', bufferSize: 5 });
  cleanup(t, reader);
  const ended = new Promise<EndedEvent>((resolve) => reader.once('ended', resolve));
  await reader.open();
  assert.equal((await ended).reason, 'eof', 'a file has a real end even in live mode');
  const frames: Frame[] = [];
  for (let f = await reader.next(); f !== null; f = await reader.next()) frames.push(f);
  const props = reader.getProperties();
  assert.equal(frames.length, 5, 'only bufferSize frames survive');
  assert.equal(props.framesDecoded, ffmpegReport(CAM1).frames);
  assert.equal(props.framesDropped + frames.length, props.framesDecoded);
  assert.deepEqual(frames.map((f) => f.frameIndex), [414, 415, 416, 417, 418]);
  for (let i = 1; i < frames.length; i++) assert.ok(frames[i]!.pts >= frames[i - 1]!.pts, 'timestamps never go back');
});

test('bad files: missing, not a video, a directory — typed errors, no ffmpeg left', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mcr-streams-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const cases: Array<[string, string, RegExp]> = [
    [path.join(dir, 'missing.mp4'), 'SOURCE_NOT_FOUND', /missing\.mp4/],
    [media('PROVENANCE.md'), 'INVALID_MEDIA', /PROVENANCE\.md.*not a readable video/],
    [dir, 'INVALID_MEDIA', /directory/],
  ];
  for (const [source, code, message] of cases) {
    const reader = new StreamReader(source);
    cleanup(t, reader);
    await assert.rejects(reader.open(), (e: unknown) => e instanceof StreamError && e.code === code && message.test(e.message), source);
    assert.equal(reader.getProperties().state, 'failed');
    await reader.release();
  }
  const idle = new StreamReader(CAM1);
  await assert.rejects(idle.next(), (e: unknown) => e instanceof StreamError && /before open\(\)/.test(e.message));
  await assert.rejects(idle.read(-1), (e: unknown) => e instanceof MulticamReidError && e.code === 'INVALID_OPTION');
  assert.deepEqual(childFfmpegPids(), []);
});

test('release mid-stream (ffmpeg paused by backpressure) and abort of open leave no ffmpeg', async (t) => {
  const reader = new StreamReader(PLAZA, { bufferSize: 1 });
  cleanup(t, reader);
  const ended: EndedEvent[] = [];
  reader.on('ended', (e) => ended.push(e));
  await reader.open();
  assert.ok(await reader.next());
  await sleep(100); // let the buffer fill and ffmpeg block on its pipe
  const pending = reader.next();
  await Promise.all([reader.release(), reader.release()]);
  assert.deepEqual(childFfmpegPids(), []);
  assert.equal(reader.getProperties().state, 'released');
  assert.deepEqual(ended.map((e) => e.reason), ['released']);
  assert.ok((await pending) === null || (await pending)!.frameIndex === 1);
  assert.equal(await reader.next(), null);

  const controller = new AbortController();
  const aborted = new StreamReader(CAM1);
  cleanup(t, aborted);
  const opening = aborted.open(controller.signal);
  controller.abort();
  await assert.rejects(opening, (e: unknown) => e instanceof StreamError && e.code === 'ABORTED');
  assert.deepEqual(childFfmpegPids(), []);

  // Leaving a for-await loop early releases the reader.
  const iterated = new StreamReader(CAM2);
  cleanup(t, iterated);
  for await (const frame of iterated) if (frame.frameIndex === 3) break;
  assert.equal(iterated.getProperties().state, 'released');
  assert.deepEqual(childFfmpegPids(), []);
});

test('MultiStreamReader over two files: complete, synchronised frame sets and a combined view', async (t) => {
  const expected = ffmpegReport(CAM1).frames;
  const multi = new MultiStreamReader([CAM1, CAM2], { bufferSize: 8 });
  cleanup(t, multi);
  const props = await multi.open();
  assert.equal(props.cameras.length, 2);
  assert.deepEqual([props.combinedWidth, props.combinedHeight], [1280, 360]);
  assert.deepEqual(props.cameras.map((c) => [c.cameraIndex, c.width, c.height, c.fps, c.state]), [[0, 640, 360, 18, 'streaming'], [1, 640, 360, 18, 'streaming']]);
  let sets = 0;
  for await (const set of multi) {
    assert.deepEqual(set.frames.map((f) => [f.cameraIndex, f.frameIndex]), [[0, sets], [1, sets]]);
    assert.equal(set.spread, 0);
    if (sets === 10) {
      const combined = set.combined();
      assert.equal(set.combined(), combined, 'computed once');
      assert.deepEqual([combined.width, combined.height], [1280, 360]);
      const row = 100 * 1280 * 3;
      assert.deepEqual(combined.data.subarray(row, row + 640 * 3), set.frames[0]!.data.subarray(100 * 640 * 3, 101 * 640 * 3));
      assert.deepEqual(combined.data.subarray(row + 640 * 3, row + 1280 * 3), set.frames[1]!.data.subarray(100 * 640 * 3, 101 * 640 * 3));
    }
    sets++;
  }
  assert.equal(sets, expected);
  assert.equal(multi.exhausted, true);
  assert.deepEqual(multi.getProperties().cameras.map((c) => c.framesDecoded), [expected, expected]);
  assert.equal(await multi.read(), null);
});

test('MultiStreamReader: a lagging camera gives "no frame set" at once, and no frame is lost meanwhile', async (t) => {
  // Both clips play at their native 18 fps and read() does not wait (syncTolerance 0): most
  // calls find some camera without a new frame and must report no set instead of blocking.
  const multi = new MultiStreamReader([CAM1, CAM2], { syncTolerance: 0, realtime: true });
  cleanup(t, multi);
  await multi.open();
  let empty = 0;
  const indexes: number[][] = [];
  while (indexes.length < 12) {
    const set = await multi.read();
    if (set === null) {
      empty++;
      await sleep(5);
      continue;
    }
    indexes.push(set.frames.map((f) => f.frameIndex));
  }
  assert.ok(empty > 0, 'some read found a camera lagging');
  assert.deepEqual(indexes, [...Array(12).keys()].map((i) => [i, i]), 'frames taken while the other camera lagged were kept, in order');
  assert.equal(multi.getProperties().incompleteReads, empty);
});

test('hstack resizes to the smallest height (bilinear) and stacks left to right', () => {
  const tall = { data: new Uint8Array(2 * 4 * 3).fill(200), width: 2, height: 4, pixelFormat: 'rgb24' as const };
  const short = { data: new Uint8Array(3 * 2 * 3).fill(10), width: 3, height: 2, pixelFormat: 'rgb24' as const };
  const out = hstack([tall, short]);
  assert.deepEqual([out.width, out.height], [1 + 3, 2]);
  assert.deepEqual([...out.data.subarray(0, 3)], [200, 200, 200]);
  assert.deepEqual([...out.data.subarray(3, 12)], [10, 10, 10, 10, 10, 10, 10, 10, 10]);
  assert.throws(() => hstack([tall, { ...short, pixelFormat: 'bgr24' }]), /mixed pixel formats/);
});
