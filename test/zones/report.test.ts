import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { OutputError } from '../../src/errors.js';
import { writeZoneReport, ZONE_REPORT_SCHEMA_VERSION } from '../../src/output/zone-report.js';
import { ZoneMonitor } from '../../src/zones/monitor.js';
import { linesForCamera, parseZones, zonesForCamera } from '../../src/zones/parse.js';
import { artifactsDir } from '../helpers/shared.js';

const dir = artifactsDir('zone-report');

test('the written JSON holds the monitor report, rounded, with context and masked credentials', async () => {
  await rm(dir, { recursive: true, force: true });
  const zones = parseZones({ 1: [
    { name: 'aisle', coordinates: 'normalized', polygon: [[0, 0], [0.5, 0], [0.5, 1], [0, 1]], color: 'orange' },
    { name: 'gate', coordinates: 'normalized', line: [[0.75, 0], [0.75, 1]] },
  ] });
  const monitor = new ZoneMonitor(zonesForCamera(zones, 1), { frameWidth: 640, frameHeight: 360, inertiaFrames: 2, lines: linesForCamera(zones, 1) });
  const fps = 18;
  for (let frame = 0; frame < 40; frame++) {
    // Track 5 walks right across the frame; track 6 stays in the aisle from frame 10.
    const tracks = [{ id: 5, globalId: 2, x1: frame * 16, y1: 100, x2: frame * 16 + 30, y2: 200, confirmed: true }];
    if (frame >= 10) tracks.push({ id: 6, globalId: 3, x1: 100, y1: 100, x2: 140, y2: 300, confirmed: true });
    monitor.update(tracks, frame, frame / fps);
  }
  monitor.finish(39 / fps);
  const report = monitor.report();
  const file = path.join(dir, 'camera_1', 'zones_20240115_143022.json');
  await writeZoneReport(file, { ...report, camera: 1, source: 'rtsp://admin:s3cret@10.0.0.5:554/stream1', frames: 40, status: 'completed' });

  const written = JSON.parse(await readFile(file, 'utf8'));
  assert.equal(written.schemaVersion, ZONE_REPORT_SCHEMA_VERSION);
  assert.equal(written.camera, 1);
  assert.equal(written.frames, 40);
  assert.equal(written.status, 'completed');
  assert.equal(written.source, 'rtsp://***:***@10.0.0.5:554/stream1');
  const aisle = written.zones[0];
  assert.equal(aisle.name, 'aisle');
  assert.equal(aisle.color, 'orange');
  assert.deepEqual(aisle.polygon, [[0, 0], [0.5, 0], [0.5, 1], [0, 1]]);
  assert.deepEqual(aisle.polygonPixels, [[0, 0], [320, 0], [320, 360], [0, 360]]);
  assert.equal(written.schemaVersion, 2);
  assert.equal(aisle.entries, 2);
  assert.equal(aisle.exits, 1, 'the end-of-job closure is not an exit');
  assert.equal(aisle.closedAtEnd, 1);
  assert.equal(aisle.currentOccupancy, 1, 'track 6 was inside when the job ended');
  assert.equal(aisle.entries - aisle.exits, aisle.currentOccupancy);
  assert.equal(aisle.maxOccupancy, 2);
  assert.deepEqual(aisle.visits.map((v: { trackId: number; reason: string }) => `${v.trackId}:${v.reason}`), ['5:left', '6:end']);
  for (const visit of aisle.visits) {
    // Numbers are rounded to 3 decimals; dwell stays consistent with the rounded times.
    assert.equal(visit.dwell, Math.round(visit.dwell * 1000) / 1000);
    assert.ok(Math.abs(visit.exitTime - visit.enterTime - visit.dwell) <= 0.0015);
  }
  assert.equal(aisle.totals.uniqueGlobalIds, 2);
  assert.equal(aisle.totals.uniqueGlobalIdsEstimated, false);
  assert.equal(written.summary.totalEntries, 2);
  assert.equal(written.summary.totalExits, 1);
  assert.equal(written.summary.totalClosedAtEnd, 1);
  // Track 5 walks across the gate at x = 480 from its right side (the image's left, seen along it drawn downwards): out.
  const [gate] = written.lines;
  assert.equal(gate.name, 'gate');
  assert.deepEqual(gate.linePixels, [[480, 0], [480, 360]]);
  assert.deepEqual([gate.in, gate.out, gate.uniqueTracks, gate.uniqueGlobalIds], [0, 1, 1, 1]);
  assert.deepEqual(gate.byGlobalId.map((c: { globalId: number; out: number }) => [c.globalId, c.out]), [[2, 1]]);
  assert.equal(gate.crossings[0].timestamp, Math.round(gate.crossings[0].timestamp * 1000) / 1000);
  assert.deepEqual([written.summary.lineCount, written.summary.totalIn, written.summary.totalOut], [1, 0, 1]);
  assert.equal(written.summary.finished, true);
  assert.deepEqual((await readdir(path.dirname(file))).filter((f) => f.endsWith('.tmp')), []);
});


test('an unwritable path is an OutputError naming it', async () => {
  await mkdir(dir, { recursive: true });
  const blocker = path.join(dir, 'blocker.json');
  const monitor = new ZoneMonitor([], { frameWidth: 640, frameHeight: 360 });
  await writeZoneReport(blocker, { ...monitor.report(), camera: 0, source: 'a.mp4', frames: 0 });
  const inside = path.join(blocker, 'zones.json');
  await assert.rejects(writeZoneReport(inside, { ...monitor.report(), camera: 0, source: 'a.mp4', frames: 0 }), (e: unknown) => e instanceof OutputError && e.message.includes(inside));
});
