/**
 * Losing workers: `kill -9` of a worker mid-camera hands its camera to another worker through
 * BullMQ's stalled-job check (intervals shortened for the test); the job completes; the
 * restarted file camera's folder holds one complete set of outputs (every frame once, no
 * staging left); the result counts the attempt. SIGTERM stops a worker gracefully: it takes
 * nothing more and hands a camera it cannot finish back to the queue.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { DistributedPipeline } from '../../src/distributed/pipeline.js';
import { parseTracksCsv } from '../../src/output/tracks-csv.js';
import { inspectVideo } from '../helpers/ffmpeg.js';
import { FAST_STALL, RedisServer, STORE_CLIPS, WorkerProcess, assertGone, assertNoChildren, cutClip, listFiles, outputFolder } from './helpers.js';

const FRAMES = 120;
const clips = STORE_CLIPS.map((clip) => cutClip(clip, FRAMES));

let redis: RedisServer;
const workers: WorkerProcess[] = [];
const everyPid: number[] = [];

before(async () => {
  redis = await RedisServer.start();
});

after(async () => {
  everyPid.push(...workers.flatMap((w) => [w.pid, ...w.descendants()]));
  await Promise.all(workers.map((w) => w.stop()));
  await redis.dispose();
  await assertGone(everyPid, 'worker or ffmpeg');
  await assertNoChildren();
});

async function startWorker(extra: string[] = []): Promise<WorkerProcess> {
  const worker = await WorkerProcess.start(redis.url, [...FAST_STALL, ...extra]);
  workers.push(worker);
  return worker;
}

function framesSeen(job: { on: (name: 'progress', l: (e: { cameras: Array<{ cameraIndex: number; frames: number }> }) => void) => unknown }): Map<number, number> {
  const frames = new Map<number, number>();
  job.on('progress', (e) => {
    for (const c of e.cameras) frames.set(c.cameraIndex, c.frames);
  });
  return frames;
}

async function until(condition: () => boolean, what: string, limitMs = 120_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`never happened: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

test('kill -9 of a worker mid-camera: another worker restarts the camera, the job completes with one complete set of outputs', { timeout: 300_000 }, async () => {
  const [a, b] = [await startWorker(), await startWorker()];
  const pipeline = new DistributedPipeline({ redis: redis.url, config: { detector: { sessions: 1 } } });
  try {
    const job = pipeline.processVideo({ sources: clips, outputDir: outputFolder('kill'), realtime: true });
    const frames = framesSeen(job as never);
    const warnings: string[] = [];
    job.on('warning', (w) => warnings.push(`${w.code}: ${w.message}`));
    await until(() => (frames.get(0) ?? 0) > 10 && (frames.get(1) ?? 0) > 10, 'both cameras running');
    // The worker of camera 0 dies at once: no finalising, its ffmpeg children orphaned.
    const line = await Promise.any([a, b].map((w) => w.waitFor(/took camera 0 of job/, 1000).then(() => w)));
    const victim = line;
    const survivor = victim === a ? b : a;
    const orphans = victim.descendants();
    everyPid.push(victim.pid, ...orphans);
    victim.kill('SIGKILL');
    await victim.exited;

    const result = await job.result;
    assert.equal(result.status, 'completed', JSON.stringify(result.error));
    const restarted = result.cameras[0]!;
    assert.equal(restarted.attempts, 2, 'the killed camera took two attempts');
    assert.equal(restarted.worker?.pid, survivor.pid, 'the surviving worker finished it');
    assert.equal(result.cameras[1]!.attempts, 1);
    assert.ok(warnings.some((w) => w.startsWith('CAMERA_RESTARTED') && w.includes(`${victim.pid}`)), warnings.join('\n'));

    // One complete set of outputs: every frame once in the MP4 and the CSV, no staging left.
    for (const camera of result.cameras) {
      assert.equal(camera.frames, FRAMES, `camera ${camera.cameraIndex} ran its whole clip`);
      const dir = path.dirname(camera.csvPath);
      const expected = [camera.videoPath!, camera.csvPath, camera.zonesPath, ...(camera.heatmapPath === undefined ? [] : [camera.heatmapPath])];
      assert.ok(expected.every((f) => path.dirname(f) === dir), `outputs in the camera folder: ${expected.join(', ')}`);
      assert.deepEqual(readdirSync(dir).sort(), expected.map((f) => path.basename(f)).sort());
      assert.equal((await inspectVideo(camera.videoPath!)).frames, FRAMES, `camera ${camera.cameraIndex}: every frame once in the MP4`);
      const rows = parseTracksCsv(readFileSync(camera.csvPath, 'utf8'));
      const keys = rows.map((r) => `${r.frameIndex}:${r.trackId}`);
      assert.equal(new Set(keys).size, keys.length, 'no duplicated CSV rows');
      assert.ok(rows.every((r, i) => i === 0 || r.frameIndex >= rows[i - 1]!.frameIndex), 'CSV rows in frame order (one run)');
    }
    assert.ok(!listFiles(result.outputDir!).some((f) => f.startsWith('.attempts')), 'the killed attempt left nothing behind');
    await assertGone(orphans, "the killed worker's ffmpeg children");
  } finally {
    await pipeline.release();
  }
});

test('SIGTERM: the worker stops taking cameras and hands back the one it cannot finish in its grace period', { timeout: 300_000 }, async () => {
  for (const w of workers.splice(0)) {
    everyPid.push(w.pid, ...w.descendants());
    await w.stop();
  }
  const leaving = await startWorker(['--shutdown-grace', '1']);
  const pipeline = new DistributedPipeline({ redis: redis.url, config: { detector: { sessions: 1 } } });
  try {
    const job = pipeline.processVideo({ sources: [STORE_CLIPS[0]!], outputDir: outputFolder('sigterm'), realtime: true });
    const frames = framesSeen(job as never);
    await until(() => (frames.get(0) ?? 0) > 5, 'the camera running');
    leaving.kill('SIGTERM');
    await leaving.waitFor(/handed camera 0 of job .* back to the queue/);
    const exit = await leaving.exited;
    assert.equal(exit.code, 0, leaving.lines.join('\n'));
    assert.ok(!leaving.lines.some((l) => /took camera/.test(l) && leaving.lines.indexOf(l) > leaving.lines.findIndex((x) => /shutting down/.test(x))), 'nothing taken after SIGTERM');

    // Another worker takes it from the queue and the job completes; the file camera starts over.
    await startWorker();
    const result = await job.result;
    assert.equal(result.status, 'completed', JSON.stringify(result.error));
    assert.equal(result.cameras[0]!.attempts, 2);
    assert.equal(result.cameras[0]!.frames, 419);
    assert.ok(!listFiles(result.outputDir!).some((f) => f.startsWith('.attempts')));
  } finally {
    await pipeline.release();
  }
});
