import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KalmanFilterXYAH } from '../../src/tracking/kalman-filter.js';

// Independent dense reference of ByteTrack's filter (plain arrays, textbook formulas).
type Matrix = number[][];
const zeros = (r: number, c: number): Matrix => Array.from({ length: r }, () => new Array<number>(c).fill(0));
const mul = (a: Matrix, b: Matrix): Matrix =>
  a.map((row) => b[0]!.map((_, j) => row.reduce((s, v, k) => s + v * b[k]![j]!, 0)));
const transpose = (a: Matrix): Matrix => a[0]!.map((_, j) => a.map((row) => row[j]!));
const add = (a: Matrix, b: Matrix): Matrix => a.map((row, i) => row.map((v, j) => v + b[i]![j]!));
const sub = (a: Matrix, b: Matrix): Matrix => a.map((row, i) => row.map((v, j) => v - b[i]![j]!));
const diag = (values: number[]): Matrix => values.map((v, i) => values.map((_, j) => (i === j ? v : 0)));
function inverse(m: Matrix): Matrix {
  const n = m.length;
  const a = m.map((row, i) => [...row, ...diag(new Array<number>(n).fill(1))[i]!]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(a[r]![c]!) > Math.abs(a[p]![c]!)) p = r;
    [a[c], a[p]] = [a[p]!, a[c]!];
    const pivot = a[c]![c]!;
    a[c] = a[c]!.map((v) => v / pivot);
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = a[r]![c]!;
      a[r] = a[r]!.map((v, k) => v - f * a[c]![k]!);
    }
  }
  return a.map((row) => row.slice(n));
}
const F: Matrix = diag([1, 1, 1, 1, 1, 1, 1, 1]).map((row, i) => row.map((v, j) => (i < 4 && j === i + 4 ? 1 : v)));
const H: Matrix = zeros(4, 8).map((row, i) => row.map((_, j) => (i === j ? 1 : 0)));

function referencePredict(mean: number[], P: Matrix): [number[], Matrix] {
  const h = mean[3]!;
  const p = h / 20;
  const v = h / 160;
  const Q = diag([p * p, p * p, 1e-4, p * p, v * v, v * v, 1e-10, v * v]);
  const m = mul(F, mean.map((x) => [x])).map((r) => r[0]!);
  return [m, add(mul(mul(F, P), transpose(F)), Q)];
}

function referenceUpdate(mean: number[], P: Matrix, z: number[]): [number[], Matrix] {
  const s = mean[3]! / 20;
  const R = diag([s * s, s * s, 1e-2, s * s]);
  const S = add(mul(mul(H, P), transpose(H)), R);
  const K = mul(mul(P, transpose(H)), inverse(S));
  const innovation = z.map((v, i) => v - mean[i]!);
  const m = mean.map((x, i) => x + K[i]!.reduce((acc, k, j) => acc + k * innovation[j]!, 0));
  return [m, sub(P, mul(mul(K, S), transpose(K)))];
}

const toMatrix = (a: Float64Array): Matrix => Array.from({ length: 8 }, (_, i) => Array.from(a.subarray(i * 8, i * 8 + 8)));

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance: number, what: string): void {
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < actual.length; i++) {
    const scale = Math.max(1, Math.abs(expected[i]!));
    assert.ok(Math.abs(actual[i]! - expected[i]!) <= tolerance * scale, `${what}[${i}]: ${actual[i]} vs ${expected[i]}`);
  }
}

describe('KalmanFilterXYAH', () => {
  it('initiates with zero velocity and ByteTrack’s height-scaled uncertainty', () => {
    const kf = new KalmanFilterXYAH();
    const mean = new Float64Array(8);
    const cov = new Float64Array(64);
    kf.initiate(50, 60, 0.5, 100, mean, cov);
    assert.deepEqual([...mean], [50, 60, 0.5, 100, 0, 0, 0, 0]);
    // std: 2·h/20 = 10 (x, y, h), 1e-2 (a), 10·h/160 = 6.25 (vx, vy, vh), 1e-5 (va).
    const expected = [100, 100, 1e-4, 100, 39.0625, 39.0625, 1e-10, 39.0625];
    assertClose(
      Array.from({ length: 8 }, (_, i) => cov[i * 9]!),
      expected,
      1e-12,
      'diagonal',
    );
    assert.equal(
      cov.reduce((s, v, k) => s + (k % 9 === 0 ? 0 : Math.abs(v)), 0),
      0,
    );
  });

  it('predicts and updates like the dense textbook filter', () => {
    const kf = new KalmanFilterXYAH();
    const mean = new Float64Array(8);
    const cov = new Float64Array(64);
    kf.initiate(320, 240, 0.4, 120, mean, cov);
    let refMean = Array.from(mean);
    let refCov = toMatrix(cov);
    const measurements = [
      [323, 241, 0.41, 121],
      [327, 243, 0.4, 119],
      [330, 244, 0.39, 122],
    ];
    for (const z of measurements) {
      kf.predict(mean, cov);
      [refMean, refCov] = referencePredict(refMean, refCov);
      assertClose(mean, refMean, 1e-9, 'predicted mean');
      assertClose(cov, refCov.flat(), 1e-9, 'predicted covariance');
      kf.update(mean, cov, z[0]!, z[1]!, z[2]!, z[3]!);
      [refMean, refCov] = referenceUpdate(refMean, refCov, z);
      assertClose(mean, refMean, 1e-9, 'updated mean');
      assertClose(cov, refCov.flat(), 1e-9, 'updated covariance');
    }
  });

  it('learns a constant velocity and extrapolates it', () => {
    const kf = new KalmanFilterXYAH();
    const mean = new Float64Array(8);
    const cov = new Float64Array(64);
    kf.initiate(100, 200, 0.5, 80, mean, cov);
    for (let t = 1; t <= 40; t++) {
      kf.predict(mean, cov);
      kf.update(mean, cov, 100 + 3 * t, 200 - 1 * t, 0.5, 80);
    }
    assert.ok(Math.abs(mean[4]! - 3) < 0.05, `vx ${mean[4]}`);
    assert.ok(Math.abs(mean[5]! + 1) < 0.05, `vy ${mean[5]}`);
    kf.predict(mean, cov);
    assert.ok(Math.abs(mean[0]! - (100 + 3 * 41)) < 0.5, `x ${mean[0]}`);
  });
});
