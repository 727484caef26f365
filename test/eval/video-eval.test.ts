/**
 * The whole pipeline on the TUD videos, scored against gt.txt. Floors are the measured values
 * (`npm run eval -- video`, docs/evaluation.md) minus a small margin: a regression breaks them,
 * reaching the targets does not depend on them.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { MotFormatError } from '../../src/errors.js';
import { evaluateVideos, formatScoresTable, tudSequences } from '../../src/eval/video-eval.js';
import { tracksCsvToMot } from '../../src/eval/tracks-to-mot.js';
import { BYTETRACK_REFERENCE_PRESET } from '../../src/tracking/options.js';
import { artifactsDir, media, modelsDir } from '../helpers/shared.js';

const motDir = media('mot');

describe('whole-pipeline video eval (TUD)', () => {
  it('scores the default configuration above its floors, and not below the official ByteTrack overall', async () => {
    const workDir = artifactsDir('eval-video');
    rmSync(workDir, { recursive: true, force: true });
    const sequences = tudSequences(motDir);
    const ours = await evaluateVideos({ sequences, workDir, config: { modelsDir: modelsDir() } });
    console.log(formatScoresTable([...ours.sequences, ours.overall]));
    assert.deepEqual(ours.sequences.map((s) => s.frames), [71, 179], 'decoded every frame');
    // Measured: Campus MOTA 0.621 IDF1 0.629 HOTA 0.464; Stadtmitte 0.772 / 0.811 / 0.599;
    // overall 0.737 / 0.769 / 0.569 (DetA 0.583, AssA 0.557).
    const [campus, stadtmitte] = ours.sequences;
    const o = ours.overall;
    assert.ok(campus!.mot.idf1 >= 0.6 && campus!.mot.mota >= 0.59 && campus!.hota.hota >= 0.44, `Campus ${campus!.mot.mota} ${campus!.mot.idf1} ${campus!.hota.hota}`);
    assert.ok(stadtmitte!.mot.idf1 >= 0.79 && stadtmitte!.mot.mota >= 0.75 && stadtmitte!.hota.hota >= 0.58, `Stadtmitte ${stadtmitte!.mot.mota} ${stadtmitte!.mot.idf1} ${stadtmitte!.hota.hota}`);
    assert.ok(o.mot.mota >= 0.72 && o.mot.idf1 >= 0.75, `overall MOTA ${o.mot.mota} IDF1 ${o.mot.idf1}`);
    assert.ok(o.hota.hota >= 0.55 && o.hota.detA >= 0.56 && o.hota.assA >= 0.53, `overall HOTA ${o.hota.hota} DetA ${o.hota.detA} AssA ${o.hota.assA}`);
    assert.equal(o.mot.numObjects, 359 + 1156, 'every ground-truth row counts');

    // The official ByteTrack's settings in the config's tracker block (PROVENANCE: 0.741 / 0.700).
    const official = await evaluateVideos({ sequences, workDir: path.join(workDir, 'official'), config: { modelsDir: modelsDir(), tracker: { ...BYTETRACK_REFERENCE_PRESET } } });
    console.log(formatScoresTable([...official.sequences, official.overall]));
    assert.ok(Math.abs(official.overall.mot.mota - 0.741) < 0.01 && Math.abs(official.overall.mot.idf1 - 0.7) < 0.01, `official ${official.overall.mot.mota} ${official.overall.mot.idf1}`);
    assert.ok(o.mot.idf1 >= official.overall.mot.idf1, `IDF1 ${o.mot.idf1} vs official ${official.overall.mot.idf1}`);
  });

  it('reads the job CSV as MOT records: frame k + 1, ids per camera or global', () => {
    const rows = [
      { frameIndex: 0, timestamp: 0, camera: 0, trackId: 3, globalId: 7, x1: 10, y1: 20, x2: 30, y2: 60, score: 0.9 },
      { frameIndex: 4, timestamp: 0.16, camera: 1, trackId: 3, globalId: null, x1: 0, y1: 0, x2: 5, y2: 5, score: 0.5 },
    ];
    assert.deepEqual(tracksCsvToMot(rows), [
      { frame: 1, id: 3, x: 10, y: 20, width: 20, height: 40, confidence: 0.9 },
      { frame: 5, id: 1_000_003, x: 0, y: 0, width: 5, height: 5, confidence: 0.5 },
    ]);
    const global = tracksCsvToMot(rows, { id: 'global', frameOffset: 100 });
    assert.deepEqual(global.map((r) => [r.frame, r.id]), [[101, 7], [105, -1_000_004]]);
    assert.deepEqual(tracksCsvToMot(rows, { camera: 1 }).map((r) => r.frame), [5]);
  });

  it('rejects a ground truth that does not parse with MotFormatError naming the line, before any job', async () => {
    const workDir = artifactsDir('eval-video-bad-gt');
    rmSync(workDir, { recursive: true, force: true });
    mkdirSync(workDir, { recursive: true });
    const gt = path.join(workDir, 'gt.txt');
    writeFileSync(gt, '1,1,10,10,20,40,1,-1,-1,-1\n2,1,10,10,twenty,40,1,-1,-1,-1\n');
    const [campus] = tudSequences(motDir);
    await assert.rejects(
      evaluateVideos({ sequences: [{ ...campus!, groundTruth: gt }], workDir: path.join(workDir, 'jobs') }),
      (e: unknown) => e instanceof MotFormatError && e.code === 'INVALID_MOT_FILE' && /gt\.txt:2/.test(e.message) && e.culprit === `${gt}:2`,
    );
    assert.equal(existsSync(path.join(workDir, 'jobs')), false, 'no job was started');
  });
});
