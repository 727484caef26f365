/** The sink's buffer while the broker is away: bounded, oldest event dropped, one status per job kept. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Outbox, type OutgoingMessage } from '../../src/service/outbox.js';

const event = (n: number): OutgoingMessage => ({ topic: 'p/j/progress', payload: String(n), retain: false, status: false });
const status = (job: string, s: string): OutgoingMessage => ({ topic: `p/${job}/status`, payload: s, retain: true, status: true });

test('keeps the newest events up to the bound, in order, and says when it drops one', () => {
  const box = new Outbox(3);
  const dropped = [1, 2, 3, 4, 5].map((n) => box.push(event(n)));
  assert.deepEqual(dropped, [0, 0, 0, 1, 1]);
  assert.equal(box.size, 3);
  assert.deepEqual(box.drain().map((m) => m.payload), ['3', '4', '5']);
  assert.equal(box.size, 0);
  assert.deepEqual(box.drain(), []);
});

test('statuses are never dropped for room; a newer status of the same job replaces the older', () => {
  const box = new Outbox(2);
  box.push(status('a', 'running'));
  box.push(event(1));
  box.push(status('b', 'running'));
  box.push(event(2));
  box.push(event(3)); // drops event 1, not a status
  box.push(status('a', 'completed'));
  assert.equal(box.size, 4);
  assert.deepEqual(box.drain().map((m) => m.payload), ['running', '2', '3', 'completed']);
});

test('a bound of 0 keeps no event; a long outage stays bounded and ordered', () => {
  const none = new Outbox(0);
  assert.equal(none.push(event(1)), 1);
  assert.equal(none.push(status('a', 'running')), 0);
  assert.deepEqual(none.drain().map((m) => m.payload), ['running']);

  const box = new Outbox(100);
  box.push(status('a', 'running'));
  let dropped = 0;
  for (let n = 0; n < 50_000; n++) dropped += box.push(event(n));
  box.push(status('a', 'completed'));
  assert.equal(dropped, 50_000 - 100);
  const out = box.drain().map((m) => m.payload);
  assert.equal(out.length, 101);
  assert.deepEqual(out.slice(0, 3), ['49900', '49901', '49902']);
  assert.equal(out.at(-1), 'completed');
});
