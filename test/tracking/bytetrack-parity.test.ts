/**
 * Parity of `mode: 'reference'` with the official ByteTrack (ifzhang/ByteTrack d1bf019) on the
 * public MOT15 detections: ../shared/media/mot/bytetrack-reference holds its tracks (how they
 * were made: that folder's README). Rows there are rounded to 2 decimals (boxes) and 3 (scores).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { groupByFrame, readMotFile, type MotRecord } from '../../src/eval/mot-file.js';
import { aggregateMotMetrics, computeMotMetrics } from '../../src/eval/mot-metrics.js';
import { trackMotDetections } from '../../src/eval/track-detections.js';
import { BYTETRACK_REFERENCE_PRESET, type ByteTrackerOptions } from '../../src/tracking/options.js';
import { media } from '../helpers/shared.js';

/** The sequences and the frame rates the reference ran them at. */
const SEQUENCES = [
  ['TUD-Campus', 25],
  ['TUD-Stadtmitte', 25],
  ['PETS09-S2L1', 7],
] as const;
/** Half the last printed digit, plus float noise. */
const BOX_TOLERANCE = 0.005 + 1e-6;
const SCORE_TOLERANCE = 0.0005 + 1e-6;

async function load(seq: string): Promise<{ detections: MotRecord[]; reference: MotRecord[] }> {
  return {
    detections: await readMotFile(media(`mot/sort-det/${seq}/det.txt`)),
    reference: await readMotFile(media(`mot/bytetrack-reference/${seq}.txt`)),
  };
}

function track(detections: MotRecord[], frameRate: number, options: Partial<ByteTrackerOptions>): MotRecord[] {
  return trackMotDetections(detections, { ...BYTETRACK_REFERENCE_PRESET, frameRate, ...options });
}

/** First frame whose track set (ids and boxes) differs, or -1; throws nothing, compares everything. */
function firstDifference(reference: MotRecord[], ours: MotRecord[]): number {
  const a = groupByFrame(reference);
  const b = groupByFrame(ours);
  const last = Math.max(0, ...a.keys(), ...b.keys());
  for (let frame = 1; frame <= last; frame++) {
    const expected = a.get(frame) ?? [];
    const actual = new Map((b.get(frame) ?? []).map((r) => [r.id, r]));
    if (expected.length !== actual.size) return frame;
    for (const r of expected) {
      const o = actual.get(r.id);
      if (o === undefined) return frame;
      const boxError = Math.max(Math.abs(o.x - r.x), Math.abs(o.y - r.y), Math.abs(o.width - r.width), Math.abs(o.height - r.height));
      if (boxError > BOX_TOLERANCE || Math.abs(o.confidence - r.confidence) > SCORE_TOLERANCE) return frame;
    }
  }
  return -1;
}

describe("ByteTracker mode 'reference' against the official ByteTrack", () => {
  it("BYTETRACK_REFERENCE_PRESET (assignment 'max-matches', the rule the reference data was made with) gives the same ids and boxes in every frame", async () => {
    assert.equal(BYTETRACK_REFERENCE_PRESET.assignment, 'max-matches');
    for (const [seq, frameRate] of SEQUENCES) {
      const { detections, reference } = await load(seq);
      const ours = track(detections, frameRate, {});
      assert.equal(ours.length, reference.length, `${seq}: rows`);
      assert.equal(firstDifference(reference, ours), -1, `${seq}: first frame that differs`);
    }
  });

  it("with assignment 'lapjv' (the compiled ByteTrack's rule) agrees until the two rules pick different pairs, and scores within 0.01", async () => {
    // lap.lapjv(extend_cost=True, cost_limit) leaves a pair unmatched when that is cheaper than
    // two mediocre pairs; the SciPy stand-in maximises the number of pairs. The first frame
    // where that matters (measured): none in TUD-Campus, 64 in TUD-Stadtmitte, 41 in PETS09-S2L1.
    const firstDivergence: Record<string, number> = { 'TUD-Campus': -1, 'TUD-Stadtmitte': 64, 'PETS09-S2L1': 41 };
    const scores: Array<{ ours: ReturnType<typeof computeMotMetrics>; reference: ReturnType<typeof computeMotMetrics> }> = [];
    for (const [seq, frameRate] of SEQUENCES) {
      const { detections, reference } = await load(seq);
      const ours = track(detections, frameRate, { assignment: 'lapjv' });
      assert.equal(firstDifference(reference, ours), firstDivergence[seq], `${seq}: first frame that differs`);
      if (seq.startsWith('TUD')) {
        const gt = await readMotFile(media(`mot/py-motmetrics/${seq}/gt.txt`));
        scores.push({ ours: computeMotMetrics(gt, ours), reference: computeMotMetrics(gt, reference) });
      }
    }
    const ours = aggregateMotMetrics(scores.map((s) => s.ours));
    const reference = aggregateMotMetrics(scores.map((s) => s.reference));
    // The reference README: TUD overall MOTA 0.677, IDF1 0.700.
    assert.ok(Math.abs(reference.mota - 0.677) < 5e-4 && Math.abs(reference.idf1 - 0.7) < 5e-4, `${reference.mota} ${reference.idf1}`);
    assert.ok(Math.abs(ours.mota - reference.mota) <= 0.01, `MOTA ${ours.mota} vs ${reference.mota}`);
    assert.ok(Math.abs(ours.idf1 - reference.idf1) <= 0.01, `IDF1 ${ours.idf1} vs ${reference.idf1}`);
  });

  it("the default mode's IDF1 is not below the official ByteTrack's on the same detections (TUD)", async () => {
    for (const seq of ['TUD-Campus', 'TUD-Stadtmitte']) {
      const { detections, reference } = await load(seq);
      const gt = await readMotFile(media(`mot/py-motmetrics/${seq}/gt.txt`));
      const ours = computeMotMetrics(gt, trackMotDetections(detections, { frameRate: 25 }));
      const official = computeMotMetrics(gt, reference);
      assert.ok(ours.idf1 >= official.idf1, `${seq}: IDF1 ${ours.idf1} vs official ${official.idf1}`);
    }
  });
});
