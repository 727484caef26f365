/**
 * The pool of frame buffers: released frames are reused (allocations stay flat over a whole
 * clip), a held frame is never overwritten, the pixels are right under the live drop-oldest
 * policy (every frame's MD5 against ffmpeg's own `framemd5`), and a worker thread reads a
 * frame's pixels without a copy.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { resolveFfmpegPath } from '../../src/streams/ffmpeg-path.js';
import type { Frame } from '../../src/streams/frame.js';
import { FramePool, PooledFrame } from '../../src/streams/frame-pool.js';
import { StreamReader } from '../../src/streams/stream-reader.js';
import { media } from '../helpers/shared.js';
import { childFfmpegPids } from './helpers.js';

const CAM1 = media('multicam/cam1_with_tracking_overlay.mp4');

/** MD5 of every decoded rgb24 frame, from ffmpeg itself (not through any reader). */
const reference = execFileSync(resolveFfmpegPath(), ['-hide_banner', '-nostdin', '-loglevel', 'error', '-i', CAM1, '-map', '0:v:0', '-vsync', 'passthrough', '-pix_fmt', 'rgb24', '-f', 'framemd5', '-'], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 })
  .split('\n')
  .filter((line) => line !== '' && !line.startsWith('#'))
  .map((line) => line.split(',').at(-1)!.trim());

const md5 = (frame: Frame) => createHash('md5').update(frame.data).digest('hex');

function cleanup(t: TestContext, reader: StreamReader): void {
  t.after(async () => {
    await reader.release();
    assert.deepEqual(childFfmpegPids(), [], 'ffmpeg left running');
  });
}

test('FramePool: reuses released buffers only, caps what it keeps, forgets another size; release twice is harmless', () => {
  const pool = new FramePool(2);
  const a = pool.acquire(12);
  const b = pool.acquire(12);
  assert.ok(a.buffer instanceof SharedArrayBuffer);
  assert.notEqual(a, b);
  const frame = new PooledFrame(a, 2, 2, 'rgb24', 0, 0, 0, 0, pool);
  frame.release();
  frame.release();
  assert.equal(pool.idle, 1, 'a second release does not give the buffer back twice');
  assert.equal(pool.acquire(12), a, 'the released buffer comes back');
  assert.notEqual(pool.acquire(12), b, 'a buffer still held is never handed out');
  pool.recycle(a);
  pool.recycle(b);
  pool.recycle(new Uint8Array(new SharedArrayBuffer(12)));
  assert.equal(pool.idle, 2, 'at most capacity idle buffers');
  assert.equal(pool.acquire(27).byteLength, 27);
  assert.equal(pool.idle, 0, 'buffers of the old size are dropped');
  assert.deepEqual([pool.allocated, pool.reused], [4, 1]);
  pool.close();
  pool.recycle(new Uint8Array(new SharedArrayBuffer(27)));
  assert.equal(pool.idle, 0);
});

test('file mode: released frames are reused — a whole clip in a handful of buffers, every frame right, held frames intact', async (t) => {
  const reader = new StreamReader(CAM1, { bufferSize: 4, framesInFlight: 2 });
  cleanup(t, reader);
  const held: Array<{ frame: Frame; copy: Uint8Array }> = [];
  let count = 0;
  for await (const frame of reader) {
    assert.ok(frame.data.buffer instanceof SharedArrayBuffer);
    assert.equal(md5(frame), reference[frame.frameIndex], `frame ${frame.frameIndex}`);
    if (frame.frameIndex % 100 === 7) held.push({ frame, copy: frame.data.slice() }); // kept, never released
    else frame.release();
    count++;
  }
  assert.equal(count, reference.length);
  const { buffersAllocated, buffersReused } = reader.getProperties();
  t.diagnostic(`${count} frames in ${buffersAllocated} buffers (${buffersReused} reuses)`);
  // Pool = bufferSize + framesInFlight + 2 = 8; the held frames each cost one more buffer.
  assert.ok(buffersAllocated <= 8 + held.length, `${buffersAllocated} buffers allocated`);
  assert.equal(buffersAllocated + buffersReused, count);
  for (const { frame, copy } of held) assert.ok(Buffer.from(frame.data).equals(copy), `held frame ${frame.frameIndex} was overwritten`);
});

test('live drop-oldest with reuse: dropped frames go back to the pool, every delivered frame has its own pixels', async (t) => {
  const reader = new StreamReader(CAM1, { mode: 'live', bufferSize: 3, framesInFlight: 1 });
  cleanup(t, reader);
  await reader.open();
  let delivered = 0;
  for (let frame = await reader.next(); frame !== null; frame = await reader.next()) {
    assert.equal(md5(frame), reference[frame.frameIndex], `frame ${frame.frameIndex}`);
    delivered++;
    // A slow consumer: the decoder outruns it and the queue drops the oldest frames.
    await new Promise((resolve) => setTimeout(resolve, 8));
    frame.release();
  }
  const props = reader.getProperties();
  t.diagnostic(`${props.framesDecoded} decoded, ${props.framesDropped} dropped, ${delivered} delivered, ${props.buffersAllocated} buffers`);
  assert.equal(props.framesDecoded, reference.length);
  assert.ok(props.framesDropped > 0, 'some frames were dropped');
  assert.equal(props.framesDropped + delivered, props.framesDecoded);
  // Without recycling the drops each one would have cost a new buffer.
  assert.ok(props.buffersAllocated <= 3 + 1 + 2, `${props.buffersAllocated} buffers allocated`);
});

test('a worker thread reads (and could write) a frame\'s pixels without a copy', async (t) => {
  const reader = new StreamReader(CAM1);
  cleanup(t, reader);
  await reader.open();
  const frame = (await reader.next())!;
  const worker = new Worker(
    `const { parentPort } = require('node:worker_threads');
     parentPort.once('message', (data) => { let sum = 0; for (const v of data) sum += v; data[0] = 255 - data[0]; parentPort.postMessage(sum); });`,
    { eval: true },
  );
  t.after(() => worker.terminate());
  const first = frame.data[0]!;
  let expected = 0;
  for (const v of frame.data) expected += v;
  worker.postMessage(frame.data);
  const [sum] = (await once(worker, 'message')) as [number];
  assert.equal(sum, expected);
  assert.equal(frame.data[0], 255 - first, 'the worker wrote into the same memory: it was shared, not copied');
  frame.release();
});
