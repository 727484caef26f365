import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseConfig, loadConfigFile, resolveConfig } from '../../src/pipeline/config.js';
import { ConfigError } from '../../src/errors.js';
import { artifactsDir, repoRoot } from '../helpers/shared.js';

test('defaults fill every section', () => {
  const config = parseConfig({});
  assert.equal(config.identity.similarityThreshold, 0.8);
  assert.equal(config.streams.bufferSize, 30);
  assert.equal(config.streams.requireAllCameras, false);
  assert.equal(config.output.timeZone, '+07:00');
  assert.equal(config.processing.detectionStride, 1);
  assert.deepEqual(config.detector.classes, [0]);
});

test('the shipped configs/config.yaml is valid and matches the defaults', () => {
  const fromFile = loadConfigFile(path.join(repoRoot, 'configs', 'config.yaml'));
  const defaults = parseConfig({});
  assert.deepEqual({ ...fromFile, tracker: {} }, { ...defaults, tracker: {} });
});

test('an invalid field is a ConfigError naming the field path', () => {
  assert.throws(
    () => parseConfig({ detector: { scoreThreshold: 2 } }),
    (error: unknown) => error instanceof ConfigError && error.code === 'INVALID_CONFIG' && error.culprit === 'detector.scoreThreshold' && /detector\.scoreThreshold/.test(error.message),
  );
  assert.throws(() => parseConfig({ streams: { bufferSize: 0 } }), /streams\.bufferSize/);
  assert.throws(() => parseConfig({ streams: { connectTimeout: -1 } }), /streams\.connectTimeout/);
  assert.throws(() => parseConfig({ streams: { syncTolerance: 0.1 } }), /syncTolerance/, 'an option the pipeline has no use for is refused');
  assert.throws(() => parseConfig({ identity: { similarityThreshold: -0.1 } }), /identity\.similarityThreshold/);
  assert.throws(() => parseConfig({ detectr: {} }), /detectr/, 'a misspelt section is rejected');
});

test('YAML and JSON files load; a missing or malformed file is a ConfigError', () => {
  const dir = artifactsDir('config');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'c.yaml'), 'identity:\n  similarityThreshold: 0.7\nprocessing:\n  detectionStride: 2\n');
  writeFileSync(path.join(dir, 'c.json'), JSON.stringify({ output: { video: false } }));
  writeFileSync(path.join(dir, 'bad.yaml'), 'identity: [unclosed\n');
  assert.equal(resolveConfig(path.join(dir, 'c.yaml')).identity.similarityThreshold, 0.7);
  assert.equal(resolveConfig(path.join(dir, 'c.yaml')).processing.detectionStride, 2);
  assert.equal(resolveConfig(path.join(dir, 'c.json')).output.video, false);
  assert.throws(() => loadConfigFile(path.join(dir, 'missing.yaml')), (e: unknown) => e instanceof ConfigError && /not found/.test(e.message));
  assert.throws(() => loadConfigFile(path.join(dir, 'bad.yaml')), (e: unknown) => e instanceof ConfigError && /cannot parse/.test(e.message));
});

test('tracker and identity options are checked when the pipeline is built, before any job', async () => {
  const { DetectionTrackingPipeline } = await import('../../src/pipeline/pipeline.js');
  assert.throws(() => new DetectionTrackingPipeline({ tracker: { trackThreshold: 5 } }), (e: unknown) => e instanceof ConfigError && /trackThreshold/.test(e.message));
  assert.throws(() => new DetectionTrackingPipeline({ tracker: { trackBufer: 30 } }), (e: unknown) => e instanceof ConfigError && /trackBufer/.test(e.message));
  assert.throws(() => new DetectionTrackingPipeline({ identity: { similarityThreshold: 0.8, minBoxWidth: -1 } }), (e: unknown) => e instanceof ConfigError && /minBoxWidth/.test(e.message));
  assert.doesNotThrow(() => new DetectionTrackingPipeline({ tracker: { trackThreshold: 0.6, trackBuffer: 60 } }));
});

test('job options outside their range are rejected before the job starts', async () => {
  const { DetectionTrackingPipeline } = await import('../../src/pipeline/pipeline.js');
  const pipeline = new DetectionTrackingPipeline();
  const videoPath = '../shared/media/multicam/cam1_with_tracking_overlay.mp4';
  assert.throws(() => pipeline.validate({ videoPath, maxDurationSeconds: Infinity }), /maxDurationSeconds must be a number above 0/);
  assert.throws(() => pipeline.validate({ videoPath, maxDurationSeconds: 0 }), /maxDurationSeconds/);
  assert.throws(() => pipeline.validate({ videoPath, similarityThreshold: Number.NaN }), /similarityThreshold must be a number between 0 and 1/);
  assert.doesNotThrow(() => pipeline.validate({ videoPath, maxDurationSeconds: 60, similarityThreshold: 0.7 }));
});
