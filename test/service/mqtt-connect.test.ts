/**
 * Connecting the MQTT sink, against a real Mosquitto and real sockets: bad options and URLs
 * fail before any connection, an unreachable or silent broker is a typed error before any job
 * exists (or, with whenDown: 'buffer', a bounded buffer sent once the broker is up), and wrong
 * credentials are a typed error naming the broker without the secret.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { once } from 'node:events';
import { rmSync } from 'node:fs';
import { ConfigError } from '../../src/errors.js';
import { DetectionTrackingPipeline } from '../../src/pipeline/pipeline.js';
import { MqttEventSink, MqttSinkError, withMqttSink, resolveMqttSinkOptions, mqttSinkConfigSchema, type MqttSinkWarning } from '../../src/service/index.js';
import { artifactsDir, modelsDir } from '../helpers/shared.js';
import { childFfmpegPids } from '../helpers/ffmpeg.js';
import { childMosquittoPids, freePort, startMosquitto, subscribe } from './mosquitto.js';
import { cutClip } from './clips.js';
import { receivedEvents, receivedStatuses, recordJob } from './recording.js';

after(() => {
  assert.deepEqual(childMosquittoPids(), [], 'no mosquitto left running');
  assert.deepEqual(childFfmpegPids(), [], 'no ffmpeg left running');
});

/** Asserts `fn` throws/rejects a ConfigError with this code whose message matches and hides `secret`. */
async function rejectsConfig(fn: () => unknown, code: string, message: RegExp, secret?: string): Promise<void> {
  await assert.rejects(
    async () => fn(),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError, `a ConfigError, got ${String(error)}`);
      assert.equal(error.code, code);
      assert.match(error.message, message);
      if (secret !== undefined) assert.ok(!error.message.includes(secret) && !String(error.culprit).includes(secret), error.message);
      return true;
    },
  );
}

test('bad URLs and options are typed errors naming the culprit, before any connection', async () => {
  await rejectsConfig(() => MqttEventSink.connect({ url: 'http://127.0.0.1:1883' }), 'INVALID_URL', /invalid MQTT broker URL "http:\/\/127\.0\.0\.1:1883": scheme "http" is not one of mqtt, mqtts/);
  await rejectsConfig(() => MqttEventSink.connect({ url: 'not a url' }), 'INVALID_URL', /"not a url": not a URL; use mqtt:\/\/host:1883/);
  await rejectsConfig(() => MqttEventSink.connect({ url: 'mqtt://' }), 'INVALID_URL', /no host/);
  // credentials in a bad URL are masked too, URL-shaped or not
  await rejectsConfig(() => MqttEventSink.connect({ url: 'htp://alice:hunter22@broker.local' }), 'INVALID_URL', /"htp:\/\/\*\*\*:\*\*\*@broker\.local"/, 'hunter22');
  await rejectsConfig(() => MqttEventSink.connect({ url: 'alice:hunter22@broker.local:1883' }), 'INVALID_URL', /"\*\*\*@broker\.local:1883"/, 'hunter22');

  const url = 'mqtt://127.0.0.1:1883';
  await rejectsConfig(() => MqttEventSink.connect({ url, qos: 3 as 1 }), 'INVALID_OPTION', /field "qos"/);
  await rejectsConfig(() => MqttEventSink.connect({ url, maxBuffered: -1 }), 'INVALID_OPTION', /field "maxBuffered"/);
  await rejectsConfig(() => MqttEventSink.connect({ url, connectTimeout: 0 }), 'INVALID_OPTION', /field "connectTimeout"/);
  await rejectsConfig(() => MqttEventSink.connect({ url, whenDown: 'retry' as 'fail' }), 'INVALID_OPTION', /field "whenDown"/);
  await rejectsConfig(() => MqttEventSink.connect({ url, topicPrefix: 'cams/#' }), 'INVALID_OPTION', /topicPrefix "cams\/#": wildcards/);
  await rejectsConfig(() => MqttEventSink.connect({ url, topicPrefix: '$SYS/x' }), 'INVALID_OPTION', /reserved for the broker/);
  await rejectsConfig(() => MqttEventSink.connect({ url, topicPrefix: 'a//b' }), 'INVALID_OPTION', /empty level/);
  await rejectsConfig(() => MqttEventSink.connect({ url, topicPrefix: '/a' }), 'INVALID_OPTION', /empty level/);
  // a typo in a configuration block is caught, not ignored
  await rejectsConfig(() => resolveMqttSinkOptions({ url, qso: 1 } as never, 'configuration field mqtt'), 'INVALID_OPTION', /invalid configuration field mqtt: .*qso/);
});

test('the configuration schema applies the documented defaults', () => {
  const options = resolveMqttSinkOptions(mqttSinkConfigSchema.parse({ url: 'mqtt://user:pw123@broker.local' }));
  assert.match(options.clientId, /^multicam-reid-[0-9a-f]{8}$/);
  assert.deepEqual({ ...options, clientId: undefined }, {
    url: 'mqtt://user:pw123@broker.local',
    broker: 'mqtt://***:***@broker.local',
    topicPrefix: 'multicam-reid',
    qos: 1,
    retainStatus: true,
    clientId: undefined,
    connectTimeout: 10,
    whenDown: 'fail',
    maxBuffered: 10_000,
    reconnectPeriod: 1,
    closeTimeout: 5,
  });
});

test('broker down at start: a typed error naming the broker, and the job is never started', async () => {
  const port = await freePort();
  let started = false;
  await assert.rejects(
    withMqttSink({ url: `mqtt://127.0.0.1:${port}`, connectTimeout: 5 }, () => {
      started = true;
      throw new Error('startJob must not be called');
    }),
    (error: unknown) => {
      assert.ok(error instanceof MqttSinkError, String(error));
      assert.equal(error.code, 'MQTT_FAILED');
      assert.equal(error.reason, 'unreachable');
      assert.equal(error.broker, `mqtt://127.0.0.1:${port}`);
      assert.match(error.message, new RegExp(`cannot reach MQTT broker mqtt://127\\.0\\.0\\.1:${port} \\(connect ECONNREFUSED[^)]*\\): check that it runs.*whenDown: 'buffer'`));
      return true;
    },
  );
  assert.equal(started, false);
});

test('a server that accepts the connection and never answers: a timeout error after connectTimeout', async () => {
  const sockets = new Set<Socket>();
  const silent = createServer((socket) => {
    sockets.add(socket);
    socket.resume();
  });
  silent.listen(0, '127.0.0.1');
  await once(silent, 'listening');
  const port = (silent.address() as { port: number }).port;
  try {
    await assert.rejects(MqttEventSink.connect({ url: `mqtt://127.0.0.1:${port}`, connectTimeout: 0.5 }), (error: unknown) => {
      assert.ok(error instanceof MqttSinkError, String(error));
      assert.equal(error.reason, 'timeout');
      assert.match(error.message, new RegExp(`MQTT broker mqtt://127\\.0\\.0\\.1:${port} did not accept the connection within the connect timeout.*raise connectTimeout`));
      return true;
    });
    assert.ok(sockets.size >= 1, 'the client did open a connection');
  } finally {
    for (const s of sockets) s.destroy();
    silent.close();
  }
});

test('wrong credentials: a typed error naming the broker, no secret in it — with or without buffering', async () => {
  const broker = await startMosquitto({ users: { alice: 'Right-Pa55word' } });
  try {
    const port = broker.port;
    const attempts = [
      { url: `mqtt://alice:Wr0ng-Secret@127.0.0.1:${port}` },
      { url: `mqtt://alice:Wr0ng-Secret@127.0.0.1:${port}`, whenDown: 'buffer' as const },
      { url: `mqtt://127.0.0.1:${port}`, username: 'alice', password: 'Wr0ng-Secret' },
      { url: `mqtt://127.0.0.1:${port}` }, // anonymous, refused by this broker
    ];
    for (const options of attempts) {
      await assert.rejects(MqttEventSink.connect({ ...options, connectTimeout: 5 }), (error: unknown) => {
        assert.ok(error instanceof MqttSinkError, String(error));
        assert.equal(error.code, 'MQTT_FAILED');
        assert.equal(error.reason, 'auth');
        const shown = options.url.includes('@') ? `mqtt://***:***@127.0.0.1:${port}` : `mqtt://127.0.0.1:${port}`;
        assert.equal(error.broker, shown);
        assert.ok(error.message.startsWith(`MQTT broker ${shown} refused the credentials (Connection refused: Not authorized): check the user name and password`), error.message);
        for (const text of [error.message, String(error.culprit), error.stack ?? '']) {
          assert.ok(!text.includes('Wr0ng-Secret') && !text.includes('Right-Pa55word'), text);
        }
        return true;
      });
    }
    // the right password, in the URL (percent-encoded characters included) or as an option, connects
    for (const options of [{ url: `mqtt://alice:Right-Pa55word@127.0.0.1:${port}` }, { url: `mqtt://127.0.0.1:${port}`, username: 'alice', password: 'Right-Pa55word' }]) {
      const sink = await MqttEventSink.connect(options);
      assert.equal(sink.connected, true);
      await sink.close();
    }
  } finally {
    await broker.dispose();
  }
});

test('credentials refused on a reconnect: one warning, no secret in it, no more attempts', async () => {
  const broker = await startMosquitto({ users: { alice: 'First-Pa55word' } });
  try {
    const sink = await MqttEventSink.connect({ url: `mqtt://alice:First-Pa55word@127.0.0.1:${broker.port}`, reconnectPeriod: 0.2, closeTimeout: 0.2 });
    const warnings: MqttSinkWarning[] = [];
    sink.on('warning', (w) => warnings.push(w));
    const refused = new Promise<void>((resolve) => sink.on('warning', (w) => /refused the credentials on reconnect/.test(w.message) && resolve()));
    await broker.stop();
    broker.setUsers({ alice: 'Rotated-Pa55word' });
    await broker.start();
    await refused;
    await new Promise((r) => setTimeout(r, 1_000)); // several reconnect periods: no more attempts, no more warnings
    assert.equal(sink.connected, false);
    assert.deepEqual(
      warnings.map((w) => w.message.replace(/\d+/g, 'N')),
      [
        'lost the connection to MQTT broker mqtt://***:***@N.N.N.N:N; reconnecting every N.N s and buffering up to N event messages meanwhile (the job goes on)',
        'MQTT broker mqtt://***:***@N.N.N.N:N refused the credentials on reconnect (Connection refused: Not authorized); check the user name and password — events are buffered until close',
      ],
    );
    assert.equal(broker.log().match(/New connection from/g)?.length, 2, 'the first connection and one refused reconnect');
    await sink.close();
  } finally {
    await broker.dispose();
  }
});

test('broker down at start with whenDown: buffer — bounded, oldest dropped and counted, the rest sent once it is up', { timeout: 300_000 }, async () => {
  modelsDir();
  const outRoot = artifactsDir('service-mqtt-connect');
  rmSync(outRoot, { recursive: true, force: true });
  const pipeline = new DetectionTrackingPipeline({ output: { video: false, zip: false } });
  // A persistent broker learns about a persistent subscriber, then goes down before the sink starts.
  const broker = await startMosquitto({ persistence: true });
  const cleanup: Array<() => Promise<unknown>> = [];
  try {
    const sub = await subscribe(broker.url, 'multicam-reid/#', { qos: 1, persistent: 'buffer-test-subscriber' });
    cleanup.push(() => sub.close());
    await broker.stop();

    const maxBuffered = 4;
    const sink = await MqttEventSink.connect({ url: broker.url, whenDown: 'buffer', maxBuffered, connectTimeout: 2, reconnectPeriod: 0.3, closeTimeout: 10 });
    cleanup.push(() => sink.close());
    const warnings: MqttSinkWarning[] = [];
    sink.on('warning', (w) => warnings.push(w));
    assert.equal(sink.connected, false);

    const job = pipeline.processVideo({ sources: [await cutClip(1, 2)], outputDir: outRoot });
    sink.attach(job);
    const emitted = recordJob(job);
    const result = await job.result;
    assert.equal(result.status, 'completed', JSON.stringify(result.error));
    assert.ok(emitted.length > maxBuffered + 3, `the job emitted more events (${emitted.length}) than the buffer holds`);
    const waiting = sink.stats;
    assert.equal(waiting.connected, false);
    assert.equal(waiting.buffered, maxBuffered + 1, 'the newest events and the job status');
    assert.equal(waiting.dropped, emitted.length - maxBuffered);
    assert.deepEqual(
      warnings.map((w) => w.message.replace(/\d+/g, 'N')),
      [
        'cannot reach MQTT broker mqtt://N.N.N.N:N (connect ECONNREFUSED N.N.N.N:N); buffering up to N event messages and retrying every N.N s',
        'MQTT buffer full (maxBuffered N): dropping the oldest event messages until mqtt://N.N.N.N:N is reachable again',
      ],
    );

    await broker.start();
    const stats = await sink.close(); // waits for the reconnect, sends the buffer, then disconnects
    assert.equal(stats.reconnects, 1);
    assert.equal(stats.sent, maxBuffered + 1);
    assert.equal(stats.dropped, emitted.length - maxBuffered);
    assert.match(warnings.at(-1)!.message, /^connected to MQTT broker .* after [\d.]+ s; publishing resumed \(5 buffered message\(s\) sent, \d+ dropped \(buffer full\)\)$/);

    await sub.waitFor((m) => m.length >= maxBuffered + 1, 10_000, 'the buffered messages');
    assert.deepEqual(receivedEvents(sub.messages, 'multicam-reid', job.id), emitted.slice(-maxBuffered), 'the newest events, in order');
    // the running status was replaced by the final one while waiting; it is never dropped
    assert.deepEqual(receivedStatuses(sub.messages, 'multicam-reid', job.id).map((s) => [s.status, s.stopReason]), [['completed', 'end-of-input']]);
  } finally {
    for (const close of cleanup.reverse()) await close();
    await broker.dispose();
    await pipeline.release();
  }
});
