import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createCanvas, ImageData } from '@napi-rs/canvas';
import { FrameAnnotator, boxLabel, type Overlay } from '../../src/output/annotator.js';
import { colorForGlobalId, ID_PALETTE } from '../../src/output/colors.js';
import { ConfigError, OutputError } from '../../src/errors.js';
import type { ImageView } from '../../src/streams/frame.js';
import { artifactsDir, media } from '../helpers/shared.js';
import { ffmpegPath } from '../helpers/ffmpeg.js';

const WIDTH = 640;
const HEIGHT = 360;

/** One real frame of the multicam clip, decoded by ffmpeg. */
function decodeFrame(pixelFormat: 'rgb24' | 'bgr24', atSeconds = 5): ImageView {
  const out = spawnSync(ffmpegPath, ['-v', 'error', '-nostdin', '-ss', String(atSeconds), '-i', media('multicam/cam1_with_tracking_overlay.mp4'), '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', pixelFormat, 'pipe:1'], { maxBuffer: 1 << 24 });
  assert.equal(out.status, 0, String(out.stderr));
  assert.equal(out.stdout.length, WIDTH * HEIGHT * 3);
  return { data: new Uint8Array(out.stdout), width: WIDTH, height: HEIGHT, pixelFormat };
}

/** RGB of pixel (x, y) of an image in any of the three layouts. */
function rgbAt(data: Uint8Array, x: number, y: number, layout: 'rgba' | 'rgb24' | 'bgr24'): [number, number, number] {
  const bpp = layout === 'rgba' ? 4 : 3;
  const i = (y * WIDTH + x) * bpp;
  return layout === 'bgr24' ? [data[i + 2]!, data[i + 1]!, data[i]!] : [data[i]!, data[i + 1]!, data[i + 2]!];
}

function hexToRgb(hex: string): [number, number, number] {
  const v = Number.parseInt(hex.slice(1), 16);
  return [(v >> 16) & 255, (v >> 8) & 255, v & 255];
}

const box = { x1: 100, y1: 80, x2: 160, y2: 250, trackId: 12, globalId: 3, name: 'Alice' };
const overlay: Overlay = {
  boxes: [box, { x1: 300, y1: 5, x2: 360, y2: 200, trackId: 4, globalId: 1 }, { x1: 590, y1: 150, x2: 650, y2: 340, trackId: 7 }],
  zones: [{ name: 'entrance', polygon: [[20, 260], [250, 240], [300, 350], [10, 355]], count: 2 }],
  header: 'cam 0 · frame 123 · 17.9 fps',
};

test('labels read "G<global> · T<track>" plus the reference name and extra label', () => {
  assert.equal(boxLabel({ trackId: 12, globalId: 3 }), 'G3 · T12');
  assert.equal(boxLabel({ trackId: 12, globalId: 3, name: 'Alice' }), 'G3 · T12 · Alice');
  assert.equal(boxLabel({ trackId: 7 }), 'T7');
  assert.equal(boxLabel({ trackId: 7, globalId: 0, label: '0.91' }), 'G0 · T7 · 0.91');
});

test('global ids keep one colour; the first palette-length ids all differ', () => {
  assert.equal(colorForGlobalId(5), colorForGlobalId(5 + ID_PALETTE.length));
  const fills = new Set(Array.from({ length: ID_PALETTE.length }, (_, id) => colorForGlobalId(id).fill));
  assert.equal(fills.size, ID_PALETTE.length);
});

test('draws box borders in the global id colour, in place, and leaves undrawn pixels untouched', () => {
  const clean = decodeFrame('rgb24');
  const frame = decodeFrame('rgb24');
  const annotator = new FrameAnnotator(WIDTH, HEIGHT);
  const out = annotator.annotate(frame, overlay);
  assert.equal(out, frame.data, 'drawn into the frame itself: no copy');

  // Left border of the G3 box (border lies inside the box): exactly the palette colour.
  const border = rgbAt(out, box.x1, 160, 'rgb24');
  assert.deepEqual(border, hexToRgb(colorForGlobalId(3).fill));
  assert.notDeepEqual(border, rgbAt(clean.data, box.x1, 160, 'rgb24'));
  // Inside the box, away from border and label, and far from any drawing: unchanged.
  for (const [x, y] of [[130, 160], [200, 150], [500, 330], [639, 359]] as const) {
    assert.deepEqual(rgbAt(out, x, y, 'rgb24'), rgbAt(clean.data, x, y, 'rgb24'), `pixel ${x},${y}`);
  }
});

test('bgr24 frames get the same picture as rgb24 frames, in their own channel order', () => {
  const annotator = new FrameAnnotator(WIDTH, HEIGHT);
  const fromRgb = annotator.annotate(decodeFrame('rgb24'), overlay);
  const fromBgr = annotator.annotate(decodeFrame('bgr24'), overlay);
  for (let p = 0; p < WIDTH * HEIGHT; p += 7) {
    const [x, y] = [p % WIDTH, Math.floor(p / WIDTH)];
    assert.deepEqual(rgbAt(fromBgr, x, y, 'bgr24'), rgbAt(fromRgb, x, y, 'rgb24'), `pixel ${x},${y}`);
  }
});

test('with nothing to draw, the frame is left exactly as it was', () => {
  for (const [width, height] of [[7, 5], [64, 36], [33, 3]] as const) {
    const annotator = new FrameAnnotator(width, height);
    for (const pixelFormat of ['rgb24', 'bgr24'] as const) {
      const data = new Uint8Array(width * height * 3);
      for (let i = 0; i < data.length; i++) data[i] = (i * 2654435761) >>> 24;
      const copy = Buffer.from(data);
      annotator.annotate({ data, width, height, pixelFormat }, { boxes: [], zones: [] });
      assert.ok(Buffer.from(data).equals(copy), `${width}x${height} ${pixelFormat}`);
    }
  }
});

test('zones are tinted, not painted over; labels carry text on a filled background', () => {
  const clean = decodeFrame('rgb24');
  const out = new FrameAnnotator(WIDTH, HEIGHT).annotate(decodeFrame('rgb24'), overlay);
  // A point inside the zone, clear of its caption and of every box.
  const [x, y] = [60, 330];
  const before = rgbAt(clean.data, x, y, 'rgb24');
  const after = rgbAt(out, x, y, 'rgb24');
  assert.notDeepEqual(after, before);
  const zone = hexToRgb('#00e5ff');
  for (let c = 0; c < 3; c++) {
    // 25 % zone colour over the frame (±1.5 for integer rounding).
    assert.ok(Math.abs(after[c]! - (0.75 * before[c]! + 0.25 * zone[c]!)) <= 1.5, `channel ${c}: ${after[c]} from ${before[c]} and ${zone[c]}`);
  }

  // The G3 label sits above the box: its background colour plus text pixels of another colour.
  const fill = hexToRgb(colorForGlobalId(3).fill);
  let background = 0;
  let text = 0;
  for (let ly = box.y1 - 14; ly < box.y1 - 2; ly++) {
    for (let lx = box.x1 + 2; lx < box.x1 + 60; lx++) {
      const p = rgbAt(out, lx, ly, 'rgb24');
      if (p[0] === fill[0] && p[1] === fill[1] && p[2] === fill[2]) background++;
      else text++;
    }
  }
  assert.ok(background > 100, `label background pixels: ${background}`);
  assert.ok(text > 30, `label text pixels: ${text}`);
});

test('counting lines, their in/out counts and movement trails are drawn', () => {
  const clean = decodeFrame('rgb24');
  const out = new FrameAnnotator(WIDTH, HEIGHT).annotate(decodeFrame('rgb24'), {
    boxes: [],
    zones: [],
    lines: [{ name: 'door', line: [[400, 100], [600, 100]], in: 3, out: 1, color: '#ff0000' }],
    trails: [{ points: [420, 300, 460, 310, 500, 330], globalId: 2 }],
  });
  assert.deepEqual(rgbAt(out, 450, 100, 'rgb24'), [255, 0, 0], 'the line is drawn in its colour');
  assert.deepEqual(rgbAt(out, 500, 108, 'rgb24'), [255, 0, 0], 'the arrow points to the in side (below a left-to-right line)');
  assert.deepEqual(rgbAt(out, 440, 305, 'rgb24'), hexToRgb(colorForGlobalId(2).fill), 'the trail is in the identity colour');
  let changed = 0;
  for (let lx = 430; lx < 570; lx++) for (let ly = 70; ly < 98; ly++) if (rgbAt(out, lx, ly, 'rgb24').join() !== rgbAt(clean.data, lx, ly, 'rgb24').join()) changed++;
  assert.ok(changed > 500, `the "door in 3 · out 1" caption is drawn above the line (${changed} pixels)`);
});

test('rejects a frame of another size and bad options', () => {
  const annotator = new FrameAnnotator(320, 180);
  assert.throws(() => annotator.annotate(decodeFrame('rgb24'), overlay), (e: unknown) => e instanceof OutputError && /640x360/.test(e.message));
  assert.throws(() => new FrameAnnotator(0, 10), (e: unknown) => e instanceof ConfigError && e.culprit === 'width');
  assert.throws(() => new FrameAnnotator(10, 10, { zoneOpacity: 2 }), (e: unknown) => e instanceof ConfigError && e.culprit === 'zoneOpacity');
  assert.throws(() => new FrameAnnotator(10, 10, { fontSize: -1 }), (e: unknown) => e instanceof ConfigError && e.culprit === 'fontSize');
});

test('saves an annotated frame as PNG for a visual check', () => {
  const out = new FrameAnnotator(WIDTH, HEIGHT).annotate(decodeFrame('rgb24'), {
    ...overlay,
    lines: [{ name: 'door', line: [[400, 100], [600, 100]], in: 3, out: 1 }],
    trails: [{ points: [420, 300, 460, 310, 500, 330], globalId: 2 }],
  });
  const rgba = new Uint8ClampedArray(WIDTH * HEIGHT * 4);
  for (let i = 0, j = 0; i < out.length; i += 3, j += 4) rgba.set([out[i]!, out[i + 1]!, out[i + 2]!, 255], j);
  const canvas = createCanvas(WIDTH, HEIGHT);
  canvas.getContext('2d').putImageData(new ImageData(rgba, WIDTH, HEIGHT), 0, 0);
  const dir = artifactsDir('output');
  mkdirSync(dir, { recursive: true });
  const png = canvas.encodeSync('png');
  writeFileSync(path.join(dir, 'annotated-frame.png'), png);
  assert.ok(png.length > 10_000);
});
