/**
 * The MQTT event sink on real jobs against a real Mosquitto: every event of a two-camera job
 * arrives in order with the job's own data; a broker restarted mid-job is survived; a source
 * URL's credentials never reach a payload.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { createReadStream, rmSync, statSync } from 'node:fs';
import { once } from 'node:events';
import { DetectionTrackingPipeline, processVideo } from '../../src/pipeline/pipeline.js';
import { MqttEventSink, withMqttSink, JOB_EVENT_NAMES, type MqttSinkWarning, type MqttConnectionEvent } from '../../src/service/index.js';
import { artifactsDir, modelsDir } from '../helpers/shared.js';
import { childFfmpegPids } from '../helpers/ffmpeg.js';
import { childMosquittoPids, startMosquitto, subscribe, freePort } from './mosquitto.js';
import { cutClip } from './clips.js';
import { ALL_JOB_EVENTS, receivedEvents, receivedStatuses, recordJob, type Emitted } from './recording.js';

modelsDir();
const outRoot = artifactsDir('service-mqtt-sink');
rmSync(outRoot, { recursive: true, force: true });
/** No annotated video or ZIP: the sink is under test, not the encoder (and the machine is small). */
const config = { output: { video: false, zip: false } };
const pipeline = new DetectionTrackingPipeline(config);

after(async () => {
  await pipeline.release();
  assert.deepEqual(childMosquittoPids(), [], 'no mosquitto left running');
  assert.deepEqual(childFfmpegPids(), [], 'no ffmpeg left running');
});

test('the sink publishes the job events it knows, one per JobEvents name', () => {
  assert.deepEqual([...JOB_EVENT_NAMES].sort(), [...ALL_JOB_EVENTS].sort());
});

test('every event of a two-camera job arrives, in order, with the job’s own data; status retained', { timeout: 300_000 }, async () => {
  const broker = await startMosquitto();
  const prefix = 'site-a/multicam-reid';
  const cleanup: Array<() => Promise<unknown>> = [];
  try {
    const sub = await subscribe(broker.url, `${prefix}/#`, { qos: 1 });
    cleanup.push(() => sub.close());
    const clips = [await cutClip(1, 3), await cutClip(2, 3)];
    const sink = await MqttEventSink.connect({ url: broker.url, topicPrefix: prefix, qos: 1 });
    cleanup.push(() => sink.close());
    const warnings: MqttSinkWarning[] = [];
    sink.on('warning', (w) => warnings.push(w));

    const job = processVideo({ sources: clips, outputDir: outRoot, previewInterval: 0.5, config });
    sink.attach(job, { sources: clips });
    const emitted = recordJob(job);
    const result = await job.result;
    assert.equal(result.status, 'completed', JSON.stringify(result.error));
    const stats = await sink.close();

    const names = new Set(emitted.map((e) => e.event));
    for (const name of ['start', 'camera:status', 'progress', 'track:new', 'identity:assigned', 'preview', 'done']) {
      assert.ok(names.has(name), `the job emitted ${name} (got ${[...names].join(', ')})`);
    }
    await sub.waitFor((m) => receivedStatuses(m, prefix, job.id).some((s) => s.status === 'completed'), 10_000, 'the final status');
    const received = receivedEvents(sub.messages, prefix, job.id);
    // the whole sequence, then per camera (the order a consumer of one camera relies on)
    assert.equal(received.length, emitted.length, `received ${received.length} of ${emitted.length} events`);
    assert.deepEqual(received, emitted);
    for (const camera of [0, 1]) {
      const mine = (list: Emitted[]) => list.filter((e) => e.cameraIndex === camera);
      assert.ok(mine(emitted).length > 5, `camera ${camera} has events: ${mine(emitted).map((e) => e.event).join(', ')}`);
      assert.deepEqual(mine(received), mine(emitted), `camera ${camera}: same events in the same order`);
    }
    // topic levels: `track:new` is …/track/new, so `+/+/+/track/+` selects the track family
    const topics = new Set(sub.messages.map((m) => m.topic.slice(`${prefix}/${job.id}/`.length)));
    for (const t of ['start', 'camera/status', 'progress', 'track/new', 'identity/assigned', 'preview', 'done', 'status']) assert.ok(topics.has(t), `topic …/${t}`);
    // previews carry their size, never their pixels
    const previews = sub.messages.filter((m) => m.topic.endsWith('/preview'));
    assert.ok(previews.length > 0);
    for (const p of previews) {
      assert.deepEqual(Object.keys(JSON.parse(p.payload)).sort(), ['cameraIndex', 'frameIndex', 'height', 'width']);
      assert.ok(p.payload.length < 200, 'a preview payload is a few bytes');
    }
    assert.deepEqual(receivedStatuses(sub.messages, prefix, job.id).map((s) => s.status), ['running', 'completed']);
    assert.equal(stats.sent, emitted.length + 2, 'every event and both statuses acknowledged');
    assert.deepEqual([stats.dropped, stats.failed, stats.buffered, stats.reconnects], [0, 0, 0, 0]);
    assert.deepEqual(warnings, []);
    await sub.close();

    // a dashboard that subscribes afterwards still learns how the job ended
    const late = await subscribe(broker.url, `${prefix}/+/status`);
    await late.waitFor((m) => m.length > 0, 5_000, 'the retained status');
    assert.equal(late.messages.length, 1);
    assert.equal(late.messages[0]!.retain, true);
    assert.deepEqual(
      { ...JSON.parse(late.messages[0]!.payload), at: undefined },
      { jobId: job.id, status: 'completed', stopReason: 'end-of-input', at: undefined },
    );
    await late.close();
  } finally {
    for (const close of cleanup.reverse()) await close();
    await broker.dispose();
  }
});
