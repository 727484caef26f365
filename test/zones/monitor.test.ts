import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../../src/errors.js';
import { ZoneMonitor } from '../../src/zones/monitor.js';
import type { ZoneDefinition, ZoneEvent, ZoneTrackInput } from '../../src/zones/types.js';

/** A 20×50 box whose bottom-centre (the point zones test) is at (x, y). */
function at(id: number, x: number, y: number, extra: Partial<ZoneTrackInput> = {}): ZoneTrackInput {
  return { id, x1: x - 10, y1: y - 50, x2: x + 10, y2: y, confirmed: true, ...extra };
}

const door: ZoneDefinition = { name: 'door', polygon: [[0, 0], [100, 0], [100, 100], [0, 100]] };
const hall: ZoneDefinition = { name: 'hall', polygon: [[50, 0], [200, 0], [200, 100], [50, 100]] };
const options = { frameWidth: 640, frameHeight: 360 };

/** Runs frames (frame i at i/10 s) and returns every event with the frame it came from. */
function run(monitor: ZoneMonitor, frames: ZoneTrackInput[][], start = 0): ZoneEvent[] {
  const events: ZoneEvent[] = [];
  frames.forEach((tracks, i) => events.push(...monitor.update(tracks, start + i, (start + i) / 10)));
  return events;
}

const inside = (id = 1): ZoneTrackInput[] => [at(id, 50, 50)];
const outside = (id = 1): ZoneTrackInput[] => [at(id, 300, 50)];

test('enter needs inertiaFrames consecutive frames inside and is stamped with the deciding frame', () => {
  const monitor = new ZoneMonitor([door], options);
  const events = run(monitor, [outside(), outside(), inside(), inside(), inside(), inside()]);
  assert.deepEqual(events, [{ type: 'enter', zone: 'door', trackId: 1, frameIndex: 4, timestamp: 0.4 }]);
  assert.equal(monitor.occupancy('door'), 1);
  assert.deepEqual(monitor.zonesOf(1), ['door']);
});

test('flicker shorter than inertiaFrames creates no events', () => {
  const monitor = new ZoneMonitor([door], options);
  // Outside with 1- and 2-frame excursions inside: never enters.
  const noisyOutside = [outside(), inside(), outside(), inside(), inside(), outside(), outside()];
  assert.deepEqual(run(monitor, noisyOutside), []);
  assert.equal(monitor.occupancy('door'), 0);
  // Settle inside, then 1- and 2-frame excursions outside: one enter, no exit.
  const events = run(monitor, [inside(), inside(), inside(), outside(), inside(), outside(), outside(), inside(), inside()], 7);
  assert.deepEqual(events.map((e) => e.type), ['enter']);
  assert.equal(monitor.occupancy('door'), 1);

  const eager = new ZoneMonitor([door], { ...options, inertiaFrames: 1 });
  assert.deepEqual(run(eager, noisyOutside).map((e) => e.type), ['enter', 'exit', 'enter', 'exit']);
});

test('enter, exit, dwell, occupancy and zonesOf over two tracks and overlapping zones', () => {
  const monitor = new ZoneMonitor([door, hall], { ...options, inertiaFrames: 2 });
  const frames: ZoneTrackInput[][] = [
    [at(1, 20, 50), at(2, 300, 50)], // 0: 1 in door only
    [at(1, 20, 50), at(2, 300, 50)], // 1: 1 enters door
    [at(1, 75, 50), at(2, 150, 50)], // 2: 1 in door+hall, 2 in hall
    [at(1, 75, 50), at(2, 150, 50)], // 3: 1 enters hall, 2 enters hall
    [at(1, 150, 50), at(2, 150, 50)], // 4: 1 leaving door
    [at(1, 150, 50), at(2, 400, 50)], // 5: 1 exits door; 2 leaving hall
    [at(1, 150, 50), at(2, 400, 50)], // 6: 2 exits hall
  ];
  const seen: string[] = [];
  const events: ZoneEvent[] = [];
  frames.forEach((tracks, i) => {
    events.push(...monitor.update(tracks, i, i / 10));
    seen.push(`${monitor.zonesOf(1).join('+')}|${monitor.zonesOf(2).join('+')}|${monitor.occupancy('door')},${monitor.occupancy('hall')}`);
  });
  assert.deepEqual(seen, ['||0,0', 'door||1,0', 'door||1,0', 'door+hall|hall|1,2', 'door+hall|hall|1,2', 'hall|hall|0,2', 'hall||0,1']);
  assert.deepEqual(events.map((e) => `${e.frameIndex}:${e.trackId}:${e.type}:${e.zone}`), [
    '1:1:enter:door', '3:1:enter:hall', '3:2:enter:hall', '5:1:exit:door', '6:2:exit:hall',
  ]);
  const exitDoor = events.find((e) => e.type === 'exit' && e.zone === 'door')!;
  assert.ok(Math.abs(exitDoor.dwell! - 0.4) < 1e-9, `door dwell ${exitDoor.dwell}`);
  assert.equal(exitDoor.reason, 'left');
  assert.equal(monitor.occupancy('nope'), 0);

  const report = monitor.report();
  const hallReport = report.zones[1]!;
  assert.equal(hallReport.maxOccupancy, 2);
  assert.equal(hallReport.maxOccupancyTime, 0.3);
  assert.equal(hallReport.entries, 2);
  assert.equal(hallReport.exits, 1);
  assert.equal(hallReport.currentOccupancy, 1);
  assert.deepEqual(hallReport.openVisits, [{ trackId: 1, globalId: null, enterFrame: 3, enterTime: 0.3 }]);
  assert.deepEqual(hallReport.polygonPixels, hall.polygon);
  assert.equal(report.summary.busiestZone, 'hall');
});

test('unconfirmed tracks never count', () => {
  const monitor = new ZoneMonitor([door], options);
  const events = run(monitor, Array.from({ length: 10 }, () => [at(1, 50, 50, { confirmed: false })]));
  assert.deepEqual(events, []);
  assert.equal(monitor.occupancy('door'), 0);
  assert.deepEqual(monitor.zonesOf(1), []);
  assert.equal(monitor.report().zones[0]!.totals.uniqueTracks, 0);
});

test('a track absent for inertiaFrames frames exits (lost); a shorter gap does not; removeTrack exits at once', () => {
  const monitor = new ZoneMonitor([door], options);
  run(monitor, [inside(), inside(), inside()]);
  assert.equal(monitor.occupancy('door'), 1);
  // Gap of 2 frames (< 3), then back: no exit.
  assert.deepEqual(run(monitor, [[], [], inside()], 3), []);
  // Gap of 3 frames: exit on the third missing frame.
  const events = run(monitor, [[], [], [], []], 6);
  assert.equal(events.length, 1);
  assert.deepEqual({ ...events[0], dwell: undefined }, { type: 'exit', zone: 'door', trackId: 1, frameIndex: 8, timestamp: 0.8, dwell: undefined, reason: 'lost' });
  assert.ok(Math.abs(events[0]!.dwell! - 0.6) < 1e-9);
  assert.equal(monitor.occupancy('door'), 0);

  // A track turning unconfirmed is absent too.
  run(monitor, [inside(2), inside(2), inside(2)], 10);
  assert.equal(monitor.occupancy('door'), 1);
  const unconfirmed = run(monitor, [[at(2, 50, 50, { confirmed: false })], [at(2, 50, 50, { confirmed: false })], [at(2, 50, 50, { confirmed: false })]], 13);
  assert.deepEqual(unconfirmed.map((e) => e.reason), ['lost']);

  run(monitor, [inside(3), inside(3), inside(3)], 20);
  const removed = monitor.removeTrack(3, 2.35);
  assert.equal(removed.length, 1);
  assert.equal(removed[0]!.reason, 'removed');
  assert.equal(removed[0]!.frameIndex, 22);
  assert.ok(Math.abs(removed[0]!.dwell! - 0.15) < 1e-9);
  assert.deepEqual(monitor.removeTrack(3, 2.4), [], 'removing twice does nothing');
  assert.equal(monitor.occupancy('door'), 0);
});

test('a global id assigned during the visit reaches the exit event and the visit', () => {
  const monitor = new ZoneMonitor([door], { ...options, inertiaFrames: 1 });
  const [enter] = monitor.update([at(1, 50, 50)], 0, 0);
  assert.equal(enter!.globalId, undefined);
  monitor.update([at(1, 50, 50, { globalId: 7 })], 1, 0.1);
  const [exit] = monitor.update([at(1, 300, 50, { globalId: 7 })], 2, 0.2);
  assert.equal(exit!.globalId, 7);
  const zone = monitor.report().zones[0]!;
  assert.equal(zone.visits[0]!.globalId, 7);
  assert.equal(zone.totals.uniqueGlobalIds, 1);
});

test('finish closes open visits with reason end; report keeps the occupancy at the end', () => {
  const monitor = new ZoneMonitor([door, hall], { ...options, inertiaFrames: 1 });
  monitor.update([at(1, 75, 50), at(2, 150, 50)], 0, 0);
  monitor.update([at(1, 75, 50), at(2, 150, 50)], 1, 1.5);
  const closed = monitor.finish(2);
  assert.deepEqual(closed.map((e) => `${e.trackId}:${e.zone}:${e.reason}:${e.dwell}:${e.frameIndex}`).sort(), ['1:door:end:2:1', '1:hall:end:2:1', '2:hall:end:2:1']);
  const report = monitor.report();
  assert.deepEqual(report.zones.map((z) => [z.currentOccupancy, z.exits, z.openVisits.length]), [[1, 1, 0], [2, 2, 0]]);
  assert.equal(report.summary.finished, true);
  assert.equal(monitor.occupancy('hall'), 0);
  assert.deepEqual(monitor.zonesOf(1), []);
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

test('report totals agree with the events of a long random run', () => {
  let seed = 12345;
  const random = (): number => {
    // mulberry32: a small deterministic generator, so failures reproduce.
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), seed | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const monitor = new ZoneMonitor([door, hall], options);
  const positions = new Map<number, [number, number]>();
  const events: ZoneEvent[] = [];
  for (let frame = 0; frame < 600; frame++) {
    if (random() < 0.05) positions.set(frame + 1000, [random() * 300, random() * 150]);
    const tracks: ZoneTrackInput[] = [];
    for (const [id, pos] of positions) {
      pos[0] = Math.min(300, Math.max(0, pos[0] + (random() - 0.5) * 30));
      pos[1] = Math.min(150, Math.max(0, pos[1] + (random() - 0.5) * 30));
      if (random() < 0.01) positions.delete(id);
      else if (random() < 0.9) tracks.push(at(id, pos[0], pos[1], { confirmed: random() < 0.95, globalId: id % 7 }));
    }
    events.push(...monitor.update(tracks, frame, frame / 18));
  }
  events.push(...monitor.finish(600 / 18));
  const report = monitor.report();
  let totalEvents = 0;
  for (const zone of report.zones) {
    const mine = events.filter((e) => e.zone === zone.name);
    totalEvents += mine.length;
    const enters = mine.filter((e) => e.type === 'enter');
    const exits = mine.filter((e) => e.type === 'exit');
    assert.ok(enters.length > 5, `zone ${zone.name} saw only ${enters.length} entries`);
    assert.equal(zone.entries, enters.length);
    assert.equal(zone.exits, exits.length);
    assert.equal(zone.entries, zone.exits, 'finish closed every visit');
    assert.equal(zone.visits.length, exits.length);
    let occupancy = 0;
    let max = 0;
    for (const e of mine) {
      occupancy += e.type === 'enter' ? 1 : -1;
      assert.ok(occupancy >= 0);
      max = Math.max(max, occupancy);
    }
    assert.equal(zone.maxOccupancy, max);
    const dwell = exits.reduce((sum, e) => sum + e.dwell!, 0);
    assert.ok(Math.abs(zone.totals.totalDwell - dwell) < 1e-9);
    assert.ok(Math.abs(zone.totals.meanDwell! - dwell / exits.length) < 1e-9);
    assert.equal(zone.totals.maxDwell, Math.max(...exits.map((e) => e.dwell!)));
    assert.equal(zone.totals.uniqueTracks, new Set(enters.map((e) => e.trackId)).size);
    for (const visit of zone.visits) assert.ok(Math.abs(visit.exitTime - visit.enterTime - visit.dwell) < 1e-9);
  }
  assert.equal(report.summary.totalEntries + report.summary.totalExits, totalEvents);
  assert.equal(report.summary.framesProcessed, 600);
});

test('constructor rejects bad options and zones outside the frame', () => {
  assert.throws(() => new ZoneMonitor([door], { frameWidth: 0, frameHeight: 360 }), (e: unknown) => e instanceof ConfigError && e.message.includes('frameWidth'));
  assert.throws(() => new ZoneMonitor([door], { ...options, inertiaFrames: 0.5 }), (e: unknown) => e instanceof ConfigError && e.message.includes('inertiaFrames'));
  const far: ZoneDefinition = { name: 'far', polygon: [[1000, 1000], [1100, 1000], [1100, 1100]] };
  assert.throws(() => new ZoneMonitor([far], options), (e: unknown) => e instanceof ConfigError && e.code === 'INVALID_ZONE' && e.message.includes('"far"') && e.message.includes('640×360'));
  assert.throws(() => new ZoneMonitor([door, door], options), (e: unknown) => e instanceof ConfigError && e.message.includes('twice'));
});
