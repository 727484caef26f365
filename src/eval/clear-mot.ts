/**
 * CLEAR MOT events (Bernardin & Stiefelhagen 2008) accumulated frame by frame with
 * py-motmetrics' rules (`MOTAccumulator.update`):
 * 1. an object still paired with the hypothesis it was matched to before keeps that match
 *    when their distance is allowed in this frame;
 * 2. the remaining objects and hypotheses get a minimum-cost assignment with as many allowed
 *    pairs as possible; a pair whose object was last matched to another hypothesis is a switch;
 * 3. unmatched objects are misses, unmatched hypotheses false positives.
 * Per object it also counts frames present, frames tracked, and fragmentations (a tracked →
 * missed transition between the first and the last tracked frame).
 */
import { LinearAssignment } from '../tracking/linear-assignment.js';

/** Totals of {@link ClearMotAccumulator}. */
export interface ClearMotCounts {
  /** Frames with at least one object or hypothesis. */
  numFrames: number;
  numMatches: number;
  numSwitches: number;
  numFalsePositives: number;
  numMisses: number;
  /** Object occurrences (ground-truth boxes). */
  numObjects: number;
  /** Hypothesis occurrences (tracker boxes). */
  numPredictions: number;
  numUniqueObjects: number;
  /** Objects tracked in ≥ 80 % of their frames. */
  mostlyTracked: number;
  /** Objects tracked in ≥ 20 % and < 80 % of their frames. */
  partiallyTracked: number;
  /** Objects tracked in < 20 % of their frames. */
  mostlyLost: number;
  numFragmentations: number;
  /** Sum of the distances of matches and switches (for MOTP). */
  distanceSum: number;
}

interface ObjectHistory {
  frames: number;
  tracked: number;
  fragmentations: number;
  /** Missed since its last tracked frame (a fragment opens; it counts when tracked again). */
  gapOpen: boolean;
}

export class ClearMotAccumulator {
  private readonly solver = new LinearAssignment();
  /** Object id → hypothesis id of its latest match. */
  private readonly lastMatch = new Map<number, number>();
  private readonly objects = new Map<number, ObjectHistory>();
  private numFrames = 0;
  private numMatches = 0;
  private numSwitches = 0;
  private numFalsePositives = 0;
  private numMisses = 0;
  private numPredictions = 0;
  private distanceSum = 0;
  private work = new Float64Array(0);

  /**
   * Adds one frame. `distances[i·hids.length + j]` is the distance between object i and
   * hypothesis j, NaN where they may not be paired.
   */
  update(oids: readonly number[], hids: readonly number[], distances: Float64Array): void {
    const no = oids.length;
    const nh = hids.length;
    if (no + nh === 0) return;
    this.numFrames++;
    this.numPredictions += nh;
    const objectMatched = new Uint8Array(no);
    const hypothesisMatched = new Uint8Array(nh);

    if (no > 0 && nh > 0) {
      // 1. Keep previous pairings that are still allowed.
      for (let i = 0; i < no; i++) {
        const previous = this.lastMatch.get(oids[i]!);
        if (previous === undefined) continue;
        const j = findUnmatched(hids, hypothesisMatched, previous);
        if (j < 0) continue;
        const d = distances[i * nh + j]!;
        if (!Number.isFinite(d)) continue;
        objectMatched[i] = 1;
        hypothesisMatched[j] = 1;
        this.record(oids[i]!, d);
      }

      // 2. Optimal assignment of the rest.
      if (this.work.length < no * nh) this.work = new Float64Array(no * nh);
      const work = this.work;
      for (let i = 0; i < no; i++) {
        for (let j = 0; j < nh; j++) {
          work[i * nh + j] = objectMatched[i] || hypothesisMatched[j] ? NaN : distances[i * nh + j]!;
        }
      }
      const { rowToCol } = this.solver.solveMaxCardinality(work, no, nh);
      for (let i = 0; i < no; i++) {
        const j = rowToCol[i]!;
        if (j < 0) continue;
        const o = oids[i]!;
        const h = hids[j]!;
        const previous = this.lastMatch.get(o);
        if (previous !== undefined && previous !== h) this.numSwitches++;
        else this.numMatches++;
        this.lastMatch.set(o, h);
        objectMatched[i] = 1;
        hypothesisMatched[j] = 1;
        this.distanceSum += work[i * nh + j]!;
        this.trackObject(o, true);
      }
    }

    for (let i = 0; i < no; i++) {
      if (objectMatched[i]) continue;
      this.numMisses++;
      this.trackObject(oids[i]!, false);
    }
    for (let j = 0; j < nh; j++) if (!hypothesisMatched[j]) this.numFalsePositives++;
  }

  /** Totals so far. */
  counts(): ClearMotCounts {
    let numObjects = 0;
    let mostlyTracked = 0;
    let partiallyTracked = 0;
    let mostlyLost = 0;
    let numFragmentations = 0;
    for (const h of this.objects.values()) {
      numObjects += h.frames;
      numFragmentations += h.fragmentations;
      const ratio = h.tracked / h.frames;
      if (ratio >= 0.8) mostlyTracked++;
      else if (ratio >= 0.2) partiallyTracked++;
      else mostlyLost++;
    }
    return {
      numFrames: this.numFrames,
      numMatches: this.numMatches,
      numSwitches: this.numSwitches,
      numFalsePositives: this.numFalsePositives,
      numMisses: this.numMisses,
      numObjects,
      numPredictions: this.numPredictions,
      numUniqueObjects: this.objects.size,
      mostlyTracked,
      partiallyTracked,
      mostlyLost,
      numFragmentations,
      distanceSum: this.distanceSum,
    };
  }

  /** A step-1 match: same hypothesis as before, never a switch. */
  private record(o: number, d: number): void {
    this.numMatches++;
    this.distanceSum += d;
    this.trackObject(o, true);
  }

  private trackObject(o: number, tracked: boolean): void {
    let h = this.objects.get(o);
    if (h === undefined) this.objects.set(o, (h = { frames: 0, tracked: 0, fragmentations: 0, gapOpen: false }));
    h.frames++;
    if (tracked) {
      if (h.gapOpen) h.fragmentations++;
      h.gapOpen = false;
      h.tracked++;
    } else if (h.tracked > 0) {
      h.gapOpen = true;
    }
  }
}

function findUnmatched(hids: readonly number[], matched: Uint8Array, id: number): number {
  for (let j = 0; j < hids.length; j++) if (!matched[j] && hids[j] === id) return j;
  return -1;
}
