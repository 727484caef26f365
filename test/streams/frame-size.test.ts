/**
 * One frame size for a reader's life: a UDP camera that comes back at another resolution
 * (smaller, then larger) is restarted scaled to the size of its first connection, and no frame
 * is ever cut at the wrong size — the later frames are colour bars whose every column is known.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { resolveFfmpegPath } from '../../src/streams/ffmpeg-path.js';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Frame } from '../../src/streams/frame.js';
import type { ReconnectingEvent } from '../../src/streams/events.js';
import { StreamReader } from '../../src/streams/stream-reader.js';
import { media } from '../helpers/shared.js';
import { childFfmpegPids, freshPort, startBarsSender, startUdpSender, stopProcess, waitForEvent } from './helpers.js';

const CAM1 = media('multicam/cam1_with_tracking_overlay.mp4');

/** SMPTE bars from left to right, as which channels are lit (R, G, B). */
const BARS: Array<[boolean, boolean, boolean]> = [
  [true, true, true], // grey
  [true, true, false], // yellow
  [false, true, true], // cyan
  [false, true, false], // green
  [true, false, true], // magenta
  [true, false, false], // red
  [false, false, true], // blue
];

/** True when the frame shows the seven bars where they belong (a misaligned cut shifts or tears them). */
function showsBars(frame: Frame): boolean {
  const y = Math.round(frame.height * 0.3);
  return BARS.every((lit, i) => {
    const x = Math.round(((i + 0.5) / BARS.length) * frame.width);
    const at = (y * frame.width + x) * 3;
    return lit.every((on, c) => (on ? frame.data[at + c]! > 140 : frame.data[at + c]! < 90));
  });
}

/** Reads frames until `count` of them show bars (only bars may follow once the first did). */
async function readBars(reader: StreamReader, count: number): Promise<void> {
  let bars = 0;
  while (bars < count) {
    const frame = (await reader.read(15))!;
    assert.ok(frame, 'frames keep coming');
    assert.deepEqual([frame.width, frame.height, frame.data.length], [640, 360, 640 * 360 * 3], `frame ${frame.frameIndex}`);
    if (showsBars(frame)) bars++;
    else assert.equal(bars, 0, `frame ${frame.frameIndex} is not the bars after bars were shown`);
    frame.release();
  }
}

test('a UDP camera back at another resolution is scaled to its first size; every frame well cut', async (t) => {
  const port = freshPort();
  let sender: ChildProcess | undefined = startUdpSender(CAM1, port);
  const reader = new StreamReader(`udp://127.0.0.1:${port}`, { stallTimeout: 2, connectTimeout: 8, reconnect: { initialDelay: 0.2, maxDelay: 1 } });
  t.after(async () => {
    await reader.release();
    await stopProcess(sender);
    assert.deepEqual(childFfmpegPids(), [], 'ffmpeg left running');
  });
  const reasons: ReconnectingEvent[] = [];
  reader.on('reconnecting', (e) => reasons.push(e));
  const props = await reader.open();
  assert.deepEqual([props.width, props.height, props.sourceWidth, props.sourceHeight], [640, 360, 640, 360]);
  for (let i = 0; i < 10; i++) assert.ok(!showsBars((await reader.next())!));

  // The camera restarts at 320x240 on the same port within a fraction of a second: the first
  // ffmpeg run sees the size change in its own frames, and the reader restarts it scaled to 640x360.
  const reconnected = waitForEvent(reader, 'reconnected', 20_000);
  await stopProcess(sender);
  sender = startBarsSender(port, '320x240');
  await reconnected;
  assert.match(reasons[0]!.reason, /frame size changed from 640x360 to 320x240 inside one ffmpeg run/);
  await readBars(reader, 15);
  let now = reader.getProperties();
  assert.deepEqual([now.width, now.height, now.state, now.sourceWidth, now.sourceHeight], [640, 360, 'streaming', 320, 240]);

  // Back at 1280x720: the running ffmpeg already scales to exactly 640x360, so it goes on.
  await stopProcess(sender);
  sender = startBarsSender(port, '1280x720');
  await sleep(1500);
  // Frames of the 320x240 sender may still be buffered (bars too): only count newer ones.
  const decodedAtSwitch = reader.getProperties().framesDecoded;
  for (let f = reader.tryRead(); f !== null; f = reader.tryRead()) f.release();
  await readBars(reader, 15);
  now = reader.getProperties();
  assert.ok(now.framesDecoded >= decodedAtSwitch + 15);
  assert.deepEqual([now.width, now.height, now.state, now.reconnects], [640, 360, 'streaming', 1], 'no restart was needed');
});

test('a file that changes resolution mid-way (camera recording in MPEG-TS): resumed after the last frame, scaled, nothing lost', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mcr-size-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const encode = (input: string[], out: string, offset: number) =>
    execFileSync(resolveFfmpegPath(), ['-hide_banner', '-nostdin', '-loglevel', 'error', ...input, '-t', '2', '-an', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-r', '25', '-vsync', 'cfr', '-output_ts_offset', String(offset), '-f', 'mpegts', '-y', path.join(dir, out)]);
  encode(['-i', CAM1], 'a.ts', 0);
  encode(['-f', 'lavfi', '-i', 'smptebars=size=320x240:rate=25'], 'b.ts', 2); // continues the timeline at 2 s
  const file = path.join(dir, 'ab.ts');
  writeFileSync(file, Buffer.concat([readFileSync(path.join(dir, 'a.ts')), readFileSync(path.join(dir, 'b.ts'))]));

  const reader = new StreamReader(file);
  t.after(() => reader.release());
  const frames: Array<{ index: number; pts: number; bars: boolean }> = [];
  for await (const frame of reader) {
    assert.deepEqual([frame.width, frame.height, frame.data.length], [640, 360, 640 * 360 * 3]);
    frames.push({ index: frame.frameIndex, pts: frame.pts, bars: showsBars(frame) });
    frame.release();
  }
  assert.equal(frames.length, 100, 'every frame of both parts, none twice');
  const switchAt = frames.findIndex((f) => f.bars);
  assert.equal(switchAt, 50, 'the second part starts at frame 50');
  assert.ok(frames.slice(switchAt).every((f) => f.bars), 'every frame after the change is well cut');
  for (let i = 0; i < frames.length; i++) assert.ok(Math.abs(frames[i]!.pts - i / 25) < 0.002, `frame ${i} at ${frames[i]!.pts}`);
  assert.equal(reader.getProperties().state, 'ended');
  assert.deepEqual(childFfmpegPids(), []);
});
