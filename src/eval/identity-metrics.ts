/**
 * Identity metrics (Ristani et al. 2016, IDF1/IDP/IDR) as py-motmetrics computes them: every
 * ground-truth id is matched to at most one tracker id over the whole sequence so that the
 * number of frames where matched ids overlap (distance allowed) is largest; IDTP is that
 * number. py-motmetrics solves it as a min-cost assignment on an (objects + hypotheses)²
 * matrix of ID false positives + false negatives; since that cost is
 * `Σ frames(o) + Σ frames(h) − 2·Σ matched overlap`, the same optimum comes from the
 * maximum-overlap matching solved here on the smaller objects × hypotheses matrix.
 */
import { LinearAssignment } from '../tracking/linear-assignment.js';

/** Identity totals of a sequence. */
export interface IdentityCounts {
  /** Frames where a ground-truth box is covered by the tracker id globally matched to it. */
  idtp: number;
  /** Tracker boxes not covered by their globally matched ground-truth id. */
  idfp: number;
  /** Ground-truth boxes not covered by their globally matched tracker id. */
  idfn: number;
}

export class IdentityAccumulator {
  private readonly objectFrames = new Map<number, number>();
  private readonly hypothesisFrames = new Map<number, number>();
  /** Object id → (hypothesis id → frames where their distance was allowed). */
  private readonly overlap = new Map<number, Map<number, number>>();

  /** Adds one frame; `distances` as for ClearMotAccumulator (NaN = may not be paired). */
  update(oids: readonly number[], hids: readonly number[], distances: Float64Array): void {
    const nh = hids.length;
    for (const o of oids) this.objectFrames.set(o, (this.objectFrames.get(o) ?? 0) + 1);
    for (const h of hids) this.hypothesisFrames.set(h, (this.hypothesisFrames.get(h) ?? 0) + 1);
    for (let i = 0; i < oids.length; i++) {
      for (let j = 0; j < nh; j++) {
        if (!Number.isFinite(distances[i * nh + j]!)) continue;
        let row = this.overlap.get(oids[i]!);
        if (row === undefined) this.overlap.set(oids[i]!, (row = new Map()));
        row.set(hids[j]!, (row.get(hids[j]!) ?? 0) + 1);
      }
    }
  }

  /** Solves the global matching and returns IDTP, IDFP, IDFN. */
  counts(): IdentityCounts {
    const oids = [...this.objectFrames.keys()];
    const hids = [...this.hypothesisFrames.keys()];
    const column = new Map(hids.map((h, j) => [h, j]));
    const cost = new Float64Array(oids.length * hids.length);
    oids.forEach((o, i) => {
      for (const [h, frames] of this.overlap.get(o) ?? []) cost[i * hids.length + column.get(h)!] = -frames;
    });
    // Pairs with no overlap (cost 0) are no better than leaving both ids unmatched.
    const { cost: negatedOverlap } = new LinearAssignment().solveWithLimit(cost, oids.length, hids.length, 0);
    const idtp = 0 - negatedOverlap;
    return {
      idtp,
      idfp: sum(this.hypothesisFrames) - idtp,
      idfn: sum(this.objectFrames) - idtp,
    };
  }
}

function sum(counts: Map<number, number>): number {
  let total = 0;
  for (const v of counts.values()) total += v;
  return total;
}
