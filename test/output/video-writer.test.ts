import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { FrameAnnotator } from '../../src/output/annotator.js';
import { VideoWriter, buildFfmpegArgs, frameRateArg } from '../../src/output/video-writer.js';
import { ConfigError, OutputError } from '../../src/errors.js';
import { artifactsDir, media, repoRoot } from '../helpers/shared.js';
import { childFfmpegPids, ffmpegPath, inspectVideo } from '../helpers/ffmpeg.js';
import { alive } from '../helpers/processes.js';

const WIDTH = 640;
const HEIGHT = 360;
const FPS = 18;
const dir = artifactsDir('video-writer');
rmSync(dir, { recursive: true, force: true });
mkdirSync(dir, { recursive: true });

/** The first `count` frames of a real clip as rgb24. */
function decodeFrames(count: number): Uint8Array[] {
  const out = spawnSync(ffmpegPath, ['-v', 'error', '-nostdin', '-i', media('multicam/cam1_with_tracking_overlay.mp4'), '-frames:v', String(count), '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'], { maxBuffer: 1 << 27 });
  assert.equal(out.status, 0, String(out.stderr));
  const size = WIDTH * HEIGHT * 3;
  assert.equal(out.stdout.length, count * size);
  return Array.from({ length: count }, (_, i) => new Uint8Array(out.stdout.buffer, out.stdout.byteOffset + i * size, size));
}

/** Synthetic frames: a gradient that moves, so the encoder has real work. */
function gradientFrames(width: number, height: number, count: number, bytesPerPixel: number): Uint8Array[] {
  return Array.from({ length: count }, (_, f) => {
    const data = new Uint8Array(width * height * bytesPerPixel);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const i = (y * width + x) * bytesPerPixel;
        data[i] = (x + 4 * f) & 255;
        data[i + 1] = y & 255;
        data[i + 2] = (x + y) & 255;
        if (bytesPerPixel === 4) data[i + 3] = 255;
      }
    }
    return data;
  });
}

/** Types of the top-level MP4 boxes, in file order. */
function topLevelAtoms(file: string): string[] {
  const bytes = readFileSync(file);
  const atoms: string[] = [];
  for (let offset = 0; offset + 8 <= bytes.length; ) {
    let size = bytes.readUInt32BE(offset);
    const type = bytes.toString('latin1', offset + 4, offset + 8);
    if (size === 1) size = Number(bytes.readBigUInt64BE(offset + 8));
    else if (size === 0) size = bytes.length - offset;
    if (size < 8) throw new Error(`corrupt atom ${type} at ${offset} in ${file}`);
    atoms.push(type);
    offset += size;
  }
  return atoms;
}

function assertFaststart(file: string): void {
  const atoms = topLevelAtoms(file);
  assert.ok(atoms.includes('moov') && atoms.includes('mdat'), `atoms: ${atoms.join(', ')}`);
  assert.ok(atoms.indexOf('moov') < atoms.indexOf('mdat'), `moov must come before mdat: ${atoms.join(', ')}`);
}

function isOutputFailure(error: unknown): boolean {
  return error instanceof OutputError && error.code === 'OUTPUT_FAILED';
}

test('annotated frames become a browser-playable H.264 MP4: yuv420p, faststart, one frame per write', async () => {
  const frames = decodeFrames(50);
  const annotator = new FrameAnnotator(WIDTH, HEIGHT);
  const file = path.join(dir, 'annotated.mp4');
  const writer = await VideoWriter.open(file, { width: WIDTH, height: HEIGHT, fps: FPS, inputPixelFormat: 'rgb24' });
  for (let i = 0; i < frames.length; i++) {
    // The annotator draws into the frame itself; the writer takes it as it is.
    const pixels = annotator.annotate(
      { data: frames[i]!, width: WIDTH, height: HEIGHT, pixelFormat: 'rgb24' },
      {
        boxes: [{ x1: 100 + 2 * i, y1: 80, x2: 170 + 2 * i, y2: 260, trackId: 12, globalId: 3, name: 'Alice' }],
        zones: [{ name: 'door', polygon: [[400, 200], [600, 200], [620, 350], [380, 350]], count: i % 3 }],
        header: `cam 0 · frame ${i}`,
      },
    );
    await writer.write(pixels);
  }
  const result = await writer.close();
  assert.deepEqual(result, { frames: 50, path: file });

  const info = await inspectVideo(file);
  assert.deepEqual(info, { codec: 'h264', pixelFormat: 'yuv420p', width: WIDTH, height: HEIGHT, fps: FPS, frames: 50 });
  assertFaststart(file);
});

test('timed writing keeps the source timeline: gaps are filled with the frame that lasts, every frame is shown', async () => {
  const frames = decodeFrames(6);
  const file = path.join(dir, 'timed.mp4');
  const writer = await VideoWriter.open(file, { width: WIDTH, height: HEIGHT, fps: FPS, inputPixelFormat: 'rgb24', preset: 'ultrafast' });
  // A live camera at FPS that dropped frames and went down for 2 s; the last two frames come too close together.
  const at = [10, 10 + 1 / FPS, 10 + 4 / FPS, 12 + 4 / FPS, 12 + 5 / FPS, 12 + 5.2 / FPS];
  for (let i = 0; i < frames.length; i++) await writer.writeAt(frames[i]!, at[i]!);
  assert.equal(writer.startTime, 10);
  const { frames: written } = await writer.close();
  // Slots: 0, 1, 4, 2·FPS+4, 2·FPS+5, and the last frame one slot later: 2·FPS+7 slots in all.
  assert.equal(written, 2 * FPS + 7);
  assert.equal(writer.framesRepeated, written - frames.length);
  assert.equal((await inspectVideo(file)).frames, written);
  await assert.rejects(writer.writeAt(frames[0]!, Number.NaN), (e: unknown) => e instanceof Error);
});

test('odd sizes are padded to even, bgr24 input and NTSC rates are accepted', async () => {
  const file = path.join(dir, 'odd.mp4');
  const writer = await VideoWriter.open(file, { width: 321, height: 241, fps: 29.97, inputPixelFormat: 'bgr24', preset: 'ultrafast' });
  for (const frame of gradientFrames(321, 241, 12, 3)) await writer.write(frame);
  await writer.close();
  const info = await inspectVideo(file);
  assert.equal(info.width, 322);
  assert.equal(info.height, 242);
  assert.equal(info.frames, 12);
  assert.equal(info.fps, 29.97);
  assert.equal(info.pixelFormat, 'yuv420p');
  assertFaststart(file);
});

test('a writer closed right after it started (a cancel) still leaves a playable file', async () => {
  const file = path.join(dir, 'cancelled-early.mp4');
  const writer = await VideoWriter.open(file, { width: WIDTH, height: HEIGHT, fps: FPS, inputPixelFormat: 'rgb24' });
  for (const frame of decodeFrames(3)) await writer.write(frame);
  assert.equal((await writer.close()).frames, 3);
  assert.equal((await inspectVideo(file)).frames, 3);
  assertFaststart(file);
});

test('aborting the signal finalises the file; later writes reject', async () => {
  const file = path.join(dir, 'aborted.mp4');
  const controller = new AbortController();
  const writer = await VideoWriter.open(file, { width: 64, height: 48, fps: 10, inputPixelFormat: 'rgba', signal: controller.signal });
  for (const frame of gradientFrames(64, 48, 5, 4)) await writer.write(frame);
  controller.abort();
  await assert.rejects(writer.write(new Uint8Array(64 * 48 * 4)), isOutputFailure);
  assert.equal((await writer.close()).frames, 5);
  assert.equal((await inspectVideo(file)).frames, 5);

  const aborted = AbortSignal.abort();
  await assert.rejects(VideoWriter.open(path.join(dir, 'never.mp4'), { width: 64, height: 48, fps: 10, inputPixelFormat: 'rgba', signal: aborted }), (e: unknown) => e instanceof OutputError && e.code === 'ABORTED');
  assert.equal(existsSync(path.join(dir, 'never.mp4')), false);
});

test('close() is idempotent and write() after close() rejects', async () => {
  const file = path.join(dir, 'idempotent.mp4');
  const writer = await VideoWriter.open(file, { width: 64, height: 48, fps: 10, inputPixelFormat: 'rgb24' });
  for (const frame of gradientFrames(64, 48, 4, 3)) await writer.write(frame);
  const [a, b] = await Promise.all([writer.close(), writer.close()]);
  const c = await writer.close();
  assert.deepEqual(a, { frames: 4, path: file });
  assert.deepEqual(b, a);
  assert.deepEqual(c, a);
  await assert.rejects(writer.write(new Uint8Array(64 * 48 * 3)), (e: unknown) => isOutputFailure(e) && /closed/.test((e as Error).message));
});

test('write() rejects with OUTPUT_FAILED once ffmpeg has died, and close() reports it', async () => {
  const writer = await VideoWriter.open(path.join(dir, 'crashed.mp4'), { width: 64, height: 48, fps: 10, inputPixelFormat: 'rgb24' });
  const [frame] = gradientFrames(64, 48, 1, 3);
  await writer.write(frame!);
  const pid = writer.pid!;
  process.kill(pid, 'SIGKILL'); // a crash, from the writer's point of view
  // The next writes fail (the first may still slip into the pipe before the exit is seen).
  let failure: unknown;
  for (let i = 0; i < 50 && failure === undefined; i++) {
    await writer.write(frame!).catch((e: unknown) => (failure = e));
  }
  assert.ok(isOutputFailure(failure), `expected OUTPUT_FAILED, got ${String(failure)}`);
  await assert.rejects(writer.close(), isOutputFailure);
  assert.ok(!alive(pid));
});

test('ffmpeg errors reach the caller with the end of its stderr', async () => {
  // The output path is an existing folder: ffmpeg cannot open it and exits.
  const folder = path.join(dir, 'a-folder.mp4');
  mkdirSync(folder, { recursive: true });
  const writer = await VideoWriter.open(folder, { width: 64, height: 48, fps: 10, inputPixelFormat: 'rgb24' });
  const [frame] = gradientFrames(64, 48, 1, 3);
  let failure: unknown;
  for (let i = 0; i < 50 && failure === undefined; i++) {
    await writer.write(frame!).catch((e: unknown) => (failure = e));
  }
  assert.ok(isOutputFailure(failure), `expected OUTPUT_FAILED, got ${String(failure)}`);
  await assert.rejects(writer.close(), (e: unknown) => isOutputFailure(e) && /ffmpeg said: .*a-folder\.mp4/s.test((e as Error).message));
});

test('kill() stops ffmpeg and resolves once it is gone; the writer then refuses frames', async () => {
  const writer = await VideoWriter.open(path.join(dir, 'killed.mp4'), { width: 64, height: 48, fps: 10, inputPixelFormat: 'rgb24' });
  const [frame] = gradientFrames(64, 48, 1, 3);
  await writer.write(frame!);
  const pid = writer.pid!;
  await Promise.all([writer.kill(), writer.kill()]);
  assert.ok(!alive(pid));
  await assert.rejects(writer.write(frame!), isOutputFailure);
  await assert.rejects(writer.close(), (e: unknown) => isOutputFailure(e) && /killed/.test((e as Error).message));
});

test('bad options fail before ffmpeg starts, naming the option', async () => {
  const base = { width: 64, height: 48, fps: 10, inputPixelFormat: 'rgb24' as const };
  const cases: Array<[string, object]> = [
    ['width', { width: 0 }],
    ['height', { height: 12.5 }],
    ['fps', { fps: Number.NaN }],
    ['inputPixelFormat', { inputPixelFormat: 'yuv420p' }],
    ['preset', { preset: 'warp' }],
    ['crf', { crf: 60 }],
  ];
  for (const [culprit, change] of cases) {
    const file = path.join(dir, `bad-${culprit}.mp4`);
    await assert.rejects(VideoWriter.open(file, { ...base, ...change } as never), (e: unknown) => e instanceof ConfigError && e.code === 'INVALID_OPTION' && e.culprit === culprit);
    assert.equal(existsSync(file), false);
  }
  const writer = await VideoWriter.open(path.join(dir, 'size-check.mp4'), base);
  await assert.rejects(writer.write(new Uint8Array(10)), (e: unknown) => isOutputFailure(e) && /expected 9216/.test((e as Error).message));
  await writer.close();
});

test('ffmpeg arguments: H.264 yuv420p faststart at the exact rate, output as a file: path', () => {
  assert.equal(frameRateArg(18), '18');
  assert.equal(frameRateArg(29.97), '30000/1001');
  assert.equal(frameRateArg(12.5), '12.5');
  const args = buildFfmpegArgs('/tmp/a:b.mp4', { width: 640, height: 360, fps: 25, inputPixelFormat: 'rgba' });
  const after = (flag: string) => args[args.indexOf(flag) + 1];
  assert.equal(after('-c:v'), 'libx264');
  assert.equal(after('-preset'), 'veryfast');
  assert.equal(after('-movflags'), '+faststart');
  assert.equal(args.at(-1), 'file:/tmp/a:b.mp4');
  assert.equal(args.includes('-vf'), false, 'even sizes need no padding');
});

/** A stand-in for a hung ffmpeg: ignores SIGTERM and never reads its input. */
function hungFfmpeg(): string {
  const script = path.join(dir, 'hung-ffmpeg.sh');
  writeFileSync(script, "#!/bin/sh\ntrap '' TERM\nexec sleep 30\n", { mode: 0o755 });
  return script;
}

async function waitUntilGone(pid: number): Promise<boolean> {
  for (let i = 0; i < 100 && alive(pid); i++) await new Promise((resolve) => setTimeout(resolve, 50));
  return !alive(pid);
}

test('kill() falls back to SIGKILL when ffmpeg ignores SIGTERM', async () => {
  const writer = await VideoWriter.open(path.join(dir, 'hung.mp4'), { width: 64, height: 48, fps: 10, inputPixelFormat: 'rgb24', ffmpegPath: hungFfmpeg(), killGraceMs: 200 });
  const pid = writer.pid!;
  try {
    await writer.kill();
    assert.ok(!alive(pid));
  } finally {
    if (alive(pid)) process.kill(pid, 'SIGKILL');
  }
});

test('the exit hook kills a hung ffmpeg that its host forgot to close', async () => {
  const module = pathToFileURL(path.join(repoRoot, 'src/output/video-writer.ts')).href;
  const file = path.join(dir, 'forgotten.mp4');
  const script = `
    const { VideoWriter } = await import(${JSON.stringify(module)});
    const writer = await VideoWriter.open(${JSON.stringify(file)}, { width: 64, height: 48, fps: 10, inputPixelFormat: 'rgb24', ffmpegPath: ${JSON.stringify(hungFfmpeg())} });
    await writer.write(new Uint8Array(64 * 48 * 3));
    console.log(writer.pid);
    process.exit(0);
  `;
  const host = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: repoRoot, encoding: 'utf8', timeout: 30_000 });
  assert.equal(host.status, 0, host.stderr);
  const pid = Number(host.stdout.trim());
  assert.ok(pid > 0, host.stdout);
  try {
    // The hook sends SIGKILL as the host exits; give the kernel a moment to reap the orphan.
    assert.ok(await waitUntilGone(pid), `the stand-in ffmpeg ${pid} outlived its host`);
  } finally {
    if (alive(pid)) process.kill(pid, 'SIGKILL');
  }
});

test('no ffmpeg child is left behind', () => {
  assert.deepEqual(childFfmpegPids(), []);
});
