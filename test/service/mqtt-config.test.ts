/**
 * MQTT as users switch it on: the pipeline configuration's `mqtt:` block and the CLI's
 * `--mqtt <url>`, against a real Mosquitto. The job connects before any work: a broker that is
 * down fails the job with nothing written; a live one receives the job's events.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { DetectionTrackingPipeline } from '../../src/pipeline/pipeline.js';
import { ConfigError } from '../../src/errors.js';
import { artifactsDir, modelsDir, repoRoot } from '../helpers/shared.js';
import { childFfmpegPids } from '../helpers/ffmpeg.js';
import { cutClip } from './clips.js';
import { freePort, startMosquitto, type Mosquitto } from './mosquitto.js';
import mqtt from 'mqtt';

const outRoot = artifactsDir('service-mqtt-config');
rmSync(outRoot, { recursive: true, force: true });
let broker: Mosquitto | undefined;
after(() => broker?.dispose());

/** Every topic a subscriber on `<prefix>/#` receives until `done`. */
async function subscribe(url: string, prefix: string): Promise<{ topics: string[]; close: () => Promise<void> }> {
  const client = await mqtt.connectAsync(url);
  const topics: string[] = [];
  client.on('message', (topic) => topics.push(topic));
  await client.subscribeAsync(`${prefix}/#`, { qos: 1 });
  return { topics, close: () => client.endAsync() };
}

test('a configured broker that is down fails the job before any work, naming it without its password', { timeout: 120_000 }, async () => {
  const port = await freePort();
  const pipeline = new DetectionTrackingPipeline({ mqtt: { url: `mqtt://bob:Sup3rSecret@127.0.0.1:${port}`, connectTimeout: 2 } });
  try {
    const dir = path.join(outRoot, 'down');
    const result = await pipeline.processVideo({ videoPath: await cutClip(1, 2), outputDir: dir }).result;
    assert.equal(result.status, 'failed');
    assert.equal(result.error?.code, 'MQTT_FAILED');
    assert.match(result.error!.message, new RegExp(`127\\.0\\.0\\.1:${port}`));
    assert.ok(!result.error!.message.includes('Sup3rSecret'));
    assert.equal(existsSync(dir), false, 'nothing was written');
  } finally {
    await pipeline.release();
  }
  assert.throws(() => new DetectionTrackingPipeline({ mqtt: { url: 'http://127.0.0.1:1883' } }), (e: unknown) => e instanceof ConfigError);
});

test('the mqtt: block and --mqtt publish the job events and its final status', { timeout: 240_000 }, async () => {
  broker = await startMosquitto();
  const clip = await cutClip(1, 3);
  const fromConfig = await subscribe(broker.url, 'site-a');
  const pipeline = new DetectionTrackingPipeline({ mqtt: { url: broker.url, topicPrefix: 'site-a' } });
  try {
    const result = await pipeline.processVideo({ videoPath: clip, outputDir: path.join(outRoot, 'config') }).result;
    assert.equal(result.status, 'completed', JSON.stringify(result.error));
    await new Promise((resolve) => setTimeout(resolve, 300));
    for (const level of ['start', 'camera/status', 'track/new', 'done', 'status']) {
      assert.ok(fromConfig.topics.includes(`site-a/${result.jobId}/${level}`), `site-a/…/${level} received (${[...new Set(fromConfig.topics)].join(', ')})`);
    }
  } finally {
    await fromConfig.close();
    await pipeline.release();
  }

  const fromCli = await subscribe(broker.url, 'multicam-reid');
  try {
    const run = spawnSync(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'src/cli/main.ts'), 'run', clip, '--mqtt', broker.url, '--out', path.join(outRoot, 'cli'), '--json', '--no-progress'], {
      cwd: repoRoot,
      env: { ...process.env, MULTICAM_REID_MODELS: modelsDir() },
      encoding: 'utf8',
      timeout: 120_000,
    });
    assert.equal(run.status, 0, run.stderr);
    const jobId = (JSON.parse(run.stdout) as { jobId: string }).jobId;
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.ok(fromCli.topics.includes(`multicam-reid/${jobId}/done`), `the CLI's job events arrived (${fromCli.topics.length} messages)`);
  } finally {
    await fromCli.close();
  }
  assert.deepEqual(childFfmpegPids(), []);
});

test('the example service publishes its jobs on the broker it is given', { timeout: 240_000 }, async () => {
  broker ??= await startMosquitto();
  const { startServer } = await import('../../examples/server/server.js');
  const server = await startServer({ port: 0, outputDir: path.join(outRoot, 'server'), mqtt: broker.url });
  const received = await subscribe(broker.url, 'multicam-reid');
  try {
    const answer = await fetch(`${server.url}/detect`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ video_path: await cutClip(2, 2) }) });
    assert.equal(answer.status, 200);
    // The topics carry the pipeline job's own id (the service keeps its own job ids).
    const done = () => received.topics.some((t) => /^multicam-reid\/[0-9a-f-]{36}\/done$/.test(t));
    for (let i = 0; i < 600 && !done(); i++) await new Promise((resolve) => setTimeout(resolve, 200));
    assert.ok(done(), `the service's job reached the broker (${received.topics.length} messages)`);
  } finally {
    await received.close();
    await server.close();
  }
});
