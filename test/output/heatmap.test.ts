import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { createCanvas, Image } from '@napi-rs/canvas';
import { ConfigError, OutputError } from '../../src/errors.js';
import { heatmapColor, OccupancyHeatmap } from '../../src/output/heatmap.js';
import type { ImageView } from '../../src/streams/frame.js';
import { artifactsDir } from '../helpers/shared.js';

/** A box whose bottom-centre is at (x, y). */
const feetAt = (x: number, y: number, extra: object = {}) => ({ x1: x - 10, y1: y - 40, x2: x + 10, y2: y, ...extra });

test('accumulation: one weight per anchor in its cell, edges in the last cell, others skipped', () => {
  const heatmap = new OccupancyHeatmap({ frameWidth: 100, frameHeight: 50, cellSize: 10 });
  assert.deepEqual([heatmap.columns, heatmap.rows], [10, 5]);
  for (let frame = 0; frame < 4; frame++) {
    heatmap.add([feetAt(15, 25), feetAt(15, 28), feetAt(100, 50), feetAt(60, 60), feetAt(70, 5, { lost: true }), feetAt(80, 5, { confirmed: false })], frame / 10);
  }
  heatmap.addPoint(95, 1, 0.4, 2.5);
  assert.equal(heatmap.value(1, 2), 8, 'two tracks in one cell for four frames');
  assert.equal(heatmap.value(9, 4), 4, 'the bottom-right corner of the frame belongs to the last cell');
  assert.equal(heatmap.value(9, 0), 2.5, 'weights add as given');
  assert.equal(heatmap.valueAt(19.9, 20), 8);
  assert.equal(heatmap.total(), 14.5, 'outside the frame, lost and unconfirmed tracks add nothing');
  assert.equal(heatmap.max(), 8);
  assert.equal(heatmap.value(-1, 0), 0);
  const values = heatmap.values();
  assert.equal(values.length, 50);
  assert.equal(values[2 * 10 + 1], 8);

  const heads = new OccupancyHeatmap({ frameWidth: 100, frameHeight: 50, cellSize: 10, anchor: 'top-center' });
  heads.add([feetAt(15, 45)], 0);
  assert.equal(heads.value(1, 0), 1, 'top-centre anchor: the box top at y = 5');
});

test('decay: a contribution halves every halfLife seconds, however the time is split', () => {
  const heatmap = new OccupancyHeatmap({ frameWidth: 64, frameHeight: 64, cellSize: 32, halfLife: 2 });
  heatmap.addPoint(10, 10, 0);
  heatmap.addPoint(40, 40, 2);
  assert.equal(heatmap.value(0, 0), 0.5);
  assert.equal(heatmap.value(1, 1), 1);
  heatmap.advance(4);
  assert.equal(heatmap.value(0, 0), 0.25);
  assert.equal(heatmap.value(1, 1), 0.5);
  heatmap.advance(3); // time going back changes nothing
  assert.equal(heatmap.value(1, 1), 0.5);
  for (let t = 4.1; t < 6.05; t += 0.1) heatmap.advance(t);
  assert.ok(Math.abs(heatmap.value(1, 1) - 0.25) < 1e-12, `${heatmap.value(1, 1)}`);
  assert.ok(Math.abs(heatmap.total() - 0.375) < 1e-12);

  // Thousands of half-lives later the old values are gone, the running factor did not
  // overflow, and new values count in full.
  const fast = new OccupancyHeatmap({ frameWidth: 64, frameHeight: 64, cellSize: 32, halfLife: 0.01 });
  fast.addPoint(10, 10, 0);
  for (let t = 1; t <= 60; t++) {
    fast.addPoint(40, 40, t);
    assert.ok(Number.isFinite(fast.value(1, 1)));
  }
  assert.equal(fast.value(0, 0), 0);
  assert.ok(Math.abs(fast.value(1, 1) - 1) < 1e-12, `${fast.value(1, 1)}`);

  const kept = new OccupancyHeatmap({ frameWidth: 64, frameHeight: 64 });
  kept.addPoint(10, 10, 0);
  kept.addPoint(10, 10, 1e6);
  assert.equal(kept.value(0, 0), 2, 'no decay by default');
});

/** A 64×32 rgb24 frame: a vertical gradient, so every pixel of the frame is recognisable. */
function gradientFrame(width = 64, height = 32): ImageView {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 3;
      data[o] = 4 * x;
      data[o + 1] = 8 * y;
      data[o + 2] = 100;
    }
  }
  return { data, width, height, pixelFormat: 'rgb24' };
}

async function decodePng(bytes: Buffer): Promise<{ width: number; height: number; rgba: Uint8ClampedArray }> {
  const image = new Image();
  image.src = bytes;
  await image.decode();
  const canvas = createCanvas(image.width, image.height);
  const context = canvas.getContext('2d');
  context.drawImage(image, 0, 0);
  return { width: image.width, height: image.height, rgba: context.getImageData(0, 0, image.width, image.height).data };
}

test('the PNG is the frame with the overlay: hot cells coloured, cold cells the frame as it was', async () => {
  const dir = artifactsDir('heatmap');
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const heatmap = new OccupancyHeatmap({ frameWidth: 64, frameHeight: 32, cellSize: 16, opacity: 1 });
  for (let frame = 0; frame < 9; frame++) heatmap.addPoint(40, 10, frame / 10); // cell (2, 0): the hottest
  heatmap.addPoint(8, 24, 1); // cell (0, 1): one visit in nine
  const frame = gradientFrame();
  const file = path.join(dir, 'heatmap_20240115_143022.png');
  await heatmap.writePng(file, frame);
  assert.deepEqual((await readdir(dir)).filter((f) => f.endsWith('.tmp')), []);
  const { width, height, rgba } = await decodePng(await readFile(file));
  assert.deepEqual([width, height], [64, 32]);
  const pixel = (x: number, y: number): number[] => Array.from(rgba.subarray((y * width + x) * 4, (y * width + x) * 4 + 4));
  const framePixel = (x: number, y: number): number[] => [...frame.data.subarray((y * width + x) * 3, (y * width + x) * 3 + 3), 255];

  // The hottest cell at full opacity is exactly the colour map's top: red.
  for (const [x, y] of [[32, 0], [40, 10], [47, 15]]) assert.deepEqual(pixel(x!, y!), [...heatmapColor(1), 255], `hot pixel ${x},${y}`);
  assert.deepEqual(heatmapColor(1), [255, 30, 0]);
  // The cell visited once: a third of the way (√(1/9)) from the frame to the map's colour for 1/9.
  const [r, g, b] = heatmapColor(1 / 9);
  const expected = framePixel(8, 24).slice(0, 3).map((v, i) => Math.floor((v * (256 - 85) + [r, g, b][i]! * 85) / 256));
  assert.deepEqual(pixel(8, 24).slice(0, 3), expected);
  // Cells where nobody was show the frame unchanged.
  for (const [x, y] of [[0, 0], [20, 5], [63, 31], [31, 16], [50, 20]]) assert.deepEqual(pixel(x!, y!), framePixel(x!, y!), `cold pixel ${x},${y}`);

  // bgr24 frames come out the same.
  const bgr = { ...frame, data: Uint8Array.from(frame.data), pixelFormat: 'bgr24' as const };
  for (let i = 0; i < bgr.data.length; i += 3) [bgr.data[i], bgr.data[i + 2]] = [bgr.data[i + 2]!, bgr.data[i]!];
  const fromBgr = await decodePng(await heatmap.renderPng(bgr));
  assert.deepEqual(Array.from(fromBgr.rgba), Array.from(rgba));
});

test('blending into a video frame in place, RGBA or RGB; empty maps and wrong sizes', async () => {
  const heatmap = new OccupancyHeatmap({ frameWidth: 32, frameHeight: 16, cellSize: 16, opacity: 0.5 });
  const rgba = new Uint8ClampedArray(32 * 16 * 4).fill(200);
  heatmap.blendInto(rgba, 'rgba');
  assert.ok(rgba.every((v) => v === 200), 'an empty heatmap draws nothing');
  heatmap.addPoint(20, 8, 0);
  heatmap.blendInto(rgba, 'rgba');
  const [r, g, b] = heatmapColor(1);
  const at = (x: number, y: number) => Array.from(rgba.subarray((y * 32 + x) * 4, (y * 32 + x) * 4 + 4));
  assert.deepEqual(at(20, 8), [(200 * 128 + r * 128) >> 8, (200 * 128 + g * 128) >> 8, (200 * 128 + b * 128) >> 8, 200], 'half way; alpha kept');
  assert.deepEqual(at(5, 8), [200, 200, 200, 200]);
  const rgb = new Uint8Array(32 * 16 * 3).fill(200);
  heatmap.blendInto(rgb, 'bgr24');
  assert.deepEqual(Array.from(rgb.subarray((8 * 32 + 20) * 3, (8 * 32 + 20) * 3 + 3)), [(200 * 128 + b * 128) >> 8, (200 * 128 + g * 128) >> 8, (200 * 128 + r * 128) >> 8]);

  assert.throws(() => heatmap.blendInto(new Uint8Array(10), 'rgb24'), (e: unknown) => e instanceof OutputError && e.message.includes('32x16x3'));
  await assert.rejects(heatmap.renderPng({ data: new Uint8Array(64 * 32 * 3), width: 64, height: 32, pixelFormat: 'rgb24' }), (e: unknown) => e instanceof OutputError && e.message.includes('64x32'));
  const blocked = path.join(artifactsDir('heatmap'), 'missing-dir', 'heatmap.png');
  await assert.rejects(heatmap.writePng(blocked, { data: new Uint8Array(32 * 16 * 3), width: 32, height: 16, pixelFormat: 'rgb24' }), (e: unknown) => e instanceof OutputError && e.message.includes(blocked));
});

test('bad options are ConfigErrors naming the option', () => {
  const bad: Array<[object, string]> = [
    [{ frameWidth: 0, frameHeight: 10 }, 'frameWidth'],
    [{ frameWidth: 10, frameHeight: 10.5 }, 'frameHeight'],
    [{ frameWidth: 10, frameHeight: 10, cellSize: 0 }, 'cellSize'],
    [{ frameWidth: 10, frameHeight: 10, halfLife: 0 }, 'halfLife'],
    [{ frameWidth: 10, frameHeight: 10, opacity: 1.5 }, 'opacity'],
    [{ frameWidth: 10, frameHeight: 10, anchor: 'feet' }, 'anchor'],
  ];
  for (const [options, name] of bad) {
    assert.throws(() => new OccupancyHeatmap(options as never), (e: unknown) => e instanceof ConfigError && e.code === 'INVALID_OPTION' && e.message.includes(name), name);
  }
});
