import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, MulticamReidError } from '../../src/errors.js';
import { ByteTracker } from '../../src/tracking/byte-tracker.js';
import type { Track, TrackerDetection } from '../../src/tracking/types.js';

/** A 40×100 person box whose left edge is at x (top at y), with a score. */
function person(x: number, y: number, score = 0.9, embedding?: Float32Array): TrackerDetection {
  return { x1: x, y1: y, x2: x + 40, y2: y + 100, score, classId: 0, ...(embedding ? { embedding } : {}) };
}

/** Id of the active track matched to detection `d`. */
function idOf(active: readonly Track[], d: number): number {
  const t = active.find((a) => a.detectionIndex === d);
  assert.ok(t, `no active track on detection ${d}`);
  return t.id;
}

function unit(...v: number[]): Float32Array {
  const n = Math.hypot(...v);
  return Float32Array.from(v.map((x) => x / n));
}

describe('ByteTracker', () => {
  it('keeps ids on moving boxes, whatever the detection order', () => {
    const tracker = new ByteTracker();
    const starts = [
      [10, 50],
      [200, 60],
      [400, 40],
    ] as const;
    let ids: number[] = [];
    for (let f = 0; f < 30; f++) {
      // Each person moves at its own constant speed; the list order rotates every frame.
      const dets = starts.map(([x, y], k) => person(x + f * (2 + k), y + f * (k - 1)));
      const order = [f % 3, (f + 1) % 3, (f + 2) % 3];
      const update = tracker.update(order.map((k) => dets[k]!));
      assert.equal(update.active.length, 3, `frame ${f + 1}`);
      const frameIds = [0, 1, 2].map((k) => idOf(update.active, order.indexOf(k)));
      if (f === 0) {
        assert.deepEqual([...frameIds].sort(), [1, 2, 3]);
        assert.equal(update.started.length, 3);
        ids = frameIds;
      } else {
        assert.deepEqual(frameIds, ids, `frame ${f + 1}`);
        assert.equal(update.started.length, 0);
      }
      // Reported boxes are the filtered state: close to the detection.
      for (const t of update.active) {
        const d = dets[order[t.detectionIndex]!]!;
        assert.ok(Math.abs(t.x1 - d.x1) < 3 && Math.abs(t.y2 - d.y2) < 3);
      }
    }
  });

  it('confirms a new track on its second frame, as ByteTrack does', () => {
    const tracker = new ByteTracker();
    tracker.update([person(10, 10)]);
    tracker.update([person(12, 10)]);
    const appear = tracker.update([person(14, 10), person(300, 10)]);
    assert.equal(appear.active.length, 1, 'a newcomer is unconfirmed in its first frame');
    assert.equal(appear.started.length, 0);
    const confirm = tracker.update([person(16, 10), person(302, 10)]);
    assert.equal(confirm.active.length, 2);
    assert.equal(confirm.started.length, 1);
    assert.equal(confirm.started[0]!.id, 2);
    assert.equal(idOf(confirm.active, 1), 2);
    // A newcomer seen once and never again is dropped without being reported.
    const once = tracker.update([person(18, 10), person(304, 10), person(500, 300)]);
    const gone = tracker.update([person(20, 10), person(306, 10)]);
    assert.equal(once.started.length + gone.started.length + gone.removed.length + gone.lost.length, 0);
  });

  it('keeps a lost track for the buffer, re-finds it with its id, then removes it after the buffer', () => {
    // frameRate 30 × buffer 5 → a lost track survives 5 frames without a match.
    const tracker = new ByteTracker({ trackBuffer: 5 });
    for (let f = 1; f <= 5; f++) tracker.update([person(100 + f, 50), person(300, 50)]);
    const lostFrame = tracker.update([person(300, 50)]); // frame 6: the first person vanishes
    assert.equal(lostFrame.lost.length, 1);
    assert.equal(lostFrame.lost[0]!.id, 1);
    assert.equal(lostFrame.lost[0]!.state, 'lost');
    assert.deepEqual(
      lostFrame.active.map((t) => t.id),
      [2],
    );
    tracker.update([person(300, 50)]); // frame 7
    const back = tracker.update([person(108, 50), person(300, 50)]); // frame 8, 3 frames after its last match
    assert.equal(idOf(back.active, 0), 1, 're-found with its old id');
    assert.equal(back.started.length, 0);

    // Lose it again: last match at frame 8, so it must survive frames 9..13 and go at frame 14.
    for (let f = 9; f <= 13; f++) {
      const u = tracker.update([person(300, 50)]);
      assert.equal(u.removed.length, 0, `frame ${f}`);
    }
    const removal = tracker.update([person(300, 50)]);
    assert.deepEqual(
      removal.removed.map((t) => [t.id, t.state]),
      [[1, 'removed']],
    );
    // Reappearing now starts a new identity.
    tracker.update([person(112, 50), person(300, 50)]);
    const fresh = tracker.update([person(113, 50), person(300, 50)]);
    assert.equal(idOf(fresh.active, 0), 3);
  });

  it('scales the buffer with the frame rate', () => {
    const tracker = new ByteTracker({ trackBuffer: 30, frameRate: 10 }); // floor(10/30·30) = 10 frames
    for (let f = 1; f <= 3; f++) tracker.update([person(100, 50)]);
    const removedAt: number[] = [];
    for (let f = 4; f <= 20; f++) if (tracker.update([]).removed.length > 0) removedAt.push(f);
    assert.deepEqual(removedAt, [14]); // last match at frame 3, lost for more than 10 frames at 14
  });

  it('associates low-score detections in the second stage but never starts tracks from them', () => {
    const tracker = new ByteTracker();
    for (let f = 0; f < 5; f++) tracker.update([person(100 + 2 * f, 50, 0.9)]);
    for (let f = 5; f < 10; f++) {
      // Occluded: the detector is unsure (0.3), and a lone unsure box appears elsewhere.
      const u = tracker.update([person(400, 300, 0.3), person(100 + 2 * f, 50, 0.3)]);
      assert.deepEqual(
        u.active.map((t) => [t.id, t.detectionIndex]),
        [[1, 1]],
        `frame ${f + 1}`,
      );
      assert.equal(u.active[0]!.score, 0.3);
    }
    // At or below lowThreshold (0.1) a detection is ignored: the track becomes lost.
    const u = tracker.update([person(120, 50, 0.05)]);
    assert.equal(u.active.length, 0);
    assert.deepEqual(
      u.lost.map((t) => t.id),
      [1],
    );
  });

  it('uses appearance to keep identities when two people swap places closely (BoT-SORT fusion)', () => {
    const red = unit(1, 0.1, 0, 0);
    const blue = unit(0, 0.1, 1, 0);
    const run = (withEmbeddings: boolean, fusion: 'min' | 'weighted') => {
      const tracker = new ByteTracker({ appearanceFusion: fusion });
      const e = (v: Float32Array) => (withEmbeddings ? v : undefined);
      let ids: [number, number] = [0, 0];
      for (let f = 0; f < 4; f++) {
        const u = tracker.update([person(100, 50, 0.9, e(red)), person(110, 50, 0.9, e(blue))]);
        ids = [idOf(u.active, 0), idOf(u.active, 1)];
      }
      // Red moves right by 8 px and blue left by 8 px: by overlap alone (IoU 0.90 against 0.67)
      // each box now fits the other track; all four pairs are within the proximity gate.
      const swap = tracker.update([person(108, 50, 0.9, e(red)), person(102, 50, 0.9, e(blue))]);
      return { ids, after: [idOf(swap.active, 0), idOf(swap.active, 1)], active: swap.active };
    };
    const motionOnly = run(false, 'min');
    assert.deepEqual(motionOnly.after, [motionOnly.ids[1], motionOnly.ids[0]], 'IoU alone swaps the ids');
    for (const fusion of ['min', 'weighted'] as const) {
      const fused = run(true, fusion);
      assert.deepEqual(fused.after, fused.ids, `${fusion} fusion keeps the ids`);
      const redTrack = fused.active.find((t) => t.id === fused.ids[0])!;
      assert.ok(redTrack.embedding, 'the track carries its smoothed embedding');
      assert.ok(Math.abs(redTrack.embedding[0]! - red[0]!) < 1e-6);
    }
  });

  it('smooths the embedding exponentially with momentum 0.9', () => {
    const tracker = new ByteTracker();
    const a = unit(1, 0, 0);
    const b = unit(0, 1, 0);
    tracker.update([person(100, 50, 0.9, a)]);
    const u = tracker.update([person(101, 50, 0.9, b)]);
    const e = u.active[0]!.embedding!;
    const n = Math.hypot(0.9, 0.1);
    assert.ok(Math.abs(e[0]! - 0.9 / n) < 1e-6 && Math.abs(e[1]! - 0.1 / n) < 1e-6, `${[...e]}`);
  });

  it('advance() predicts tracked boxes without associating or changing states', () => {
    const tracker = new ByteTracker({ trackBuffer: 2 });
    for (let f = 0; f < 10; f++) tracker.update([person(100 + 5 * f, 50), person(400, 50)]);
    const before = tracker.update([person(150, 50), person(400, 50)]);
    const x = before.active.find((t) => t.id === 1)!.x1;
    let previous = x;
    for (let k = 0; k < 4; k++) {
      const u = tracker.advance();
      assert.equal(u.active.length, 2, 'no track is lost or removed by advance()');
      assert.equal(u.lost.length + u.removed.length + u.started.length, 0);
      const moving = u.active.find((t) => t.id === 1)!;
      assert.equal(moving.detectionIndex, -1);
      assert.ok(moving.x1 > previous + 4, `predicted box keeps moving: ${moving.x1} after ${previous}`);
      previous = moving.x1;
    }
    const next = tracker.update([person(175, 50), person(400, 50)]);
    assert.deepEqual(
      next.active.map((t) => t.id).sort(),
      [1, 2],
    );
    assert.equal(tracker.frameCount, 16);
  });

  it('has no shared state: ids per instance, reset restarts them', () => {
    const a = new ByteTracker();
    const b = new ByteTracker();
    a.update([person(0, 0), person(100, 0)]);
    const ub = b.update([person(500, 0)]);
    assert.deepEqual(
      ub.active.map((t) => t.id),
      [1],
    );
    a.reset();
    assert.equal(a.frameCount, 0);
    assert.deepEqual(
      a.update([person(300, 0)]).active.map((t) => t.id),
      [1],
    );
  });

  it('never mutates an array it has returned', () => {
    const tracker = new ByteTracker();
    const first = tracker.update([person(0, 0), person(100, 0)]);
    const snapshot = { active: [...first.active], started: [...first.started] };
    tracker.update([person(2, 0)]);
    tracker.update([]);
    assert.deepEqual(first.active, snapshot.active);
    assert.deepEqual(first.started, snapshot.started);
  });

  it("mode 'reference' draws ids at creation, so a newcomer never confirmed leaves a gap", () => {
    const run = (mode: 'default' | 'reference') => {
      const tracker = new ByteTracker({ mode });
      tracker.update([person(10, 10)]); // frame 1: confirmed at once, id 1
      tracker.update([person(12, 10), person(300, 10)]); // a newcomer seen once (reference: id 2)
      tracker.update([person(14, 10)]); // …and gone: discarded unconfirmed
      tracker.update([person(16, 10), person(500, 10)]); // another newcomer
      const u = tracker.update([person(18, 10), person(502, 10)]); // confirmed now
      return { started: u.started.map((t) => t.id), ids: u.active.map((t) => t.id).sort() };
    };
    assert.deepEqual(run('default'), { started: [2], ids: [1, 2] });
    assert.deepEqual(run('reference'), { started: [3], ids: [1, 3] });
  });

  it("mode 'reference' drops a detection scoring exactly trackThreshold; the default keeps it as low-score", () => {
    for (const [mode, kept] of [['default', true], ['reference', false]] as const) {
      const tracker = new ByteTracker({ mode });
      for (let f = 0; f < 3; f++) tracker.update([person(100 + f, 50)]);
      const u = tracker.update([person(103, 50, 0.5)]);
      assert.equal(u.active.length === 1, kept, mode);
    }
  });

  it("mode 'reference' keeps a lost track matchable one frame past its buffer, as ByteTrack's list bookkeeping does", () => {
    // Buffer 2 frames (frameRate 30, trackBuffer 2). Last match at frame 3; past the buffer at
    // frame 6 (6 − 3 > 2). The default removes it there; the reference can still re-find it in
    // frame 7 — and drops it the moment it is lost again.
    const run = (mode: 'default' | 'reference') => {
      const tracker = new ByteTracker({ mode, trackBuffer: 2 });
      const removedAt: number[] = [];
      for (let f = 1; f <= 3; f++) tracker.update([person(100, 50)]);
      for (let f = 4; f <= 6; f++) if (tracker.update([]).removed.length > 0) removedAt.push(f);
      const back = tracker.update([person(100, 50)]); // frame 7
      if (back.removed.length > 0) removedAt.push(7);
      const again = tracker.update([]); // frame 8
      return { refound: back.active.map((t) => t.id), removedAt, lostAgain: again.lost.length, removedAgain: again.removed.map((t) => t.id) };
    };
    assert.deepEqual(run('default'), { refound: [], removedAt: [6], lostAgain: 0, removedAgain: [] });
    assert.deepEqual(run('reference'), { refound: [1], removedAt: [], lostAgain: 0, removedAgain: [1] });
  });

  it("mode 'reference' measures IoU with ByteTrack's +1 pixel convention", () => {
    // A 10×10 box against the same box shifted right by 5 px: plain IoU 50/150 = 1/3, so the
    // unconfirmed match (limit 0.7 on 1 − IoU·score) fails: 1 − 0.333·0.85 = 0.717 ≥ 0.7.
    // Inclusive: widths 11, intersection 6×11 = 66, union 121 + 121 − 66 = 176, IoU 0.375:
    // 1 − 0.375·0.85 = 0.681 < 0.7, so the reference confirms the track.
    const box = (x: number): TrackerDetection => ({ x1: x, y1: 0, x2: x + 10, y2: 10, score: 0.85, classId: 0 });
    for (const [mode, confirmed] of [['default', 0], ['reference', 1]] as const) {
      const tracker = new ByteTracker({ mode, minBoxArea: 0 });
      tracker.update([box(200)]); // frame 1 tracks are confirmed at once: start the newcomer later
      tracker.update([box(200), box(0)]);
      const u = tracker.update([box(200), box(5)]);
      assert.equal(u.started.length, confirmed, mode);
    }
  });

  it("mode 'reference' ignores embeddings (no appearance fusion)", () => {
    const red = unit(1, 0.1, 0, 0);
    const blue = unit(0, 0.1, 1, 0);
    const tracker = new ByteTracker({ mode: 'reference' });
    let ids: [number, number] = [0, 0];
    for (let f = 0; f < 4; f++) {
      const u = tracker.update([person(100, 50, 0.9, red), person(110, 50, 0.9, blue)]);
      ids = [idOf(u.active, 0), idOf(u.active, 1)];
    }
    const swap = tracker.update([person(108, 50, 0.9, red), person(102, 50, 0.9, blue)]);
    assert.deepEqual([idOf(swap.active, 0), idOf(swap.active, 1)], [ids[1], ids[0]], 'IoU alone decides, as in ByteTrack');
  });

  it("assignment 'max-matches' takes two fair pairs where 'lapjv' takes one good pair", () => {
    // Tracks of 40×100 boxes standing at x = 100 (T1) and x = 124 (T2). Then detections at
    // A: x = 100 and B: x = 76. Costs 1 − IoU·0.9, IoU of two boxes shifted by d px = (40 − d)/(40 + d):
    // T1×A: d 0, IoU 1, cost 0.1; T2×A and T1×B: d 24, IoU 16/64, cost 0.775; T2×B: no overlap, 1.
    // lapjv (unpaired costs the limit 0.8): {T1–A} gives 0.1 − 0.8 = −0.7, {T1–B, T2–A} gives
    // 2·(0.775 − 0.8) = −0.05, so it takes T1–A and leaves T2 unmatched. max-matches takes the two.
    const run = (assignment: 'lapjv' | 'max-matches') => {
      const tracker = new ByteTracker({ assignment });
      for (let f = 0; f < 3; f++) tracker.update([person(100, 50), person(124, 50)]);
      const u = tracker.update([person(100, 50), person(76, 50)]);
      return u.active.map((t) => [t.id, t.detectionIndex]).sort();
    };
    assert.deepEqual(run('lapjv'), [[1, 0]]);
    assert.deepEqual(run('max-matches'), [[1, 1], [2, 0]]);
  });

  it('rejects bad options and bad detections with typed errors', () => {
    assert.throws(
      () => new ByteTracker({ mode: 'bytetrack' as 'reference' }),
      (e: unknown) => e instanceof ConfigError && e.code === 'INVALID_OPTION' && e.culprit === 'mode',
    );
    assert.throws(
      () => new ByteTracker({ assignment: 'hungarian' as 'lapjv' }),
      (e: unknown) => e instanceof ConfigError && e.code === 'INVALID_OPTION' && e.culprit === 'assignment',
    );
    assert.throws(
      () => new ByteTracker({ trackThreshold: 1.5 }),
      (e: unknown) => e instanceof ConfigError && e.code === 'INVALID_OPTION' && e.culprit === 'trackThreshold',
    );
    assert.throws(
      () => new ByteTracker({ trackBuffer: -1 }),
      (e: unknown) => e instanceof ConfigError && e.culprit === 'trackBuffer',
    );
    assert.throws(
      () => new ByteTracker({ lowThreshold: 0.7, trackThreshold: 0.5 }),
      (e: unknown) => e instanceof ConfigError && e.culprit === 'lowThreshold',
    );
    const tracker = new ByteTracker();
    assert.throws(
      () => tracker.update([person(0, 0), { ...person(10, 0), x2: NaN }]),
      (e: unknown) => e instanceof MulticamReidError && e.code === 'INVALID_DETECTION' && /detection 1/.test(e.message),
    );
    tracker.update([person(0, 0, 0.9, unit(1, 0, 0))]);
    assert.throws(
      () => tracker.update([person(0, 0, 0.9, unit(1, 0))]),
      (e: unknown) => e instanceof MulticamReidError && e.code === 'INVALID_DETECTION' && /length 2/.test(e.message),
    );
  });
});
