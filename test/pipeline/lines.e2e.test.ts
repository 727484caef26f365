/**
 * Counting lines on real footage: the plaza clip (people walking every way across the middle)
 * with two lines through the middle. The job's counts must be above zero, agree with its
 * line:cross events and its zone report, and equal the crossings an independent computation
 * finds in the job's own tracks CSV (test/helpers/line-crossings.ts).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { DetectionTrackingPipeline } from '../../src/pipeline/pipeline.js';
import type { LineCrossingEvent } from '../../src/pipeline/events.js';
import { artifactsDir, media } from '../helpers/shared.js';
import { childFfmpegPids } from '../helpers/ffmpeg.js';
import { lineCrossingsInTracksCsv } from '../helpers/line-crossings.js';

const outRoot = artifactsDir('pipeline-lines');
rmSync(outRoot, { recursive: true, force: true });
const pipeline = new DetectionTrackingPipeline({ output: { video: false, zip: false } });
after(() => pipeline.release());

test('plaza: line counts = line:cross events = crossings found in the tracks CSV', { timeout: 300_000 }, async () => {
  const plaza = media('videos/plaza_overhead_pedestrians_720p.mp4');
  const lines = [
    { name: 'middle', line: [[0.1, 0.5], [0.9, 0.5]] as [number, number][], coordinates: 'normalized' as const },
    { name: 'centre', line: [[640, 80], [640, 700]] as [number, number][], margin: 6 },
  ];
  const job = pipeline.processVideo({ videoPath: plaza, outputDir: outRoot, zones: lines });
  const crossings: LineCrossingEvent[] = [];
  job.on('line:cross', (e) => crossings.push(e));
  const result = await job.result;
  assert.equal(result.status, 'completed', JSON.stringify(result.error));
  const camera = result.cameras[0]!;
  const report = JSON.parse(readFileSync(camera.zonesPath, 'utf8')) as { lines: Array<{ name: string; in: number; out: number }> };
  const csv = readFileSync(camera.csvPath, 'utf8');
  const figures: string[] = [];
  for (const [name, a, b, margin] of [
    ['middle', [128, 360], [1152, 360], 5],
    ['centre', [640, 80], [640, 700], 6],
  ] as const) {
    const line = report.lines.find((l) => l.name === name)!;
    const events = crossings.filter((c) => c.line === name);
    const independent = lineCrossingsInTracksCsv(csv, { a, b, margin });
    figures.push(`${name}: in ${line.in}, out ${line.out} (CSV: ${independent.in} / ${independent.out})`);
    assert.ok(line.in + line.out > 0, `people cross ${name}`);
    assert.equal(events.filter((e) => e.direction === 'in').length, line.in, `${name}: in = its events`);
    assert.equal(events.filter((e) => e.direction === 'out').length, line.out, `${name}: out = its events`);
    assert.equal(line.in, independent.in, `${name}: in = the crossings in the CSV`);
    assert.equal(line.out, independent.out, `${name}: out = the crossings in the CSV`);
  }
  console.log(`plaza, ${camera.frames} frames: ${figures.join('; ')}`);
  assert.deepEqual(childFfmpegPids(), []);
});
