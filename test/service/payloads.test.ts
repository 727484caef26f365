/** Topics and payloads of the MQTT sink: levels from event names, no pixels, errors as { code, message }, secrets masked. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { eventLevels, eventTopic, statusTopic, topicLevel } from '../../src/service/topics.js';
import { JOB_EVENT_PAYLOADS, errorPayload, payloadSecrets, serializePayload } from '../../src/service/payloads.js';
import { ConfigError } from '../../src/errors.js';

test('event names become topic levels, so wildcards select families of events', () => {
  assert.equal(eventLevels('zone:enter'), 'zone/enter');
  assert.equal(eventLevels('progress'), 'progress');
  assert.equal(eventTopic('multicam-reid', 'job-1', 'identity:changed'), 'multicam-reid/job-1/identity/changed');
  assert.equal(eventTopic('site-a/multicam-reid', 'job-1', 'line:cross'), 'site-a/multicam-reid/job-1/line/cross');
  assert.equal(statusTopic('multicam-reid', 'job-1'), 'multicam-reid/job-1/status');
  // a job id never adds levels or wildcards
  assert.equal(topicLevel('queue/42+#%'), 'queue%2F42%2B%23%25');
  assert.equal(eventTopic('p', 'a/b', 'done'), 'p/a%2Fb/done');
});

test('a preview is published with its size and without its pixels', () => {
  const data = new Uint8Array(640 * 360 * 3).fill(7);
  const payload = serializePayload(JOB_EVENT_PAYLOADS.preview({ cameraIndex: 1, frameIndex: 40, width: 640, height: 360, data, pixelFormat: 'rgb24' }));
  assert.deepEqual(JSON.parse(payload), { cameraIndex: 1, frameIndex: 40, width: 640, height: 360 });
});

test('binary data anywhere is left out, errors anywhere become { code, message }', () => {
  const error = new ConfigError('INVALID_ZONE', 'zone "door" has 2 points', { culprit: 'door' });
  const text = serializePayload({ a: Buffer.from('secret bytes'), b: new Float32Array(4), c: new ArrayBuffer(8), d: [error], e: 1 });
  assert.deepEqual(JSON.parse(text), { d: [{ code: 'INVALID_ZONE', message: 'zone "door" has 2 points' }], e: 1 });
  assert.deepEqual(errorPayload(new Error('plain')), { code: 'ERROR', message: 'plain' });
  const result = { jobId: 'j', status: 'failed' } as never;
  assert.deepEqual(JSON.parse(serializePayload(JOB_EVENT_PAYLOADS.error(error, result))), { error: { code: 'INVALID_ZONE', message: 'zone "door" has 2 points' }, result: { jobId: 'j', status: 'failed' } });
});

test('credentials are masked in any payload: URL user info always, given passwords even bare or JSON-escaped', () => {
  const source = 'rtsp://admin:pa%22ss%5Cw0rd@10.0.0.5:554/live';
  const secrets = payloadSecrets([source]);
  const payload = serializePayload(
    {
      sources: [source, 'rtsp://other:Xy7pass@10.0.0.6/live'],
      message: 'ffmpeg said: 401 for user admin with pa"ss\\w0rd',
    },
    secrets,
  );
  for (const secret of ['pa%22ss%5Cw0rd', 'pa"ss\\w0rd', 'pa\\"ss\\\\w0rd', 'Xy7pass', 'other:']) assert.ok(!payload.includes(secret), `${secret} in ${payload}`);
  assert.deepEqual(JSON.parse(payload), {
    sources: ['rtsp://***:***@10.0.0.5:554/live', 'rtsp://***:***@10.0.0.6/live'],
    message: 'ffmpeg said: 401 for user admin with ***',
  });
});
