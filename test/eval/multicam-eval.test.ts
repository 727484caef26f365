/**
 * SPEC §5's multi-camera protocol on the TUD videos. Floors are measured values
 * (`npm run eval -- multicam`, docs/evaluation.md) minus a small margin.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, MotFormatError } from '../../src/errors.js';
import { cropGroundTruth, splitGroundTruthByTime } from '../../src/eval/camera-split.js';
import type { MotRecord } from '../../src/eval/mot-file.js';
import { defaultMulticamSplits, evaluateMulticam, scoreSplit } from '../../src/eval/multicam-eval.js';
import { tudSequences } from '../../src/eval/video-eval.js';
import { inspectVideo } from '../helpers/ffmpeg.js';
import { artifactsDir, media, modelsDir } from '../helpers/shared.js';

const motDir = media('mot');

function box(frame: number, id: number, x: number, width: number): MotRecord {
  return { frame, id, x, y: 50, width, height: 100, confidence: 1 };
}

describe('multi-camera eval (SPEC §5)', () => {
  it('shifts ground truth into a crop, clipped, keeping boxes at least 60 % inside', () => {
    const strip = { x: 240, width: 400 }; // x ∈ [240, 640)
    const gt = [
      box(1, 1, 300, 50), // wholly inside → x 60, width 50
      box(1, 2, 210, 100), // 70 of 100 px inside (70 %) → clipped to [240, 310): x 0, width 70
      box(1, 3, 200, 100), // 60 of 100 px inside: exactly 60 % → kept, x 0, width 60
      box(1, 4, 190, 100), // 50 of 100 px inside → dropped
      box(1, 5, 600, 80), // [600, 680): 40 of 80 inside → dropped
    ];
    assert.deepEqual(cropGroundTruth(gt, strip).map((r) => [r.id, r.x, r.width]), [[1, 60, 50], [2, 0, 70], [3, 0, 60]]);
    assert.deepEqual(cropGroundTruth(gt, { x: 0, width: 400 }).map((r) => r.id), [1, 2, 3, 4]);
  });

  it('splits ground truth in time: camera 1 renumbered from frame 1', () => {
    const gt = [box(1, 1, 0, 10), box(2, 1, 0, 10), box(3, 1, 0, 10), box(3, 2, 50, 10), box(4, 2, 50, 10)];
    const [first, second] = splitGroundTruthByTime(gt, 2);
    assert.deepEqual(first.map((r) => [r.frame, r.id]), [[1, 1], [2, 1]]);
    assert.deepEqual(second.map((r) => [r.frame, r.id]), [[1, 1], [1, 2], [2, 2]]);
  });

  it('scores global ids in one scorer against the floor of per-camera track ids (hand-worked)', () => {
    // Person 1 is seen by both cameras in frames 1–2; each camera's track 1 carries global id 7.
    const gt = [[box(1, 1, 0, 40), box(2, 1, 0, 40)], [box(1, 1, 0, 40), box(2, 1, 0, 40)]];
    const rows = [0, 1].flatMap((camera) =>
      [0, 1].map((frameIndex) => ({ frameIndex, timestamp: frameIndex / 25, camera, trackId: 1, globalId: 7, x1: 0, y1: 50, x2: 40, y2: 150, score: 0.9 })),
    );
    const r = scoreSplit({ name: 'toy', kind: 'spatial' }, ['a.mp4', 'b.mp4'], gt, rows, [2, 2]);
    // Global: id 7 covers all 4 boxes of person 1 → IDTP 4, IDF1 = 2·4 / (4 + 4) = 1.
    assert.equal(r.global.mot.idf1, 1);
    // Floor: ids 1 and 1 000 001; person 1 matches one of them (2 frames) → IDF1 = 2·2 / 8 = 0.5.
    assert.equal(r.floor.mot.idf1, 0.5);
    assert.equal(r.global.mot.mota, 1, 'identity choice does not change MOTA here');
    assert.deepEqual([r.globalIdentities, r.groundTruthIdentities, r.sharedGroundTruthIdentities], [1, 1, 1]);
  });

  it('runs the spatial split of TUD-Stadtmitte and the time split of TUD-Campus as 2-camera jobs, above their floors', async () => {
    const workDir = artifactsDir('eval-multicam');
    rmSync(workDir, { recursive: true, force: true });
    const splits = defaultMulticamSplits(tudSequences(motDir)).filter((s) => s.name === 'TUD-Stadtmitte spatial' || s.name === 'TUD-Campus temporal');
    assert.equal(splits.length, 2);
    const [spatial, temporal] = await evaluateMulticam({ splits, workDir, config: { modelsDir: modelsDir() } });
    for (const r of [spatial!, temporal!]) {
      console.log(`${r.name}: IDF1 global ${r.global.mot.idf1.toFixed(3)} floor ${r.floor.mot.idf1.toFixed(3)}; HOTA ${r.global.hota.hota.toFixed(3)} / ${r.floor.hota.hota.toFixed(3)}; global ids ${r.globalIdentities} for ${r.groundTruthIdentities} people (${r.sharedGroundTruthIdentities} in both)`);
    }
    // The clips: two 400 px crops of all 179 frames; 35 + 36 frames of TUD-Campus.
    assert.deepEqual(spatial!.cameras.map((c) => c.frames), [179, 179]);
    const clip = await inspectVideo(spatial!.cameras[1]!.video);
    assert.deepEqual([clip.width, clip.height, clip.frames], [400, 480, 179]);
    assert.deepEqual(temporal!.cameras.map((c) => c.frames), [35, 36]);
    assert.deepEqual([spatial!.groundTruthIdentities, spatial!.sharedGroundTruthIdentities], [10, 3]);
    assert.deepEqual([temporal!.groundTruthIdentities, temporal!.sharedGroundTruthIdentities], [8, 5]);
    assert.equal(temporal!.cameras[0]!.groundTruthBoxes + temporal!.cameras[1]!.groundTruthBoxes, 359, 'every row lands in one half');
    // Measured: spatial IDF1 0.633 global / 0.627 floor; Campus temporal 0.696 / 0.586.
    assert.ok(spatial!.global.mot.idf1 >= 0.6 && spatial!.floor.mot.idf1 >= 0.59, `spatial ${spatial!.global.mot.idf1} / ${spatial!.floor.mot.idf1}`);
    assert.ok(temporal!.global.mot.idf1 >= 0.66, `temporal ${temporal!.global.mot.idf1}`);
    assert.ok(temporal!.global.mot.idf1 >= temporal!.floor.mot.idf1 + 0.05, `global ids link people across the cut: ${temporal!.global.mot.idf1} vs ${temporal!.floor.mot.idf1}`);
    for (const r of [spatial!, temporal!]) {
      assert.ok(r.globalIdentities >= r.groundTruthIdentities / 2 && r.globalIdentities <= 3 * r.groundTruthIdentities, `${r.name}: ${r.globalIdentities} global ids`);
      assert.equal(r.global.mot.numObjects, r.cameras[0]!.groundTruthBoxes + r.cameras[1]!.groundTruthBoxes);
    }
  });

  it('rejects a bad ground truth (with its line) and a bad split before encoding anything', async () => {
    const workDir = artifactsDir('eval-multicam-bad');
    rmSync(workDir, { recursive: true, force: true });
    mkdirSync(workDir, { recursive: true });
    const gt = path.join(workDir, 'gt.txt');
    writeFileSync(gt, '1,1,10,10,20,40,1,-1,-1,-1\n\n3,1,10\n');
    const [campus] = tudSequences(motDir);
    const jobs = path.join(workDir, 'jobs');
    await assert.rejects(
      evaluateMulticam({ splits: [{ kind: 'temporal', name: 'bad', sequence: { ...campus!, groundTruth: gt } }], workDir: jobs }),
      (e: unknown) => e instanceof MotFormatError && e.code === 'INVALID_MOT_FILE' && /gt\.txt:3/.test(e.message),
    );
    await assert.rejects(
      evaluateMulticam({ splits: [{ kind: 'temporal', name: 'late cut', sequence: campus!, cut: 71 }], workDir: jobs }),
      (e: unknown) => e instanceof ConfigError && e.culprit === 'cut' && /\[1, 70\]/.test(e.message),
    );
    await assert.rejects(
      evaluateMulticam({ splits: [{ kind: 'spatial', name: 'odd', sequence: campus!, crops: [{ x: 0, width: 401 }, { x: 239, width: 401 }] }], workDir: jobs }),
      (e: unknown) => e instanceof ConfigError && /even width/.test(e.message),
    );
    assert.equal(existsSync(path.join(jobs, 'bad', 'camera_0.mp4')), false);
  });
});
