/**
 * Credentials in a source URL, against the real GStreamer RTSP server with basic auth: a good
 * login streams, a wrong one fails at once with a typed error, and the password shows up in no
 * event, error, property or message — only in ffmpeg's argument vector.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import { StreamError } from '../../src/errors.js';
import type { StreamEvents } from '../../src/streams/events.js';
import { MultiStreamReader } from '../../src/streams/multi-stream-reader.js';
import { StreamReader } from '../../src/streams/stream-reader.js';
import { media } from '../helpers/shared.js';
import { childFfmpegPids, freshPort, startRtspServer, stopProcess } from './helpers.js';

const CAM1 = media('multicam/cam1_with_tracking_overlay.mp4');
const PASSWORD = 'S3cr#t!x';
const WRONG = 'Wr0ngPass';
const EVENT_NAMES: Array<keyof StreamEvents> = ['connected', 'waiting', 'stalled', 'reconnecting', 'reconnected', 'ended', 'error'];

/** Everything a user can see of an error, its causes included. */
function visible(value: unknown, depth = 0): string {
  if (value instanceof Error) {
    const own = JSON.stringify({ ...value });
    return `${String(value)} ${value.stack ?? ''} ${own} ${depth < 5 ? visible(value.cause, depth + 1) : ''}`;
  }
  return JSON.stringify(value, (_key, v: unknown) => (v instanceof Error ? visible(v, depth + 1) : v)) ?? String(value);
}

/** Records every event of the emitters as text. */
function recordEvents(...emitters: Array<{ on(name: string, listener: (e: unknown) => void): unknown }>): string[] {
  const seen: string[] = [];
  for (const emitter of emitters) for (const name of EVENT_NAMES) emitter.on(name, (event) => seen.push(`${name} ${visible(event)}`));
  return seen;
}

function assertNoSecret(texts: string[], secrets: string[]): void {
  for (const text of texts) {
    for (const secret of secrets) assert.ok(!text.includes(secret) && !text.includes(encodeURIComponent(secret)), `secret in: ${text}`);
  }
}

function cleanup(t: TestContext, readers: Array<{ release(): Promise<void> }>, server: () => ChildProcess | undefined): void {
  t.after(async () => {
    await Promise.all(readers.map((r) => r.release()));
    await stopProcess(server());
    assert.deepEqual(childFfmpegPids(), [], 'ffmpeg left running');
  });
}

test('RTSP with basic auth: the right login streams, the password appears only in ffmpeg\'s argv', async (t) => {
  const port = freshPort();
  let server: ChildProcess | undefined;
  const url = `rtsp://admin:${encodeURIComponent(PASSWORD)}@127.0.0.1:${port}/cam`;
  const reader = new StreamReader(url, { connectTimeout: 10, cameraIndex: 1 });
  const multi = new MultiStreamReader([url], { connectTimeout: 10 });
  cleanup(t, [reader, multi], () => server);
  server = await startRtspServer(CAM1, port, 'cam', { auth: `admin:${PASSWORD}` });
  const seen = recordEvents(reader, multi);
  const display = `rtsp://***:***@127.0.0.1:${port}/cam`;
  assert.equal(reader.displaySource, display);

  const props = await reader.open();
  assert.deepEqual([props.source, props.width, props.height, props.codec], [display, 640, 360, 'h264']);
  // ffmpeg itself got the credentials: they are in its argument vector, nowhere else.
  const argv = childFfmpegPids().map((pid) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0'));
  assert.ok(argv.some((args) => args.includes(url)), 'the raw URL is an argv entry of the reader\'s ffmpeg');
  for (let i = 0; i < 10; i++) assert.equal((await reader.next())!.data.length, 640 * 360 * 3);
  const multiProps = await multi.open();
  assert.equal(multiProps.cameras[0]!.source, display);
  let set = null;
  for (let i = 0; i < 100 && set === null; i++) set = await multi.read();
  assert.ok(set, 'the multi-camera reader delivers frame sets');

  const texts = [visible(reader.getProperties()), visible(multi.getProperties())];
  await reader.release();
  await multi.release();
  texts.push(...seen);
  assert.ok(seen.some((e) => e.startsWith('connected') && e.includes(display)), seen.join('\n'));
  assert.ok(seen.some((e) => e.startsWith('ended') && e.includes(display)), seen.join('\n'));
  assertNoSecret(texts, [PASSWORD]);
});

test('RTSP with a wrong password or none: SOURCE_UNAUTHORIZED at once, nothing leaks', async (t) => {
  const port = freshPort();
  let server: ChildProcess | undefined;
  const wrong = new StreamReader(`rtsp://admin:${WRONG}@127.0.0.1:${port}/cam`, { connectTimeout: 10, openRetry: 'forever' });
  const none = new StreamReader(`rtsp://127.0.0.1:${port}/cam`, { connectTimeout: 10 });
  cleanup(t, [wrong, none], () => server);
  server = await startRtspServer(CAM1, port, 'cam', { auth: `admin:${PASSWORD}` });
  const seen = recordEvents(wrong);

  const started = Date.now();
  const error = await wrong.open().then(
    () => assert.fail('a wrong password must not open'),
    (e: unknown) => e,
  );
  // A refused login is permanent: no waiting for connectTimeout, no retrying even with openRetry 'forever'.
  assert.ok(Date.now() - started < 5000, `took ${Date.now() - started} ms`);
  assert.ok(error instanceof StreamError);
  assert.equal(error.code, 'SOURCE_UNAUTHORIZED');
  assert.equal(error.culprit, `rtsp://***:***@127.0.0.1:${port}/cam`);
  assert.match(error.message, /refused the login.*user name and password/);
  // The message quotes ffmpeg's log, which printed the raw URL: it is masked there too.
  assert.match(error.message, /ffmpeg: .*rtsp:\/\/\*\*\*:\*\*\*@127\.0\.0\.1:\d+\/cam: Server returned 401/);
  assert.equal(wrong.getProperties().state, 'failed');
  assertNoSecret([visible(error), ...seen, visible(wrong.getProperties())], [WRONG, PASSWORD]);

  await assert.rejects(none.open(), (e: unknown) => e instanceof StreamError && e.code === 'SOURCE_UNAUTHORIZED');
});
