import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { clipBoxToPixels, CropResizer, Letterboxer, type PixelRect } from '../../src/models/image-ops.js';
import type { PreprocessSpec } from '../../src/models/manifest.js';
import type { ImageView } from '../../src/streams/frame.js';

const YOLOX: PreprocessSpec = { channelOrder: 'bgr', scale: 1, mean: [0, 0, 0], std: [1, 1, 1], letterbox: 'top-left', padValue: 114 };
const YOLOV8: PreprocessSpec = { channelOrder: 'rgb', scale: 1 / 255, mean: [0, 0, 0], std: [1, 1, 1], letterbox: 'center', padValue: 114 };
const OSNET: PreprocessSpec = { channelOrder: 'rgb', scale: 1 / 255, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], letterbox: 'none', padValue: 0 };

function solid(width: number, height: number, rgb: [number, number, number], pixelFormat: 'rgb24' | 'bgr24' = 'rgb24'): ImageView {
  const data = new Uint8Array(width * height * 3);
  const px = pixelFormat === 'rgb24' ? rgb : ([rgb[2], rgb[1], rgb[0]] as const);
  for (let i = 0; i < data.length; i += 3) data.set(px, i);
  return { data, width, height, pixelFormat };
}

/** Value of plane c at (x, y) of a CHW tensor of the given width and height. */
const at = (t: Float32Array, w: number, h: number, c: number, x: number, y: number) => t[c * w * h + y * w + x]!;

describe('Letterboxer', () => {
  it('places a 2:1 frame at the top-left in BGR 0–255 and pads the rest with 114 (YOLOX)', () => {
    const lb = new Letterboxer(8, 8, YOLOX);
    const out = new Float32Array(lb.tensorLength).fill(-1);
    for (const pixelFormat of ['rgb24', 'bgr24'] as const) {
      const layout = lb.run(solid(16, 8, [200, 100, 50], pixelFormat), out);
      assert.deepEqual(layout, { srcWidth: 16, srcHeight: 8, tensorWidth: 8, tensorHeight: 8, contentWidth: 8, contentHeight: 4, padX: 0, padY: 0, scaleX: 0.5, scaleY: 0.5 });
      assert.deepEqual([0, 1, 2].map((c) => at(out, 8, 8, c, 7, 3)), [50, 100, 200], 'content is B, G, R');
      assert.deepEqual([0, 1, 2].map((c) => at(out, 8, 8, c, 0, 4)), [114, 114, 114], 'rows below the content are padding');
      assert.ok(!out.includes(-1), 'every value was written');
    }
  });

  it('centres the frame and scales to 0–1 in RGB (Ultralytics)', () => {
    const lb = new Letterboxer(8, 8, YOLOV8);
    const out = new Float32Array(lb.tensorLength);
    const layout = lb.run(solid(4, 8, [255, 0, 51]), out);
    assert.equal(layout.padX, 2);
    assert.equal(layout.contentWidth, 4);
    assert.deepEqual([0, 1, 2].map((c) => at(out, 8, 8, c, 2, 0)), [1, 0, Math.fround(0.2)]);
    assert.ok(Math.abs(at(out, 8, 8, 0, 1, 5) - 114 / 255) < 1e-6, 'left band padded');
    assert.ok(Math.abs(at(out, 8, 8, 0, 6, 5) - 114 / 255) < 1e-6, 'right band padded');
  });

  it('interpolates bilinearly at pixel centres (like OpenCV INTER_LINEAR)', () => {
    // A 4×1 ramp 0, 40, 80, 120 upscaled to 8×2: samples at source x = (i + 0.5) / 2 - 0.5.
    const data = new Uint8Array([0, 0, 0, 40, 40, 40, 80, 80, 80, 120, 120, 120]);
    const lb = new Letterboxer(8, 8, YOLOX);
    const out = new Float32Array(lb.tensorLength);
    lb.run({ data, width: 4, height: 1, pixelFormat: 'rgb24' }, out);
    const row = Array.from({ length: 8 }, (_, x) => at(out, 8, 8, 1, x, 0));
    // Edges clamp to the first and last source pixels.
    assert.deepEqual(row, [0, 10, 30, 50, 70, 90, 110, 120]);
  });
});

describe('Letterboxer layouts and rectangular tensors', () => {
  it('writes NHWC (interleaved) tensors with the same values as NCHW', () => {
    const image = solid(16, 8, [200, 100, 50]);
    image.data.set([10, 20, 30], (3 * 16 + 5) * 3); // one distinct pixel
    const planar = new Letterboxer(8, 8, YOLOX);
    const interleaved = new Letterboxer(8, 8, YOLOX, { layout: 'NHWC' });
    const a = new Float32Array(planar.tensorLength).fill(-1);
    const b = new Float32Array(interleaved.tensorLength).fill(-1);
    planar.run(image, a);
    interleaved.run(image, b);
    for (let y = 0; y < 8; y++) {
      for (let x = 0; x < 8; x++) {
        for (let c = 0; c < 3; c++) assert.equal(b[(y * 8 + x) * 3 + c], at(a, 8, 8, c, x, y), `(${x}, ${y}) channel ${c}`);
      }
    }
    assert.ok(!b.includes(-1), 'every value was written');
  });

  it('cuts the tensor to the content rounded up to the stride, keeping the fixed scale', () => {
    // 640×360 into 416×416 with stride 32: scale 0.65, content 416×234, tensor 416×256.
    const lb = new Letterboxer(416, 416, YOLOX, { stride: 32 });
    assert.deepEqual(lb.layoutFor(640, 360), { srcWidth: 640, srcHeight: 360, tensorWidth: 416, tensorHeight: 256, contentWidth: 416, contentHeight: 234, padX: 0, padY: 0, scaleX: 0.65, scaleY: 0.65 });
    // 640×480 into the pedestrian detector's 1088×608: tensor 832×608 (issue 13's example).
    const pedestrian = new Letterboxer(1088, 608, YOLOX, { stride: 32 });
    const layout = pedestrian.layoutFor(640, 480);
    assert.deepEqual([layout.tensorWidth, layout.tensorHeight, layout.contentWidth, layout.contentHeight], [832, 608, 811, 608]);
    // A centred letterbox centres the content inside the cut tensor.
    const centred = new Letterboxer(64, 64, YOLOV8, { stride: 32 }).layoutFor(100, 40);
    assert.deepEqual([centred.tensorWidth, centred.tensorHeight, centred.padX, centred.padY, centred.contentHeight], [64, 32, 0, 3, 26]);
    // The pixels of the rectangular tensor are the top rows of the fixed one.
    const image = solid(640, 360, [90, 60, 30]);
    image.data.set([255, 255, 255], (100 * 640 + 300) * 3);
    const fixed = new Letterboxer(416, 416, YOLOX);
    const full = new Float32Array(fixed.tensorLength);
    const cut = new Float32Array(lb.tensorLength).fill(-1);
    fixed.run(image, full);
    lb.run(image, cut);
    for (let c = 0; c < 3; c++) {
      for (let y = 0; y < 234; y++) {
        for (let x = 0; x < 416; x++) assert.equal(cut[c * 416 * 256 + y * 416 + x], full[c * 416 * 416 + y * 416 + x]);
      }
      assert.equal(cut[c * 416 * 256 + 250 * 416 + 10], 114, 'rows below the content are padding');
    }
    assert.ok(!cut.subarray(0, 3 * 416 * 256).includes(-1));
  });

  it("stretches the frame over the whole tensor with letterbox: 'none'", () => {
    const layout = new Letterboxer(8, 8, { ...YOLOX, letterbox: 'none' }).layoutFor(16, 4);
    assert.deepEqual([layout.contentWidth, layout.contentHeight, layout.scaleX, layout.scaleY], [8, 8, 0.5, 2]);
  });
});

describe('CropResizer and clipBoxToPixels', () => {
  it('normalises crops with ImageNet mean/std into consecutive batch slots', () => {
    const resizer = new CropResizer(4, 8, OSNET);
    const out = new Float32Array(2 * resizer.slotLength);
    const image = solid(20, 20, [255, 128, 0]);
    image.data.set([0, 0, 255], (10 * 20 + 10) * 3); // one blue pixel outside both crops
    resizer.run(image, { x: 0, y: 0, width: 5, height: 9 }, out, 0);
    resizer.run(solid(20, 20, [0, 0, 0], 'bgr24'), { x: 2, y: 2, width: 3, height: 3 }, out, 1);
    const expected0 = [(1 - 0.485) / 0.229, (128 / 255 - 0.456) / 0.224, (0 - 0.406) / 0.225];
    const expected1 = [-0.485 / 0.229, -0.456 / 0.224, -0.406 / 0.225];
    for (let c = 0; c < 3; c++) {
      for (let i = 0; i < 32; i++) {
        assert.ok(Math.abs(out[c * 32 + i]! - expected0[c]!) < 1e-5);
        assert.ok(Math.abs(out[resizer.slotLength + c * 32 + i]! - expected1[c]!) < 1e-5);
      }
    }
  });

  it('writes NHWC crops (retail-0287: BGR, raw 0–255)', () => {
    const resizer = new CropResizer(2, 4, { channelOrder: 'bgr', scale: 1, mean: [0, 0, 0], std: [1, 1, 1], letterbox: 'none', padValue: 0 }, 'NHWC');
    const out = new Float32Array(2 * resizer.slotLength);
    resizer.run(solid(10, 10, [200, 100, 50]), { x: 0, y: 0, width: 10, height: 10 }, out, 1);
    assert.deepEqual(Array.from(out.subarray(resizer.slotLength, resizer.slotLength + 6)), [50, 100, 200, 50, 100, 200]);
    assert.ok(out.subarray(0, resizer.slotLength).every((v) => v === 0), 'slot 0 untouched');
  });

  it('clips boxes to the frame, rounds outwards, and rejects empty or non-finite boxes', () => {
    const rect: PixelRect = { x: 0, y: 0, width: 0, height: 0 };
    assert.ok(clipBoxToPixels({ x1: -5.5, y1: 2.2, x2: 10.1, y2: 300 }, 100, 50, rect));
    assert.deepEqual(rect, { x: 0, y: 2, width: 11, height: 48 });
    assert.equal(clipBoxToPixels({ x1: 120, y1: 0, x2: 150, y2: 10 }, 100, 50, rect), false);
    assert.equal(clipBoxToPixels({ x1: 5, y1: 5, x2: 5, y2: 20 }, 100, 50, rect), false);
    assert.equal(clipBoxToPixels({ x1: Number.NaN, y1: 0, x2: 5, y2: 5 }, 100, 50, rect), false);
  });
});
