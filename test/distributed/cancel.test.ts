/**
 * Cancel across processes: `job.cancel()` on the submitter reaches the worker of every
 * running camera (BullMQ's cancelJob driven by the control channel), their outputs are
 * finalised, the job and its cameras end `cancelled`, nothing is retried; a camera still in
 * the queue ends cancelled without running. The delay from the cancel to each worker's
 * reaction is printed (measured, not asserted).
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { DistributedPipeline } from '../../src/distributed/pipeline.js';
import type { JobResult } from '../../src/pipeline/events.js';
import { parseTracksCsv } from '../../src/output/tracks-csv.js';
import { inspectVideo } from '../helpers/ffmpeg.js';
import { startUdpSender, stopProcess } from '../streams/helpers.js';
import { STORE_CLIPS, freePort, outputFolder, useCluster } from './helpers.js';

const cluster = useCluster();

test('cancel reaches every running camera, outputs are finalised, status cancelled, nothing retried; a queued camera ends without running', { timeout: 300_000 }, async () => {
  const pipeline = new DistributedPipeline({ redis: cluster.redis.url, config: { detector: { sessions: 1 } } });
  try {
    // Three cameras for two workers of one camera each: the third waits in the queue.
    const job = pipeline.processVideo({ sources: [STORE_CLIPS[0]!, STORE_CLIPS[1]!, STORE_CLIPS[0]!], outputDir: outputFolder('cancel'), realtime: true });
    const framesOf = new Map<number, number>();
    job.on('progress', (e) => {
      for (const c of e.cameras) framesOf.set(c.cameraIndex, c.frames);
    });
    const ended = new Map<number, { state: string; reason: string }>();
    job.on('camera:status', (e) => {
      if (e.state === 'ended' || e.state === 'failed') ended.set(e.cameraIndex, { state: e.state, reason: e.reason });
    });
    const deadline = Date.now() + 120_000;
    while (!((framesOf.get(0) ?? 0) > 5 && (framesOf.get(1) ?? 0) > 5) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    assert.ok((framesOf.get(0) ?? 0) > 5 && (framesOf.get(1) ?? 0) > 5, 'both running cameras processed frames');
    assert.equal(framesOf.get(2) ?? 0, 0, 'the third camera is still queued');

    const cancelledAt = Date.now();
    const lineCounts = cluster.workers.map((w) => w.lines.length);
    job.cancel('stop now');
    const result: JobResult = await job.result;
    const reacted = cluster.workers.map((w, i) => w.lines.slice(lineCounts[i]).find((l) => /camera \d of job .*: cancelled/.test(l)));
    const received = cluster.workers.map((w, i) => w.timeOf(/cancel of job .* received/, lineCounts[i]));
    console.log(`cancel → received by the workers after ${received.map((t) => (t === undefined ? '?' : `${t - cancelledAt} ms`)).join(' and ')}; job settled ${Date.now() - cancelledAt} ms after the cancel`);
    assert.ok(received.every((t) => t !== undefined), 'both workers received the cancel');

    assert.equal(result.status, 'cancelled');
    assert.equal(result.stopReason, 'cancelled');
    assert.equal(result.cameras.length, 3);
    for (const camera of result.cameras.slice(0, 2)) {
      assert.equal(camera.status, 'cancelled', `camera ${camera.cameraIndex}: ${JSON.stringify(camera)}`);
      assert.equal(camera.stopReason, 'cancelled');
      assert.equal(camera.attempts, 1, 'not retried');
      assert.ok(camera.frames > 0 && camera.frames < 419, `camera ${camera.cameraIndex} stopped midway (${camera.frames} frames)`);
      // Finalised: the MP4 plays every processed frame, the CSV and the zone report are complete.
      const video = await inspectVideo(camera.videoPath!);
      assert.equal(video.frames, camera.frames, `camera ${camera.cameraIndex}: every processed frame is in its MP4`);
      const rows = parseTracksCsv(readFileSync(camera.csvPath, 'utf8'));
      assert.ok(rows.every((r) => r.frameIndex < camera.frames));
      assert.equal(JSON.parse(readFileSync(camera.zonesPath, 'utf8')).status, 'cancelled');
    }
    assert.deepEqual(reacted.map((l) => l !== undefined), [true, true], `both workers ended their camera as cancelled:\n${cluster.workers.map((w) => w.lines.join('\n')).join('\n---\n')}`);

    // The queued camera: taken out of the queue, never run, its outputs still there (a CSV header and a report).
    const queued = result.cameras[2]!;
    assert.equal(queued.status, 'cancelled');
    assert.equal(queued.frames, 0);
    assert.equal(queued.worker, undefined);
    assert.ok(existsSync(queued.csvPath) && existsSync(queued.zonesPath), 'the queued camera leaves a CSV header and a zone report');
    assert.ok(existsSync(result.zipPath!), 'the ZIP is written after a cancel too');

    // Not retried: no worker takes a camera of this job again.
    await new Promise((r) => setTimeout(r, 2000));
    const takes = cluster.workers.flatMap((w) => w.lines.filter((l) => l.includes(`of job ${result.jobId}`) && l.includes('took camera')));
    assert.equal(takes.length, 2, takes.join('\n'));
  } finally {
    await pipeline.release();
  }
});

test('a cancel before any worker took a camera ends the job at once, cancelled', { timeout: 120_000 }, async () => {
  const pipeline = new DistributedPipeline({ redis: cluster.redis.url, config: { detector: { sessions: 1 } } });
  const controller = new AbortController();
  try {
    const job = pipeline.processVideo({ sources: [STORE_CLIPS[0]!], outputDir: outputFolder('cancel-early'), signal: controller.signal });
    job.on('start', () => controller.abort('changed my mind'));
    const result = await job.result;
    assert.equal(result.status, 'cancelled');
    assert.equal(result.cameras.length, 1);
    assert.equal(result.cameras[0]!.status, 'cancelled');
  } finally {
    await pipeline.release();
  }
});

test('a live camera (UDP) on a worker stops at the job\'s max duration, completed', { timeout: 120_000 }, async () => {
  const port = await freePort();
  const sender = startUdpSender(STORE_CLIPS[1]!, port);
  const pipeline = new DistributedPipeline({ redis: cluster.redis.url, config: { detector: { sessions: 1 } } });
  try {
    const result = await pipeline.processVideo({ sources: [`udp://127.0.0.1:${port}`], outputDir: outputFolder('live-max-duration'), maxDurationSeconds: 4 }).result;
    assert.equal(result.status, 'completed', JSON.stringify(result.error));
    assert.equal(result.stopReason, 'max-duration');
    assert.equal(result.cameras[0]!.stopReason, 'max-duration');
    assert.ok(result.cameras[0]!.frames > 0, 'the worker read the live camera');
  } finally {
    await pipeline.release();
    await stopProcess(sender);
  }
});
