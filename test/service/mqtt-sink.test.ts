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

test('a broker restarted mid-job: a warning, a reconnect, later events arrive, the job completes', { timeout: 300_000 }, async () => {
  const broker = await startMosquitto({ persistence: true });
  const prefix = 'multicam-reid';
  const cleanup: Array<() => Promise<unknown>> = [];
  try {
    // A persistent session: what is published while this subscriber reconnects is queued for it.
    const sub = await subscribe(broker.url, `${prefix}/#`, { qos: 1, persistent: 'restart-test-subscriber' });
    cleanup.push(() => sub.close());
    const clip = await cutClip(1, 6);
    const connections: MqttConnectionEvent[] = [];
    let emitted: Emitted[] = [];
    let offlineAt: number | undefined;
    let reconnectedAt: number | undefined;
    let stopped: Promise<void> | undefined;
    let restarted: Promise<void> | undefined;
    // realtime: the job lasts as long as the clip, so the broker goes away while it runs
    const { job, sink, closed } = await withMqttSink({ url: broker.url, qos: 1, reconnectPeriod: 0.3 }, () =>
      pipeline.processVideo({ sources: [clip], outputDir: outRoot, realtime: true }),
    );
    cleanup.push(() => sink.close());
    emitted = recordJob(job);
    sink.on('connection', (event) => {
      connections.push(event);
      if (event.state === 'online') reconnectedAt = emitted.length;
      else offlineAt = emitted.length;
    });
    // Stop the broker at the first progress event and start it again at the next one, so the
    // job emits events while it is away.
    job.on('progress', () => {
      if (stopped === undefined) stopped = broker.stop();
      else if (offlineAt !== undefined) restarted ??= stopped.then(() => broker.start());
    });
    const result = await job.result;
    const stats = await closed;
    await restarted;

    assert.equal(result.status, 'completed', JSON.stringify(result.error));
    assert.deepEqual(connections.map((c) => c.state), ['offline', 'online'], 'one drop, one reconnect');
    assert.equal(stats.reconnects, 1);
    assert.equal(stats.dropped, 0);
    // the sink's warnings reached the job as its own warning events
    const warnings = emitted.filter((e) => e.event === 'warning').map((e) => e.payload as { message: string; code: string });
    assert.ok(warnings.some((w) => w.code === 'MQTT_FAILED' && /lost the connection to MQTT broker mqtt:\/\/127\.0\.0\.1:\d+/.test(w.message)), JSON.stringify(warnings));
    assert.ok(warnings.some((w) => w.code === 'MQTT_FAILED' && /reconnected to MQTT broker .* publishing resumed/.test(w.message)), JSON.stringify(warnings));

    // everything the job emitted after the reconnect arrives, in order, as the last messages
    assert.ok(offlineAt !== undefined && reconnectedAt !== undefined);
    const tail = emitted.slice(reconnectedAt);
    assert.ok(tail.some((e) => e.event === 'progress'), `the job went on after the reconnect: ${tail.map((e) => e.event).join(', ')}`);
    assert.equal(tail.at(-1)!.event, 'done');
    await sub.waitFor((m) => receivedEvents(m, prefix, job.id).some((e) => e.event === 'done'), 15_000, 'the done event');
    const received = receivedEvents(sub.messages, prefix, job.id);
    // the events of the outage were buffered and sent first after the reconnect
    const outage = emitted.slice(offlineAt, reconnectedAt);
    assert.ok(outage.some((e) => e.event === 'progress'), `the job emitted events while the broker was away: ${outage.map((e) => e.event).join(', ')}`);
    assert.deepEqual(received.slice(-(outage.length + tail.length)), [...outage, ...tail]);
    // nothing lost (QoS 1 may deliver a message that was in flight twice)
    const key = (e: Emitted) => JSON.stringify(e);
    const got = new Set(received.map(key));
    assert.deepEqual(emitted.filter((e) => !got.has(key(e))), [], 'no event lost');
    assert.equal(receivedStatuses(sub.messages, prefix, job.id).at(-1)!.status, 'completed');
  } finally {
    for (const close of cleanup.reverse()) await close();
    await broker.dispose();
  }
});

test('a source URL with credentials never appears in a payload', { timeout: 300_000 }, async () => {
  const broker = await startMosquitto();
  const prefix = 'multicam-reid';
  const clip = await cutClip(2, 2);
  const user = 'viewer';
  const password = 'p@ss:w0rd/Zq';
  const encoded = encodeURIComponent(password);
  // A real HTTP source that insists on those credentials (Basic auth), serving the clip.
  let authorised = 0;
  const http: Server = createServer((req, res) => {
    if (req.headers.authorization !== `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`) {
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="camera"' }).end();
      return;
    }
    authorised++;
    res.writeHead(200, { 'Content-Type': 'video/mp4', 'Content-Length': statSync(clip).size });
    createReadStream(clip).pipe(res);
  });
  http.listen(await freePort(), '127.0.0.1');
  await once(http, 'listening');
  const source = `http://${user}:${encoded}@127.0.0.1:${(http.address() as { port: number }).port}/clip.mp4`;
  const cleanup: Array<() => Promise<unknown>> = [];
  try {
    const sub = await subscribe(broker.url, `${prefix}/#`);
    cleanup.push(() => sub.close());
    const sink = await MqttEventSink.connect({ url: broker.url, qos: 1 });
    cleanup.push(() => sink.close());
    const job = pipeline.processVideo({ sources: [source], outputDir: outRoot, maxDurationSeconds: 3 });
    sink.attach(job, { sources: [source] });
    const emitted = recordJob(job);
    const result = await job.result;
    await sink.close();
    assert.equal(result.status, 'completed', JSON.stringify(result.error));
    assert.ok(authorised > 0, 'ffmpeg read the source with its credentials');
    await sub.waitFor((m) => receivedStatuses(m, prefix, job.id).some((s) => s.status === 'completed'), 10_000, 'the final status');

    assert.equal(receivedEvents(sub.messages, prefix, job.id).length, emitted.length);
    for (const { payload } of sub.messages) {
      for (const secret of [password, encoded, JSON.stringify(password).slice(1, -1), `${user}:`, 'w0rd']) {
        assert.ok(!payload.includes(secret), `a payload holds "${secret}": ${payload}`);
      }
    }
    // the source is still named, in its display form
    const start = JSON.parse(sub.messages.find((m) => m.topic.endsWith('/start'))!.payload) as { sources: string[] };
    assert.match(start.sources[0]!, /^http:\/\/\*\*\*:\*\*\*@127\.0\.0\.1:\d+\/clip\.mp4$/);
  } finally {
    for (const close of cleanup.reverse()) await close();
    http.closeAllConnections();
    http.close();
    await broker.dispose();
  }
});
