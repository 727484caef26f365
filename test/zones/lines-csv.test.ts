/**
 * The monitor's crossings against the independent count of test/helpers/line-crossings.ts,
 * over a tracks CSV of random walks that linger on the lines and pass their ends.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatTrackCsvRow, parseTracksCsv, TRACKS_CSV_COLUMNS, type TrackCsvRow } from '../../src/output/tracks-csv.js';
import { ZoneMonitor } from '../../src/zones/monitor.js';
import type { LineCrossEvent, LineDefinition } from '../../src/zones/types.js';
import { lineCrossingsInTracksCsv } from '../helpers/line-crossings.js';
import { seededRandom } from '../helpers/random.js';

const lines: LineDefinition[] = [
  { name: 'across', line: [[120, 180], [520, 180]] },
  { name: 'diagonal', line: [[500, 40], [200, 330]], margin: 8 },
  { name: 'heads', line: [[0.5, 0.1], [0.5, 0.9]], coordinates: 'normalized', anchor: 'top-center', margin: 3 },
];

function randomCsv(seed: number, frames: number): string {
  const random = seededRandom(seed);
  const walkers = new Map<number, { x: number; y: number; vx: number; vy: number }>();
  let nextId = 1;
  let text = `${TRACKS_CSV_COLUMNS.join(',')}\n`;
  for (let frame = 0; frame < frames; frame++) {
    if (walkers.size < 6 && random() < 0.1) {
      walkers.set(nextId++, { x: 20 + random() * 600, y: 60 + random() * 280, vx: (random() - 0.5) * 8, vy: (random() - 0.5) * 8 });
    }
    for (const [id, w] of walkers) {
      // Drift with jitter of a few pixels, so tracks dither on the lines.
      w.x = Math.min(630, Math.max(10, w.x + w.vx + (random() - 0.5) * 6));
      w.y = Math.min(355, Math.max(60, w.y + w.vy + (random() - 0.5) * 6));
      if (random() < 0.03) w.vx = -w.vx;
      if (random() < 0.03) w.vy = -w.vy;
      if (random() < 0.004) {
        walkers.delete(id);
        continue;
      }
      if (random() < 0.1) continue; // a frame without this track's row (missed, lost)
      const row: TrackCsvRow = { frameIndex: frame, timestamp: frame / 25, camera: 0, trackId: id, globalId: id, x1: w.x - 12, y1: w.y - 50, x2: w.x + 12, y2: w.y, score: 0.9 };
      text += formatTrackCsvRow(row);
    }
  }
  return text;
}

test('the monitor counts the crossings an independent computation finds in a tracks CSV', () => {
  const csv = randomCsv(2024, 4000);
  const rows = parseTracksCsv(csv);
  const monitor = new ZoneMonitor([], { frameWidth: 640, frameHeight: 360, lines, inertiaFrames: 1000 });
  const crossings: LineCrossEvent[] = [];
  // Feed the rows frame by frame; a track without a row in a frame is passed as lost.
  const present = new Set<number>();
  let k = 0;
  const lastFrame = rows[rows.length - 1]!.frameIndex;
  for (let frame = 0; frame <= lastFrame; frame++) {
    const tracks = [];
    const seenNow = new Set<number>();
    while (k < rows.length && rows[k]!.frameIndex === frame) {
      const r = rows[k++]!;
      tracks.push({ id: r.trackId, globalId: r.globalId, x1: r.x1, y1: r.y1, x2: r.x2, y2: r.y2, confirmed: true });
      seenNow.add(r.trackId);
      present.add(r.trackId);
    }
    for (const id of present) if (!seenNow.has(id)) tracks.push({ id, x1: 0, y1: 0, x2: 1, y2: 1, confirmed: true, lost: true });
    monitor.update(tracks, frame, frame / 25);
    crossings.push(...monitor.lastCrossings);
  }
  const report = monitor.report();
  lines.forEach((line, l) => {
    const pixels = monitor.pixelLines[l]!.line;
    const expected = lineCrossingsInTracksCsv(csv, { a: pixels[0], b: pixels[1], margin: line.margin ?? 5, anchor: line.anchor });
    assert.ok(expected.in > 5 && expected.out > 5, `${line.name}: the walks cross it (${expected.in} in, ${expected.out} out)`);
    const mine = crossings.filter((c) => c.line === line.name).map((c) => ({ trackId: c.trackId, direction: c.direction, frameIndex: c.frameIndex }));
    mine.sort((p, q) => p.frameIndex - q.frameIndex || p.trackId - q.trackId);
    assert.deepEqual(mine, expected.crossings, line.name);
    assert.deepEqual([report.lines[l]!.in, report.lines[l]!.out], [expected.in, expected.out]);
  });
});
