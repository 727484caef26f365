import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PersonDetector } from '../../src/models/person-detector.js';
import { iou } from '../../src/models/nms.js';
import type { Detection } from '../../src/models/types.js';
import { decodeImageFile } from '../../src/streams/image-file.js';
import { media, modelFile } from '../helpers/shared.js';
import { decodeVideoFrame } from './video-frame.js';

type Box = [number, number, number, number];

function matchExpected(detections: Detection[], expected: Box[]): void {
  for (const [x1, y1, x2, y2] of expected) {
    const best = detections.reduce((acc, d) => Math.max(acc, iou(d, { x1, y1, x2, y2 })), 0);
    const hit = detections.find((d) => iou(d, { x1, y1, x2, y2 }) >= 0.8);
    assert.ok(hit, `no detection with IoU >= 0.8 for [${x1},${y1},${x2},${y2}] (best IoU ${best.toFixed(3)})`);
    assert.ok(hit.score >= 0.5, `person at [${x1},${y1},${x2},${y2}] found with score ${hit.score.toFixed(3)} < 0.5`);
  }
}

function format(detections: Detection[]): string {
  return detections.map((d) => `[${[d.x1, d.y1, d.x2, d.y2].map((v) => v.toFixed(0)).join(',')}] ${d.score.toFixed(2)}`).join('; ');
}

describe('PersonDetector with YOLOX-Nano', () => {
  let detector: PersonDetector;
  before(async () => {
    detector = await PersonDetector.load({ intraOpNumThreads: 2 });
  });
  after(async () => {
    await detector.release();
  });

  it('reads its input size from the model and detects the format', () => {
    assert.equal(detector.format, 'yolox');
    assert.equal(detector.inputWidth, 416);
    assert.equal(detector.inputHeight, 416);
    assert.equal(detector.modelPath, modelFile('yolox_nano.onnx'));
  });

  it('finds the three clearly visible persons in bus.jpg (rgb24 and bgr24 alike), persons only', async () => {
    for (const pixelFormat of ['rgb24', 'bgr24'] as const) {
      const image = await decodeImageFile(media('images/bus.jpg'), { pixelFormat });
      const detections = await detector.detect(image);
      console.log(`bus.jpg ${pixelFormat}: ${format(detections)}`);
      matchExpected(detections, [[52, 395, 215, 901], [219, 413, 346, 861], [685, 456, 809, 875]]);
      assert.ok(detections.every((d) => d.classId === 0), 'a non-person box was returned by default');
      assert.ok(detections.every((d) => d.x1 >= 0 && d.y1 >= 0 && d.x2 <= image.width && d.y2 <= image.height && d.x1 < d.x2 && d.y1 < d.y2));
    }
  });

  it('finds the two men in zidane.jpg', async () => {
    const detections = await detector.detect(await decodeImageFile(media('images/zidane.jpg')));
    console.log(`zidane.jpg: ${format(detections)}`);
    matchExpected(detections, [[154, 202, 681, 713], [699, 40, 1154, 707]]);
    assert.ok(detections.every((d) => d.classId === 0));
  });

  it('finds at least 20 persons on a typical frame of the plaza clip (median of four frames)', async () => {
    const clip = media('videos/plaza_overhead_pedestrians_720p.mp4');
    const counts: number[] = [];
    for (const seconds of [1, 4, 7, 10]) {
      const detections = await detector.detect(await decodeVideoFrame(clip, seconds, 1280, 720));
      counts.push(detections.length);
    }
    console.log(`plaza persons at 1/4/7/10 s: ${counts.join(', ')}`);
    const sorted = [...counts].sort((a, b) => a - b);
    const median = (sorted[1]! + sorted[2]!) / 2;
    assert.ok(median >= 20, `median ${median} persons per frame (${counts.join(', ')})`);
  });

  it('gives the same answers to concurrent calls as to sequential ones', async () => {
    const bus = await decodeImageFile(media('images/bus.jpg'));
    const zidane = await decodeImageFile(media('images/zidane.jpg'));
    const sequential = [await detector.detect(bus), await detector.detect(zidane)];
    const concurrent = await Promise.all([detector.detect(bus), detector.detect(zidane), detector.detect(bus)]);
    assert.deepEqual(concurrent, [sequential[0], sequential[1], sequential[0]]);
  });

  it('keeps the event loop free while inference runs', async () => {
    const frame = await decodeImageFile(media('images/zidane.jpg'));
    let settled = false;
    const detection = detector.detect(frame).then((d) => {
      settled = true;
      return d;
    });
    // On the calling thread, the whole inference would finish before the next check phase.
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(settled, false, 'detect() settled before the event loop got a turn: inference blocked it');
    assert.equal((await detection).length, 2);
  });

  it('measures inference alone', async () => {
    const ms = await detector.measureInferenceOnly(2);
    assert.ok(Number.isFinite(ms) && ms > 0);
  });

  it('rejects a malformed image before running the model', async () => {
    await assert.rejects(detector.detect({ data: new Uint8Array(10), width: 640, height: 360, pixelFormat: 'rgb24' }), { code: 'INVALID_OPTION' });
  });
});

describe('PersonDetector options', () => {
  it('keeps other classes only when asked', async () => {
    const bus = await decodeImageFile(media('images/bus.jpg'));
    const detector = await PersonDetector.load({ classes: [0, 5], intraOpNumThreads: 2 });
    try {
      const detections = await detector.detect(bus);
      // COCO class 5 is "bus": the bus behind the pedestrians.
      assert.ok(detections.some((d) => d.classId === 5), `no bus among ${format(detections)}`);
      assert.ok(detections.some((d) => d.classId === 0));
    } finally {
      await detector.release();
    }
  });

  it('rejects bad options before touching a model file', async () => {
    await assert.rejects(PersonDetector.load({ scoreThreshold: 1.5 }), { code: 'INVALID_OPTION', culprit: 'scoreThreshold' });
    await assert.rejects(PersonDetector.load({ classes: [] }), { code: 'INVALID_OPTION', culprit: 'classes' });
    await assert.rejects(PersonDetector.load({ intraOpNumThreads: 0 }), { code: 'INVALID_OPTION', culprit: 'intraOpNumThreads' });
    await assert.rejects(PersonDetector.load({ classes: [80] }), { code: 'INVALID_OPTION', culprit: 'classes', message: /only 80 classes/ });
  });

  it('refuses to run after release', async () => {
    const detector = await PersonDetector.load({ intraOpNumThreads: 1 });
    await detector.release();
    await assert.rejects(async () => detector.detect(await decodeImageFile(media('images/bus.jpg'))), /was released/);
  });
});
