/**
 * Zones and lines behind the real ByteTracker on a synthetic job: people walk across a
 * 640×360 frame, behind a pillar (their detections vanish for 10–16 frames, less than the
 * tracker's 30-frame buffer) in the middle of a zone, past a counting line.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ByteTracker } from '../../src/tracking/byte-tracker.js';
import type { Track } from '../../src/tracking/types.js';
import { ZoneMonitor } from '../../src/zones/monitor.js';
import type { LineCrossEvent, ZoneEvent, ZoneTrackInput } from '../../src/zones/types.js';
import type { TrackerDetection } from '../../src/tracking/types.js';

const FPS = 30;
const FRAMES = 330;
/** Detections whose centre is behind the pillar are missed. */
const PILLAR = [220, 262] as const;
const aisle = { name: 'aisle', polygon: [[150, 0], [350, 0], [350, 360], [150, 360]] as Array<[number, number]> };
/** Vertical line drawn top to bottom at x = 400: its right side (seen along it) is the image's left. */
const gate = { name: 'gate', line: [[400, 20], [400, 340]] as [[number, number], [number, number]] };

interface Walker {
  start: number;
  x0: number;
  speed: number;
  bottom: number;
}
const walkers: Walker[] = [
  { start: 0, x0: 30, speed: 3, bottom: 200 },
  { start: 60, x0: 610, speed: -2.5, bottom: 320 },
  { start: 150, x0: 30, speed: 4, bottom: 200 },
];

function detectionsAt(frame: number): TrackerDetection[] {
  const detections: TrackerDetection[] = [];
  for (const w of walkers) {
    if (frame < w.start) continue;
    const cx = w.x0 + (frame - w.start) * w.speed;
    if (cx < 20 || cx > 620) continue;
    if (cx >= PILLAR[0] && cx <= PILLAR[1]) continue;
    detections.push({ x1: cx - 20, y1: w.bottom - 100, x2: cx + 20, y2: w.bottom, score: 0.9, classId: 0 });
  }
  return detections;
}

function input(track: Track, lost: boolean): ZoneTrackInput {
  return { id: track.id, x1: track.x1, y1: track.y1, x2: track.x2, y2: track.y2, confirmed: track.confirmed, lost };
}

/** Runs the job; `passLost: false` is a caller that only passes the tracker's active tracks. */
function runJob(passLost: boolean): { monitor: ZoneMonitor; events: ZoneEvent[]; crossings: LineCrossEvent[]; lastSeenInside: Map<number, number>; trackIds: Set<number> } {
  const tracker = new ByteTracker({ frameRate: FPS });
  const monitor = new ZoneMonitor([aisle], { frameWidth: 640, frameHeight: 360, lines: [gate] });
  const held = new Map<number, Track>(); // lost tracks the tracker still holds
  const events: ZoneEvent[] = [];
  const crossings: LineCrossEvent[] = [];
  const lastSeenInside = new Map<number, number>();
  const trackIds = new Set<number>();
  for (let frame = 0; frame < FRAMES; frame++) {
    const update = tracker.update(detectionsAt(frame));
    for (const track of update.lost) held.set(track.id, track);
    for (const track of update.active) {
      held.delete(track.id);
      trackIds.add(track.id);
      const x = (track.x1 + track.x2) / 2;
      if (x >= 150 && x <= 350) lastSeenInside.set(track.id, frame);
    }
    const tracks = [...update.active.map((t) => input(t, false)), ...(passLost ? [...held.values()].map((t) => input(t, true)) : [])];
    events.push(...monitor.update(tracks, frame, frame / FPS));
    crossings.push(...monitor.lastCrossings);
    for (const track of update.removed) {
      held.delete(track.id);
      events.push(...monitor.removeTrack(track.id));
    }
  }
  events.push(...monitor.finish());
  return { monitor, events, crossings, lastSeenInside, trackIds };
}

test('behind the real tracker, an occlusion inside a zone is one visit per person, exits at the last frame seen inside', () => {
  const { monitor, events, crossings, lastSeenInside, trackIds } = runJob(true);
  // The scenario: the tracker keeps one identity per walker through the pillar.
  assert.equal(trackIds.size, walkers.length, `tracker made ${trackIds.size} tracks for ${walkers.length} walkers`);

  const report = monitor.report();
  const zone = report.zones[0]!;
  assert.equal(zone.entries, walkers.length, 'one entry per walker');
  assert.equal(zone.entries - zone.exits, zone.currentOccupancy);
  assert.equal(zone.closedAtEnd, zone.currentOccupancy);
  for (const visit of zone.visits.filter((v) => v.reason === 'left')) {
    assert.equal(visit.exitFrame, lastSeenInside.get(visit.trackId), `track ${visit.trackId} exit stamp`);
  }
  assert.ok(events.every((e) => e.frameIndex <= e.decisionFrame));

  // Walkers 1 and 3 walk to the image's right, from the gate's right side to its left: out; walker 2 the other way: in.
  assert.deepEqual(crossings.map((c) => c.direction), ['out', 'in', 'out']);
  assert.deepEqual([report.lines[0]!.in, report.lines[0]!.out], [1, 2]);

  // A caller that does not pass the lost tracks sees each walker leave behind the pillar and come back.
  const blind = runJob(false).monitor.report().zones[0]!;
  assert.ok(blind.entries > walkers.length, `without lost tracks: ${blind.entries} entries`);
});
