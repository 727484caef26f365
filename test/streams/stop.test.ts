/**
 * Gentle child stop with real ffmpeg: `q` on stdin ends a decoding ffmpeg cleanly (exit code 0,
 * and the RTSP server sees the TEARDOWN of a released reader), also when its stdout was paused by
 * backpressure; one that is still connecting gets SIGTERM at once; one stuck on a dead source is
 * killed when the grace period ends. No ffmpeg is left after any of them.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { buildFfmpegArgs } from '../../src/streams/ffmpeg-args.js';
import { resolveFfmpegPath } from '../../src/streams/ffmpeg-path.js';
import { FramePool } from '../../src/streams/frame-pool.js';
import { Session } from '../../src/streams/session.js';
import { StreamReader } from '../../src/streams/stream-reader.js';
import { classifySource } from '../../src/streams/url.js';
import { media } from '../helpers/shared.js';
import { childFfmpegPids, freshPort, startRtspServer, startUdpSender, stopProcess } from './helpers.js';

const CAM1 = media('multicam/cam1_with_tracking_overlay.mp4');
const ARGS = { pixelFormat: 'rgb24' as const, maxWidth: undefined, maxHeight: undefined, rtspTransport: 'tcp' as const, frameTimestamps: true };

/** A bare ffmpeg run of the reader's kind, frames counted and given back to its pool. */
function run(source: string, realtime: boolean): { session: Session; frames: () => number } {
  let frames = 0;
  const pool = new FramePool(8);
  const session = new Session(resolveFfmpegPath(), buildFfmpegArgs(classifySource(source), { ...ARGS, realtime }), { frameSize: undefined, parseBanner: true, buffers: pool }, (_s, data) => {
    frames++;
    pool.recycle(data);
  });
  return { session, frames: () => frames };
}

function noFfmpegLeft(t: TestContext, helpers: () => Array<ChildProcess | undefined> = () => []): void {
  t.after(async () => {
    await Promise.all(helpers().map((h) => stopProcess(h)));
    assert.deepEqual(childFfmpegPids(), [], 'ffmpeg left running');
  });
}

test('a decoding ffmpeg ends through q with exit code 0, also when its stdout is paused', async (t) => {
  noFfmpegLeft(t);
  const flowing = run(CAM1, true);
  const paused = run(CAM1, false);
  await Promise.all([flowing.session.reach('frame', AbortSignal.timeout(10_000)), paused.session.reach('frame', AbortSignal.timeout(10_000))]);
  paused.session.proc.pause();
  await sleep(300); // the pipe fills: ffmpeg blocks in a write and can read no key until stdout drains
  await Promise.all([flowing.session.stop(5000), paused.session.stop(5000)]);
  for (const { session, frames } of [flowing, paused]) {
    assert.ok(frames() > 0);
    assert.deepEqual([session.exitInfo?.code, session.exitInfo?.signal, session.exitInfo?.stopStep], [0, null, 'q']);
  }
});

test('an ffmpeg still connecting gets SIGTERM at once; one stuck on a dead source is killed at the end of the grace period', async (t) => {
  const port = freshPort();
  let sender: ChildProcess | undefined = startUdpSender(CAM1, port);
  noFfmpegLeft(t, () => [sender]);
  const connecting = run(`udp://127.0.0.1:${freshPort()}`, false);
  const stuck = run(`udp://127.0.0.1:${port}`, false);
  await stuck.session.reach('frame', AbortSignal.timeout(10_000));
  await stopProcess(sender);
  sender = undefined;
  await sleep(700); // the sender is gone: ffmpeg waits in a read that neither q nor one SIGTERM interrupts
  const t0 = performance.now();
  await connecting.session.stop(5000);
  const connectingMs = performance.now() - t0;
  await stuck.session.stop(600);
  assert.equal(connecting.session.exitInfo?.stopStep, 'SIGTERM');
  assert.ok(connectingMs < 2500, `a connecting ffmpeg took ${connectingMs} ms to stop (its SIGKILL was due at 5000)`);
  assert.deepEqual([stuck.session.exitInfo?.stopStep, stuck.session.exitInfo?.signal], ['SIGKILL', 'SIGKILL']);
});

test('release() of an RTSP reader ends its session with a TEARDOWN the server sees', async (t) => {
  const port = freshPort();
  let server: (ChildProcess & { teardowns(): number }) | undefined;
  const reader = new StreamReader(`rtsp://127.0.0.1:${port}/cam`, { connectTimeout: 10 });
  noFfmpegLeft(t, () => [server]);
  t.after(() => reader.release());
  server = await startRtspServer(CAM1, port, 'cam');
  await reader.open();
  for (let i = 0; i < 5; i++) assert.ok(await reader.next());
  assert.equal(server.teardowns(), 0);
  await reader.release();
  assert.deepEqual(childFfmpegPids(), []);
  for (let i = 0; i < 20 && server.teardowns() === 0; i++) await sleep(50);
  assert.equal(server.teardowns(), 1, 'the server got the TEARDOWN of the session');
});
