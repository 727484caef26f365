/**
 * Cameras added and removed while a job runs, locally (the local runner's Job.addSource /
 * removeSource) and distributed (a new child job joins the parent in the flow; a removal goes
 * to the camera's worker, or takes a queued camera out of the queue): events for both, the
 * new camera's outputs in the same job folder, removed cameras finalised as `removed` while
 * the others go on, and bad calls rejected with typed errors.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { ConfigError, StreamError } from '../../src/errors.js';
import { DistributedPipeline } from '../../src/distributed/pipeline.js';
import { DetectionTrackingPipeline } from '../../src/pipeline/pipeline.js';
import type { CameraMembershipEvent, JobResult } from '../../src/pipeline/events.js';
import type { Job } from '../../src/pipeline/job.js';
import { parseTracksCsv } from '../../src/output/tracks-csv.js';
import { inspectVideo } from '../helpers/ffmpeg.js';
import { modelsDir } from '../helpers/shared.js';
import { STORE_CLIPS, cutClip, outputFolder, useCluster } from './helpers.js';

const SHORT = 100;
const clips = STORE_CLIPS.map((clip) => cutClip(clip, SHORT));
const CONFIG = { detector: { sessions: 1 } };

const cluster = useCluster();

/** Frames per camera from the job's progress events, and its membership events. */
function follow(job: Job) {
  const frames = new Map<number, number>();
  const added: CameraMembershipEvent[] = [];
  const removed: CameraMembershipEvent[] = [];
  job.on('progress', (e) => {
    for (const c of e.cameras) frames.set(c.cameraIndex, c.frames);
  });
  job.on('camera:added', (e) => added.push(e));
  job.on('camera:removed', (e) => removed.push(e));
  const until = async (condition: () => boolean, what: string) => {
    const deadline = Date.now() + 120_000;
    while (!condition()) {
      if (Date.now() > deadline) throw new Error(`never happened: ${what}; frames ${JSON.stringify([...frames])}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };
  return { frames, added, removed, until };
}

function assertBadCalls(job: Job): void {
  assert.throws(() => job.addSource('ftp://example.com/cam'), (e: unknown) => e instanceof StreamError && e.code === 'INVALID_URL');
  assert.throws(() => job.removeSource(42), (e: unknown) => e instanceof ConfigError && /no such camera/.test(e.message));
}

async function assertCameraOutputs(result: JobResult, cameraIndex: number): Promise<void> {
  const camera = result.cameras[cameraIndex]!;
  assert.equal(path.dirname(camera.csvPath), path.join(result.outputDir!, `camera_${cameraIndex}`));
  assert.ok(existsSync(camera.zonesPath));
  assert.equal((await inspectVideo(camera.videoPath!)).frames, camera.frames, `camera ${cameraIndex}: its MP4 holds every processed frame`);
  assert.ok(parseTracksCsv(readFileSync(camera.csvPath, 'utf8')).every((r) => r.camera === cameraIndex));
}

test('locally: a camera added while the job runs gets its own outputs; a removed one is finalised while the other goes on', { timeout: 300_000 }, async () => {
  const pipeline = new DetectionTrackingPipeline({ ...CONFIG, modelsDir: modelsDir() });
  try {
    const job = pipeline.processVideo({ sources: [STORE_CLIPS[0]!], outputDir: outputFolder('add-remove-local'), realtime: true });
    const seen = follow(job);
    assert.throws(() => job.addSource(clips[1]!), (e: unknown) => e instanceof ConfigError && /has not started yet/.test(e.message));
    await seen.until(() => (seen.frames.get(0) ?? 0) > 5, 'camera 0 running');
    assert.equal(job.addSource(clips[1]!), 1);
    assertBadCalls(job);
    await seen.until(() => (seen.frames.get(1) ?? 0) > 5, 'the added camera running');
    job.removeSource(0);
    const result = await job.result;
    assert.equal(result.status, 'completed', JSON.stringify(result.error));
    assert.deepEqual(seen.added, [{ cameraIndex: 1, source: clips[1] }]);
    assert.deepEqual(seen.removed, [{ cameraIndex: 0, source: STORE_CLIPS[0] }]);
    assert.equal(result.cameras.length, 2);
    assert.equal(result.cameras[0]!.stopReason, 'removed');
    assert.equal(result.cameras[0]!.status, 'completed');
    assert.ok(result.cameras[0]!.frames < 419, 'camera 0 ended early');
    assert.equal(result.cameras[1]!.stopReason, 'end-of-input');
    assert.equal(result.cameras[1]!.frames, SHORT);
    await assertCameraOutputs(result, 0);
    await assertCameraOutputs(result, 1);
    assert.throws(() => job.addSource(clips[1]!), (e: unknown) => e instanceof ConfigError && /has ended/.test(e.message));
  } finally {
    await pipeline.release();
  }
});

test('distributed: an added camera joins the flow on a free worker, a queued one is removed without running, a running one is removed on its worker', { timeout: 300_000 }, async () => {
  const pipeline = new DistributedPipeline({ redis: cluster.redis.url, config: CONFIG });
  try {
    const job = pipeline.processVideo({ sources: [STORE_CLIPS[0]!], outputDir: outputFolder('add-remove-distributed'), realtime: true });
    const seen = follow(job);
    await seen.until(() => (seen.frames.get(0) ?? 0) > 5, 'camera 0 running');
    assert.equal(job.addSource(clips[1]!), 1);
    await seen.until(() => (seen.frames.get(1) ?? 0) > 5, 'the added camera running on the other worker');
    // Both workers are busy: a third camera waits in the queue, and leaves it when removed.
    assert.equal(job.addSource(clips[0]!), 2);
    assertBadCalls(job);
    await new Promise((resolve) => setTimeout(resolve, 500));
    job.removeSource(2);
    job.removeSource(0);
    job.removeSource(0); // again while it ends: nothing more happens
    const result = await job.result;
    assert.equal(result.status, 'completed', JSON.stringify(result.error));
    assert.deepEqual(seen.added.map((e) => e.cameraIndex), [1, 2]);
    assert.deepEqual(seen.removed.map((e) => e.cameraIndex).sort(), [0, 2], 'one camera:removed per removed camera');
    assert.equal(result.cameras.length, 3);
    const [first, second, third] = result.cameras as [JobResult['cameras'][number], JobResult['cameras'][number], JobResult['cameras'][number]];
    assert.equal(first.stopReason, 'removed');
    assert.equal(first.status, 'completed');
    assert.ok(first.frames > 0 && first.frames < 419, `camera 0 ended early on its worker (${first.frames} frames)`);
    assert.equal(second.stopReason, 'end-of-input');
    assert.equal(second.frames, SHORT);
    assert.notEqual(first.worker?.pid, second.worker?.pid, 'the added camera ran on the other worker');
    assert.equal(third.stopReason, 'removed');
    assert.equal(third.frames, 0, 'the queued camera never ran');
    assert.equal(third.worker, undefined);
    assert.ok(existsSync(third.csvPath) && existsSync(third.zonesPath), 'the removed queued camera still leaves a CSV header and a zone report');
    await assertCameraOutputs(result, 0);
    await assertCameraOutputs(result, 1);
    for (const w of cluster.workers) assert.ok(!w.lines.some((l) => l.includes(`took camera 2 of job ${result.jobId}`)), 'no worker took the removed queued camera');
  } finally {
    await pipeline.release();
  }
});
