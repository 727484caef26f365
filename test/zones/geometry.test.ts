import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  dedupePolygon, findSelfIntersection, pointInPolygon, polygonBounds, signedArea, toPixelPolygon,
} from '../../src/zones/geometry.js';

const square = toPixelPolygon([[10, 10], [110, 10], [110, 60], [10, 60]], 'pixels', 640, 360);

test('pointInPolygon: inside, outside, edges and vertices of a rectangle', () => {
  assert.equal(pointInPolygon(square, 50, 30), true);
  assert.equal(pointInPolygon(square, 5, 30), false);
  assert.equal(pointInPolygon(square, 111, 30), false);
  assert.equal(pointInPolygon(square, 50, 60.001), false);
  // Every edge and vertex counts as inside, including the bottom edge (a box touching it).
  for (const [x, y] of [[10, 30], [110, 30], [50, 10], [50, 60], [10, 10], [110, 60], [10, 60]] as const) {
    assert.equal(pointInPolygon(square, x, y), true, `(${x}, ${y}) is on the boundary`);
  }
});

test('pointInPolygon: concave polygon (U shape) excludes the notch', () => {
  // A "U": two arms joined at the bottom; the gap between the arms is outside.
  const u = toPixelPolygon([[0, 0], [30, 0], [30, 70], [70, 70], [70, 0], [100, 0], [100, 100], [0, 100]], 'pixels', 640, 360);
  assert.equal(pointInPolygon(u, 15, 20), true, 'left arm');
  assert.equal(pointInPolygon(u, 85, 20), true, 'right arm');
  assert.equal(pointInPolygon(u, 50, 20), false, 'notch');
  assert.equal(pointInPolygon(u, 50, 85), true, 'base');
  // A horizontal ray from inside the notch at the height of the vertices must not miscount.
  assert.equal(pointInPolygon(u, 50, 0), false, 'notch top, level with the arm tops');
  assert.equal(pointInPolygon(u, 50, 70), true, 'bottom edge of the notch');
});

test('pointInPolygon: triangle with a slanted edge', () => {
  const tri = toPixelPolygon([[0, 0], [100, 0], [0, 100]], 'pixels', 640, 360);
  assert.equal(pointInPolygon(tri, 49, 49), true);
  assert.equal(pointInPolygon(tri, 50, 50), true, 'on the hypotenuse');
  assert.equal(pointInPolygon(tri, 51, 51), false);
});

test('toPixelPolygon scales normalized coordinates by the frame size and leaves pixels alone', () => {
  const flat = toPixelPolygon([[0, 0], [0.5, 0.25], [1, 1]], 'normalized', 640, 360);
  assert.deepEqual(Array.from(flat), [0, 0, 320, 90, 640, 360]);
  assert.deepEqual(Array.from(toPixelPolygon([[1, 2], [3, 4], [5, 7]], 'pixels', 640, 360)), [1, 2, 3, 4, 5, 7]);
  assert.deepEqual(polygonBounds(flat), [0, 0, 640, 360]);
});

test('dedupePolygon drops repeated and closing points', () => {
  assert.deepEqual(dedupePolygon([[0, 0], [0, 0], [1, 0], [1, 1], [0, 0]]), [[0, 0], [1, 0], [1, 1]]);
});

test('signedArea and findSelfIntersection', () => {
  assert.equal(Math.abs(signedArea([[0, 0], [4, 0], [4, 3], [0, 3]])), 12);
  assert.equal(signedArea([[0, 0], [1, 1], [2, 2]]), 0);
  assert.equal(findSelfIntersection([[0, 0], [4, 0], [4, 3], [0, 3]]), null);
  assert.equal(findSelfIntersection([[0, 0], [30, 0], [30, 70], [70, 70], [70, 0], [100, 0], [100, 100], [0, 100]]), null);
  // Bow tie: edge 0 (0,0)→(4,4) crosses edge 2 (4,0)→(0,4).
  assert.deepEqual(findSelfIntersection([[0, 0], [4, 4], [4, 0], [0, 4]]), [0, 2]);
  // A spike folding back along its own edge.
  assert.notEqual(findSelfIntersection([[0, 0], [4, 0], [2, 0], [2, 3]]), null);
  // A vertex touching a non-adjacent edge.
  assert.notEqual(findSelfIntersection([[0, 0], [4, 0], [4, 4], [2, 0], [0, 4]]), null);
});
