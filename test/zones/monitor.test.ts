import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../../src/errors.js';
import { ZoneMonitor } from '../../src/zones/monitor.js';
import type { CameraZoneReport, ZoneDefinition, ZoneEvent, ZoneTrackInput } from '../../src/zones/types.js';
import { seededRandom } from '../helpers/random.js';

/** A 20×50 box whose bottom-centre (the point zones test) is at (x, y). */
function at(id: number, x: number, y: number, extra: Partial<ZoneTrackInput> = {}): ZoneTrackInput {
  return { id, x1: x - 10, y1: y - 50, x2: x + 10, y2: y, confirmed: true, ...extra };
}

/** A track the tracker holds as lost; its predicted box drifts far outside every zone, which must not matter. */
function lost(id: number, extra: Partial<ZoneTrackInput> = {}): ZoneTrackInput {
  return at(id, 600, 340, { lost: true, ...extra });
}

const door: ZoneDefinition = { name: 'door', polygon: [[0, 0], [100, 0], [100, 100], [0, 100]] };
const hall: ZoneDefinition = { name: 'hall', polygon: [[50, 0], [200, 0], [200, 100], [50, 100]] };
const options = { frameWidth: 640, frameHeight: 360 };

/** Runs frames (frame i at i/10 s) and returns every event. */
function run(monitor: ZoneMonitor, frames: ZoneTrackInput[][], start = 0): ZoneEvent[] {
  const events: ZoneEvent[] = [];
  frames.forEach((tracks, i) => events.push(...monitor.update(tracks, start + i, (start + i) / 10)));
  return events;
}

const repeat = <T>(count: number, make: (i: number) => T): T[] => Array.from({ length: count }, (_, i) => make(i));
const inside = (id = 1): ZoneTrackInput[] => [at(id, 50, 50)];
const outside = (id = 1): ZoneTrackInput[] => [at(id, 300, 50)];
const near = (a: number, b: number): boolean => Math.abs(a - b) < 1e-9;

/** `entries − exits = currentOccupancy` for every zone, with end closures apart. */
function assertBalanced(report: CameraZoneReport): void {
  for (const zone of report.zones) {
    assert.equal(zone.entries - zone.exits, zone.currentOccupancy, `zone ${zone.name}: ${zone.entries} entries − ${zone.exits} exits ≠ occupancy ${zone.currentOccupancy}`);
    if (report.summary.finished) assert.equal(zone.closedAtEnd, zone.currentOccupancy, `zone ${zone.name}: closed at end`);
  }
}

test('an enter is decided after inertiaFrames seen frames inside and stamped with the first of them', () => {
  const monitor = new ZoneMonitor([door], options);
  const events = run(monitor, [outside(), outside(), inside(), inside(), inside(), inside()]);
  assert.deepEqual(events, [{ type: 'enter', zone: 'door', trackId: 1, frameIndex: 2, timestamp: 0.2, decisionFrame: 4, decisionTimestamp: 0.4 }]);
  assert.equal(monitor.occupancy('door'), 1);
  assert.deepEqual(monitor.zonesOf(1), ['door']);
  assert.deepEqual(monitor.report().zones[0]!.openVisits, [{ trackId: 1, globalId: null, enterFrame: 2, enterTime: 0.2 }]);
});

test('an exit is stamped with the last frame the track was seen inside, not the frame of the decision', () => {
  const monitor = new ZoneMonitor([door], options);
  const events = run(monitor, [...repeat(5, () => inside()), ...repeat(4, () => outside())]);
  const exit = events.find((e) => e.type === 'exit')!;
  assert.deepEqual({ ...exit, dwell: 0 }, { type: 'exit', zone: 'door', trackId: 1, frameIndex: 4, timestamp: 0.4, decisionFrame: 7, decisionTimestamp: 0.7, dwell: 0, reason: 'left' });
  assert.ok(near(exit.dwell!, 0.4), `dwell ${exit.dwell}`);
  const [visit] = monitor.report().zones[0]!.visits;
  assert.deepEqual({ ...visit!, dwell: 0 }, { trackId: 1, globalId: null, enterFrame: 0, exitFrame: 4, enterTime: 0, exitTime: 0.4, dwell: 0, reason: 'left' });
});

test('flicker shorter than inertiaFrames creates no events', () => {
  const monitor = new ZoneMonitor([door], options);
  // Outside with 1- and 2-frame excursions inside: never enters.
  const noisyOutside = [outside(), inside(), outside(), inside(), inside(), outside(), outside()];
  assert.deepEqual(run(monitor, noisyOutside), []);
  assert.equal(monitor.occupancy('door'), 0);
  // Settle inside, then 1- and 2-frame excursions outside: one enter, no exit.
  const events = run(monitor, [inside(), inside(), inside(), outside(), inside(), outside(), outside(), inside(), inside()], 7);
  assert.deepEqual(events.map((e) => `${e.type}@${e.frameIndex}`), ['enter@7']);
  assert.equal(monitor.occupancy('door'), 1);

  const eager = new ZoneMonitor([door], { ...options, inertiaFrames: 1 });
  assert.deepEqual(run(eager, noisyOutside).map((e) => e.type), ['enter', 'exit', 'enter', 'exit']);
});

test('a walk with flicker at the border within the inertia is one visit, from the first frame inside to the last', () => {
  const monitor = new ZoneMonitor([door], options);
  // The zone's right edge is x = 100. The track comes in from the right, stands on the edge
  // with its box jittering 1–2 frames across it, then walks away.
  const xs = [130, 120, 110, 90, 85, 80, 98, 103, 97, 99, 104, 105, 98, 101, 96, 99, 102, 97, 115, 125, 135, 145];
  const events = run(monitor, xs.map((x) => [at(1, x, 50)]));
  assert.deepEqual(events.map((e) => `${e.type}@${e.frameIndex}/${e.decisionFrame}`), ['enter@3/5', 'exit@17/20']);
  const zone = monitor.report().zones[0]!;
  assert.equal(zone.entries, 1);
  assert.equal(zone.exits, 1);
  assert.equal(zone.visits.length, 1);
  assert.ok(near(zone.visits[0]!.dwell, 1.4));
  // Without inertia the same walk flickers into many visits: the scenario does test the inertia.
  const eager = new ZoneMonitor([door], { ...options, inertiaFrames: 1 });
  assert.ok(run(eager, xs.map((x) => [at(1, x, 50)])).filter((e) => e.type === 'enter').length >= 4);
});

test('enter, exit, dwell, occupancy and zonesOf over two tracks and overlapping zones', () => {
  const monitor = new ZoneMonitor([door, hall], { ...options, inertiaFrames: 2 });
  const frames: ZoneTrackInput[][] = [
    [at(1, 20, 50), at(2, 300, 50)], // 0: 1 in door only
    [at(1, 20, 50), at(2, 300, 50)], // 1: 1 enters door (stamped 0)
    [at(1, 75, 50), at(2, 150, 50)], // 2: 1 in door+hall, 2 in hall
    [at(1, 75, 50), at(2, 150, 50)], // 3: 1 enters hall, 2 enters hall (stamped 2)
    [at(1, 150, 50), at(2, 150, 50)], // 4: 1 leaving door
    [at(1, 150, 50), at(2, 400, 50)], // 5: 1 exits door (last inside 3); 2 leaving hall
    [at(1, 150, 50), at(2, 400, 50)], // 6: 2 exits hall (last inside 4)
  ];
  const seen: string[] = [];
  const events: ZoneEvent[] = [];
  frames.forEach((tracks, i) => {
    events.push(...monitor.update(tracks, i, i / 10));
    seen.push(`${monitor.zonesOf(1).join('+')}|${monitor.zonesOf(2).join('+')}|${monitor.occupancy('door')},${monitor.occupancy('hall')}`);
  });
  assert.deepEqual(seen, ['||0,0', 'door||1,0', 'door||1,0', 'door+hall|hall|1,2', 'door+hall|hall|1,2', 'hall|hall|0,2', 'hall||0,1']);
  assert.deepEqual(events.map((e) => `${e.decisionFrame}:${e.frameIndex}:${e.trackId}:${e.type}:${e.zone}`), [
    '1:0:1:enter:door', '3:2:1:enter:hall', '3:2:2:enter:hall', '5:3:1:exit:door', '6:4:2:exit:hall',
  ]);
  const exitDoor = events.find((e) => e.type === 'exit' && e.zone === 'door')!;
  assert.ok(near(exitDoor.dwell!, 0.3), `door dwell ${exitDoor.dwell}`);
  assert.equal(exitDoor.reason, 'left');
  assert.equal(monitor.occupancy('nope'), 0);

  const report = monitor.report();
  const hallReport = report.zones[1]!;
  assert.equal(hallReport.maxOccupancy, 2);
  assert.equal(hallReport.maxOccupancyTime, 0.2);
  assert.equal(hallReport.entries, 2);
  assert.equal(hallReport.exits, 1);
  assert.equal(hallReport.currentOccupancy, 1);
  assert.deepEqual(hallReport.openVisits, [{ trackId: 1, globalId: null, enterFrame: 2, enterTime: 0.2 }]);
  assert.deepEqual(hallReport.polygonPixels, hall.polygon);
  assert.equal(report.summary.busiestZone, 'hall');
  assertBalanced(report);
});

test('unconfirmed tracks never count', () => {
  const monitor = new ZoneMonitor([door], options);
  const events = run(monitor, repeat(10, () => [at(1, 50, 50, { confirmed: false })]));
  assert.deepEqual(events, []);
  assert.equal(monitor.occupancy('door'), 0);
  assert.deepEqual(monitor.zonesOf(1), []);
  assert.equal(monitor.report().zones[0]!.totals.uniqueTracks, 0);
  assert.equal(monitor.stats().tracks, 0);
});

test('an occlusion shorter than the tracker\'s buffer is one visit: a lost track stays in its zone, whatever its predicted box', () => {
  const monitor = new ZoneMonitor([door], options);
  const frames = [
    ...repeat(10, () => inside()), // 0–9 seen inside (enter decided at 2, stamped 0)
    ...repeat(30, () => [lost(1)]), // 10–39 held as lost: 30 frames, ByteTrack's default buffer
    ...repeat(10, () => inside()), // 40–49 found again inside
    ...repeat(5, () => outside()), // 50–54 walks out: exit decided at 52
  ];
  const events: ZoneEvent[] = [];
  frames.forEach((tracks, i) => {
    events.push(...monitor.update(tracks, i, i / 10));
    if (i >= 10 && i < 40) {
      assert.equal(monitor.occupancy('door'), 1, `frame ${i}: still inside while lost`);
      assert.deepEqual(monitor.zonesOf(1), ['door']);
    }
  });
  assert.deepEqual(events.map((e) => `${e.type}@${e.frameIndex}/${e.decisionFrame}`), ['enter@0/2', 'exit@49/52']);
  const zone = monitor.report().zones[0]!;
  assert.equal(zone.entries, 1);
  assert.equal(zone.visits.length, 1);
  assert.ok(near(zone.visits[0]!.dwell, 4.9));

  // The same occlusion without telling the monitor the track is lost (old callers) splits the visit.
  const blind = new ZoneMonitor([door], options);
  run(blind, frames.map((tracks) => tracks.filter((t) => t.lost !== true)));
  assert.equal(blind.report().zones[0]!.entries, 2);
});

test('a lost track removed by the tracker exits at the last frame it was seen inside', () => {
  const second = new ZoneMonitor([door], options);
  run(second, [...repeat(6, () => inside(3)), [at(3, 105, 50)], ...repeat(20, () => [lost(3)])]);
  assert.equal(second.occupancy('door'), 1, 'one frame outside, then lost: still inside');
  const removed = second.removeTrack(3);
  assert.deepEqual(removed.map((e) => ({ ...e, dwell: 0 })), [{ type: 'exit', zone: 'door', trackId: 3, frameIndex: 5, timestamp: 0.5, decisionFrame: 26, decisionTimestamp: 2.6, dwell: 0, reason: 'removed' }]);
  assert.ok(near(removed[0]!.dwell!, 0.5));
  assert.deepEqual(second.removeTrack(3), [], 'removing twice does nothing');
  assert.deepEqual(second.removeTrack(99), [], 'unknown ids do nothing');
  assert.equal(second.occupancy('door'), 0);
  assert.equal(second.stats().tracks, 0, 'state freed');
  assertBalanced(second.report());
});

test('a track missing from update altogether for inertiaFrames calls exits (lost) at its last frame seen inside', () => {
  const monitor = new ZoneMonitor([door], options);
  run(monitor, [inside(), inside(), inside()]);
  // Gap of 2 calls (< 3), then back: no exit.
  assert.deepEqual(run(monitor, [[], [], inside()], 3), []);
  // Gap of 3 calls: exit decided on the third, stamped at frame 5.
  const events = run(monitor, [[], [], [], []], 6);
  assert.deepEqual(events.map((e) => ({ ...e, dwell: 0 })), [{ type: 'exit', zone: 'door', trackId: 1, frameIndex: 5, timestamp: 0.5, decisionFrame: 8, decisionTimestamp: 0.8, dwell: 0, reason: 'lost' }]);
  assert.ok(near(events[0]!.dwell!, 0.5));
  assert.equal(monitor.occupancy('door'), 0);
  assert.equal(monitor.stats().tracks, 0);

  // A track turning unconfirmed is missing too.
  run(monitor, [inside(2), inside(2), inside(2)], 10);
  const unconfirmed = run(monitor, repeat(3, () => [at(2, 50, 50, { confirmed: false })]), 13);
  assert.deepEqual(unconfirmed.map((e) => e.reason), ['lost']);
  assertBalanced(monitor.report());
});

test('a global id assigned during the visit reaches the exit event and the visit', () => {
  const monitor = new ZoneMonitor([door], { ...options, inertiaFrames: 1 });
  const [enter] = monitor.update([at(1, 50, 50)], 0, 0);
  assert.equal(enter!.globalId, undefined);
  monitor.update([at(1, 50, 50, { globalId: 7 })], 1, 0.1);
  monitor.update([lost(1, { globalId: 8 })], 2, 0.2); // an identity switch while lost is kept too
  const [exit] = monitor.update([at(1, 300, 50)], 3, 0.3);
  assert.equal(exit!.globalId, 8);
  const zone = monitor.report().zones[0]!;
  assert.equal(zone.visits[0]!.globalId, 8);
  assert.equal(zone.totals.uniqueGlobalIds, 1);
  assert.equal(zone.totals.uniqueGlobalIdsEstimated, false);
});

test('finish closes open visits with reason end, counted apart from exits: entries − exits = currentOccupancy', () => {
  const monitor = new ZoneMonitor([door, hall], { ...options, inertiaFrames: 1 });
  monitor.update([at(1, 75, 50), at(2, 150, 50), at(3, 20, 50)], 0, 0);
  monitor.update([at(1, 75, 50), at(2, 150, 50), at(3, 300, 50)], 1, 1.5);
  monitor.update([at(1, 75, 50), lost(2)], 2, 1.6);
  const closed = monitor.finish(2);
  assert.deepEqual(closed.map((e) => `${e.trackId}:${e.zone}:${e.reason}:${e.dwell}:${e.frameIndex}`).sort(), ['1:door:end:2:2', '1:hall:end:2:2', '2:hall:end:2:2']);
  const report = monitor.report();
  assert.deepEqual(report.zones.map((z) => [z.entries, z.exits, z.closedAtEnd, z.currentOccupancy, z.openVisits.length]), [[2, 1, 1, 1, 0], [2, 0, 2, 2, 0]]);
  assert.deepEqual([report.summary.totalEntries, report.summary.totalExits, report.summary.totalClosedAtEnd], [4, 1, 3]);
  assert.equal(report.summary.finished, true);
  assert.equal(report.zones[0]!.visits.length, 2, 'end closures are visits too');
  assert.equal(report.zones[1]!.totals.meanDwell, 2);
  assertBalanced(report);
  assert.equal(monitor.occupancy('hall'), 0);
  assert.deepEqual(monitor.zonesOf(1), []);
  assert.deepEqual(monitor.finish(3), [], 'finish is idempotent');
  assertBalanced(monitor.report());
});

test('normalized zones are scaled to the frame', () => {
  const right: ZoneDefinition = { name: 'right', coordinates: 'normalized', polygon: [[0.5, 0], [1, 0], [1, 1], [0.5, 1]] };
  const monitor = new ZoneMonitor([right], { frameWidth: 640, frameHeight: 360, inertiaFrames: 1 });
  assert.equal(monitor.update([at(1, 330, 359)], 0, 0).length, 1);
  assert.equal(monitor.update([at(1, 330, 359), at(2, 310, 100)], 1, 0.1).length, 0);
  // A box touching the bottom-right corner of the frame is on the polygon's boundary: inside.
  assert.equal(monitor.update([at(1, 330, 359), at(3, 640, 360)], 2, 0.2).length, 1);
  assert.deepEqual(monitor.report().zones[0]!.polygonPixels, [[320, 0], [640, 0], [640, 360], [320, 360]]);
});

test('report totals agree with the events of a long random run with occlusions and removals', () => {
  const random = seededRandom(12345);
  const monitor = new ZoneMonitor([door, hall], options);
  const positions = new Map<number, { x: number; y: number; lostFor: number }>();
  const events: ZoneEvent[] = [];
  let nextId = 1;
  for (let frame = 0; frame < 1500; frame++) {
    if (random() < 0.05) positions.set(nextId++, { x: random() * 300, y: random() * 150, lostFor: 0 });
    const tracks: ZoneTrackInput[] = [];
    for (const [id, p] of positions) {
      p.x = Math.min(300, Math.max(0, p.x + (random() - 0.5) * 30));
      p.y = Math.min(150, Math.max(0, p.y + (random() - 0.5) * 30));
      if (p.lostFor > 0 || random() < 0.03) p.lostFor++;
      if (p.lostFor > 20 || random() < 0.005) {
        positions.delete(id);
        events.push(...monitor.removeTrack(id));
        continue;
      }
      if (p.lostFor > 0 && random() < 0.1) p.lostFor = 0; // found again
      tracks.push(at(id, p.x, p.y, { lost: p.lostFor > 0, confirmed: random() < 0.97, globalId: id % 11 }));
    }
    events.push(...monitor.update(tracks, frame, frame / 18));
    for (const zone of ['door', 'hall']) {
      const mine = events.filter((e) => e.zone === zone);
      assert.equal(monitor.occupancy(zone), mine.filter((e) => e.type === 'enter').length - mine.filter((e) => e.type === 'exit').length);
    }
  }
  const report = monitor.report();
  assertBalanced(report);
  events.push(...monitor.finish(1500 / 18));
  const finished = monitor.report();
  assertBalanced(finished);
  for (const zone of finished.zones) {
    const mine = events.filter((e) => e.zone === zone.name);
    const enters = mine.filter((e) => e.type === 'enter');
    const exits = mine.filter((e) => e.type === 'exit' && e.reason !== 'end');
    const ends = mine.filter((e) => e.reason === 'end');
    assert.ok(enters.length > 20, `zone ${zone.name} saw only ${enters.length} entries`);
    assert.ok(exits.some((e) => e.reason === 'removed') && exits.some((e) => e.reason === 'left'));
    assert.equal(zone.entries, enters.length);
    assert.equal(zone.exits, exits.length);
    assert.equal(zone.closedAtEnd, ends.length);
    assert.equal(zone.visits.length, exits.length + ends.length);
    for (const e of mine) assert.ok(e.frameIndex <= e.decisionFrame, `event stamped after its decision: ${JSON.stringify(e)}`);
    let occupancy = 0;
    let max = 0;
    for (const e of mine) {
      occupancy += e.type === 'enter' ? 1 : -1;
      assert.ok(occupancy >= 0);
      max = Math.max(max, occupancy);
    }
    assert.equal(zone.maxOccupancy, max);
    const dwell = mine.filter((e) => e.type === 'exit').reduce((sum, e) => sum + e.dwell!, 0);
    assert.ok(near(zone.totals.totalDwell, dwell));
    assert.ok(near(zone.totals.meanDwell!, dwell / zone.visits.length));
    assert.equal(zone.totals.uniqueTracks, new Set(enters.map((e) => e.trackId)).size);
    assert.equal(zone.totals.uniqueGlobalIds, new Set(mine.filter((e) => e.globalId !== undefined).map((e) => e.globalId)).size);
    for (const visit of zone.visits) {
      assert.ok(near(visit.exitTime - visit.enterTime, visit.dwell));
      assert.ok(visit.enterFrame <= visit.exitFrame);
    }
  }
  assert.equal(finished.summary.framesProcessed, 1500);
  assert.equal(monitor.stats().tracks, 0);
});

test('constructor rejects bad options and zones outside the frame', () => {
  assert.throws(() => new ZoneMonitor([door], { frameWidth: 0, frameHeight: 360 }), (e: unknown) => e instanceof ConfigError && e.message.includes('frameWidth'));
  assert.throws(() => new ZoneMonitor([door], { ...options, inertiaFrames: 0.5 }), (e: unknown) => e instanceof ConfigError && e.message.includes('inertiaFrames'));
  assert.throws(() => new ZoneMonitor([door], { ...options, maxVisitsPerZone: -1 }), (e: unknown) => e instanceof ConfigError && e.message.includes('maxVisitsPerZone'));
  assert.throws(() => new ZoneMonitor([door], { ...options, exactDistinctLimit: 1.5 }), (e: unknown) => e instanceof ConfigError && e.message.includes('exactDistinctLimit'));
  assert.throws(() => new ZoneMonitor([door], { ...options, lineMargin: 0 }), (e: unknown) => e instanceof ConfigError && e.message.includes('lineMargin'));
  const far: ZoneDefinition = { name: 'far', polygon: [[1000, 1000], [1100, 1000], [1100, 1100]] };
  assert.throws(() => new ZoneMonitor([far], options), (e: unknown) => e instanceof ConfigError && e.code === 'INVALID_ZONE' && e.message.includes('"far"') && e.message.includes('640×360'));
  assert.throws(() => new ZoneMonitor([door, door], options), (e: unknown) => e instanceof ConfigError && e.message.includes('twice'));
});
