/**
 * The detection service's HTTP API over real loopback HTTP, with the real pipeline, models and
 * sample clips: request validation, unknown jobs, 409 before the end, the seed's cancel answer
 * (twice), SSE progress, downloads with byte ranges, path traversal attempts and queueing.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { startServer, type RunningServer } from '../../examples/server/server.js';
import { artifactsDir, media } from '../helpers/shared.js';
import { EventStream, request, waitForStatus, zipEntries } from './http-client.js';

const CAM1 = media('multicam/cam1_with_tracking_overlay.mp4');
const CAM2 = media('multicam/cam2_with_tracking_overlay.mp4');
const OUTPUT_DIR = artifactsDir('server/api-outputs');
const CANARY = 'canary-secret-8f3a1c';
const SEED_CANCEL_MESSAGE = 'Job cancellation requested';

let server: RunningServer;
let base: string;
/** The job of the lifecycle test, reused (ended) by the traversal test. */
let endedJob: { id: string; status: any } | undefined;

before(async () => {
  rmSync(OUTPUT_DIR, { recursive: true, force: true });
  mkdirSync(OUTPUT_DIR, { recursive: true });
  writeFileSync(path.join(OUTPUT_DIR, 'canary.txt'), CANARY); // beside the job folders, never to be served
  server = await startServer({ port: 0, outputDir: OUTPUT_DIR, concurrency: 1 });
  base = server.url;
});

after(async () => {
  await server.close();
  assert.deepEqual(ffmpegChildren(), [], 'no ffmpeg child process may outlive the server');
});

function ffmpegChildren(): string[] {
  try {
    return execFileSync('pgrep', ['-P', String(process.pid), '-x', 'ffmpeg'], { encoding: 'utf8' }).split('\n').filter(Boolean);
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
}

test('POST /detect rejects bad bodies with a clear 4xx naming the problem', async () => {
  const cases: Array<{ name: string; send: { json?: unknown; body?: string; headers?: Record<string, string> }; status: number; code: string; mentions: RegExp }> = [
    { name: 'not JSON content type', send: { body: 'video_path=x', headers: { 'Content-Type': 'application/x-www-form-urlencoded' } }, status: 415, code: 'UNSUPPORTED_MEDIA_TYPE', mentions: /JSON/ },
    { name: 'malformed JSON', send: { body: '{"video_path": ', headers: { 'Content-Type': 'application/json' } }, status: 400, code: 'INVALID_JSON', mentions: /not valid JSON/ },
    { name: 'array body', send: { json: [CAM1] }, status: 400, code: 'INVALID_REQUEST', mentions: /JSON object/ },
    { name: 'missing video_path', send: { json: { similarity_threshold: 0.8 } }, status: 400, code: 'INVALID_REQUEST', mentions: /video_path/ },
    { name: 'blank video_path', send: { json: { video_path: '  \n ' } }, status: 400, code: 'INVALID_REQUEST', mentions: /video_path/ },
    { name: 'threshold above 1', send: { json: { video_path: CAM1, similarity_threshold: 1.5 } }, status: 400, code: 'INVALID_REQUEST', mentions: /similarity_threshold/ },
    { name: 'threshold as string', send: { json: { video_path: CAM1, similarity_threshold: '0.8' } }, status: 400, code: 'INVALID_REQUEST', mentions: /similarity_threshold/ },
    { name: 'negative duration', send: { json: { video_path: CAM1, max_duration_seconds: -1 } }, status: 400, code: 'INVALID_REQUEST', mentions: /max_duration_seconds/ },
    { name: 'unknown field', send: { json: { video_path: CAM1, video_paht: CAM2 } }, status: 400, code: 'INVALID_REQUEST', mentions: /video_paht/ },
    { name: 'unsupported scheme', send: { json: { video_path: `${CAM1}, ftp://example.com/cam.mp4` } }, status: 400, code: 'INVALID_URL', mentions: /ftp:\/\/example\.com/ },
    { name: 'option injection', send: { json: { video_path: '-i /etc/passwd' } }, status: 400, code: 'INVALID_URL', mentions: /begins with "-"/ },
    { name: 'zones text not YAML', send: { json: { video_path: CAM1, zones: 'polygon: [[0, 0' } }, status: 400, code: 'INVALID_ZONE', mentions: /zones/ },
    { name: 'zones for a missing camera', send: { json: { video_path: CAM1, zones: { 3: [{ name: 'door', polygon: [[0, 0], [10, 0], [10, 10]] }] } } }, status: 400, code: 'INVALID_ZONE', mentions: /camera 3/ },
    { name: 'zone polygon of two points', send: { json: { video_path: CAM1, zones: [{ name: 'line', polygon: [[0, 0], [10, 0]] }] } }, status: 400, code: 'INVALID_ZONE', mentions: /line/ },
  ];
  for (const c of cases) {
    const answer = await request(base, 'POST', '/detect', c.send);
    assert.equal(answer.status, c.status, `${c.name}: ${answer.text}`);
    const error = answer.json().error;
    assert.equal(error.code, c.code, `${c.name}: ${answer.text}`);
    assert.match(error.message, c.mentions, c.name);
  }
  assert.equal((await request(base, 'GET', '/detect')).status, 405);
});

test('unknown jobs and routes answer 404', async () => {
  const unknown = '00000000-0000-4000-8000-000000000000';
  for (const [method, target] of [
    ['GET', `/status/${unknown}`],
    ['POST', `/cancel/${unknown}`],
    ['GET', `/download/${unknown}`],
    ['GET', `/download/${unknown}/video`],
    ['GET', `/events/${unknown}`],
    ['GET', `/files/${unknown}/x.mp4`],
    ['GET', `/preview/${unknown}/0`],
    ['GET', '/status/not-a-job-id'],
  ] as const) {
    const answer = await request(base, method, target);
    assert.equal(answer.status, 404, `${method} ${target}`);
    assert.equal(answer.json().error.code, 'JOB_NOT_FOUND', `${method} ${target}`);
  }
  assert.equal((await request(base, 'GET', '/no/such/route')).status, 404);
});

test('a job streams progress, answers 409 before its end, cancels (twice) with the seed answer, then serves its outputs', async () => {
  const start = await request(base, 'POST', '/detect', { json: { video_path: CAM1, similarity_threshold: 0.8, realtime: true } });
  assert.equal(start.status, 200, start.text);
  const id: string = start.json().job_id;
  assert.match(id, /^[0-9a-f-]{36}$/);

  const events = new EventStream(base, `/events/${id}`);
  try {
    const snapshot = await events.next((e) => e.event === 'status');
    assert.equal(snapshot.data.job_id, id);
    const progress = await events.next((e) => e.event === 'progress' && e.data.cameras[0].frames > 0);
    assert.equal(progress.data.cameras[0].source, CAM1);
    await events.next((e) => e.event === 'preview');

    for (const target of [`/download/${id}`, `/download/${id}/video`, `/download/${id}/csv`]) {
      const early = await request(base, 'GET', target);
      assert.equal(early.status, 409, `${target} before the end: ${early.text}`);
      assert.equal(early.json().error.code, 'JOB_NOT_FINISHED');
    }
    const running = (await request(base, 'GET', `/status/${id}`)).json();
    assert.equal(running.status, 'running');
    assert.ok(running.cameras[0].frames > 0);
    assert.equal(running.outputs, undefined);

    const expected = { job_id: id, status: 'cancelled', message: SEED_CANCEL_MESSAGE };
    const first = await request(base, 'POST', `/cancel/${id}`);
    assert.equal(first.status, 200);
    assert.deepEqual(first.json(), expected);
    const second = await request(base, 'POST', `/cancel/${id}`);
    assert.equal(second.status, 200);
    assert.deepEqual(second.json(), expected);

    const end = await events.next((e) => e.event === 'end');
    assert.equal(end.data.status, 'cancelled');
    assert.ok(events.events.some((e) => e.event === 'cancelled'), `a 'cancelled' event was streamed (seen: ${events.names()})`);
  } finally {
    events.close();
  }

  const status = (await request(base, 'GET', `/status/${id}`)).json();
  assert.equal(status.status, 'cancelled');
  assert.equal(status.message, 'Processing stopped by user');
  assert.equal(status.multi_camera, false);
  assert.equal(status.outputs.zip, `/download/${id}`);
  assert.equal(status.outputs.video, `/download/${id}/video`);
  assert.equal(status.outputs.csv, `/download/${id}/csv`);
  assert.equal(status.outputs.json, `/download/${id}/json`);
  assert.deepEqual((await request(base, 'POST', `/cancel/${id}`)).json(), { job_id: id, status: 'cancelled', message: SEED_CANCEL_MESSAGE });

  const zip = await request(base, 'GET', `/download/${id}`);
  assert.equal(zip.status, 200);
  assert.equal(zip.headers['content-type'], 'application/zip');
  assert.match(String(zip.headers['content-disposition']), /attachment; filename="multi_stream_\d{4}-\d{2}-\d{2}-\d{2}-\d{2}(_\d+)?_results\.zip"/);
  const names = zipEntries(zip.body).names;
  for (const pattern of [/camera_0\/output_\d{8}_\d{6}\.mp4$/, /camera_0\/tracks_\d{8}_\d{6}\.csv$/, /camera_0\/zones_\d{8}_\d{6}\.json$/]) {
    assert.ok(names.some((n) => pattern.test(n)), `ZIP holds ${pattern} (entries: ${names.join(', ')})`);
  }

  const whole = await request(base, 'GET', `/download/${id}/video`);
  assert.equal(whole.status, 200);
  assert.equal(whole.headers['content-type'], 'video/mp4');
  assert.equal(whole.headers['accept-ranges'], 'bytes');
  assert.equal(whole.body.toString('latin1', 4, 8), 'ftyp');
  const size = whole.body.length;
  const part = await request(base, 'GET', `/download/${id}/video`, { headers: { Range: 'bytes=100-199' } });
  assert.equal(part.status, 206);
  assert.equal(part.headers['content-range'], `bytes 100-199/${size}`);
  assert.deepEqual(part.body, whole.body.subarray(100, 200));
  const tail = await request(base, 'GET', `/download/${id}/video`, { headers: { Range: 'bytes=-10' } });
  assert.deepEqual(tail.body, whole.body.subarray(size - 10));
  assert.equal((await request(base, 'GET', `/download/${id}/video`, { headers: { Range: `bytes=${size}-` } })).status, 416);

  const csv = await request(base, 'GET', `/download/${id}/csv`);
  assert.equal(csv.status, 200);
  assert.match(String(csv.headers['content-type']), /^text\/csv/);
  assert.ok(csv.text.split('\n')[0]!.includes(','), 'the CSV starts with its header row');
  const report = await request(base, 'GET', `/download/${id}/json`);
  assert.equal(report.status, 200);
  assert.equal(typeof report.json(), 'object');
  assert.equal((await request(base, 'GET', `/download/${id}/video?camera=1`)).status, 404);
  assert.equal((await request(base, 'GET', `/download/${id}/thumbnail`)).status, 404);
  endedJob = { id, status };
});

test('never serves a path outside the job folder, whatever the encoding', async () => {
  assert.ok(endedJob !== undefined, 'needs the ended job of the previous test');
  const { id, status } = endedJob;
  const zipName: string = status.outputs.zip_name;
  const csvFile: string = status.outputs.files.map((f: { name: string }) => f.name).find((n: string) => n.endsWith('.csv'));
  const folder = csvFile.split('/')[0]!;

  // Positive controls: the route does serve files that are inside.
  assert.equal((await request(base, 'GET', `/files/${id}/${zipName}`)).status, 200);
  assert.equal((await request(base, 'GET', `/files/${id}/${csvFile}`)).status, 200);

  // A symlink inside the job folder that points outside it.
  const jobRoot = path.join(OUTPUT_DIR, id);
  symlinkSync(path.join(OUTPUT_DIR, 'canary.txt'), path.join(jobRoot, folder, 'leak.txt'));

  const canaryAbsolute = path.join(OUTPUT_DIR, 'canary.txt');
  const attempts = [
    `/files/${id}/../canary.txt`,
    `/files/${id}/${folder}/../../canary.txt`,
    `/files/${id}/..%2fcanary.txt`,
    `/files/${id}/..%2Fcanary.txt`,
    `/files/${id}/%2e%2e%2fcanary.txt`,
    `/files/${id}/%2e%2e/canary.txt`,
    `/files/${id}/.%2e/canary.txt`,
    `/files/${id}/%252e%252e%252fcanary.txt`,
    `/files/${id}/..%5ccanary.txt`,
    `/files/${id}/${folder}/camera_0/..%2f..%2f..%2fcanary.txt`,
    `/files/${id}/${encodeURIComponent(canaryAbsolute)}`,
    `/files/${id}/${canaryAbsolute}`,
    `/files/${id}//${canaryAbsolute}`,
    `/files/${id}/%2fetc%2fpasswd`,
    `/files/${id}/canary.txt%00.csv`,
    `/files/${id}/${folder}/leak.txt`,
    `/download/${id}/../../canary.txt`,
    `/download/${id}/..%2f..%2fcanary.txt`,
    `/download/${id}/%2e%2e%2f%2e%2e%2fcanary.txt`,
    `/download/${id}/video?camera=../../canary.txt`,
    `/download/${encodeURIComponent(`${id}/../canary.txt`)}`,
    `/preview/${id}/..%2f..%2fcanary.txt`,
    `/status/..%2f..%2fcanary.txt`,
    '/../test-artifacts/server/api-outputs/canary.txt',
    '/%2e%2e/package.json',
    '/app.js/../../package.json',
    '/..%2fpackage.json',
  ];
  for (const target of attempts) {
    const answer = await request(base, 'GET', target);
    assert.ok(answer.status >= 400 && answer.status < 500, `${target} → ${answer.status}`);
    assert.ok(!answer.text.includes(CANARY), `${target} leaked the canary`);
    assert.ok(!answer.text.includes('"name": "multicam-reid"'), `${target} leaked package.json`);
    assert.ok(!answer.text.includes('root:x:0:0'), `${target} leaked /etc/passwd`);
  }
});

test('jobs beyond the concurrency limit wait as queued; a queued job cancels at once', async () => {
  // concurrency is 1: A runs, B and C wait.
  const post = async (body: object, expectedStatus: string) => {
    const answer = await request(base, 'POST', '/detect', { json: body });
    assert.equal(answer.status, 200, answer.text);
    assert.equal(answer.json().status, expectedStatus);
    return answer.json().job_id as string;
  };
  const a = await post({ video_path: CAM1, realtime: true }, 'running');
  const b = await post({ video_path: `${CAM1}\n${CAM2}`, realtime: true }, 'queued');
  const c = await post({ video_path: CAM2, realtime: true, max_duration_seconds: 30 }, 'queued');
  await waitForStatus(base, a, (s) => s.status === 'running');

  const bQueued = (await request(base, 'GET', `/status/${b}`)).json();
  assert.equal(bQueued.status, 'queued');
  assert.equal(bQueued.queue_position, 1);
  assert.equal(bQueued.multi_camera, true);
  assert.deepEqual(bQueued.sources, [CAM1, CAM2]);
  assert.equal((await request(base, 'GET', `/status/${c}`)).json().queue_position, 2);
  assert.equal((await request(base, 'GET', `/download/${b}`)).status, 409);

  assert.equal(server.jobs.queued, 2, 'B and C wait in the queue');
  const expected = { job_id: b, status: 'cancelled', message: SEED_CANCEL_MESSAGE };
  assert.deepEqual((await request(base, 'POST', `/cancel/${b}`)).json(), expected);
  assert.equal(server.jobs.queued, 1, 'the cancelled job left the queue');
  assert.deepEqual((await request(base, 'POST', `/cancel/${b}`)).json(), expected);
  const bCancelled = (await request(base, 'GET', `/status/${b}`)).json();
  assert.equal(bCancelled.status, 'cancelled');
  assert.equal(bCancelled.outputs.zip, null, 'a job cancelled while queued wrote nothing');
  assert.equal((await request(base, 'GET', `/download/${b}`)).status, 404);
  assert.equal((await request(base, 'GET', `/status/${c}`)).json().queue_position, 1);

  await request(base, 'POST', `/cancel/${a}`);
  await waitForStatus(base, a, (s) => s.status === 'cancelled');
  const cStarted = await waitForStatus(base, c, (s) => s.status !== 'queued');
  assert.ok(['running', 'completed'].includes(cStarted.status), `C started once A ended (${cStarted.status})`);
  await waitForStatus(base, c, (s) => s.cameras[0].frames > 0 || s.status === 'completed');
  await request(base, 'POST', `/cancel/${c}`);
  const cEnded = await waitForStatus(base, c, (s) => ['cancelled', 'completed'].includes(s.status));
  assert.ok(cEnded.outputs.zip !== null, 'C finalised its outputs');
});

test('a cancel right after /detect ends the job cancelled, not at the end of its files', async () => {
  const start = await request(base, 'POST', '/detect', { json: { video_path: `${CAM1}\n${CAM2}` } });
  assert.equal(start.status, 200, start.text);
  const id: string = start.json().job_id;
  assert.equal((await request(base, 'POST', `/cancel/${id}`)).status, 200);
  const ended = await waitForStatus(base, id, (s) => ['cancelled', 'completed', 'failed'].includes(s.status));
  assert.equal(ended.status, 'cancelled', JSON.stringify(ended.error));
  assert.ok(ended.cameras.every((c: { frames: number }) => c.frames < 419), 'no camera ran to the end of its file');
});

test('a camera password never reaches a client: status, events and errors show the display form', async () => {
  const secret = 'Sup3rSecretPw';
  const url = `rtsp://admin:${secret}@127.0.0.1:9/stream`; // port 9 (discard): nothing answers RTSP there
  const start = await request(base, 'POST', '/detect', { json: { video_path: url } });
  assert.equal(start.status, 200, start.text);
  const id: string = start.json().job_id;
  const events = new EventStream(base, `/events/${id}`);
  try {
    await events.next((e) => e.event === 'end');
  } finally {
    events.close();
  }
  const status = await request(base, 'GET', `/status/${id}`);
  assert.equal(status.json().status, 'failed');
  assert.deepEqual(status.json().sources, ['rtsp://***:***@127.0.0.1:9/stream']);
  for (const text of [start.text, status.text, JSON.stringify(events.events)]) assert.ok(!text.includes(secret), `the password leaked: ${text}`);
});
