import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readMotFile } from '../../src/eval/mot-file.js';
import { aggregateMotMetrics, computeMotMetrics, formatMotTable } from '../../src/eval/mot-metrics.js';
import { trackMotDetections } from '../../src/eval/track-detections.js';
import { media } from '../helpers/shared.js';

describe('ByteTracker on public MOT15 detections', () => {
  it('beats the reference tracker output on overall MOTA and IDF1 (TUD-Campus, TUD-Stadtmitte)', async () => {
    const ours = [];
    const reference = [];
    for (const seq of ['TUD-Campus', 'TUD-Stadtmitte']) {
      const gt = await readMotFile(media(`mot/py-motmetrics/${seq}/gt.txt`));
      const detections = await readMotFile(media(`mot/sort-det/${seq}/det.txt`));
      const output = trackMotDetections(detections, { frameRate: 25 });
      assert.ok(output.length > 0);
      ours.push({ name: seq, metrics: computeMotMetrics(gt, output) });
      reference.push(computeMotMetrics(gt, await readMotFile(media(`mot/py-motmetrics/${seq}/test.txt`))));
    }
    const overall = aggregateMotMetrics(ours.map((r) => r.metrics));
    const ref = aggregateMotMetrics(reference);
    console.log(formatMotTable([...ours, { name: 'OVERALL', metrics: overall }]));
    assert.ok(overall.mota > ref.mota, `MOTA ${overall.mota} vs reference ${ref.mota}`);
    assert.ok(overall.idf1 > ref.idf1, `IDF1 ${overall.idf1} vs reference ${ref.idf1}`);
  });
});
