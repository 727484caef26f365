/**
 * ByteTrack's (and DeepSORT's) constant-velocity Kalman filter in image space.
 *
 * State (8): centre x, centre y, aspect ratio a = w/h, height h, and their velocities.
 * Measurement (4): x, y, a, h. Process and measurement noise scale with the box height
 * (`stdWeightPosition` 1/20, `stdWeightVelocity` 1/160), so that a tall, near person may
 * move more pixels per frame than a small, far one. The aspect ratio gets fixed small noise.
 *
 * Each track owns a `mean` (Float64Array(8)) and a `covariance` (Float64Array(64), row-major);
 * the filter updates them in place and keeps its own scratch buffers, so a step allocates
 * nothing. One filter per tracker (its scratch is not re-entrant).
 */

/** Number of state variables (x, y, a, h, vx, vy, va, vh). */
export const KALMAN_STATE_SIZE = 8;

/** Noise weights of {@link KalmanFilterXYAH}; ByteTrack's values are the defaults. */
export interface KalmanNoiseWeights {
  /** Position noise standard deviation as a fraction of the box height. @default 1/20 */
  stdWeightPosition: number;
  /** Velocity noise standard deviation as a fraction of the box height. @default 1/160 */
  stdWeightVelocity: number;
}

const S = KALMAN_STATE_SIZE;

export class KalmanFilterXYAH {
  private readonly wPos: number;
  private readonly wVel: number;
  // Scratch: projected covariance (4×4), its Cholesky factor, P·Hᵀ (8×4), Kalman gain (8×4).
  private readonly proj = new Float64Array(16);
  private readonly chol = new Float64Array(16);
  private readonly pht = new Float64Array(32);
  private readonly gain = new Float64Array(32);
  private readonly innovation = new Float64Array(4);

  constructor(weights: Partial<KalmanNoiseWeights> = {}) {
    this.wPos = weights.stdWeightPosition ?? 1 / 20;
    this.wVel = weights.stdWeightVelocity ?? 1 / 160;
  }

  /** Starts a track from a measurement: zero velocity, uncertainty proportional to the height. */
  initiate(x: number, y: number, a: number, h: number, mean: Float64Array, covariance: Float64Array): void {
    mean[0] = x;
    mean[1] = y;
    mean[2] = a;
    mean[3] = h;
    mean[4] = mean[5] = mean[6] = mean[7] = 0;
    const pos = 2 * this.wPos * h;
    const vel = 10 * this.wVel * h;
    covariance.fill(0);
    addDiagonal(covariance, pos * pos, 1e-4, vel * vel, 1e-10);
  }

  /**
   * One constant-velocity step: mean ← F·mean, P ← F·P·Fᵀ + Q, with F = [[I, I], [0, I]] and
   * Q scaled by the height before the step.
   */
  predict(mean: Float64Array, covariance: Float64Array): void {
    const h = mean[3]!;
    for (let i = 0; i < 4; i++) mean[i] += mean[i + 4]!;

    // F·P·Fᵀ by blocks: with P = [[A, B], [C, D]] it is [[A+B+C+D, B+D], [C+D, D]].
    const P = covariance;
    for (let i = 0; i < 4; i++) {
      for (let j = 0; j < 4; j++) {
        const a = i * S + j;
        const b = i * S + j + 4;
        const c = (i + 4) * S + j;
        const d = (i + 4) * S + j + 4;
        P[a] = P[a]! + P[b]! + P[c]! + P[d]!;
        P[b] = P[b]! + P[d]!;
        P[c] = P[c]! + P[d]!;
      }
    }
    const pos = this.wPos * h;
    const vel = this.wVel * h;
    addDiagonal(P, pos * pos, 1e-4, vel * vel, 1e-10);
  }

  /**
   * Corrects the state with a measurement (x, y, a, h). Projects the state, adds the
   * measurement noise, and applies the gain K = P·Hᵀ·S⁻¹ through a Cholesky solve.
   */
  update(mean: Float64Array, covariance: Float64Array, x: number, y: number, a: number, h: number): void {
    const P = covariance;
    const { proj, chol, pht, gain, innovation } = this;

    // S = H·P·Hᵀ + R: the top-left 4×4 block plus height-scaled noise (R uses the predicted height).
    const std = this.wPos * mean[3]!;
    const r0 = std * std;
    for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) proj[i * 4 + j] = P[i * S + j]!;
    proj[0] += r0;
    proj[5] += r0;
    proj[10] += 1e-2; // (1e-1)²
    proj[15] += r0;
    cholesky4(proj, chol);

    // P·Hᵀ is the first four columns of P; K = (P·Hᵀ)·S⁻¹, solved row by row (S is symmetric).
    for (let i = 0; i < S; i++) for (let j = 0; j < 4; j++) pht[i * 4 + j] = P[i * S + j]!;
    for (let i = 0; i < S; i++) choleskySolveRow(chol, pht, gain, i * 4);

    innovation[0] = x - mean[0]!;
    innovation[1] = y - mean[1]!;
    innovation[2] = a - mean[2]!;
    innovation[3] = h - mean[3]!;
    for (let i = 0; i < S; i++) {
      const g = i * 4;
      mean[i] +=
        gain[g]! * innovation[0]! + gain[g + 1]! * innovation[1]! + gain[g + 2]! * innovation[2]! + gain[g + 3]! * innovation[3]!;
    }

    // P ← P − K·S·Kᵀ = P − K·(P·Hᵀ)ᵀ.
    for (let i = 0; i < S; i++) {
      const g = i * 4;
      for (let j = 0; j < S; j++) {
        const q = j * 4;
        P[i * S + j] -= gain[g]! * pht[q]! + gain[g + 1]! * pht[q + 1]! + gain[g + 2]! * pht[q + 2]! + gain[g + 3]! * pht[q + 3]!;
      }
    }
  }
}

/**
 * Adds a diagonal noise: `position` to x, y, h; `aspect` to a; `velocity` to vx, vy, vh;
 * `aspectVelocity` to va (all variances).
 */
function addDiagonal(m: Float64Array, position: number, aspect: number, velocity: number, aspectVelocity: number): void {
  m[0] += position; // x
  m[1 * S + 1] += position; // y
  m[2 * S + 2] += aspect; // a
  m[3 * S + 3] += position; // h
  m[4 * S + 4] += velocity;
  m[5 * S + 5] += velocity;
  m[6 * S + 6] += aspectVelocity;
  m[7 * S + 7] += velocity;
}

/** Lower Cholesky factor L of a symmetric positive-definite 4×4 matrix (L·Lᵀ = m). */
function cholesky4(m: Float64Array, L: Float64Array): void {
  L.fill(0);
  for (let i = 0; i < 4; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = m[i * 4 + j]!;
      for (let k = 0; k < j; k++) sum -= L[i * 4 + k]! * L[j * 4 + k]!;
      L[i * 4 + j] = i === j ? Math.sqrt(Math.max(sum, 1e-12)) : sum / L[j * 4 + j]!;
    }
  }
}

/** Solves z·S = b for the row vector z (S = L·Lᵀ symmetric), reading b and writing z at `offset`. */
function choleskySolveRow(L: Float64Array, b: Float64Array, z: Float64Array, offset: number): void {
  // S·zᵀ = bᵀ: forward substitution with L, then back substitution with Lᵀ.
  for (let i = 0; i < 4; i++) {
    let sum = b[offset + i]!;
    for (let k = 0; k < i; k++) sum -= L[i * 4 + k]! * z[offset + k]!;
    z[offset + i] = sum / L[i * 4 + i]!;
  }
  for (let i = 3; i >= 0; i--) {
    let sum = z[offset + i]!;
    for (let k = i + 1; k < 4; k++) sum -= L[k * 4 + i]! * z[offset + k]!;
    z[offset + i] = sum / L[i * 4 + i]!;
  }
}
