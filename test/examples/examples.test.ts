/** The scripts in examples/ run as users would run them, against local senders and short clips. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { artifactsDir, media, modelsDir, repoRoot } from '../helpers/shared.js';
import { freshPort, startUdpSender, stopProcess } from '../helpers/ffmpeg.js';
import { startRtspServer } from '../streams/helpers.js';

const clips = [media('multicam/cam1_with_tracking_overlay.mp4'), media('multicam/cam2_with_tracking_overlay.mp4')];
const outDir = artifactsDir('examples');
rmSync(outDir, { recursive: true, force: true });
const env = { ...process.env, MULTICAM_REID_MODELS: modelsDir(), OUTPUT_DIR: outDir };

/** Runs an example script to its end (asynchronously, so senders in this process keep running). */
function runExample(script: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'examples', script), ...args], { cwd: repoRoot, env });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stdout, stderr })));
}

test('two-udp-cameras.ts reads two UDP senders and stops at maxDurationSeconds', { timeout: 120_000 }, async () => {
  const ports = [freshPort(), freshPort()];
  const senders = ports.map((port, i) => startUdpSender(clips[i]!, port));
  try {
    const run = await runExample('two-udp-cameras.ts', [`udp://127.0.0.1:${ports[0]}`, `udp://127.0.0.1:${ports[1]}`, '3']);
    assert.equal(run.code, 0, run.stderr + run.stdout);
    assert.match(run.stdout, /status: completed \(max-duration\), ZIP: .+_results\.zip/);
    const progress = [...run.stdout.matchAll(/cam 0: (\d+) frames \| cam 1: (\d+) frames/g)].at(-1);
    assert.ok(progress !== undefined, run.stdout);
    assert.ok(Number(progress[1]) > 0 && Number(progress[2]) > 0, `both cameras processed frames: ${progress[0]}`);
  } finally {
    await Promise.all(senders.map(stopProcess));
  }
});

test('rtsp-cameras.ts reads a newline-separated list of RTSP cameras from a real RTSP server', { timeout: 120_000 }, async () => {
  const ports = [freshPort(), freshPort()];
  const servers = await Promise.all(ports.map((port, i) => startRtspServer(clips[i]!, port, `/cam${i}`)));
  try {
    const list = ports.map((port, i) => `rtsp://127.0.0.1:${port}/cam${i}`).join('\n');
    const run = await runExample('rtsp-cameras.ts', [list, '4']);
    assert.equal(run.code, 0, run.stderr + run.stdout);
    assert.match(run.stdout, /cameras: rtsp:\/\/127\.0\.0\.1:\d+\/cam0, rtsp:\/\/127\.0\.0\.1:\d+\/cam1/);
    const frames = [...run.stdout.matchAll(/camera (\d): (\d+) frames/g)].map((m) => Number(m[2]));
    assert.equal(frames.length, 2);
    assert.ok(frames.every((f) => f > 0), `both RTSP cameras delivered frames: ${frames.join(', ')}`);
    assert.match(run.stdout, /status: completed/);
  } finally {
    await Promise.all(servers.map(stopProcess));
  }
});

test('cancel-after.ts cancels from a timer and still gets finalised outputs', { timeout: 120_000 }, async () => {
  const run = await runExample('cancel-after.ts', [clips.join(', '), '3']);
  assert.equal(run.code, 0, run.stderr + run.stdout);
  assert.match(run.stdout, /Cancellation requested!/);
  const stopped = /Processing stopped: cancelled, (\d+) \+ (\d+) frames, ZIP: .+_results\.zip/.exec(run.stdout);
  assert.ok(stopped !== null, run.stdout);
  assert.ok(Number(stopped[1]) > 0 && Number(stopped[2]) > 0, `both cameras ran before the cancel: ${stopped[0]}`);
});
