import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, ModelError } from '../../src/errors.js';
import { IdentityGallery as DeferringGallery } from '../../src/identity/gallery.js';
import type { IdentityGalleryOptions } from '../../src/identity/options.js';
import type { IdentityObservation } from '../../src/identity/types.js';
import { atSimilarity, cosine, mix, randomUnit, seededRandom } from './synthetic-vectors.js';

const BIG_BOX = { x1: 100, y1: 50, x2: 160, y2: 200 };
const TINY_BOX = { x1: 100, y1: 50, x2: 108, y2: 66 };

/**
 * These tests check the matching rules one observation at a time: the gallery decides at the
 * first good crop (minEvidence 1) and at once without one (maxDeferSeconds 0). Deferral has
 * its own tests in gallery-evidence.test.ts.
 */
class IdentityGallery extends DeferringGallery {
  constructor(options: Partial<IdentityGalleryOptions> = {}) {
    super({ minEvidence: 1, maxDeferSeconds: 0, ...options });
  }
  override observe(input: IdentityObservation) {
    return super.observe(input)!;
  }
}

/** An observation with a trusted box and score unless overridden. */
function obs(cameraIndex: number, trackId: number, embedding: Float32Array, extra: Partial<IdentityObservation> = {}): IdentityObservation {
  return { cameraIndex, trackId, embedding, box: BIG_BOX, score: 0.9, timestamp: 0, ...extra };
}

/** Records every event of a gallery as [name, payload] pairs. */
function recordEvents(gallery: IdentityGallery): Array<[string, unknown]> {
  const log: Array<[string, unknown]> = [];
  gallery.on('assigned', (e) => log.push(['assigned', e]));
  gallery.on('changed', (e) => log.push(['changed', e]));
  gallery.on('reference-matched', (e) => log.push(['reference-matched', e]));
  return log;
}

describe('IdentityGallery: threshold', () => {
  it('gives new ids 1, 2, 3 to unrelated people and reports similarity 1 for a new id', () => {
    const random = seededRandom(1);
    const gallery = new IdentityGallery();
    const ids = [0, 1, 2].map((camera) => gallery.observe(obs(camera, 7, randomUnit(random))));
    assert.deepEqual(ids.map((a) => a.globalId), [1, 2, 3]);
    for (const a of ids) {
      assert.equal(a.similarity, 1);
      assert.equal(a.isNew, true);
      assert.equal(a.changed, false);
    }
    assert.equal(gallery.size, 3);
  });

  it('joins an identity at or above the threshold and founds a new one just below it', () => {
    const random = seededRandom(2);
    const gallery = new IdentityGallery({ similarityThreshold: 0.8 });
    const person = randomUnit(random);
    assert.equal(gallery.observe(obs(0, 1, person)).globalId, 1);

    const above = gallery.observe(obs(1, 1, atSimilarity(person, 0.81, random)));
    assert.equal(above.globalId, 1);
    assert.ok(Math.abs(above.similarity - 0.81) < 1e-4, `similarity ${above.similarity}`);

    const below = gallery.observe(obs(2, 1, atSimilarity(person, 0.79, random)));
    assert.equal(below.globalId, 2);
  });

  it('takes the most similar of several identities above the threshold', () => {
    const random = seededRandom(3);
    const gallery = new IdentityGallery({ similarityThreshold: 0.5 });
    const a = randomUnit(random);
    const b = atSimilarity(a, 0.6, random);
    gallery.observe(obs(0, 1, a));
    gallery.observe(obs(0, 2, b));
    // Closer to b than to a, both above 0.5.
    const query = new Float32Array(a.length);
    for (let i = 0; i < a.length; i++) query[i] = 0.3 * a[i]! + 0.7 * b[i]!;
    assert.ok(cosine(query, a) > 0.5 && cosine(query, b) > cosine(query, a));
    assert.equal(gallery.observe(obs(1, 1, query)).globalId, 2);
  });

  it('accepts unnormalised embeddings', () => {
    const random = seededRandom(4);
    const gallery = new IdentityGallery();
    const person = randomUnit(random);
    gallery.observe(obs(0, 1, person.map((x) => x * 37)));
    const again = gallery.observe(obs(1, 1, person.map((x) => x * 0.01)));
    assert.equal(again.globalId, 1);
    assert.ok(Math.abs(again.similarity - 1) < 1e-5);
  });
});

describe('IdentityGallery: one id per camera, shared across cameras', () => {
  it('never gives one id to two live tracks of one camera, but lets two cameras share it', () => {
    const random = seededRandom(5);
    const gallery = new IdentityGallery();
    const person = randomUnit(random);
    assert.equal(gallery.observe(obs(0, 1, person)).globalId, 1);
    // Same look, same camera, first track still live: must be someone else.
    assert.equal(gallery.observe(obs(0, 2, atSimilarity(person, 0.95, random))).globalId, 2);
    // Same look in another camera: the same person seen twice.
    assert.equal(gallery.observe(obs(1, 1, atSimilarity(person, 0.95, random))).globalId, 1);
    assert.equal(gallery.get(0, 1)?.globalId, 1);
    assert.equal(gallery.get(1, 1)?.globalId, 1);
  });

  it('falls back to the next best free identity when the best is taken in that camera', () => {
    const random = seededRandom(6);
    const gallery = new IdentityGallery({ similarityThreshold: 0.5 });
    const a = randomUnit(random);
    const b = atSimilarity(a, 0, random);
    gallery.observe(obs(1, 1, a)); // id 1
    gallery.observe(obs(1, 2, mix(a, 0.7, b, 0.7, random))); // looks like a, but a is taken in camera 1: id 2
    gallery.observe(obs(0, 1, atSimilarity(a, 0.99, random))); // id 1, now also taken in camera 0
    // Best is id 1 (0.9) but taken in camera 0; next is id 2 (about 0.9·0.7 + 0.4·0.7 = 0.91 > 0.5 … minus noise).
    const second = gallery.observe(obs(0, 2, mix(a, 0.9, b, 0.4, random)));
    assert.equal(second.globalId, 2);
  });

  it('frees the id in its camera when the track ends, and keeps its appearance for later matches', () => {
    const random = seededRandom(7);
    const gallery = new IdentityGallery();
    const person = randomUnit(random);
    gallery.observe(obs(0, 1, person));
    assert.notEqual(gallery.endTrack(0, 1), undefined);
    assert.equal(gallery.endTrack(0, 1), undefined);
    assert.equal(gallery.get(0, 1), undefined);
    // Seen after the first track ended (a later timestamp): the same person may come back.
    const back = gallery.observe(obs(0, 2, atSimilarity(person, 0.9, random), { timestamp: 1 }));
    assert.equal(back.globalId, 1);
    // A reused (camera, track id) after endTrack is a new track.
    const reused = gallery.observe(obs(0, 1, randomUnit(random), { timestamp: 2 }));
    assert.equal(reused.isNew, true);
    assert.equal(reused.globalId, 2);
  });
});

describe('IdentityGallery: quality gates', () => {
  it('keeps or gives an id on low-quality observations without touching the appearance', () => {
    const random = seededRandom(8);
    const gallery = new IdentityGallery({ minBoxWidth: 20, minBoxHeight: 40, minDetectionScore: 0.5, confidentObservations: 1, reevaluateEvery: 1 });
    const a = randomUnit(random);
    const b = randomUnit(random);
    gallery.observe(obs(0, 1, a));
    // Many observations of someone else's look, all untrusted: the track keeps id 1 …
    for (let i = 0; i < 20; i++) {
      const box = i % 2 === 0 ? TINY_BOX : BIG_BOX;
      const score = i % 2 === 0 ? 0.9 : 0.3;
      assert.equal(gallery.observe(obs(0, 1, b, { box, score })).globalId, 1);
    }
    // … and identity 1 still looks exactly like a.
    const probe = gallery.observe(obs(1, 1, a));
    assert.equal(probe.globalId, 1);
    assert.ok(Math.abs(probe.similarity - 1) < 1e-5, `similarity ${probe.similarity}`);
    assert.equal(gallery.snapshot().tracks.find((t) => t.cameraIndex === 0)?.trustedObservations, 1);
  });

  it('gives an untrusted first observation a new id, then matches the track at its first trusted one', () => {
    const random = seededRandom(9);
    const gallery = new IdentityGallery();
    const events = recordEvents(gallery);
    const person = randomUnit(random);
    gallery.observe(obs(0, 1, person));
    const blind = gallery.observe(obs(1, 1, person, { box: TINY_BOX }));
    assert.equal(blind.globalId, 2, 'an untrusted crop is not compared, even when it would match');
    const seen = gallery.observe(obs(1, 1, atSimilarity(person, 0.9, random)));
    assert.deepEqual({ globalId: seen.globalId, changed: seen.changed, previousGlobalId: seen.previousGlobalId }, { globalId: 1, changed: true, previousGlobalId: 2 });
    assert.deepEqual(
      events.map(([name]) => name),
      ['assigned', 'assigned', 'changed'],
    );
    assert.equal(gallery.size, 1, 'the placeholder identity 2 is dropped');
    assert.deepEqual(gallery.snapshot().identities.map((i) => i.globalId), [1]);
  });

  it('treats an all-zero embedding as untrusted', () => {
    const gallery = new IdentityGallery();
    const a = gallery.observe(obs(0, 1, new Float32Array(512)));
    assert.equal(a.globalId, 1);
    assert.equal(gallery.snapshot().identities[0]?.exemplars, 0);
  });
});

describe('IdentityGallery: switch rule', () => {
  it('switches a confident track to a better identity, at a review only, and emits changed', () => {
    const random = seededRandom(10);
    const gallery = new IdentityGallery({ confidentObservations: 5, reevaluateEvery: 10, embeddingMomentum: 0.5 });
    const events = recordEvents(gallery);
    const person = randomUnit(random);
    gallery.observe(obs(0, 1, person)); // id 1
    // Camera 1 first sees the same person badly (e.g. half occluded): a new id.
    const first = gallery.observe(obs(1, 1, atSimilarity(person, 0.5, random)));
    assert.equal(first.globalId, 2);
    // Good looks follow; no switch before the 5th trusted observation.
    for (let n = 2; n <= 4; n++) {
      const a = gallery.observe(obs(1, 1, atSimilarity(person, 0.97, random), { timestamp: n }));
      assert.equal(a.globalId, 2, `observation ${n}`);
      assert.equal(a.changed, false);
    }
    const fifth = gallery.observe(obs(1, 1, atSimilarity(person, 0.97, random), { timestamp: 5 }));
    assert.equal(fifth.globalId, 1);
    assert.equal(fifth.changed, true);
    assert.equal(fifth.previousGlobalId, 2);
    assert.ok(fifth.similarity >= 0.85, `similarity ${fifth.similarity}`);
    const changed = events.filter(([name]) => name === 'changed');
    assert.equal(changed.length, 1);
    assert.deepEqual(changed[0]![1], { cameraIndex: 1, trackId: 1, previousGlobalId: 2, globalId: 1, similarity: fifth.similarity });
    assert.equal(gallery.get(1, 1)?.globalId, 1);
    assert.equal(gallery.size, 1);
    // Later observations do not report the switch again.
    assert.equal(gallery.observe(obs(1, 1, atSimilarity(person, 0.97, random))).changed, false);
  });

  it('switches only when the other identity beats the current one by the margin', () => {
    const options = { similarityThreshold: 0.6, switchMargin: 0.05, confidentObservations: 2, reevaluateEvery: 1, embeddingMomentum: 0 };
    for (const [similarityToB, expected] of [
      [0.62, 1], // 0.62 against 0.60 to its own identity: not better by 0.05, stays
      [0.67, 2], // better by 0.07 and above 0.6 + 0.05: moves
    ] as const) {
      const random = seededRandom(12);
      const gallery = new IdentityGallery(options);
      const a = randomUnit(random);
      const b = atSimilarity(a, 0, random);
      gallery.observe(obs(0, 1, a)); // id 1
      gallery.observe(obs(1, 1, b)); // id 2
      assert.equal(gallery.observe(obs(2, 1, atSimilarity(a, 0.95, random))).globalId, 1);
      // With momentum 0 the smoothed look is the latest one; the review comes at the 2nd trusted observation.
      const later = gallery.observe(obs(2, 1, mix(a, 0.6, b, similarityToB, random)));
      assert.equal(later.globalId, expected, `similarity to b ${similarityToB}`);
    }
  });

  it('does not switch below similarityThreshold + switchMargin', () => {
    const random = seededRandom(18);
    const gallery = new IdentityGallery({ similarityThreshold: 0.8, switchMargin: 0.05, confidentObservations: 2, reevaluateEvery: 1, embeddingMomentum: 0 });
    const a = randomUnit(random);
    gallery.observe(obs(0, 1, a)); // id 1
    assert.equal(gallery.observe(obs(1, 1, atSimilarity(a, 0.3, random))).globalId, 2);
    // 0.83 is above the threshold (a new track would join) but below 0.85: no switch.
    for (let i = 0; i < 3; i++) assert.equal(gallery.observe(obs(1, 1, atSimilarity(a, 0.83, random))).globalId, 2);
    assert.equal(gallery.observe(obs(1, 1, atSimilarity(a, 0.87, random))).globalId, 1);
  });

  it('never switches into an identity another track of the same camera carried while both were seen', () => {
    const random = seededRandom(13);
    const gallery = new IdentityGallery({ confidentObservations: 1, reevaluateEvery: 1, embeddingMomentum: 0 });
    const person = randomUnit(random);
    gallery.observe(obs(0, 1, person)); // id 1 in camera 0
    gallery.observe(obs(0, 2, randomUnit(random))); // id 2 in camera 0, seen at the same time
    for (let i = 0; i < 5; i++) assert.equal(gallery.observe(obs(0, 2, person)).globalId, 2);
    // Ending track 1 does not free id 1 for track 2: they were seen together, so they are two people.
    gallery.endTrack(0, 1);
    for (let i = 0; i < 3; i++) assert.equal(gallery.observe(obs(0, 2, person, { timestamp: 5 + i })).globalId, 2);
    // A track that starts after track 1 ended may take id 1 (the person came back).
    assert.equal(gallery.observe(obs(0, 3, person, { timestamp: 10 })).globalId, 1);
  });
});

describe('IdentityGallery: reference persons', () => {
  it('labels matching tracks with the reference name and emits reference-matched', () => {
    const random = seededRandom(14);
    const gallery = new IdentityGallery();
    const events = recordEvents(gallery);
    const alice = randomUnit(random);
    const aliceSide = atSimilarity(alice, 0.5, random);
    const id = gallery.registerReference('Alice', [alice, aliceSide]);
    assert.equal(id, 1);
    assert.equal(gallery.size, 1);
    assert.equal(gallery.registerReference('Alice', [atSimilarity(alice, 0.9, random)]), 1, 'same name, same person');
    assert.equal(gallery.registerReference('Bob', [randomUnit(random)]), 2);

    // Matches Alice by her second photo only.
    const seen = gallery.observe(obs(0, 1, atSimilarity(aliceSide, 0.9, random)));
    assert.deepEqual({ globalId: seen.globalId, name: seen.name }, { globalId: 1, name: 'Alice' });
    const stranger = gallery.observe(obs(0, 2, randomUnit(random)));
    assert.equal(stranger.globalId, 3);
    assert.equal(stranger.name, undefined);

    assert.deepEqual(events.map(([name]) => name), ['assigned', 'reference-matched', 'assigned']);
    const assigned = events[0]![1] as { name?: string; globalId: number };
    assert.equal(assigned.name, 'Alice');
    assert.deepEqual(events[1]![1], { cameraIndex: 0, trackId: 1, globalId: 1, name: 'Alice', similarity: seen.similarity });
    assert.deepEqual(gallery.snapshot().identities.map((i) => [i.globalId, i.name, i.exemplars]), [
      [1, 'Alice', 4],
      [2, 'Bob', 1],
      [3, undefined, 1],
    ]);
  });

  it('rejects bad references with typed errors', () => {
    const gallery = new IdentityGallery();
    assert.throws(() => gallery.registerReference('', [new Float32Array(512).fill(1)]), ConfigError);
    assert.throws(() => gallery.registerReference('Alice', []), ConfigError);
    assert.throws(() => gallery.registerReference('Alice', [new Float32Array(512)]), /all zeros/);
    assert.throws(() => gallery.registerReference('Alice', [new Float32Array(256).fill(1)]), ModelError);
    assert.equal(gallery.size, 0);
  });
});

describe('IdentityGallery: determinism, storage and snapshots', () => {
  /** A long random scene: 12 people, 3 cameras, noisy looks, bad crops, tracks that end. */
  function runScene(seed: number): { events: Array<[string, unknown]>; snapshot: unknown } {
    const random = seededRandom(seed);
    const people = Array.from({ length: 12 }, () => randomUnit(random));
    const gallery = new IdentityGallery({ confidentObservations: 3, reevaluateEvery: 4 });
    const events = recordEvents(gallery);
    const live: Array<{ camera: number; trackId: number; person: number }> = [];
    let nextTrackId = 1;
    for (let step = 0; step < 600; step++) {
      if (live.length < 9 && random() < 0.3) {
        live.push({ camera: Math.floor(random() * 3), trackId: nextTrackId++, person: Math.floor(random() * people.length) });
      }
      if (live.length > 0 && random() < 0.05) {
        const [gone] = live.splice(Math.floor(random() * live.length), 1);
        gallery.endTrack(gone!.camera, gone!.trackId);
      }
      for (const t of live) {
        const quality = random();
        gallery.observe({
          cameraIndex: t.camera,
          trackId: t.trackId,
          embedding: atSimilarity(people[t.person]!, 0.6 + 0.35 * random(), random),
          box: quality < 0.15 ? TINY_BOX : BIG_BOX,
          score: quality > 0.9 ? 0.3 : 0.8,
          timestamp: step / 25,
        });
      }
    }
    return { events, snapshot: gallery.snapshot() };
  }

  it('gives the same decisions for the same input', () => {
    const first = runScene(99);
    const second = runScene(99);
    assert.ok(first.events.some(([name]) => name === 'changed'), 'the scene exercises switches');
    assert.deepEqual(second.events, first.events);
    assert.deepEqual(second.snapshot, first.snapshot);
    assert.notDeepEqual(runScene(100).events, first.events);
  });

  it('grows its storage past the initial capacity and keeps every identity findable', () => {
    const random = seededRandom(15);
    const gallery = new IdentityGallery({ initialCapacity: 2 });
    const people = Array.from({ length: 40 }, () => randomUnit(random));
    people.forEach((p, i) => gallery.observe(obs(0, i + 1, p)));
    assert.equal(gallery.size, 40);
    people.forEach((p, i) => {
      const again = gallery.observe(obs(1, i + 1, atSimilarity(p, 0.9, random)));
      assert.equal(again.globalId, i + 1);
    });
  });

  it('keeps at most maxExemplarsPerIdentity exemplars of ended tracks, dropping the oldest', () => {
    const random = seededRandom(16);
    const gallery = new IdentityGallery({ maxExemplarsPerIdentity: 2, similarityThreshold: 0.5 });
    const person = randomUnit(random);
    const looks = [0.9, 0.9, 0.9, 0.9].map((s) => atSimilarity(person, s, random));
    looks.forEach((look, i) => {
      gallery.observe(obs(i, 1, look, { timestamp: i }));
      gallery.endTrack(i, 1);
    });
    const [identity] = gallery.snapshot().identities;
    assert.equal(identity?.trackCount, 4);
    assert.equal(identity?.exemplars, 2);
    // The oldest look (camera 0) is gone: its exact copy now matches only through the others.
    const probe = gallery.observe(obs(9, 1, looks[0]!));
    assert.equal(probe.globalId, 1);
    assert.ok(probe.similarity < 0.99, `similarity ${probe.similarity}`);
    const newest = gallery.observe(obs(10, 1, looks[3]!));
    assert.ok(newest.similarity > 0.999);
  });

  it('describes identities and tracks in the snapshot', () => {
    const random = seededRandom(17);
    const gallery = new IdentityGallery();
    const person = randomUnit(random);
    gallery.observe(obs(1, 4, person, { timestamp: 2 }));
    gallery.observe(obs(0, 9, atSimilarity(person, 0.9, random), { timestamp: 3, box: TINY_BOX }));
    gallery.observe(obs(1, 4, person, { timestamp: 5 }));
    gallery.endTrack(1, 4);
    const snapshot = gallery.snapshot();
    assert.deepEqual(snapshot.identities, [
      { globalId: 1, cameras: [{ cameraIndex: 1, firstSeen: 2, lastSeen: 5, trackIds: [4], trackCount: 1 }], trackCount: 1, exemplars: 1, firstSeen: 2, lastSeen: 5 },
      { globalId: 2, cameras: [{ cameraIndex: 0, firstSeen: 3, lastSeen: 3, trackIds: [9], trackCount: 1 }], trackCount: 1, exemplars: 0, firstSeen: 3, lastSeen: 3 },
    ]);
    // Only live tracks are listed: the ended one is summarised in its identity.
    assert.deepEqual(
      snapshot.tracks.map((t) => [t.cameraIndex, t.trackId, t.globalId, t.observations, t.trustedObservations]),
      [[0, 9, 2, 1, 0]],
    );
    assert.equal(snapshot.evicted, 0);
    assert.doesNotThrow(() => JSON.stringify(snapshot));
  });
});

describe('IdentityGallery: bad input', () => {
  it('rejects invalid options before any work', () => {
    assert.throws(() => new IdentityGallery({ similarityThreshold: -0.1 }), (e: unknown) => e instanceof ConfigError && e.code === 'INVALID_OPTION' && /similarityThreshold/.test(e.message));
    assert.throws(() => new IdentityGallery({ similarityThreshold: 1.5 }), ConfigError);
    assert.throws(() => new IdentityGallery({ embeddingMomentum: 1 }), ConfigError);
    assert.throws(() => new IdentityGallery({ confidentObservations: 2.5 }), ConfigError);
    assert.throws(() => new IdentityGallery({ similarityTreshold: 0.7 } as never), /unknown identity gallery option "similarityTreshold"/);
    assert.equal(new IdentityGallery({ similarityThreshold: undefined }).options.similarityThreshold, 0.8);
  });

  it('rejects malformed observations with a message naming the field', () => {
    const gallery = new IdentityGallery();
    const good = obs(0, 1, new Float32Array(512).fill(1));
    assert.throws(() => gallery.observe({ ...good, cameraIndex: -1 }), /cameraIndex/);
    assert.throws(() => gallery.observe({ ...good, trackId: Number.NaN }), /trackId/);
    assert.throws(() => gallery.observe({ ...good, box: { x1: 0, y1: 0, x2: Number.NaN, y2: 1 } }), /box/);
    assert.throws(
      () => gallery.observe({ ...good, embedding: new Float32Array(128) }),
      (e: unknown) => e instanceof ModelError && e.code === 'MODEL_MISMATCH' && /128 values/.test(e.message),
    );
    assert.equal(gallery.size, 0);
  });
});
