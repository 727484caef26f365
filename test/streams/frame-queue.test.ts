/** The bounded frame queue: backpressure, drop-oldest, waiting consumers, timeouts and abort. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FrameQueue } from '../../src/streams/frame-queue.js';

test("'block' keeps every item and asks the producer to pause when full, then signals space", () => {
  let spaceSignals = 0;
  const q = new FrameQueue<number>(2, 'block', () => spaceSignals++);
  assert.equal(q.push(1), true);
  assert.equal(q.push(2), false, 'full: producer should pause');
  assert.equal(q.push(3), false, 'in-flight items are still accepted, never lost');
  assert.equal(q.size, 3);
  assert.equal(q.tryTake(), 1);
  assert.equal(spaceSignals, 0, 'still full');
  assert.equal(q.tryTake(), 2);
  assert.equal(spaceSignals, 1);
  assert.equal(q.tryTake(), 3);
  assert.equal(q.dropped, 0);
});

test("'drop-oldest' keeps the newest items and counts the drops", () => {
  const q = new FrameQueue<number>(3, 'drop-oldest');
  for (let i = 0; i < 10; i++) assert.equal(q.push(i), true);
  assert.equal(q.size, 3);
  assert.equal(q.dropped, 7);
  assert.deepEqual([q.tryTake(), q.tryTake(), q.tryTake(), q.tryTake()], [7, 8, 9, undefined]);
});

test('waiting consumers get items in order; timeout and abort resolve null; close ends them', async () => {
  const q = new FrameQueue<string>(4, 'block');
  const first = q.take();
  const second = q.take();
  q.push('a');
  q.push('b');
  assert.equal(await first, 'a');
  assert.equal(await second, 'b');
  assert.equal(q.size, 0, 'items handed to waiters are not queued');

  assert.equal(await q.take(20), null, 'timeout');
  assert.equal(await q.take(0), null, 'zero timeout does not wait');
  const controller = new AbortController();
  const aborted = q.take(undefined, controller.signal);
  controller.abort();
  assert.equal(await aborted, null);
  q.push('c');
  assert.equal(q.tryTake(), 'c', 'a timed-out or aborted waiter does not swallow later items');

  const waiting = q.take();
  q.push('d');
  q.close();
  assert.equal(await waiting, 'd');
  q.push('e');
  assert.equal(q.size, 0, 'push after close is ignored');
  assert.equal(q.finished, true);
  assert.equal(await q.take(), null);
});

test('close keeps queued items readable until drained', async () => {
  const q = new FrameQueue<number>(4, 'drop-oldest');
  q.push(1);
  q.close();
  assert.equal(q.finished, false);
  assert.equal(await q.take(), 1);
  assert.equal(q.finished, true);
});

test('every item the queue throws away goes to onDiscard: drops and clear()', () => {
  const discarded: number[] = [];
  const live = new FrameQueue<number>(2, 'drop-oldest', () => {}, (item) => discarded.push(item));
  for (let i = 0; i < 5; i++) live.push(i);
  assert.deepEqual(discarded, [0, 1, 2]);
  live.clear();
  assert.deepEqual(discarded, [0, 1, 2, 3, 4]);
  const file = new FrameQueue<number>(2, 'block', () => {}, (item) => discarded.push(item));
  file.push(7);
  file.push(8);
  file.push(9);
  assert.equal(discarded.length, 5, "'block' never discards on push");
  file.clear();
  assert.deepEqual(discarded.slice(5), [7, 8, 9]);
});
