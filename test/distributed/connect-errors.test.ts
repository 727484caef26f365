/**
 * Bad Redis settings are typed errors before any work, for the library (submitter and
 * worker) and the command line: a malformed URL (INVALID_REDIS_URL), nothing listening
 * (REDIS_UNREACHABLE), a missing or wrong password (REDIS_AUTH_FAILED). Passwords never show.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { QueueError } from '../../src/errors.js';
import { DistributedPipeline } from '../../src/distributed/pipeline.js';
import { startWorker } from '../../src/distributed/worker.js';
import { modelsDir, repoRoot } from '../helpers/shared.js';
import { RedisServer, STORE_CLIPS, WorkerProcess, assertNoChildren, freePort, outputFolder } from './helpers.js';

const PASSWORD = 'pa55-w0rd-f0r-test';
let secured: RedisServer;
let closedPort: number;

before(async () => {
  secured = await RedisServer.start({ password: PASSWORD });
  closedPort = await freePort(); // nothing listens there
});

after(async () => {
  await secured.dispose();
  await assertNoChildren();
});

function isQueueError(code: string, mentions: RegExp) {
  return (error: unknown) => {
    assert.ok(error instanceof QueueError, `a QueueError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    assert.match(error.message, mentions);
    assert.ok(!error.message.includes(PASSWORD), 'the password never shows');
    return true;
  };
}

test('malformed Redis URLs are rejected at once, naming the URL and the form to use', () => {
  const cases: Array<[string, RegExp]> = [
    ['', /empty/],
    ['localhost:6379', /scheme|not a URL/],
    ['http://127.0.0.1:6379', /scheme "http:"/],
    ['redis://', /not a URL|no host/],
    ['redis://127.0.0.1:99999', /not a URL|out of range/],
    ['redis://127.0.0.1:6379/db1', /database number/],
    [`redis://:${PASSWORD}@127.0.0.1:6379/?tls=1`, /query strings/],
  ];
  for (const [url, mentions] of cases) {
    assert.throws(() => new DistributedPipeline({ redis: url }), isQueueError('INVALID_REDIS_URL', mentions), url);
    assert.throws(() => new DistributedPipeline({ redis: url }), /redis:\/\/\[user:password@\]host\[:port\]\[\/db\]/, url);
  }
});

test('nothing listening: connect() and the job fail with REDIS_UNREACHABLE before any work', { timeout: 60_000 }, async () => {
  const pipeline = new DistributedPipeline({ redis: `redis://127.0.0.1:${closedPort}` });
  try {
    await assert.rejects(pipeline.connect(), isQueueError('REDIS_UNREACHABLE', new RegExp(`127\\.0\\.0\\.1:${closedPort}.*ECONNREFUSED`)));
    const out = outputFolder('unreachable');
    const result = await pipeline.processVideo({ sources: [STORE_CLIPS[0]!], outputDir: path.join(out, 'jobs') }).result;
    assert.equal(result.status, 'failed');
    assert.equal(result.error?.code, 'REDIS_UNREACHABLE');
    assert.equal(result.outputDir, undefined);
    assert.ok(!existsSync(path.join(out, 'jobs')), 'no folder was created');
  } finally {
    await pipeline.release();
  }
});

test('a password-protected Redis: none or a wrong one is REDIS_AUTH_FAILED, the right one connects', { timeout: 60_000 }, async () => {
  const base = `127.0.0.1:${secured.port}`;
  for (const url of [`redis://${base}`, `redis://:wrong-${PASSWORD}@${base}`, `redis://default:nope@${base}`]) {
    const pipeline = new DistributedPipeline({ redis: url });
    await assert.rejects(pipeline.connect(), isQueueError('REDIS_AUTH_FAILED', /refused the credentials.*redis:\/\/user:password@host:port/), url);
    await pipeline.release();
  }
  const good = new DistributedPipeline({ redis: secured.url });
  await good.connect();
  await good.release();
});

test('startWorker: the same typed errors, before any model is loaded', { timeout: 60_000 }, async () => {
  const config = { modelsDir: '/nonexistent-models-folder' }; // a model error would come later, so Redis is checked first
  await assert.rejects(startWorker({ redis: 'redis//nope', config }), isQueueError('INVALID_REDIS_URL', /redis\/\/nope/));
  await assert.rejects(startWorker({ redis: `redis://127.0.0.1:${closedPort}`, config }), isQueueError('REDIS_UNREACHABLE', /ECONNREFUSED/));
  await assert.rejects(startWorker({ redis: `redis://:bad@127.0.0.1:${secured.port}`, config }), isQueueError('REDIS_AUTH_FAILED', /refused the credentials/));
});

test('the command line: worker and run --redis exit with a clear message, 2 for bad settings, 1 when Redis does not answer', { timeout: 120_000 }, async () => {
  const bad = WorkerProcess.spawn(`redis://:${PASSWORD}x@127.0.0.1:${secured.port}`);
  const exit = await bad.exited;
  assert.equal(exit.code, 2, bad.lines.join('\n'));
  assert.match(bad.lines.join('\n'), /REDIS_AUTH_FAILED|refused the credentials/);
  assert.ok(!bad.lines.join('\n').includes(PASSWORD), 'the password never shows');

  const unreachable = WorkerProcess.spawn(`redis://127.0.0.1:${closedPort}`);
  assert.equal((await unreachable.exited).code, 1, unreachable.lines.join('\n'));
  assert.match(unreachable.lines.join('\n'), /cannot reach Redis/);

  const out = outputFolder('cli-unreachable');
  const run = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'run', STORE_CLIPS[0]!, '--redis', 'ftp://x', '--out', out], { cwd: repoRoot, env: { ...process.env, MULTICAM_REID_MODELS: modelsDir() }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  run.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const code = await new Promise<number | null>((resolve) => run.once('exit', (c) => resolve(c)));
  assert.equal(code, 2, stderr);
  assert.match(stderr, /invalid Redis URL "ftp:\/\/x"/);
});
