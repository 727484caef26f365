import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, rm, stat } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { OutputError } from '../../src/errors.js';
import {
  formatTrackCsvRow, parseTracksCsv, TRACKS_CSV_COLUMNS, TracksCsvWriter, type TrackCsvRow,
} from '../../src/output/tracks-csv.js';
import { artifactsDir } from '../helpers/shared.js';

const dir = artifactsDir('tracks-csv');

function row(i: number, extra: Partial<TrackCsvRow> = {}): TrackCsvRow {
  return {
    frameIndex: i, timestamp: i / 18, camera: i % 2, trackId: 1 + (i % 7), globalId: i % 3 === 0 ? null : 100 + (i % 5),
    x1: 10.04 + i, y1: 20.26, x2: 110.5, y2: 359.96, score: 0.87654, similarity: i % 3 === 0 ? null : 0.81234,
    personName: null, zones: i % 4 === 0 ? [] : ['aisle'], ...extra,
  };
}

test('round trip with quoting of names and zones', async () => {
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, 'nested', 'tracks.csv');
  await rm(path.dirname(file), { recursive: true, force: true });
  const rows: TrackCsvRow[] = [
    row(0),
    row(1, { personName: 'O"Brien, Jr.', zones: ['door', 'aisle, left'] }),
    row(2, { personName: ' leading space', zones: ['a', 'b', 'c'] }),
    row(3, { personName: 'two\nlines', globalId: 42, similarity: 0.9 }),
    row(4, { personName: 'Nguyễn Văn A', zones: ['quầy'] }),
  ];
  const writer = await TracksCsvWriter.open(file);
  for (const r of rows) await writer.write(r);
  assert.equal(writer.rows, rows.length);
  await writer.close();
  await writer.close(); // idempotent

  const text = await readFile(file, 'utf8');
  assert.equal(text.split('\n')[0], TRACKS_CSV_COLUMNS.join(','));
  assert.equal(text.split('\n')[0], 'frame_index,timestamp,camera,track_id,global_id,x1,y1,x2,y2,score,similarity,person_name,zones');
  assert.ok(text.includes('"O""Brien, Jr."'), 'quotes doubled and cell quoted');
  assert.ok(text.includes('"door;aisle, left"'));
  assert.equal(text.split('\n')[1], '0,0.000,0,1,,10.0,20.3,110.5,360.0,0.877,,,', 'formatting: 3/1/3 decimals, empty optional cells');

  const parsed = parseTracksCsv(text);
  assert.equal(parsed.length, rows.length);
  parsed.forEach((back, i) => {
    const original = rows[i]!;
    assert.equal(back.personName, original.personName ?? null);
    assert.deepEqual(back.zones, original.zones);
    assert.equal(back.globalId, original.globalId ?? null);
    assert.equal(back.similarity, original.similarity === null || original.similarity === undefined ? null : Number(original.similarity.toFixed(3)));
    assert.equal(back.timestamp, Number(original.timestamp.toFixed(3)));
    assert.equal(back.x1, Number(original.x1.toFixed(1)));
    assert.equal(back.frameIndex, original.frameIndex);
  });
  assert.throws(() => parseTracksCsv('a,b\n1,2\n'), OutputError);
  assert.throws(() => writer.write(row(9)), (e: unknown) => e instanceof OutputError && e.message.includes('closed'));
});

test('a header-only file when nothing is written; formatTrackCsvRow ends each line', async () => {
  const file = path.join(dir, 'empty.csv');
  await mkdir(dir, { recursive: true });
  const writer = await TracksCsvWriter.open(file);
  await writer.close();
  assert.deepEqual(parseTracksCsv(await readFile(file, 'utf8')), []);
  assert.ok(formatTrackCsvRow(row(5)).endsWith('\n'));
});

test('backpressure: a large write waits for the file instead of buffering the job', async () => {
  const file = path.join(dir, 'large.csv');
  await mkdir(dir, { recursive: true });
  const highWaterMark = 4096;
  const writer = await TracksCsvWriter.open(file, { highWaterMark });
  const total = 60_000;
  let waits = 0;
  let maxPending = 0;
  let longestLine = 0;
  for (let i = 0; i < total; i++) {
    const r = row(i, { personName: i % 11 === 0 ? 'Person, "quoted"' : null });
    longestLine = Math.max(longestLine, Buffer.byteLength(formatTrackCsvRow(r)));
    const pending = writer.write(r);
    maxPending = Math.max(maxPending, writer.pendingBytes);
    if (pending !== undefined) {
      waits++;
      await pending;
      assert.ok(writer.pendingBytes < highWaterMark, 'drained below the mark after waiting');
    }
  }
  await writer.close();
  assert.ok(waits > 100, `write asked to wait only ${waits} times`);
  assert.ok(maxPending <= highWaterMark + longestLine, `buffered ${maxPending} bytes with a ${highWaterMark}-byte mark`);
  const text = await readFile(file, 'utf8');
  assert.equal((await stat(file)).size, Buffer.byteLength(text));
  const parsed = parseTracksCsv(text);
  assert.equal(parsed.length, total);
  assert.equal(parsed[total - 1]!.frameIndex, total - 1);
  assert.equal(parsed[11]!.personName, 'Person, "quoted"');
});

test('write failures reject with OutputError (ENOSPC on /dev/full) and close reports them', async () => {
  assert.ok(existsSync('/dev/full'), '/dev/full is needed to provoke a write error');
  const writer = await TracksCsvWriter.open('/dev/full', { highWaterMark: 1024 });
  let failure: unknown;
  try {
    for (let i = 0; i < 10_000; i++) await writer.write(row(i));
  } catch (error) {
    failure = error;
  }
  assert.ok(failure instanceof OutputError && failure.code === 'OUTPUT_FAILED' && failure.message.includes('/dev/full'), String(failure));
  await assert.rejects(writer.close(), OutputError);
});

test('open names the path it cannot create', async () => {
  const blocker = path.join(dir, 'blocker');
  await mkdir(dir, { recursive: true });
  await (await TracksCsvWriter.open(blocker)).close();
  const inside = path.join(blocker, 'tracks.csv'); // a file used as a folder
  await assert.rejects(TracksCsvWriter.open(inside), (e: unknown) => e instanceof OutputError && e.message.includes(inside));
});
