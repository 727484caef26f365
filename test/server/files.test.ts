/**
 * The server's file helpers on their own: segment decoding that refuses every way out of a
 * folder, containment with symlinks, and HTTP byte ranges.
 */
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { decodeRelativePath, parseRange, resolveInside } from '../../examples/server/files.js';
import { artifactsDir } from '../helpers/shared.js';

test('decodeRelativePath keeps plain names and refuses dot segments, separators, NUL and bad encoding', () => {
  assert.equal(decodeRelativePath(['multi_stream_2024-01-15-14-30', 'camera_0', 'tracks_20240115_143022.csv']), 'multi_stream_2024-01-15-14-30/camera_0/tracks_20240115_143022.csv');
  assert.equal(decodeRelativePath(['a%20b.mp4']), 'a b.mp4');
  for (const bad of [[], [''], ['..'], ['.'], ['%2e%2e'], ['.%2E'], ['..%2fx'], ['%2Fetc%2Fpasswd'], ['..%5cx'], ['x%00.mp4'], ['%E0%A4%A'], ['a', '', 'b']]) {
    assert.equal(decodeRelativePath(bad), undefined, JSON.stringify(bad));
  }
});

test('resolveInside returns files inside the folder only, also through symlinks', async () => {
  const dir = artifactsDir('server/files-unit');
  rmSync(dir, { recursive: true, force: true });
  const root = path.join(dir, 'job');
  mkdirSync(path.join(root, 'camera_0'), { recursive: true });
  writeFileSync(path.join(root, 'camera_0', 'a.csv'), 'x');
  writeFileSync(path.join(dir, 'outside.txt'), 'secret');
  symlinkSync(path.join(dir, 'outside.txt'), path.join(root, 'camera_0', 'link-out.txt'));
  symlinkSync(path.join(root, 'camera_0', 'a.csv'), path.join(root, 'link-in.csv'));

  assert.equal(await resolveInside(root, 'camera_0/a.csv'), path.join(root, 'camera_0', 'a.csv'));
  assert.equal(await resolveInside(root, 'link-in.csv'), path.join(root, 'camera_0', 'a.csv'));
  for (const bad of ['../outside.txt', 'camera_0/../../outside.txt', path.join(dir, 'outside.txt'), 'camera_0/link-out.txt', 'missing.csv', '.', '', 'a\u0000.csv']) {
    assert.equal(await resolveInside(root, bad), undefined, JSON.stringify(bad));
  }
});

test('parseRange follows RFC 9110 single byte ranges', () => {
  assert.equal(parseRange(undefined, 1000), undefined);
  assert.deepEqual(parseRange('bytes=0-99', 1000), { start: 0, end: 99 });
  assert.deepEqual(parseRange('bytes=900-', 1000), { start: 900, end: 999 });
  assert.deepEqual(parseRange('bytes=990-5000', 1000), { start: 990, end: 999 });
  assert.deepEqual(parseRange('bytes=-100', 1000), { start: 900, end: 999 });
  assert.deepEqual(parseRange('bytes=-5000', 1000), { start: 0, end: 999 });
  assert.equal(parseRange('bytes=1000-', 1000), 'invalid');
  assert.equal(parseRange('bytes=50-10', 1000), 'invalid');
  assert.equal(parseRange('bytes=-0', 1000), 'invalid');
  assert.equal(parseRange('bytes=-', 1000), 'invalid');
  assert.equal(parseRange('bytes=0-1,5-6', 1000), undefined, 'several ranges: the whole file');
  assert.equal(parseRange('items=0-1', 1000), undefined);
});
