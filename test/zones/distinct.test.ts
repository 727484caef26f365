import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DistinctCounter } from '../../src/zones/distinct.js';
import { RecentItems } from '../../src/zones/ring.js';
import { seededRandom } from '../helpers/random.js';

test('distinct counts are exact up to the limit, repeated values counted once', () => {
  const counter = new DistinctCounter(1000);
  for (let round = 0; round < 3; round++) for (let id = 1; id <= 1000; id++) counter.add(id);
  assert.equal(counter.count, 1000);
  assert.equal(counter.estimated, false);
  assert.equal(counter.exactSize, 1000);
  counter.add(0.5); // any number, not only integers
  assert.equal(counter.estimated, true, 'one more value switches to the sketch');
  assert.equal(counter.exactSize, 0);
  assert.ok(Math.abs(counter.count - 1001) <= 30, `estimate ${counter.count} for 1001`);
  const never = new DistinctCounter(Infinity);
  for (let id = 0; id < 50_000; id++) never.add(id);
  assert.deepEqual([never.count, never.estimated], [50_000, false]);
});

test('beyond the limit the estimate stays within a few percent, and repeats do not move it', () => {
  const random = seededRandom(7);
  for (const size of [5_000, 100_000, 1_000_000]) {
    const counter = new DistinctCounter(64);
    // Global ids as a gallery makes them (1, 2, 3, …), each seen many times in random order.
    for (let i = 0; i < size * 2; i++) counter.add(1 + Math.floor(random() * size));
    for (let id = 1; id <= size; id++) counter.add(id);
    const error = Math.abs(counter.count - size) / size;
    assert.ok(error < 0.05, `${counter.count} estimated for ${size} (${(error * 100).toFixed(2)} %)`);
    const before = counter.count;
    for (let id = 1; id <= size; id += 7) counter.add(id);
    assert.equal(counter.count, before);
  }
});

test('recent items keep the last ones in order and count the dropped', () => {
  const ring = new RecentItems<number>(3);
  for (let i = 1; i <= 7; i++) ring.push(i);
  assert.deepEqual(ring.toArray(), [5, 6, 7]);
  assert.deepEqual([ring.length, ring.dropped], [3, 4]);
  const none = new RecentItems<number>(0);
  none.push(1);
  assert.deepEqual([none.toArray(), none.dropped], [[], 1]);
  const all = new RecentItems<number>(Infinity);
  for (let i = 0; i < 10; i++) all.push(i);
  assert.deepEqual([all.length, all.dropped], [10, 0]);
});
