/**
 * Live sources over loopback with real parts: ffmpeg processes sending the sample clips as UDP
 * MPEG-TS, and GStreamer's RTSP server. Covers reconnection after a sender dies, a camera that
 * never connects, giving up, and that no ffmpeg outlives a test.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { StreamError } from '../../src/errors.js';
import { MultiStreamReader } from '../../src/streams/multi-stream-reader.js';
import { StreamReader } from '../../src/streams/stream-reader.js';
import { media } from '../helpers/shared.js';
import { childFfmpegPids, freshPort, startRtspServer, startUdpSender, stopProcess, waitForEvent } from './helpers.js';

const CAM1 = media('multicam/cam1_with_tracking_overlay.mp4');
const CAM2 = media('multicam/cam2_with_tracking_overlay.mp4');
const FAST_RECOVERY = { stallTimeout: 1, connectTimeout: 8, reconnect: { initialDelay: 0.2, maxDelay: 1 } };

/** After the test, whatever happened: release readers, stop helper processes, check no ffmpeg is left. */
function cleanup(t: TestContext, readers: Array<{ release(): Promise<void> }>, helpers: () => Array<ChildProcess | undefined>): void {
  t.after(async () => {
    await Promise.all(readers.map((r) => r.release()));
    await Promise.all(helpers().map((h) => stopProcess(h)));
    assert.deepEqual(childFfmpegPids(), [], 'ffmpeg left running');
  });
}

test('two UDP MPEG-TS cameras: a killed sender reconnects while the other camera keeps delivering', async (t) => {
  const [port0, port1] = [freshPort(), freshPort()];
  const senders: Array<ChildProcess | undefined> = [startUdpSender(CAM1, port0), startUdpSender(CAM2, port1)];
  const multi = new MultiStreamReader(`udp://127.0.0.1:${port0}, udp://127.0.0.1:${port1}`, { ...FAST_RECOVERY, syncTolerance: 0.2 });
  cleanup(t, [multi], () => senders);
  const connected: number[] = [];
  multi.on('connected', (e) => connected.push(e.cameraIndex));

  const props = await multi.open();
  assert.deepEqual(connected.sort(), [0, 1]);
  assert.deepEqual(props.cameras.map((c) => [c.kind, c.mode, c.width, c.height, c.codec]), [['udp', 'live', 640, 360, 'h264'], ['udp', 'live', 640, 360, 'h264']]);
  assert.deepEqual([props.combinedWidth, props.combinedHeight], [1280, 360]);

  // Frame sets flow, their timestamps on one clock.
  let sets = 0;
  while (sets < 10) {
    const set = await multi.read();
    if (set === null) continue;
    sets++;
    assert.deepEqual(set.frames.map((f) => f.cameraIndex), [0, 1]);
    assert.ok(set.spread < 1, `spread ${set.spread}`);
  }

  // Camera 1's sender dies.
  const stalled = waitForEvent(multi, 'stalled', 10_000, (e) => e.cameraIndex === 1);
  const reconnecting = waitForEvent(multi, 'reconnecting', 10_000, (e) => e.cameraIndex === 1);
  await stopProcess(senders[1]);
  senders[1] = undefined;
  assert.equal((await stalled).source, `udp://127.0.0.1:${port1}`);
  const attempt = await reconnecting;
  assert.equal(attempt.attempt, 1);
  assert.ok(attempt.delay > 0);

  // Camera 0 keeps delivering during the outage.
  const cam0 = multi.readers[0]!;
  while (cam0.tryRead() !== null) {
    // drop what was buffered before the outage: the next frame must be a new one
  }
  const decodedBefore = cam0.getProperties().framesDecoded;
  const duringOutage = await cam0.read(2);
  assert.ok(duringOutage !== null, 'camera 0 delivered during the outage');
  assert.ok(cam0.getProperties().framesDecoded > decodedBefore);
  assert.notEqual(multi.readers[1]!.getProperties().state, 'streaming');

  // The sender returns: camera 1 reconnects and complete sets flow again.
  const reconnected = waitForEvent(multi, 'reconnected', 15_000, (e) => e.cameraIndex === 1);
  senders[1] = startUdpSender(CAM2, port1);
  assert.ok((await reconnected).downtime > 0);
  const cam1Before = multi.readers[1]!.getProperties().framesDecoded;
  let after = 0;
  while (after < 5) if ((await multi.read()) !== null) after++;
  const final = multi.getProperties().cameras[1]!;
  assert.ok(final.framesDecoded > cam1Before);
  assert.equal(final.reconnects, 1);
  assert.equal(final.state, 'streaming');

  await multi.release();
  assert.deepEqual(childFfmpegPids().filter((pid) => pid !== senders[0]?.pid && pid !== senders[1]?.pid), []);
});

test('RTSP from a real server (GStreamer) over TCP and over UDP transport', async (t) => {
  const port = freshPort();
  let server: ChildProcess | undefined;
  const tcp = new StreamReader(`rtsp://127.0.0.1:${port}/cam`, { connectTimeout: 10, cameraIndex: 2 });
  const udp = new StreamReader(`rtsp://127.0.0.1:${port}/cam`, { connectTimeout: 10, rtspTransport: 'udp', pixelFormat: 'bgr24' });
  cleanup(t, [tcp, udp], () => [server]);
  server = await startRtspServer(CAM1, port, 'cam');

  const props = await tcp.open();
  assert.deepEqual([props.kind, props.width, props.height, props.fps, props.codec], ['rtsp', 640, 360, 18, 'h264']);
  let previous = -Infinity;
  for (let i = 0; i < 15; i++) {
    const frame = (await tcp.next())!;
    assert.equal(frame.frameIndex, i);
    assert.equal(frame.cameraIndex, 2);
    assert.equal(frame.data.length, 640 * 360 * 3);
    assert.ok(frame.pts >= previous);
    previous = frame.pts;
  }
  await tcp.release();
  assert.equal(tcp.getProperties().state, 'released');

  await udp.open();
  const frame = (await udp.next())!;
  assert.equal(frame.pixelFormat, 'bgr24');
  assert.equal(frame.width, 640);
});

test('a source that never delivers fails open() with CONNECT_TIMEOUT; nothing is left running', async (t) => {
  const silentUdp = new StreamReader(`udp://127.0.0.1:${freshPort()}`, { connectTimeout: 1 });
  const refusedRtsp = new StreamReader(`rtsp://127.0.0.1:${freshPort()}/none`, { connectTimeout: 1.5, reconnect: { initialDelay: 0.1 } });
  cleanup(t, [silentUdp, refusedRtsp], () => []);
  await assert.rejects(silentUdp.open(), (e: unknown) => e instanceof StreamError && e.code === 'CONNECT_TIMEOUT' && /udp:\/\/127\.0\.0\.1:\d+.*connectTimeout = 1 s/.test(e.message));
  await assert.rejects(refusedRtsp.open(), (e: unknown) => e instanceof StreamError && e.code === 'CONNECT_TIMEOUT' && /refused|did not answer/i.test(e.message));
  assert.equal(silentUdp.getProperties().state, 'failed');
  assert.deepEqual(childFfmpegPids(), []);
});

test('reconnect.maxAttempts exhausted: error then ended, and next() resolves null', async (t) => {
  const port = freshPort();
  let sender: ChildProcess | undefined = startUdpSender(CAM1, port);
  const reader = new StreamReader(`udp://127.0.0.1:${port}`, { stallTimeout: 0.5, connectTimeout: 4, reconnect: { initialDelay: 0.1, maxAttempts: 1 } });
  cleanup(t, [reader], () => [sender]);
  await reader.open();
  assert.ok(await reader.next());
  const error = waitForEvent(reader, 'error', 10_000);
  const ended = waitForEvent(reader, 'ended', 10_000);
  await stopProcess(sender);
  sender = undefined;
  assert.equal((await error).error.code, 'STREAM_FAILED');
  assert.match((await error).error.message, /gave up.*1 reconnect attempt/);
  assert.equal((await ended).reason, 'gave-up');
  for (let f = await reader.next(); f !== null; f = await reader.next()) {
    // drain what was buffered before the outage
  }
  assert.equal(reader.ended, true);
  assert.equal(reader.getProperties().state, 'ended');
});
