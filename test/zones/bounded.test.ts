/**
 * Memory of a zone monitor on an unbounded job: 100 000 synthetic tracks walk through two
 * zones (and, in one run, across two lines), a few at a time, each with its own global id.
 * What the monitor holds must stay bounded by its options while every count stays right.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ZoneMonitor, type ZoneMonitorStats } from '../../src/zones/monitor.js';
import type { LineDefinition, ZoneDefinition, ZoneTrackInput } from '../../src/zones/types.js';

const TRACKS = 100_000;
/** Frames each track lives; a new track starts every 1.5 frames, so 8 live at once. */
const LIFE = 12;
const zones: ZoneDefinition[] = [
  { name: 'left', polygon: [[0, 0], [320, 0], [320, 360], [0, 360]] },
  { name: 'right', polygon: [[320, 0], [640, 0], [640, 360], [320, 360]] },
];
const lines: LineDefinition[] = [
  { name: 'centre', line: [[320, 0], [320, 360]] },
  { name: 'early', line: [[200, 0], [200, 360]] },
];
const limits = { maxVisitsPerZone: 1000, maxCrossingsPerLine: 1000, maxIdentitiesPerLine: 500, exactDistinctLimit: 256 };

/** Runs the job; tracks that end are removed with `removeTrack`, or (`vanish`) simply stop coming. */
function runJob(withLines: boolean, vanish: boolean): { monitor: ZoneMonitor; samples: ZoneMonitorStats[] } {
  const monitor = new ZoneMonitor(zones, { frameWidth: 640, frameHeight: 360, ...limits, ...(withLines ? { lines } : {}) });
  const samples: ZoneMonitorStats[] = [];
  const lastFrame = Math.ceil(((TRACKS - 1) * 3) / 2) + LIFE + 3; // room for the last tracks to end
  for (let frame = 0; frame <= lastFrame; frame++) {
    const tracks: ZoneTrackInput[] = [];
    // Track k lives from frame floor(1.5 k) for LIFE frames, walking right by 40 px a frame from x = 100.
    for (let k = Math.max(0, Math.floor(((frame - LIFE) * 2) / 3)); k < TRACKS && Math.floor((k * 3) / 2) <= frame; k++) {
      const age = frame - Math.floor((k * 3) / 2);
      if (age >= LIFE) continue;
      const x = 100 + age * 40;
      tracks.push({ id: k + 1, globalId: k + 1, x1: x - 15, y1: 100, x2: x + 15, y2: 200, confirmed: true, lost: age === 7 });
    }
    monitor.update(tracks, frame, frame / 30);
    if (!vanish) {
      // The tracker removes the tracks that ended at this frame (those that started LIFE frames ago).
      const first = Math.floor(((frame - LIFE) * 2) / 3);
      for (let k = Math.max(0, first - 1); k <= first + 1 && k < TRACKS; k++) {
        if (frame - Math.floor((k * 3) / 2) === LIFE) monitor.removeTrack(k + 1);
      }
    }
    if (frame % 15_000 === 0) samples.push(monitor.stats());
  }
  samples.push(monitor.stats());
  monitor.finish();
  return { monitor, samples };
}

function assertBounded(samples: ZoneMonitorStats[], withLines: boolean): void {
  assert.ok(samples.length >= 10);
  const counters = zones.length + 1 + (withLines ? lines.length : 0);
  for (const s of samples) {
    assert.ok(s.tracks <= 16, `tracks held: ${s.tracks}`);
    assert.ok(s.visits <= zones.length * limits.maxVisitsPerZone, `visits kept: ${s.visits}`);
    assert.ok(s.crossings <= lines.length * limits.maxCrossingsPerLine, `crossings kept: ${s.crossings}`);
    assert.ok(s.lineIdentities <= lines.length * limits.maxIdentitiesPerLine, `identities kept: ${s.lineIdentities}`);
    assert.ok(s.distinctValues <= counters * limits.exactDistinctLimit, `distinct values held: ${s.distinctValues}`);
    assert.ok(s.scratchCapacity <= 64, `scratch for ${s.scratchCapacity} tracks`);
  }
  const last = samples[samples.length - 1]!;
  assert.equal(last.visits, zones.length * limits.maxVisitsPerZone, 'the visit buffers are full, not growing');
  if (withLines) assert.equal(last.crossings, lines.length * limits.maxCrossingsPerLine);
}

for (const withLines of [false, true]) {
  for (const vanish of [false, true]) {
    test(`100 000 tracks ${withLines ? 'with' : 'without'} lines, ${vanish ? 'vanishing' : 'removed by the tracker'}: bounded state, right counts`, () => {
      const { monitor, samples } = runJob(withLines, vanish);
      assertBounded(samples, withLines);
      assert.equal(monitor.stats().tracks, 0, 'finish frees every track');
      const report = monitor.report();
      for (const zone of report.zones) {
        assert.equal(zone.entries, TRACKS, `${zone.name} entries`);
        assert.equal(zone.entries - zone.exits, zone.currentOccupancy);
        assert.equal(zone.totals.uniqueTracks, TRACKS, 'distinct tracks are exact');
        assert.equal(zone.visits.length + zone.visitsDropped, TRACKS);
        assert.equal(zone.totals.uniqueGlobalIdsEstimated, true);
        const error = Math.abs(zone.totals.uniqueGlobalIds - TRACKS) / TRACKS;
        assert.ok(error < 0.05, `${zone.name}: ${zone.totals.uniqueGlobalIds} distinct global ids estimated for ${TRACKS}`);
      }
      // Tracks leave "left" by walking out; "right" is closed by the tracker's removal or the vanishing.
      assert.deepEqual(new Set(report.zones[0]!.visits.map((v) => v.reason)), new Set(['left']));
      assert.deepEqual(new Set(report.zones[1]!.visits.map((v) => v.reason)), new Set([vanish ? 'lost' : 'removed']));
      assert.equal(report.summary.uniqueTracks, TRACKS);
      if (withLines) {
        for (const line of report.lines) {
          // Walking to the image's right across a line drawn downwards is "out".
          assert.deepEqual([line.in, line.out, line.uniqueTracks], [0, TRACKS, TRACKS], line.name);
          assert.equal(line.crossings.length + line.crossingsDropped, TRACKS);
          assert.equal(line.byGlobalId.length + line.identitiesDropped, TRACKS);
          assert.ok(Math.abs(line.uniqueGlobalIds - TRACKS) / TRACKS < 0.05);
        }
      } else {
        assert.deepEqual(report.lines, []);
      }
    });
  }
}
