/**
 * Every ReID embedder of the zoo on the store crops: vector shape, the eye-matched pairs of
 * PROVENANCE.md against the other crops (a table per model), and batching — merged concurrent
 * calls, per-call batches and the retail model's fixed batch of 1 give the same vectors.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadManifest } from '../../src/models/manifest.js';
import { ReidEmbedder } from '../../src/models/reid-embedder.js';
import { cosineSimilarity } from '../../src/models/similarity.js';
import type { ImageView } from '../../src/streams/frame.js';
import { decodeImageFile } from '../../src/streams/image-file.js';
import { media } from '../helpers/shared.js';

// Matches judged by eye in ../shared/media/PROVENANCE.md (not ground truth).
const EYE_MATCHED_PAIRS = [
  ['1st_angle_person_0', '5th_angle_person_1'],
  ['1st_angle_person_1', '5th_angle_person_0'],
  ['2nd_angle_person_2', '3rd_angle_person_1'],
] as const;

const embedderEntries = loadManifest().models.filter((m) => m.task === 'embedder');
const names: string[] = [];
const crops: ImageView[] = [];
const table: string[] = [];

before(async () => {
  const dir = media('multicam/crops');
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.jpg')).sort()) {
    names.push(path.basename(file, '.jpg'));
    crops.push(await decodeImageFile(path.join(dir, file)));
  }
  assert.equal(names.length, 14);
});

after(() => {
  console.log(`\nEye-matched pairs of the store crops (cosine similarity), against the ${names.length * (names.length - 1) / 2 - EYE_MATCHED_PAIRS.length} other pairs\n| model | dim | ${EYE_MATCHED_PAIRS.map(([a, b]) => `${a.replace('_angle_person', '')}~${b.replace('_angle_person', '')}`).join(' | ')} | other pairs: median | max | pairs ranked first |\n|---|---|---|---|---|---|---|---|\n${table.join('\n')}`);
});

describe('the zoo has the embedders this file covers', () => {
  it('osnet-x0.25-msmt17, osnet-x0.5-msmt17 and reid-retail-0287', () => {
    assert.deepEqual(embedderEntries.map((e) => e.id), ['osnet-x0.25-msmt17', 'osnet-x0.5-msmt17', 'reid-retail-0287']);
  });
});

for (const entry of embedderEntries) {
  describe(`embedder ${entry.id}`, () => {
    let embedder: ReidEmbedder;
    let vectors: Float32Array[] = [];
    before(async () => {
      embedder = await ReidEmbedder.load({ modelId: entry.id, intraOpNumThreads: 1 });
      // All crops at once: merged into shared batches.
      const calls = embedder.inferenceCalls;
      vectors = await Promise.all(crops.map((c) => embedder.embedImage(c)));
      assert.ok(embedder.inferenceCalls - calls < crops.length, `${crops.length} concurrent calls made ${embedder.inferenceCalls - calls} inference calls: nothing was merged`);
    });
    after(async () => {
      await embedder.release();
    });

    it('returns L2-normalised vectors of the declared dimension', () => {
      const dimension = entry.output.shape[1];
      assert.equal(embedder.dimension, dimension);
      for (const v of vectors) {
        assert.equal(v.length, dimension);
        assert.ok(Math.abs(Math.hypot(...v) - 1) < 1e-4);
      }
    });

    it('puts each eye-matched pair above the median of the other pairs', () => {
      const key = (a: string, b: string) => [a, b].sort().join('|');
      const pairs = new Set(EYE_MATCHED_PAIRS.map(([a, b]) => key(a, b)));
      const others: number[] = [];
      for (let i = 0; i < names.length; i++) {
        for (let j = i + 1; j < names.length; j++) if (!pairs.has(key(names[i]!, names[j]!))) others.push(cosineSimilarity(vectors[i]!, vectors[j]!));
      }
      others.sort((a, b) => a - b);
      const median = (others[(others.length - 1) >> 1]! + others[others.length >> 1]!) / 2;
      const pairSims = EYE_MATCHED_PAIRS.map(([a, b]) => cosineSimilarity(vectors[names.indexOf(a)]!, vectors[names.indexOf(b)]!));
      // How often a pair member's nearest other crop is its partner.
      const nearestIsPartner = EYE_MATCHED_PAIRS.flatMap(([a, b]) => [[a, b], [b, a]] as const).filter(([a, b]) => {
        const i = names.indexOf(a);
        let best = -2;
        let nearest = '';
        for (let j = 0; j < names.length; j++) {
          const s = j === i ? -2 : cosineSimilarity(vectors[i]!, vectors[j]!);
          if (s > best) [best, nearest] = [s, names[j]!];
        }
        return nearest === b;
      }).length;
      table.push(`| ${entry.id} | ${embedder.dimension} | ${pairSims.map((s) => s.toFixed(3)).join(' | ')} | ${median.toFixed(3)} | ${others.at(-1)!.toFixed(3)} | ${nearestIsPartner}/6 |`);
      pairSims.forEach((s, k) => assert.ok(s > median, `${EYE_MATCHED_PAIRS[k]!.join(' ~ ')}: ${s.toFixed(3)} is not above the median other pair ${median.toFixed(3)}`));
    });

    it('gives the same vectors merged, per call, one by one, and for boxes inside a frame', async () => {
      const perCall = await ReidEmbedder.load({ modelId: entry.id, intraOpNumThreads: 1, batching: 'per-call', maxBatch: 4 });
      try {
        const oneByOne: Float32Array[] = [];
        for (const c of crops.slice(0, 6)) oneByOne.push(await embedder.embedImage(c));
        const batched = await perCall.embed(crops[0]!, [{ x1: 0, y1: 0, x2: crops[0]!.width, y2: crops[0]!.height }]);
        assert.ok(cosineSimilarity(batched[0]!, vectors[0]!) > 0.9999);
        oneByOne.forEach((v, i) => assert.ok(cosineSimilarity(v, vectors[i]!) > 0.9999, `crop ${i}: one by one differs from merged`));
        // Five boxes of a store frame: more than perCall's maxBatch, with one outside the frame.
        const frame = await decodeImageFile(media('multicam/rgb_00000_cam1.jpg'));
        const boxes = [0, 1, 2, 3].map((k) => ({ x1: 100 + 100 * k, y1: 50, x2: 160 + 100 * k, y2: 220 })).concat([{ x1: 700, y1: 0, x2: 800, y2: 100 }]);
        const [a, b] = await Promise.all([embedder.embed(frame, boxes), perCall.embed(frame, boxes)]);
        assert.ok(a[4]!.every((v) => v === 0) && b[4]!.every((v) => v === 0), 'a box outside the frame gives a zero vector');
        for (let i = 0; i < 4; i++) assert.ok(cosineSimilarity(a[i]!, b[i]!) > 0.9999, `box ${i}`);
      } finally {
        await perCall.release();
      }
    });
  });
}
