import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { CandidateBuffer, iou, nonMaxSuppression } from '../../src/models/nms.js';
import { PersonDetector } from '../../src/models/person-detector.js';
import { decodeYolov8 } from '../../src/models/yolov8-decode.js';
import { decodeYolox, yoloxGrid } from '../../src/models/yolox-decode.js';
import { artifactsDir } from '../helpers/shared.js';
import { constantOutputModel } from './onnx-builder.js';

interface Anchor {
  cx: number;
  cy: number;
  w: number;
  h: number;
  scores: Record<number, number>;
}

/** A YOLOv8-layout output `[1, 4 + classes, anchors]` holding the given anchors. */
function yolov8Output(classes: number, anchors: Anchor[]): Float32Array {
  const n = anchors.length;
  const out = new Float32Array((4 + classes) * n);
  anchors.forEach((a, i) => {
    out[i] = a.cx;
    out[n + i] = a.cy;
    out[2 * n + i] = a.w;
    out[3 * n + i] = a.h;
    for (const [cls, score] of Object.entries(a.scores)) out[(4 + Number(cls)) * n + i] = score;
  });
  return out;
}

// Six anchors in model-input pixels (96×96 input): a person, its near-duplicate, a second person,
// a car, a weak person, and a person reaching into the top padding band.
const ANCHORS: Anchor[] = [
  { cx: 30, cy: 48, w: 10, h: 20, scores: { 0: 0.9 } },
  { cx: 31, cy: 48, w: 10, h: 20, scores: { 0: 0.8 } },
  { cx: 60, cy: 50, w: 8, h: 16, scores: { 0: 0.6, 2: 0.1 } },
  { cx: 40, cy: 60, w: 12, h: 6, scores: { 2: 0.95 } },
  { cx: 10, cy: 40, w: 6, h: 10, scores: { 0: 0.1 } },
  { cx: 80, cy: 26, w: 6, h: 8, scores: { 0: 0.7 } },
];

describe('YOLOv8 decoding', () => {
  it('decodes boxes, applies the score threshold and the class filter, and NMS drops the duplicate', () => {
    const output = yolov8Output(80, ANCHORS);
    const candidates = new CandidateBuffer(ANCHORS.length);
    decodeYolov8(output, ANCHORS.length, Int32Array.from([0]), 0.3, candidates);
    assert.equal(candidates.count, 4, 'the car and the weak person are not candidates');
    const kept = nonMaxSuppression(candidates, 0.45, 100);
    const boxes = Array.from(candidates.kept.subarray(0, kept), (i) => [candidates.x1[i], candidates.y1[i], candidates.x2[i], candidates.y2[i], candidates.score[i]].map((v) => Number(v!.toFixed(4))));
    assert.deepEqual(boxes, [
      [25, 38, 35, 58, 0.9],
      [77, 22, 83, 30, 0.7],
      [56, 42, 64, 58, 0.6],
    ]);
  });

  it('keeps boxes of different classes that overlap (NMS is per class)', () => {
    const output = yolov8Output(3, [
      { cx: 20, cy: 20, w: 10, h: 10, scores: { 0: 0.9 } },
      { cx: 20, cy: 20, w: 10, h: 10, scores: { 2: 0.8 } },
    ]);
    const candidates = new CandidateBuffer(2);
    decodeYolov8(output, 2, Int32Array.from([0, 2]), 0.3, candidates);
    assert.equal(nonMaxSuppression(candidates, 0.45, 100), 2);
  });
});

describe('YOLOX decoding', () => {
  it('maps rows to grid cells over strides 8, 16, 32', () => {
    const grid = yoloxGrid(416, 416);
    assert.equal(grid.rows, 3549);
    const rowLength = 85;
    const output = new Float32Array(grid.rows * rowLength);
    // Stride-16 cell (x 3, y 2): row = 52² + 2·26 + 3.
    const row = 52 * 52 + 2 * 26 + 3;
    output.set([0.5, 0.25, Math.log(4), Math.log(2), 0.8], row * rowLength);
    output[row * rowLength + 5] = 0.9;
    const candidates = new CandidateBuffer(grid.rows);
    decodeYolox(output, rowLength, grid, Int32Array.from([0]), 0.3, candidates);
    assert.equal(candidates.count, 1);
    // centre (3.5·16, 2.25·16) = (56, 36); size (4·16, 2·16) = (64, 32)
    assert.deepEqual([candidates.x1[0], candidates.y1[0], candidates.x2[0], candidates.y2[0]], [24, 20, 88, 52]);
    assert.ok(Math.abs(candidates.score[0]! - 0.72) < 1e-6);
  });
});

describe('PersonDetector on a YOLOv8-format ONNX model built by the test', () => {
  const dir = artifactsDir('yolov8-model');
  mkdirSync(dir, { recursive: true });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('detects the format, un-letterboxes (centred) into frame pixels and clips to the frame', async () => {
    const modelPath = path.join(dir, 'tiny-yolov8.onnx');
    const values = yolov8Output(80, ANCHORS);
    writeFileSync(modelPath, constantOutputModel({ name: 'images', shape: [1, 3, 96, 96] }, { name: 'output0', shape: [1, 84, ANCHORS.length], values }));
    const detector = await PersonDetector.load({ modelPath, intraOpNumThreads: 1 });
    try {
      assert.equal(detector.format, 'yolov8');
      assert.equal(detector.inputWidth, 96);
      // A 192×96 frame letterboxes to 96×48, centred: scale 0.5, 24 px bands above and below.
      const frame = { data: new Uint8Array(192 * 96 * 3), width: 192, height: 96, pixelFormat: 'rgb24' as const };
      const detections = await detector.detect(frame);
      const expected = [
        { x1: 50, y1: 28, x2: 70, y2: 68, score: 0.9 },
        { x1: 154, y1: 0, x2: 166, y2: 12, score: 0.7 }, // y1 = (22 - 24) / 0.5 = -4, clipped to 0
        { x1: 112, y1: 36, x2: 128, y2: 68, score: 0.6 },
      ];
      assert.equal(detections.length, expected.length, JSON.stringify(detections));
      detections.forEach((d, i) => {
        assert.ok(iou(d, expected[i]!) > 0.999, `detection ${i}: ${JSON.stringify(d)} vs ${JSON.stringify(expected[i])}`);
        assert.ok(Math.abs(d.score - expected[i]!.score) < 1e-6);
        assert.equal(d.classId, 0);
      });
    } finally {
      await detector.release();
    }
    const withCars = await PersonDetector.load({ modelPath, classes: [0, 2], intraOpNumThreads: 1 });
    try {
      const detections = await withCars.detect({ data: new Uint8Array(96 * 96 * 3), width: 96, height: 96, pixelFormat: 'bgr24' });
      assert.deepEqual(detections.map((d) => d.classId).sort(), [0, 0, 0, 2]);
    } finally {
      await withCars.release();
    }
  });
});
