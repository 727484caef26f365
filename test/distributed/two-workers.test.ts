/**
 * A 2-camera job across two real worker processes on a real redis-server: each camera on its
 * own worker, the events streamed back, the same result shape, output layout and ZIP as a
 * local run of the same clips; `run --redis --json` prints which worker ran each camera; a
 * worker of another version refuses a camera with a clear error.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { FlowProducer } from 'bullmq';
import { DistributedPipeline } from '../../src/distributed/pipeline.js';
import { CAMERA_QUEUE, DEFAULT_PREFIX, JOB_QUEUE } from '../../src/distributed/keys.js';
import { DetectionTrackingPipeline } from '../../src/pipeline/pipeline.js';
import type { JobEvents, JobResult } from '../../src/pipeline/events.js';
import { parseTracksCsv } from '../../src/output/tracks-csv.js';
import { listZip } from '../helpers/ffmpeg.js';
import { modelsDir, repoRoot } from '../helpers/shared.js';
import { STORE_CLIPS, cutClip, listFiles, outputFolder, testWorkerConfig, useCluster } from './helpers.js';

const FRAMES = 90;
const clips = STORE_CLIPS.map((clip) => cutClip(clip, FRAMES));
const NOW = new Date('2024-01-15T07:30:22Z');
const CONFIG = { detector: { sessions: 1 } };

const cluster = useCluster();

type Recorded = { [E in keyof JobEvents]?: Array<Parameters<JobEvents[E]>[0]> };
function record(job: { on: (name: string, listener: (e: unknown) => void) => unknown }): Recorded {
  const events: Recorded = {};
  const names: Array<keyof JobEvents> = ['start', 'camera:status', 'progress', 'track:new', 'track:removed', 'identity:assigned', 'done', 'cancelled', 'error', 'warning'];
  for (const name of names) job.on(name, (e) => ((events[name] ??= []) as unknown[]).push(e));
  return events;
}

let localResult: JobResult;

test('the same two cameras locally, for comparison', { timeout: 300_000 }, async () => {
  const pipeline = new DetectionTrackingPipeline({ ...CONFIG, modelsDir: modelsDir() });
  try {
    localResult = await pipeline.processVideo({ sources: clips, outputDir: outputFolder('two-workers-local'), now: NOW }).result;
  } finally {
    await pipeline.release();
  }
  assert.equal(localResult.status, 'completed', JSON.stringify(localResult.error));
});

test('a 2-camera job on two workers: one camera each, events back, the local result shape, layout and ZIP', { timeout: 300_000 }, async () => {
  const out = outputFolder('two-workers');
  const pipeline = new DistributedPipeline({ redis: cluster.redis.url, config: CONFIG });
  try {
    const job = pipeline.processVideo({ sources: clips, outputDir: out, now: NOW, previewInterval: 0.5 });
    const events = record(job as never);
    const previews: Array<{ cameraIndex: number; width: number; height: number; bytes: number; format: string }> = [];
    job.on('preview', (e) => previews.push({ cameraIndex: e.cameraIndex, width: e.width, height: e.height, bytes: e.data.length, format: e.pixelFormat }));
    const result = await job.result;
    assert.equal(result.status, 'completed', JSON.stringify(result.error));
    assert.equal(result.stopReason, 'end-of-input');
    assert.equal(events.done?.length, 1);
    assert.equal(events.start?.length, 1);
    assert.ok((events.progress?.length ?? 0) > 0, 'progress events arrive');
    assert.ok((events['track:new']?.length ?? 0) > 0, 'track events arrive from the workers');
    for (const i of [0, 1]) {
      const states = (events['camera:status'] ?? []).filter((e) => e.cameraIndex === i).map((e) => e.state);
      assert.ok(states.includes('connected') && states.at(-1) === 'ended', `camera ${i} states: ${states.join(' → ')}`);
    }

    // Each camera ran on its own worker, once.
    const pids = result.cameras.map((c) => c.worker?.pid);
    assert.deepEqual([...pids].sort(), cluster.workers.map((w) => w.pid).sort(), `cameras ran on ${pids.join(', ')}`);
    for (const c of result.cameras) assert.equal(c.attempts, 1);
    for (const w of cluster.workers) await w.waitFor(/took camera \d of job/);

    // The local run's shape and layout.
    assert.equal(result.outputDir, path.join(out, 'multi_stream_2024-01-15-14-30'));
    assert.equal(result.zipPath, path.join(out, 'multi_stream_2024-01-15-14-30_results.zip'));
    const local = localResult.outputDir!;
    assert.deepEqual(listFiles(result.outputDir!).filter((f) => !f.startsWith('identities/')), listFiles(local).filter((f) => !f.startsWith('identities/')));
    assert.ok(!listFiles(result.outputDir!).some((f) => f.startsWith('.attempts')), 'no staging left');
    const zip = listZip(result.zipPath!);
    for (const f of listFiles(result.outputDir!)) assert.ok(zip.includes(`multi_stream_2024-01-15-14-30/${f}`), `ZIP holds ${f}`);
    assert.deepEqual(Object.keys(result).sort(), Object.keys(localResult).sort());
    for (const [i, camera] of result.cameras.entries()) {
      const mine = localResult.cameras[i]!;
      assert.equal(camera.frames, FRAMES);
      assert.equal(camera.frames, mine.frames);
      assert.equal(camera.detections, mine.detections, `camera ${i}: the same detections as locally`);
      assert.equal(camera.tracks, mine.tracks, `camera ${i}: the same tracks as locally`);
      const rows = parseTracksCsv(readFileSync(camera.csvPath, 'utf8'));
      const localRows = parseTracksCsv(readFileSync(mine.csvPath, 'utf8'));
      assert.equal(rows.length, localRows.length, `camera ${i}: as many CSV rows as locally`);
      assert.equal(path.relative(result.outputDir!, camera.csvPath), path.relative(local, mine.csvPath));
    }
    assert.ok(result.stages.detect > 0, 'stage timings come back from the workers');
    // Previews cross Redis scaled to 320 px, packed 3 bytes a pixel.
    for (const i of [0, 1]) {
      const mine = previews.filter((p) => p.cameraIndex === i);
      assert.ok(mine.length > 0, `camera ${i} sent previews`);
      for (const p of mine) assert.deepEqual([p.width, p.height, p.bytes], [320, 180, 320 * 180 * 3]);
    }
  } finally {
    await pipeline.release();
  }
});

test('run --redis --json: the result names the worker of each camera and its attempts', { timeout: 300_000 }, async () => {
  const out = outputFolder('two-workers-cli');
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'run', ...clips, '--redis', cluster.redis.url, '--out', out, '--json', '--no-progress', '--config', testWorkerConfig()], {
    cwd: repoRoot,
    env: { ...process.env, MULTICAM_REID_MODELS: modelsDir() },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  assert.equal(code, 0, stderr);
  const result = JSON.parse(stdout) as JobResult;
  assert.equal(result.status, 'completed');
  for (const camera of result.cameras) {
    assert.ok(cluster.workers.some((w) => w.pid === camera.worker?.pid), `camera ${camera.cameraIndex} names a worker: ${JSON.stringify(camera.worker)}`);
    assert.equal(typeof camera.worker?.host, 'string');
    assert.equal(camera.attempts, 1);
  }
});

test('a worker refuses a camera of another library version with a clear error, not retried', { timeout: 120_000 }, async () => {
  // A submitter of another version, as BullMQ sees it: the same flow with another version in the data.
  const flow = new FlowProducer({ connection: { host: '127.0.0.1', port: cluster.redis.port }, prefix: DEFAULT_PREFIX });
  const jobId = '00000000-0000-4000-8000-00000000beef';
  try {
    const tree = await flow.add({
      name: 'job',
      queueName: JOB_QUEUE,
      data: {},
      opts: { jobId },
      children: [{ name: 'camera', queueName: CAMERA_QUEUE, data: { version: '0.0.1-other', jobId, cameraIndex: 0 }, opts: { jobId: `${jobId}-cam0`, ignoreDependencyOnFailure: true } }],
    });
    const child = tree.children![0]!.job;
    for (let i = 0; i < 200 && (await child.getState()) !== 'failed'; i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal(await child.getState(), 'failed');
    const failed = (await flow.getFlow({ id: `${jobId}-cam0`, queueName: CAMERA_QUEUE, prefix: DEFAULT_PREFIX }))!.job;
    assert.match(failed.failedReason, /^\[VERSION_MISMATCH\] worker .* runs multicam-reid \d+\.\d+\.\d+ but camera 0 of job .* was submitted by 0\.0\.1-other/);
    assert.equal(failed.attemptsStarted, 1, 'refused once, not retried');
    const refused = await Promise.any(cluster.workers.map((w) => w.waitFor(/refused camera 0 of job 00000000-0000-4000-8000-00000000beef/, 10_000)));
    assert.match(refused, /VERSION_MISMATCH|submitted by 0\.0\.1-other/);
  } finally {
    await flow.close();
  }
});
