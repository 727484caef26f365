/**
 * Live sources that start slowly or late, with real ffmpeg senders on loopback UDP: a camera
 * with a 10-s GOP joined between keyframes is waited for (not declared dead by connectTimeout),
 * `openRetry: 'forever'` joins a sender that starts seconds after `open()`, aborts and releases
 * end such an open at once, and failures that waiting cannot cure still reject at once.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import type { ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { StreamError } from '../../src/errors.js';
import type { ReconnectingEvent, WaitingEvent } from '../../src/streams/events.js';
import { StreamReader } from '../../src/streams/stream-reader.js';
import { media } from '../helpers/shared.js';
import { childFfmpegPids, freshPort, startRtspServer, startUdpSender, stopProcess } from './helpers.js';

const CAM1 = media('multicam/cam1_with_tracking_overlay.mp4');
/** A camera with a 10-s GOP: 25 fps, a keyframe every 250 frames and never in between. */
const LONG_GOP = { gop: 250, fps: 25 };

function cleanup(t: TestContext, readers: StreamReader[], helpers: () => Array<ChildProcess | undefined>): void {
  t.after(async () => {
    await Promise.all(readers.map((r) => r.release()));
    await Promise.all(helpers().map((h) => stopProcess(h)));
    assert.deepEqual(childFfmpegPids(), [], 'ffmpeg left running');
  });
}

test('a 10-s GOP sender joined mid-GOP: waiting for its keyframe, then open, although connectTimeout is shorter', async (t) => {
  const [port, shortPort] = [freshPort(), freshPort()];
  const senders: Array<ChildProcess | undefined> = [startUdpSender(CAM1, port, LONG_GOP), startUdpSender(CAM1, shortPort, LONG_GOP)];
  // connectTimeout 3 s: far less than the wait for the next keyframe, which must not matter.
  const reader = new StreamReader(`udp://127.0.0.1:${port}`, { connectTimeout: 3 });
  const impatient = new StreamReader(`udp://127.0.0.1:${shortPort}`, { connectTimeout: 3, keyframeTimeout: 2, reconnect: { initialDelay: 0.2 } });
  cleanup(t, [reader, impatient], () => senders);
  await sleep(1500); // join 1.5 s after the senders' first keyframe
  const waiting: WaitingEvent[] = [];
  reader.on('waiting', (e) => waiting.push(e));
  const states = new Set<string>();
  const poll = setInterval(() => states.add(reader.getProperties().state), 50);
  t.after(() => clearInterval(poll));

  const started = performance.now();
  const [props, failure] = await Promise.all([reader.open(), impatient.open().then(() => undefined, (e: unknown) => e)]);
  const seconds = (performance.now() - started) / 1000;
  t.diagnostic(`10-s GOP joined 1.5 s after its keyframe: open() took ${seconds.toFixed(1)} s`);
  assert.ok(seconds > 3, `open took ${seconds} s: it must have waited past connectTimeout for the keyframe`);
  assert.deepEqual(waiting.map((e) => [e.reason, e.timeout, e.source]), [['keyframe', 30, `udp://127.0.0.1:${port}`]]);
  assert.ok(states.has('waiting'), [...states].join());
  assert.deepEqual([props.state, props.width, props.height], ['streaming', 640, 360]);
  const frame = (await reader.next())!;
  assert.equal(frame.data.length, 640 * 360 * 3);

  // Data but no keyframe within keyframeTimeout: a typed error that says so.
  assert.ok(failure instanceof StreamError, String(failure));
  assert.equal(failure.code, 'CONNECT_TIMEOUT');
  assert.match(failure.message, /no decodable frame within keyframeTimeout = 2 s/);
});

test("openRetry 'forever': open() started 6 s before its sender keeps retrying, then resolves once it sends", async (t) => {
  const port = freshPort();
  let sender: ChildProcess | undefined;
  const reader = new StreamReader(`udp://127.0.0.1:${port}`, { openRetry: 'forever', connectTimeout: 1, reconnect: { initialDelay: 0.2, maxDelay: 0.5 } });
  cleanup(t, [reader], () => [sender]);
  const attempts: ReconnectingEvent[] = [];
  reader.on('reconnecting', (e) => attempts.push(e));

  const opening = reader.open();
  await sleep(6000);
  assert.equal(reader.getProperties().state, 'reconnecting', 'still trying, not failed');
  assert.ok(attempts.length >= 3, `${attempts.length} attempts`);
  assert.deepEqual(attempts.slice(0, 3).map((e) => [e.attempt, e.delay]), [[1, 0.2], [2, 0.4], [3, 0.5]]);
  assert.match(attempts[0]!.reason, /no data within connectTimeout \(1 s\)/);
  sender = startUdpSender(CAM1, port);
  const props = await opening;
  assert.deepEqual([props.state, props.width, props.height], ['streaming', 640, 360]);
  assert.ok(await reader.next());
});

test("openRetry 'forever': an abort or a release ends the open within about a second, even while ffmpeg connects", async (t) => {
  const aborted = new StreamReader(`udp://127.0.0.1:${freshPort()}`, { openRetry: 'forever', connectTimeout: 20 });
  const released = new StreamReader(`udp://127.0.0.1:${freshPort()}`, { openRetry: 'forever', connectTimeout: 0.5, reconnect: { initialDelay: 5, maxDelay: 5 } });
  cleanup(t, [aborted, released], () => []);
  const controller = new AbortController();
  const opening = aborted.open(controller.signal);
  const openingToo = released.open();
  await sleep(1500); // the first: inside a 20-s connect attempt; the second: inside a 5-s back-off
  const t0 = performance.now();
  controller.abort();
  await assert.rejects(opening, (e: unknown) => e instanceof StreamError && e.code === 'ABORTED' && /aborted/.test(e.message));
  const abortMs = performance.now() - t0;
  const t1 = performance.now();
  await released.release();
  await assert.rejects(openingToo, (e: unknown) => e instanceof StreamError && e.code === 'ABORTED' && /release\(\)/.test(e.message));
  const releaseMs = performance.now() - t1;
  t.diagnostic(`ABORTED ${abortMs.toFixed(0)} ms after abort(), ${releaseMs.toFixed(0)} ms after release()`);
  // Far below the 20-s attempt and the 5-s back-off they interrupted (no tight timing bound: shared machine).
  assert.ok(abortMs < 3000 && releaseMs < 3000, `${abortMs} / ${releaseMs} ms`);
  assert.deepEqual(childFfmpegPids(), []);
});

test("openRetry 'forever' still rejects at once what waiting cannot cure: 404, unknown protocol, not a video", async (t) => {
  const rtspPort = freshPort();
  let server: ChildProcess | undefined;
  // JSON, not text: ffmpeg's tty demuxer would play a .txt page as a video of its characters.
  const http = createServer((_req, res) => res.end(JSON.stringify({ status: 'ok', items: [...Array(500).keys()] })));
  http.listen(0, '127.0.0.1');
  await once(http, 'listening');
  t.after(() => http.close());
  const forever = { openRetry: 'forever' as const, connectTimeout: 5 };
  const missing = new StreamReader(`rtsp://127.0.0.1:${rtspPort}/nope`, forever);
  const protocol = new StreamReader(`srt://127.0.0.1:${freshPort()}`, forever);
  const text = new StreamReader(`http://127.0.0.1:${(http.address() as AddressInfo).port}/status.json`, forever);
  cleanup(t, [missing, protocol, text], () => [server]);
  server = await startRtspServer(CAM1, rtspPort, 'cam');
  const cases: Array<[StreamReader, string, RegExp]> = [
    [missing, 'SOURCE_NOT_FOUND', /check the URL path/],
    [protocol, 'STREAM_FAILED', /does not support the protocol/],
    [text, 'INVALID_MEDIA', /not a readable video/],
  ];
  for (const [reader, code, message] of cases) {
    const started = performance.now();
    await assert.rejects(reader.open(), (e: unknown) => e instanceof StreamError && e.code === code && message.test(e.message), reader.displaySource);
    assert.ok(performance.now() - started < 4000, `${reader.displaySource} was retried`);
  }
});
