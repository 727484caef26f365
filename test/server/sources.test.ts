/**
 * Cameras added and removed over HTTP while a job runs (POST /jobs/:id/sources, DELETE
 * /jobs/:id/sources/:index), with the real pipeline: in this process, and in queue mode on a
 * real redis-server with two `multicam-reid worker` processes (same API; cancel reaches the
 * workers; the status names the worker of each camera). Bad requests get clear 4xx answers.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startServer, type RunningServer } from '../../examples/server/server.js';
import { QueueError } from '../../src/errors.js';
import { artifactsDir, media } from '../helpers/shared.js';
import { RedisServer, WorkerProcess, assertGone, cutClip, freePort } from '../distributed/helpers.js';
import { EventStream, request, waitForStatus } from './http-client.js';

const CAM1 = media('multicam/cam1_with_tracking_overlay.mp4');
const CAM2_SHORT = cutClip(media('multicam/cam2_with_tracking_overlay.mp4'), 90);
const CONFIG = { detector: { sessions: 1 } };

async function addAndRemove(server: RunningServer): Promise<{ jobId: string; status: any; events: EventStream }> {
  const base = server.url;
  const started = (await request(base, 'POST', '/detect', { json: { video_path: CAM1, realtime: true } })).json();
  const jobId = started.job_id as string;
  const events = new EventStream(base, `/events/${jobId}`);
  await waitForStatus(base, jobId, (s) => s.status === 'running' && s.cameras[0]?.frames > 0, 120_000);

  const added = await request(base, 'POST', `/jobs/${jobId}/sources`, { json: { source: CAM2_SHORT } });
  assert.equal(added.status, 200, added.text);
  assert.deepEqual({ ...added.json(), message: undefined }, { job_id: jobId, camera_index: 1, source: CAM2_SHORT, status: 'added', message: undefined });
  await events.next((e) => e.event === 'camera:added' && e.data.cameraIndex === 1);
  await waitForStatus(base, jobId, (s) => s.cameras.length === 2 && s.cameras[1].frames > 0, 120_000);

  // Bad requests while it runs.
  const checks: Array<[string, string, { json?: unknown }, number, string]> = [
    ['POST', `/jobs/${jobId}/sources`, { json: { source: 'ftp://example.com/cam' } }, 400, 'INVALID_URL'],
    ['POST', `/jobs/${jobId}/sources`, { json: {} }, 400, 'INVALID_REQUEST'],
    ['POST', `/jobs/${jobId}/sources`, { json: { source: CAM1, extra: 1 } }, 400, 'INVALID_REQUEST'],
    ['DELETE', `/jobs/${jobId}/sources/7`, {}, 404, 'CAMERA_NOT_FOUND'],
    ['DELETE', `/jobs/${jobId}/sources/x`, {}, 400, 'INVALID_REQUEST'],
    ['GET', `/jobs/${jobId}/sources`, {}, 405, 'METHOD_NOT_ALLOWED'],
    ['POST', '/jobs/00000000-0000-4000-8000-000000000000/sources', { json: { source: CAM1 } }, 404, 'JOB_NOT_FOUND'],
  ];
  for (const [method, target, send, status, code] of checks) {
    const answer = await request(base, method, target, send);
    assert.equal(answer.status, status, `${method} ${target}: ${answer.text}`);
    assert.equal(answer.json().error.code, code, `${method} ${target}: ${answer.text}`);
  }

  const removed = await request(base, 'DELETE', `/jobs/${jobId}/sources/0`);
  assert.equal(removed.status, 200, removed.text);
  assert.equal(removed.json().status, 'removing');
  await events.next((e) => e.event === 'camera:removed' && e.data.cameraIndex === 0);
  return { jobId, status: undefined, events };
}

describe('in this process', () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer({ port: 0, outputDir: artifactsDir('server/sources-local'), config: CONFIG });
  });
  after(() => server.close());

  test('a camera added to a running job runs with its own outputs; a removed one ends while the other goes on', { timeout: 300_000 }, async () => {
    const { jobId, events } = await addAndRemove(server);
    const status = await waitForStatus(server.url, jobId, (s) => s.status === 'completed', 120_000);
    events.close();
    assert.equal(status.cameras.length, 2);
    assert.equal(status.cameras[1].frames, 90);
    assert.ok(status.cameras[0].frames < 419, 'camera 0 ended early');
    assert.ok(status.multi_camera, 'the job has two cameras now');
    for (const camera of [0, 1]) {
      for (const pattern of [/tracks_\d{8}_\d{6}\.csv$/, /zones_\d{8}_\d{6}\.json$/, /output_\d{8}_\d{6}\.mp4$/]) {
        assert.ok(status.outputs.files.some((f: { name: string }) => f.name.includes(`camera_${camera}/`) && pattern.test(f.name)), `camera_${camera} has ${pattern}`);
      }
    }
    const late = await request(server.url, 'POST', `/jobs/${jobId}/sources`, { json: { source: CAM1 } });
    assert.equal(late.status, 409);
    assert.equal(late.json().error.code, 'JOB_NOT_RUNNING');
    assert.equal((await request(server.url, 'DELETE', `/jobs/${jobId}/sources/1`)).status, 409);
  });
});

describe('queue mode (Redis and two workers)', () => {
  let redis: RedisServer;
  let workers: WorkerProcess[] = [];
  let server: RunningServer;

  before(async () => {
    redis = await RedisServer.start();
    workers = await Promise.all([WorkerProcess.start(redis.url), WorkerProcess.start(redis.url)]);
    server = await startServer({ port: 0, outputDir: artifactsDir('server/sources-queue'), config: CONFIG, redis: redis.url });
  });
  after(async () => {
    await server?.close();
    const pids = workers.flatMap((w) => [w.pid, ...w.descendants()]);
    await Promise.all(workers.map((w) => w.stop()));
    await redis?.dispose();
    await assertGone(pids, 'worker or ffmpeg');
  });

  test('the same API on the queue: add and remove reach the workers, the status names them, cancel stops every camera', { timeout: 300_000 }, async () => {
    assert.deepEqual((await request(server.url, 'GET', '/health')).json(), { status: 'ok', mode: 'queue' });
    const { jobId, events } = await addAndRemove(server);
    await waitForStatus(server.url, jobId, (s) => s.cameras[0].state === 'ended', 120_000);
    const cancelled = await request(server.url, 'POST', `/cancel/${jobId}`);
    assert.equal(cancelled.json().message, 'Job cancellation requested');
    const status = await waitForStatus(server.url, jobId, (s) => s.status === 'cancelled' || s.status === 'completed', 120_000);
    events.close();
    assert.equal(status.cameras.length, 2);
    const pids = workers.map((w) => `${w.pid}`);
    for (const camera of status.cameras) {
      assert.ok(pids.some((pid) => camera.worker?.endsWith(`:${pid}`)), `camera ${camera.camera_index} names its worker: ${camera.worker}`);
      assert.equal(camera.attempts, 1);
    }
    assert.notEqual(status.cameras[0].worker, status.cameras[1].worker, 'the added camera ran on the other worker');
    assert.ok(status.outputs.zip !== null, 'the ZIP is offered');
  });

  test('a queue-mode server does not start when Redis cannot be used', async () => {
    await assert.rejects(startServer({ port: 0, redis: `redis://127.0.0.1:${await freePort()}` }), (e: unknown) => e instanceof QueueError && e.code === 'REDIS_UNREACHABLE');
    await assert.rejects(startServer({ port: 0, redis: 'redis:/nope' }), (e: unknown) => e instanceof QueueError && e.code === 'INVALID_REDIS_URL');
  });
});
