/**
 * Redis going away mid-job. A restart of a Redis that keeps its data (append-only file): the
 * workers and the submitter reconnect and the job completes with every frame. A restart of a
 * Redis without persistence (the job's state is gone): the job fails with REDIS_STATE_LOST,
 * its cameras are stopped, and the workers take the next job. Redis gone for good: the job
 * fails with REDIS_UNREACHABLE after `redisDownTimeout`. Nothing hangs in any case.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { DistributedPipeline } from '../../src/distributed/pipeline.js';
import type { Job } from '../../src/pipeline/job.js';
import { RedisServer, STORE_CLIPS, WorkerProcess, assertGone, assertNoChildren, cutClip, outputFolder } from './helpers.js';

const FRAMES = 150;
const clips = STORE_CLIPS.map((clip) => cutClip(clip, FRAMES));
const CONFIG = { detector: { sessions: 1 }, output: { video: false } };
const everyPid: number[] = [];
const cleanups: Array<() => Promise<void>> = [];

after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  await assertGone(everyPid, 'worker, ffmpeg or redis-server');
  await assertNoChildren();
});

async function setUp(options: { persistent: boolean }): Promise<{ redis: RedisServer; workers: WorkerProcess[] }> {
  const redis = await RedisServer.start(options);
  const workers = await Promise.all([WorkerProcess.start(redis.url), WorkerProcess.start(redis.url)]);
  cleanups.push(async () => {
    everyPid.push(...workers.flatMap((w) => [w.pid, ...w.descendants()]));
    await Promise.all(workers.map((w) => w.stop()));
    if (redis.pid !== undefined) everyPid.push(redis.pid);
    await redis.dispose();
  });
  return { redis, workers };
}

async function whenRunning(job: Job, frames = 15): Promise<void> {
  const seen = new Map<number, number>();
  job.on('progress', (e) => {
    for (const c of e.cameras) seen.set(c.cameraIndex, c.frames);
  });
  const deadline = Date.now() + 120_000;
  while (!((seen.get(0) ?? 0) > frames && (seen.get(1) ?? 0) > frames)) {
    if (Date.now() > deadline) throw new Error('the cameras never ran');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

test('Redis restarted with its data: workers and submitter reconnect and the job completes', { timeout: 300_000 }, async () => {
  const { redis } = await setUp({ persistent: true });
  const pipeline = new DistributedPipeline({ redis: redis.url, config: CONFIG });
  try {
    const job = pipeline.processVideo({ sources: clips, outputDir: outputFolder('restart-persistent'), realtime: true });
    await whenRunning(job);
    await redis.restart(1000);
    const result = await job.result;
    assert.equal(result.status, 'completed', JSON.stringify(result.error));
    for (const camera of result.cameras) {
      assert.equal(camera.status, 'completed');
      assert.equal(camera.frames, FRAMES, `camera ${camera.cameraIndex} processed every frame`);
      assert.equal(camera.attempts, 1, 'no camera was restarted');
    }
  } finally {
    await pipeline.release();
  }
});

test('Redis restarted without its data: the job fails with REDIS_STATE_LOST, its cameras stop, the workers go on', { timeout: 300_000 }, async () => {
  const { redis, workers } = await setUp({ persistent: false });
  const pipeline = new DistributedPipeline({ redis: redis.url, config: CONFIG, cancelTimeout: 20 });
  try {
    const job = pipeline.processVideo({ sources: clips, outputDir: outputFolder('restart-lost'), realtime: true });
    await whenRunning(job);
    await redis.restart(500);
    const result = await job.result;
    assert.equal(result.status, 'failed');
    assert.equal(result.error?.code, 'REDIS_STATE_LOST', JSON.stringify(result.error));
    assert.match(result.error!.message, /gone from Redis/);
    for (const camera of result.cameras) assert.ok(camera.frames < FRAMES, `camera ${camera.cameraIndex} was stopped (${camera.frames} frames)`);
    for (const w of workers) await w.waitFor(/cancel of job .* received/);

    // The workers are still there: the next job runs to its end.
    const next = await pipeline.processVideo({ sources: [cutClip(STORE_CLIPS[0]!, 30)], outputDir: outputFolder('restart-lost-next') }).result;
    assert.equal(next.status, 'completed', JSON.stringify(next.error));
  } finally {
    await pipeline.release();
  }
});

test('Redis gone for good: the job fails with REDIS_UNREACHABLE after redisDownTimeout, without hanging', { timeout: 300_000 }, async () => {
  const { redis } = await setUp({ persistent: false });
  const pipeline = new DistributedPipeline({ redis: redis.url, config: CONFIG, redisDownTimeout: 3 });
  try {
    const job = pipeline.processVideo({ sources: clips, outputDir: outputFolder('redis-gone'), realtime: true });
    await whenRunning(job, 5);
    await redis.stop();
    const result = await job.result;
    assert.equal(result.status, 'failed');
    assert.equal(result.error?.code, 'REDIS_UNREACHABLE', JSON.stringify(result.error));
    assert.match(result.error!.message, /redisDownTimeout = 3 s/);
    assert.equal(result.cameras.length, 2);
  } finally {
    await pipeline.release();
    await redis.restart(); // the workers reconnect and can be stopped cleanly
  }
});
