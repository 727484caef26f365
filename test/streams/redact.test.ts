import { test } from 'node:test';
import assert from 'node:assert/strict';
import { redactSource, redactText, sourceSecrets } from '../../src/streams/redact.js';

test('redactSource masks user name and password of a URL, nothing else', () => {
  assert.equal(redactSource('rtsp://admin:SECRET@cam.local:554/live'), 'rtsp://***:***@cam.local:554/live');
  assert.equal(redactSource('rtsp://user:pa:ss@cam/x'), 'rtsp://***:***@cam/x');
  assert.equal(redactSource('rtsp://token@cam/x'), 'rtsp://***@cam/x');
  assert.equal(redactSource('rtsp://cam.local:554/x'), 'rtsp://cam.local:554/x');
  assert.equal(redactSource('udp://127.0.0.1:1905'), 'udp://127.0.0.1:1905');
  assert.equal(redactSource('/videos/a:b@c.mp4'), '/videos/a:b@c.mp4');
});

test('redactText masks URLs inside a log line and the literal password', () => {
  const source = 'rtsp://admin:S%40cret@10.0.0.5/stream';
  const line = `[rtsp @ 0x1] method DESCRIBE failed: 401 Unauthorized (${source}); password S@cret rejected`;
  const out = redactText(line, sourceSecrets(source));
  assert.ok(!out.includes('S%40cret') && !out.includes('S@cret'), out);
  assert.match(out, /rtsp:\/\/\*\*\*:\*\*\*@10\.0\.0\.5\/stream/);
  assert.deepEqual(sourceSecrets('rtsp://cam/x'), []);
  assert.deepEqual(sourceSecrets('not a url'), []);
});
