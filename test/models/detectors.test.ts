/**
 * Every detector of the zoo on real images and footage: what it finds, rectangular against
 * fixed input (issue 13 §1), pre-processing in the worker against the main thread, frames in
 * shared memory, and a model whose graph is not shape-agnostic keeping its fixed input.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { after, before, describe, it } from 'node:test';
import { loadManifest } from '../../src/models/manifest.js';
import { iou } from '../../src/models/nms.js';
import { PersonDetector } from '../../src/models/person-detector.js';
import type { Detection } from '../../src/models/types.js';
import type { ImageView } from '../../src/streams/frame.js';
import { decodeImageFile } from '../../src/streams/image-file.js';
import { artifactsDir, media, modelFile } from '../helpers/shared.js';
import { constantOutputModel } from './onnx-builder.js';
import { decodeVideoFrames } from './video-frame.js';

const cacheDir = artifactsDir('detectors-cache');
rmSync(cacheDir, { recursive: true, force: true });
after(() => rmSync(cacheDir, { recursive: true, force: true }));

const detectorEntries = loadManifest().models.filter((m) => m.task === 'detector');
const MIN_SCORE = 0.5;

/** Mean over the boxes of both lists of each box's best IoU with the other list (1 for two empty lists). */
function meanBestIou(a: Detection[], b: Detection[]): { sum: number; boxes: number } {
  let sum = 0;
  for (const x of a) sum += b.reduce((best, y) => Math.max(best, iou(x, y)), 0);
  for (const y of b) sum += a.reduce((best, x) => Math.max(best, iou(x, y)), 0);
  return { sum, boxes: a.length + b.length };
}

function median(values: number[]): number {
  const s = [...values].sort((x, y) => x - y);
  return s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

interface Sample {
  label: string;
  frames: ImageView[];
}

let samples: Sample[] = [];
before(async () => {
  samples = [
    { label: 'bus.jpg', frames: [await decodeImageFile(media('images/bus.jpg'))] },
    { label: 'zidane.jpg', frames: [await decodeImageFile(media('images/zidane.jpg'))] },
    { label: 'store cam1, 60 frames', frames: await decodeVideoFrames(media('multicam/cam1_with_tracking_overlay.mp4'), 60, 640, 360) },
    { label: 'store cam2, 60 frames', frames: await decodeVideoFrames(media('multicam/cam2_with_tracking_overlay.mp4'), 60, 640, 360) },
    // 4:3, where the pedestrian detector's 16:9 input is cut from 608×1088 to 608×832.
    { label: 'TUD-Stadtmitte, 60 frames', frames: await decodeVideoFrames(media('mot/video/TUD-Stadtmitte/TUD-Stadtmitte.mp4'), 60, 640, 480) },
  ];
});

describe('the zoo has the detectors this file covers', () => {
  it('yolox-nano and bytetrack-nano-mot17', () => {
    assert.deepEqual(detectorEntries.map((e) => e.id), ['yolox-nano', 'bytetrack-nano-mot17']);
  });
});

for (const entry of detectorEntries) {
  describe(`detector ${entry.id}`, () => {
    let fixed: PersonDetector;
    let rectangular: PersonDetector;
    const warnings: string[] = [];
    before(async () => {
      const common = { modelId: entry.id, sessions: 1, intraOpNumThreads: 1, cacheDir, onWarning: (m: string) => warnings.push(m) };
      fixed = await PersonDetector.load({ ...common, inputShape: 'fixed' });
      rectangular = await PersonDetector.load({ ...common, inputShape: 'rectangular' });
    });
    after(async () => {
      await fixed.release();
      await rectangular.release();
    });

    it('finds the clearly visible pedestrians of bus.jpg', async () => {
      const bus = samples[0]!.frames[0]!;
      const detections = await fixed.detect(bus);
      const expected = [[52, 395, 215, 901], [219, 413, 346, 861], [685, 456, 809, 875]] as const;
      for (const [x1, y1, x2, y2] of expected) {
        const best = detections.reduce((acc, d) => Math.max(acc, iou(d, { x1, y1, x2, y2 })), 0);
        // 0.6: the pedestrian detector's boxes are amodal, drawn over the occluded legs too.
        assert.ok(best >= 0.6, `${entry.id}: no box with IoU >= 0.6 for [${x1},${y1},${x2},${y2}] (best ${best.toFixed(3)})`);
      }
      // Boxes are clipped to the frame (the pedestrian detector's are amodal).
      assert.ok(detections.every((d) => d.x1 >= 0 && d.y1 >= 0 && d.x2 <= bus.width && d.y2 <= bus.height && d.classId === entry.personClass));
    });

    it('runs rectangular input from a symbolic-input copy in the cache, leaving the original untouched', () => {
      assert.equal(rectangular.inputShape, 'rectangular', warnings.join('\n'));
      assert.equal(fixed.inputShape, 'fixed');
      assert.deepEqual(warnings, []);
      const copy = path.join(cacheDir, 'derived', `${entry.sha256}.symbolic-hw.onnx`);
      assert.ok(existsSync(copy), `${copy} was not written`);
      assert.equal(createHash('sha256').update(readFileSync(modelFile(entry.file))).digest('hex'), entry.sha256, 'the original changed');
      assert.deepEqual(rectangular.tensorSizeFor(640, 360), entry.id === 'yolox-nano' ? { width: 416, height: 256 } : { width: 1088, height: 608 });
      assert.deepEqual(rectangular.tensorSizeFor(640, 480), entry.id === 'yolox-nano' ? { width: 416, height: 320 } : { width: 832, height: 608 });
      assert.deepEqual(fixed.tensorSizeFor(640, 480), { width: fixed.inputWidth, height: fixed.inputHeight });
    });

    it('rectangular boxes at score >= 0.5 match fixed inference (mean best-IoU >= 0.9, counts within 10 %)', async () => {
      const rows: string[] = [];
      let total = { fixed: 0, rectangular: 0, iouSum: 0, iouBoxes: 0 };
      const times = { fixed: [] as number[], rectangular: [] as number[] };
      for (const { label, frames } of samples) {
        const row = { fixed: 0, rectangular: 0, iouSum: 0, iouBoxes: 0 };
        const ms = { fixed: [] as number[], rectangular: [] as number[] };
        for (const frame of frames) {
          let t = performance.now();
          const a = (await fixed.detect(frame)).filter((d) => d.score >= MIN_SCORE);
          ms.fixed.push(performance.now() - t);
          t = performance.now();
          const b = (await rectangular.detect(frame)).filter((d) => d.score >= MIN_SCORE);
          ms.rectangular.push(performance.now() - t);
          const m = meanBestIou(a, b);
          row.fixed += a.length;
          row.rectangular += b.length;
          row.iouSum += m.sum;
          row.iouBoxes += m.boxes;
        }
        const { width, height } = frames[0]!;
        const size = (d: PersonDetector) => Object.values(d.tensorSizeFor(width, height)).join('x');
        rows.push(`| ${label} | ${size(fixed)} → ${size(rectangular)} | ${row.fixed} | ${row.rectangular} | ${row.iouBoxes ? (row.iouSum / row.iouBoxes).toFixed(3) : '–'} | ${median(ms.fixed).toFixed(1)} | ${median(ms.rectangular).toFixed(1)} |`);
        total = { fixed: total.fixed + row.fixed, rectangular: total.rectangular + row.rectangular, iouSum: total.iouSum + row.iouSum, iouBoxes: total.iouBoxes + row.iouBoxes };
        times.fixed.push(...ms.fixed);
        times.rectangular.push(...ms.rectangular);
      }
      const meanIou = total.iouSum / total.iouBoxes;
      rows.push(`| all | | ${total.fixed} | ${total.rectangular} | ${meanIou.toFixed(3)} | ${median(times.fixed).toFixed(1)} | ${median(times.rectangular).toFixed(1)} |`);
      console.log(`\n${entry.id}: boxes at score >= ${MIN_SCORE}, fixed vs rectangular input (median ms per detect(), one 1-thread session, shared machine)\n| frames | tensor | fixed boxes | rectangular boxes | mean best IoU | fixed ms | rectangular ms |\n|---|---|---|---|---|---|---|\n${rows.join('\n')}`);
      assert.ok(total.fixed > 50, `only ${total.fixed} boxes: the comparison would prove little`);
      assert.ok(Math.abs(total.rectangular - total.fixed) <= 0.1 * Math.max(total.fixed, total.rectangular), `counts differ by more than 10 %: ${total.fixed} vs ${total.rectangular}`);
      assert.ok(meanIou >= 0.9, `mean best IoU ${meanIou.toFixed(3)} < 0.9`);
    });

    it('gives the same boxes with pre-processing in the worker, on the main thread, and from shared memory', async () => {
      const onMain = await PersonDetector.load({ modelId: entry.id, sessions: 1, intraOpNumThreads: 1, cacheDir, inputShape: 'rectangular', preprocessIn: 'main' });
      try {
        assert.equal(rectangular.preprocessIn, 'worker');
        for (const frame of [samples[0]!.frames[0]!, samples[4]!.frames[10]!]) {
          const shared = new Uint8Array(new SharedArrayBuffer(frame.data.length));
          shared.set(frame.data);
          const [inWorker, fromShared, main] = await Promise.all([rectangular.detect(frame), rectangular.detect({ ...frame, data: shared }), onMain.detect(frame)]);
          assert.ok(inWorker.length > 0);
          assert.deepEqual(fromShared, inWorker);
          assert.deepEqual(main, inWorker);
        }
      } finally {
        await onMain.release();
      }
    });
  });
}

describe('rectangular input on a graph that is not shape-agnostic', () => {
  const dir = artifactsDir('fixed-graph');
  mkdirSync(dir, { recursive: true });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps the fixed input, with a warning, when the test inference at another size fails', async () => {
    // A YOLOX-layout model whose output is a constant: at 64×32 it still returns the 64×64 row count.
    const modelPath = path.join(dir, 'constant-yolox.onnx');
    const rows = 8 * 8 + 4 * 4 + 2 * 2;
    const values = new Float32Array(rows * 6);
    values.set([0.5, 0.5, Math.log(2), Math.log(4), 0.9, 0.9], 0); // one box in the first stride-8 cell
    writeFileSync(modelPath, constantOutputModel({ name: 'images', shape: [1, 3, 64, 64] }, { name: 'output', shape: [1, rows, 6], values }));
    const warnings: string[] = [];
    const detector = await PersonDetector.load({ modelPath, inputShape: 'rectangular', cacheDir: path.join(dir, 'cache'), sessions: 1, onWarning: (m) => warnings.push(m) });
    try {
      assert.equal(detector.inputShape, 'fixed');
      assert.equal(warnings.length, 1);
      console.log(warnings[0]);
      assert.match(warnings[0]!, /does not run at other input sizes \(at 64x32 it returned 504 values, a shape-agnostic head returns 252\); using the fixed 64x64 input/);
      const detections = await detector.detect({ data: new Uint8Array(128 * 64 * 3), width: 128, height: 64, pixelFormat: 'rgb24' });
      assert.equal(detections.length, 1);
    } finally {
      await detector.release();
    }
  });

  it('does not try when the manifest entry does not allow it', async () => {
    const warnings: string[] = [];
    const yolox = loadManifest().models.find((m) => m.id === 'yolox-nano')!;
    const detector = await PersonDetector.load({ modelEntry: { ...yolox, id: 'no-rect', rectangularInput: false, inputShape: 'fixed' }, inputShape: 'rectangular', sessions: 1, cacheDir: path.join(dir, 'cache2'), onWarning: (m) => warnings.push(m) });
    try {
      assert.equal(detector.inputShape, 'fixed');
      assert.match(warnings.join(), /manifest entry "no-rect" does not set rectangularInput: true/);
      assert.equal(existsSync(path.join(dir, 'cache2')), false, 'no copy made');
    } finally {
      await detector.release();
    }
  });
});
