import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ReidEmbedder } from '../../src/models/reid-embedder.js';
import { cosineSimilarity, l2Normalize } from '../../src/models/similarity.js';
import type { ImageView } from '../../src/streams/frame.js';
import { decodeImageFile } from '../../src/streams/image-file.js';
import { media } from '../helpers/shared.js';

function mirrored(image: ImageView): ImageView {
  const { width, height } = image;
  const data = new Uint8Array(image.data.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const from = (y * width + (width - 1 - x)) * 3;
      data.set(image.data.subarray(from, from + 3), (y * width + x) * 3);
    }
  }
  return { ...image, data };
}

// Matches judged by eye in ../shared/media/PROVENANCE.md (not ground truth).
const EYE_MATCHED_PAIRS = [
  ['1st_angle_person_0', '5th_angle_person_1'],
  ['1st_angle_person_1', '5th_angle_person_0'],
  ['2nd_angle_person_2', '3rd_angle_person_1'],
] as const;

describe('ReidEmbedder with OSNet x0.25', () => {
  let embedder: ReidEmbedder;
  const names: string[] = [];
  const crops: ImageView[] = [];
  const embeddings: Float32Array[] = [];

  before(async () => {
    embedder = await ReidEmbedder.load({ intraOpNumThreads: 2 });
    const dir = media('multicam/crops');
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.jpg')).sort()) {
      names.push(path.basename(file, '.jpg'));
      crops.push(await decodeImageFile(path.join(dir, file)));
    }
    assert.equal(names.length, 14);
    for (const crop of crops) embeddings.push(await embedder.embedImage(crop));
  });
  after(async () => {
    await embedder.release();
  });

  it('returns L2-normalised 512-d vectors', () => {
    assert.equal(embedder.dimension, 512);
    for (const e of embeddings) {
      assert.equal(e.length, 512);
      assert.ok(Math.abs(Math.hypot(...e) - 1) < 1e-4);
    }
  });

  it('puts every crop closer to its own mirror image than to any other crop', async () => {
    const flipped = await Promise.all(crops.map((c) => embedder.embedImage(mirrored(c))));
    for (let i = 0; i < names.length; i++) {
      const self = cosineSimilarity(embeddings[i]!, flipped[i]!);
      let nearestOther = -1;
      for (let j = 0; j < names.length; j++) {
        if (j !== i) nearestOther = Math.max(nearestOther, cosineSimilarity(flipped[i]!, embeddings[j]!));
      }
      console.log(`${names[i]}: mirror ${self.toFixed(3)}, nearest other crop ${nearestOther.toFixed(3)}`);
      assert.ok(self > nearestOther, `${names[i]}: its mirror (${self.toFixed(3)}) is not closer than another crop (${nearestOther.toFixed(3)})`);
    }
  });

  it('puts the eye-matched pairs closer than the median non-pair', () => {
    const pairKey = (a: string, b: string) => [a, b].sort().join('|');
    const pairs = new Set(EYE_MATCHED_PAIRS.map(([a, b]) => pairKey(a, b)));
    const others: number[] = [];
    for (let i = 0; i < names.length; i++) {
      for (let j = i + 1; j < names.length; j++) {
        if (!pairs.has(pairKey(names[i]!, names[j]!))) others.push(cosineSimilarity(embeddings[i]!, embeddings[j]!));
      }
    }
    others.sort((a, b) => a - b);
    const median = (others[(others.length - 1) >> 1]! + others[others.length >> 1]!) / 2;
    console.log(`median non-pair similarity ${median.toFixed(3)} (max ${others.at(-1)!.toFixed(3)})`);
    for (const [a, b] of EYE_MATCHED_PAIRS) {
      const s = cosineSimilarity(embeddings[names.indexOf(a)]!, embeddings[names.indexOf(b)]!);
      console.log(`${a} ~ ${b}: ${s.toFixed(3)}`);
      assert.ok(s > median, `${a} ~ ${b}: ${s.toFixed(3)} is not above the median non-pair ${median.toFixed(3)}`);
    }
  });

  it('gives the same vectors batched as one by one, and zero vectors for boxes outside the frame', async () => {
    const frame = await decodeImageFile(media('multicam/rgb_00000_cam1.jpg'));
    const boxes = [
      { x1: 100, y1: 50, x2: 160, y2: 200 },
      { x1: 700, y1: 0, x2: 800, y2: 100 }, // entirely right of the 640-px frame
      { x1: -20, y1: 200, x2: 60.5, y2: 400 }, // partly outside: clipped
      { x1: 300, y1: 100, x2: 300, y2: 180 }, // zero width
      { x1: 400.2, y1: 120.7, x2: 455.9, y2: 300.1 },
    ];
    const batched = await embedder.embed(frame, boxes);
    assert.equal(batched.length, boxes.length);
    assert.ok(batched[1]!.every((v) => v === 0) && batched[3]!.every((v) => v === 0));
    for (const i of [0, 2, 4]) {
      const [single] = await embedder.embed(frame, [boxes[i]!]);
      assert.ok(cosineSimilarity(batched[i]!, single!) > 0.9999, `box ${i} differs between batch and single`);
    }
    assert.equal(cosineSimilarity(batched[0]!, batched[1]!), 0);
  });

  it('splits more boxes than maxBatch into several calls', async () => {
    const small = await ReidEmbedder.load({ maxBatch: 2, intraOpNumThreads: 1 });
    try {
      const frame = await decodeImageFile(media('multicam/rgb_00000_cam2.jpg'));
      const boxes = [0, 1, 2, 3, 4].map((k) => ({ x1: 60 * k, y1: 40, x2: 60 * k + 50, y2: 200 }));
      const [fromSmall, fromLarge] = await Promise.all([small.embed(frame, boxes), embedder.embed(frame, boxes)]);
      fromSmall.forEach((v, i) => assert.ok(cosineSimilarity(v, fromLarge[i]!) > 0.9999));
    } finally {
      await small.release();
    }
  });
});

describe('similarity helpers', () => {
  it('cosineSimilarity and l2Normalize', () => {
    const a = l2Normalize(Float32Array.from([3, 4]));
    assert.deepEqual(Array.from(a), [Math.fround(0.6), Math.fround(0.8)]);
    assert.ok(Math.abs(cosineSimilarity(a, Float32Array.from([6, 8])) - 1) < 1e-6);
    assert.ok(Math.abs(cosineSimilarity(a, Float32Array.from([-4, 3]))) < 1e-6);
    assert.equal(cosineSimilarity(a, new Float32Array(2)), 0);
    assert.throws(() => cosineSimilarity(a, new Float32Array(3)), { code: 'INVALID_OPTION' });
  });
});
