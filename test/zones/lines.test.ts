import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../../src/errors.js';
import { positionAlongLine, signedDistanceToLine } from '../../src/zones/geometry.js';
import { ZoneMonitor, type ZoneMonitorOptions } from '../../src/zones/monitor.js';
import type { LineCrossEvent, LineDefinition, ZoneTrackInput } from '../../src/zones/types.js';

/** A 20×50 box whose bottom-centre is at (x, y). */
function at(id: number, x: number, y: number, extra: Partial<ZoneTrackInput> = {}): ZoneTrackInput {
  return { id, x1: x - 10, y1: y - 50, x2: x + 10, y2: y, confirmed: true, ...extra };
}

/** Drawn left to right across the middle of a 640×360 frame: its left side is above (y < 180), its right side below. */
const middle: LineDefinition = { name: 'middle', line: [[100, 180], [540, 180]] };
const options: ZoneMonitorOptions = { frameWidth: 640, frameHeight: 360, lines: [middle] };

/** Feeds one track through bottom-centre points (`'lost'`: held as lost); returns its crossings. Frame `start + i` at its tenth of a second. */
function walk(monitor: ZoneMonitor, points: ReadonlyArray<readonly [number, number] | 'lost'>, id = 1, start = 0, extra: Partial<ZoneTrackInput> = {}): LineCrossEvent[] {
  const crossings: LineCrossEvent[] = [];
  points.forEach((point, i) => {
    const frame = start + i;
    const track = point === 'lost' ? at(id, 320, 180, { lost: true, ...extra }) : at(id, point[0], point[1], extra);
    monitor.update([track], frame, frame / 10);
    crossings.push(...monitor.lastCrossings);
  });
  return crossings;
}

const column = (x: number, ys: number[]): Array<[number, number]> => ys.map((y) => [x, y]);
const summary = (crossings: LineCrossEvent[]): string[] => crossings.map((c) => `${c.direction}@${c.frameIndex}`);

test('left and right of a line in image coordinates (y down): right is a clockwise turn from the direction', () => {
  // Drawn left to right: below the line (larger y) is the right side, above is the left.
  assert.equal(signedDistanceToLine(0, 0, 10, 0, 5, 3), 3);
  assert.equal(signedDistanceToLine(0, 0, 10, 0, 5, -2), -2);
  // Drawn top to bottom: the image's left (smaller x) is the right side.
  assert.equal(signedDistanceToLine(0, 0, 0, 10, -4, 5), 4);
  // Drawn right to left: above is the right side.
  assert.equal(signedDistanceToLine(10, 0, 0, 0, 5, -2), 2);
  assert.equal(positionAlongLine(0, 0, 10, 0, 2.5, 7), 0.25);
  assert.equal(positionAlongLine(0, 0, 10, 0, -5, 0), -0.5);

  // So walking down the image across a line drawn left to right is "in"; walking up is "out".
  const down = new ZoneMonitor([], options);
  assert.deepEqual(summary(walk(down, column(320, [150, 165, 175, 185, 195, 210]))), ['in@3']);
  const up = new ZoneMonitor([], options);
  assert.deepEqual(summary(walk(up, column(320, [210, 195, 185, 175, 165, 150]))), ['out@3']);
  // And across a line drawn top to bottom, walking towards the image's left is "in".
  const vertical = new ZoneMonitor([], { ...options, lines: [{ name: 'v', line: [[320, 0], [320, 360]] }] });
  assert.deepEqual(summary(walk(vertical, [[400, 200], [330, 200], [310, 200], [250, 200]])), ['in@2']);
});

test('a crossing counts once the anchor is past the margin on the other side, stamped at that frame', () => {
  const monitor = new ZoneMonitor([], options);
  // Margin 5: 184 is not yet past it, 185 is.
  const crossings = walk(monitor, column(320, [170, 176, 179, 182, 184, 185, 190, 200]), 4, 10, { globalId: 9 });
  assert.deepEqual(crossings, [{ type: 'line:cross', line: 'middle', direction: 'in', trackId: 4, globalId: 9, frameIndex: 15, timestamp: 1.5 }]);
  assert.deepEqual(monitor.lineCounts('middle'), { in: 1, out: 0 });
  assert.deepEqual(monitor.lineCounts(0), { in: 1, out: 0 });
  assert.deepEqual(monitor.lineCounts('nope'), { in: 0, out: 0 });
  // A wider margin of its own: the same walk stops short of it.
  const wide = new ZoneMonitor([], { ...options, lines: [{ ...middle, margin: 25 }] });
  assert.deepEqual(walk(wide, column(320, [170, 176, 179, 182, 184, 185, 190, 200])), []);
});

test('jitter on the line counts nothing; jitter after a crossing counts it once', () => {
  const monitor = new ZoneMonitor([], options);
  const onTheLine = [170, 178, 183, 177, 184, 176, 181, 179, 184, 176, 182];
  assert.deepEqual(walk(monitor, column(320, onTheLine)), []);
  const past = [186, 183, 187, 182, 190, 181, 186, 184, 200];
  assert.deepEqual(summary(walk(monitor, column(320, past), 1, onTheLine.length)), ['in@11']);
  assert.deepEqual(monitor.lineCounts('middle'), { in: 1, out: 0 });
});

test('crossing back counts out; crossing again counts in again', () => {
  const monitor = new ZoneMonitor([], options);
  const crossings = walk(monitor, column(320, [160, 170, 190, 200, 190, 170, 160, 175, 195, 210]));
  assert.deepEqual(summary(crossings), ['in@2', 'out@5', 'in@8']);
  const line = monitor.report().lines[0]!;
  assert.deepEqual([line.in, line.out, line.uniqueTracks], [2, 1, 1]);
  assert.deepEqual(line.crossings.map((c) => `${c.direction}:${c.trackId}:${c.frameIndex}:${c.timestamp}`), ['in:1:2:0.2', 'out:1:5:0.5', 'in:1:8:0.8']);
  assert.equal(line.firstCrossingTime, 0.2);
  assert.equal(line.lastCrossingTime, 0.8);
});

test('a track lost on the line counts once if it comes back on the other side, not if it comes back where it was', () => {
  const across = new ZoneMonitor([], options);
  // Lost with its anchor on the line; its predicted boxes (drawn at y = 180, and the moves
  // of a prediction) count nothing; found again below the line: one "in".
  const crossings = walk(across, [[320, 160], [320, 172], [320, 179], 'lost', 'lost', 'lost', 'lost', [320, 200], [320, 210]]);
  assert.deepEqual(summary(crossings), ['in@7']);

  const back = new ZoneMonitor([], options);
  assert.deepEqual(walk(back, [[320, 160], [320, 172], [320, 181], 'lost', 'lost', [320, 165], [320, 150]]), []);

  // A lost track whose predicted box sails across the line counts nothing while lost.
  const predicted = new ZoneMonitor([], options);
  predicted.update([at(1, 320, 160)], 0, 0);
  predicted.update([at(1, 320, 250, { lost: true })], 1, 0.1);
  assert.deepEqual(predicted.lastCrossings, []);
  predicted.update([at(1, 320, 160)], 2, 0.2);
  assert.deepEqual(predicted.report().lines[0]!.in, 0);
});

test('a path that crosses the infinite line outside the segment counts nothing, also around its end', () => {
  const monitor = new ZoneMonitor([], options);
  // Straight down at x = 60, left of the segment's start (x = 100).
  assert.deepEqual(walk(monitor, column(60, [150, 170, 190, 210]), 1), []);
  // Down at x = 580, past its end (x = 540).
  assert.deepEqual(walk(monitor, column(580, [150, 170, 190, 210]), 2, 10), []);
  // Around the end: above the line inside the extent, out past the end, down, back inside below.
  assert.deepEqual(walk(monitor, [[500, 150], [560, 160], [570, 180], [570, 200], [500, 210]], 3, 20), []);
  // Diagonal through the segment near its end: counts.
  assert.deepEqual(summary(walk(monitor, [[560, 150], [545, 170], [530, 190], [520, 210]], 4, 30)), ['in@32']);
  assert.deepEqual(monitor.lineCounts('middle'), { in: 1, out: 0 });
});

test('anchor and normalized coordinates of a line', () => {
  // The same walk of boxes 50 px tall: with the top-centre anchor the crossing comes 50 px later.
  const top = new ZoneMonitor([], { ...options, lines: [{ name: 'heads', line: [[0.1, 0.5], [0.9, 0.5]], coordinates: 'normalized', anchor: 'top-center' }] });
  const ys = [150, 170, 190, 210, 230, 250];
  assert.deepEqual(summary(walk(top, column(320, ys))), ['in@5']);
  const report = top.report().lines[0]!;
  assert.deepEqual(report.linePixels, [[64, 180], [576, 180]]);
  assert.deepEqual(report.line, [[0.1, 0.5], [0.9, 0.5]]);
  assert.equal(report.anchor, 'top-center');
  assert.equal(report.margin, 5);
  assert.deepEqual(top.pixelLines, [{ name: 'heads', line: [[64, 180], [576, 180]] }]);
  const feet = new ZoneMonitor([], options);
  assert.deepEqual(summary(walk(feet, column(320, ys))), ['in@2']);
});

test('per global identity: in, out and times; tracks without one count in the totals only', () => {
  const monitor = new ZoneMonitor([], { ...options, lines: [middle, { name: 'other', line: [[0, 300], [640, 300]], color: 'red' }] });
  walk(monitor, column(320, [160, 200]), 1, 0, { globalId: 5 });
  walk(monitor, column(300, [160, 200, 160]), 2, 2, { globalId: 5 });
  walk(monitor, column(200, [200, 160]), 3, 5, { globalId: 8 });
  walk(monitor, column(250, [160, 200]), 4, 7);
  const [line, other] = monitor.report().lines;
  assert.deepEqual([line!.in, line!.out, line!.uniqueTracks, line!.uniqueGlobalIds], [3, 2, 4, 2]);
  assert.deepEqual(line!.byGlobalId, [
    { globalId: 5, in: 2, out: 1, firstTime: 0.1, lastTime: 0.4 },
    { globalId: 8, in: 0, out: 1, firstTime: 0.6, lastTime: 0.6 },
  ]);
  assert.equal(line!.crossings.filter((c) => c.globalId === null).length, 1);
  assert.deepEqual([other!.in, other!.out, other!.color, other!.firstCrossingTime], [0, 0, 'red', null]);
  const { summary: totals } = monitor.report();
  assert.deepEqual([totals.lineCount, totals.totalIn, totals.totalOut], [2, 3, 2]);
});

test('zones and lines side by side; the crossings of each update are replaced by the next', () => {
  const monitor = new ZoneMonitor([{ name: 'below', polygon: [[0, 180], [640, 180], [640, 360], [0, 360]] }], { ...options, inertiaFrames: 1 });
  const events = monitor.update([at(1, 320, 200)], 0, 0);
  assert.equal(events.length, 1);
  assert.deepEqual(monitor.lastCrossings, []);
  monitor.update([at(1, 320, 160)], 1, 0.1);
  assert.deepEqual(summary([...monitor.lastCrossings]), ['out@1']);
  monitor.update([at(1, 320, 160)], 2, 0.2);
  assert.deepEqual(monitor.lastCrossings, []);
  assert.deepEqual(monitor.lineNames, ['middle']);
});

test('bad lines are typed errors naming them, before any frame', () => {
  const rejects = (lines: LineDefinition[], fragments: string[], zones: ConstructorParameters<typeof ZoneMonitor>[0] = []): void => {
    assert.throws(() => new ZoneMonitor(zones, { ...options, lines }), (error: unknown) => {
      assert.ok(error instanceof ConfigError, String(error));
      assert.equal(error.code, 'INVALID_ZONE');
      for (const fragment of fragments) assert.ok(error.message.includes(fragment), `${JSON.stringify(error.message)} lacks ${JSON.stringify(fragment)}`);
      return true;
    });
  };
  rejects([{ name: 'far', line: [[100, 100], [700, 100]] }], ['line "far"', '[700, 100]', 'outside the 640×360 frame', 'normalized']);
  rejects([{ name: 'neg', line: [[-1, 100], [300, 100]] }], ['"neg"', '[-1, 100]']);
  rejects([{ name: 'dot', line: [[100, 100], [100, 100]] }], ['"dot"', 'same']);
  rejects([{ name: 'thin', line: [[100, 100], [200, 100]], margin: 0 }], ['"thin"', 'margin']);
  rejects([middle, { ...middle }], ['line "middle"', 'twice']);
  rejects([middle], ['line "middle"', 'twice', 'zone'], [{ name: 'middle', polygon: [[0, 0], [10, 0], [10, 10]] }]);
  // The edges of the frame are inside it.
  assert.equal(new ZoneMonitor([], { ...options, lines: [{ name: 'edge', line: [[0, 360], [640, 0]] }] }).lineNames.length, 1);
});
