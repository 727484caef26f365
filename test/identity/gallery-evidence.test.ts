/**
 * The gallery's track-level rules: ids decided on evidence (several good crops, or a time
 * limit), co-occurrence, taking over a lost track's id, and bounded memory over 100 000 tracks.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { IdentityGallery } from '../../src/identity/gallery.js';
import type { IdentityObservation } from '../../src/identity/types.js';
import { atSimilarity, randomUnit, seededRandom } from './synthetic-vectors.js';

const BOX = { x1: 100, y1: 50, x2: 160, y2: 200 };

function obs(cameraIndex: number, trackId: number, embedding: Float32Array, timestamp: number): IdentityObservation {
  return { cameraIndex, trackId, embedding, box: BOX, score: 0.9, timestamp, trusted: true };
}

describe('IdentityGallery: ids decided on evidence', () => {
  it('waits for minEvidence good crops, then decides on their mean', () => {
    const random = seededRandom(101);
    const gallery = new IdentityGallery({ minEvidence: 3, maxDeferSeconds: 10 });
    const person = randomUnit(random);
    for (let i = 0; i < 3; i++) gallery.observe(obs(0, 1, atSimilarity(person, 0.95, random), i));
    assert.equal(gallery.get(0, 1)?.globalId, 1);
    // Camera 1: each single crop is poor (0.7 to the person), but their mean is close to them.
    const assigned: number[] = [];
    gallery.on('assigned', (e) => assigned.push(e.globalId));
    assert.equal(gallery.observe(obs(1, 1, atSimilarity(person, 0.7, random), 0)), undefined, 'undecided after one crop');
    assert.equal(gallery.observe(obs(1, 1, atSimilarity(person, 0.7, random), 0.1)), undefined);
    const decided = gallery.observe(obs(1, 1, atSimilarity(person, 0.7, random), 0.2));
    assert.ok(decided !== undefined && decided.isNew);
    // The mean of three crops at 0.7 with independent noise is at about 0.7/sqrt(0.49 + 0.51/3) ≈ 0.86.
    assert.equal(decided.globalId, 1, `the mean descriptor joined the person (similarity ${decided.similarity.toFixed(3)})`);
    assert.deepEqual(assigned, [1]);
  });

  it('decides at maxDeferSeconds on what it has, and gives a track without any good crop an id of its own', () => {
    const random = seededRandom(102);
    const gallery = new IdentityGallery({ minEvidence: 5, maxDeferSeconds: 1 });
    const person = randomUnit(random);
    gallery.observe(obs(0, 1, person, 0));
    assert.equal(gallery.get(0, 1), undefined);
    assert.equal(gallery.touch(0, 1, 0.5), undefined, 'still waiting');
    const decided = gallery.touch(0, 1, 1.0);
    assert.equal(decided?.globalId, 1);
    // Seen, never well: decided blind at the deadline, then matched at its first good crop.
    assert.equal(gallery.touch(1, 7, 2), undefined);
    assert.equal(gallery.touch(1, 7, 3)?.globalId, 2);
    const later = gallery.observe(obs(1, 7, atSimilarity(person, 0.95, random), 3.5));
    assert.equal(later?.globalId, 1, 'its first good crop matched the person');
    assert.equal(later?.changed, true);
  });

  it('decides an undecided track with good crops when it ends, and forgets one without', () => {
    const random = seededRandom(103);
    const gallery = new IdentityGallery({ minEvidence: 3, maxDeferSeconds: 5 });
    gallery.observe(obs(0, 1, randomUnit(random), 0));
    assert.equal(gallery.endTrack(0, 1)?.globalId, 1);
    gallery.touch(0, 2, 1);
    assert.equal(gallery.endTrack(0, 2), undefined);
    assert.equal(gallery.size, 1);
  });
});

describe('IdentityGallery: co-occurrence and lost tracks', () => {
  it('lets a new track take over the id of a track of its camera lost before it started', () => {
    const random = seededRandom(104);
    const gallery = new IdentityGallery({ minEvidence: 1 });
    const person = randomUnit(random);
    gallery.observe(obs(0, 1, person, 0));
    gallery.touch(0, 1, 1); // last seen at 1 s, then occluded: the tracker still holds it as lost
    const next = gallery.observe(obs(0, 2, atSimilarity(person, 0.95, random), 2));
    assert.equal(next?.globalId, 1, 'the new track is the same person');
    assert.equal(gallery.get(0, 1), undefined, 'the lost track was ended');
    assert.equal(gallery.stats().liveTracks, 1);
  });

  it('never joins two tracks of one camera seen at the same moment, live or ended', () => {
    const random = seededRandom(105);
    const gallery = new IdentityGallery({ minEvidence: 1 });
    const person = randomUnit(random);
    gallery.observe(obs(0, 1, person, 0));
    gallery.touch(0, 1, 3);
    const twin = gallery.observe(obs(0, 2, atSimilarity(person, 0.95, random), 2));
    assert.equal(twin?.globalId, 2, 'seen while track 1 was: two people');
    gallery.endTrack(0, 1);
    gallery.endTrack(0, 2);
    // Track 3 of camera 0 starts at 2.5 s, while track 1 (seen until 3 s) still was: not person 1.
    const third = gallery.observe(obs(0, 3, atSimilarity(person, 0.95, random), 2.5));
    assert.notEqual(third?.globalId, 1);
  });
});

describe('IdentityGallery: bounded memory', () => {
  it('holds a bounded state over 100 000 tracks of a 24/7 camera', () => {
    const random = seededRandom(106);
    // Short embeddings keep 100 000 searches quick; the bookkeeping is the same as at 512-d.
    const dimension = 32;
    const gallery = new IdentityGallery({ minEvidence: 1, identityTtlSeconds: 600, maxIdentities: 1000, similarityThreshold: 0.95, embeddingDimension: dimension });
    const evicted: number[] = [];
    gallery.on('evicted', (e) => evicted.push(e.globalId));
    const reference = gallery.registerReference('known', [randomUnit(random, dimension)]);
    let peak = { identities: 0, liveTracks: 0, exemplarRows: 0, storeCapacity: 0 };
    // One new person every second, each seen for 5 s by one of two cameras, then gone.
    for (let n = 0; n < 100_000; n++) {
      const camera = n % 2;
      const t = n;
      gallery.observe(obs(camera, n, randomUnit(random, dimension), t));
      gallery.touch(camera, n, t + 5);
      gallery.endTrack(camera, n);
      if (n % 1000 === 0) {
        const s = gallery.stats();
        peak = { identities: Math.max(peak.identities, s.identities), liveTracks: Math.max(peak.liveTracks, s.liveTracks), exemplarRows: Math.max(peak.exemplarRows, s.exemplarRows), storeCapacity: Math.max(peak.storeCapacity, s.storeCapacity) };
      }
    }
    const end = gallery.stats();
    console.log(`after 100 000 tracks: ${JSON.stringify(end)}; peak ${JSON.stringify(peak)}`);
    assert.ok(peak.identities <= 1000 + 128, `identities stay bounded (peak ${peak.identities})`);
    assert.ok(peak.exemplarRows <= 1200, `exemplars stay bounded (peak ${peak.exemplarRows})`);
    assert.ok(peak.storeCapacity <= 2048, `storage stays bounded (capacity ${peak.storeCapacity})`);
    assert.equal(end.liveTracks, 0);
    assert.ok(end.evicted > 98_000, `old identities were forgotten (${end.evicted})`);
    assert.ok(!evicted.includes(reference), 'the reference person is never evicted');
    assert.equal(gallery.snapshot().identities.some((i) => i.name === 'known'), true);
    assert.equal(gallery.snapshot().evicted, end.evicted);
  });
});
