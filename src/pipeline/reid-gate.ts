/**
 * Decides which tracks get a ReID embedding on this frame. Embedding every track on every
 * frame wastes most of the ReID time: appearance changes slowly. A track is embedded when
 * it is new to the gate, every `uncertainInterval` frames while its identity is unsettled,
 * and every `refreshInterval` frames afterwards — and only when its box is large enough.
 */
export interface ReidGateOptions {
  /** Frames between embeddings of a settled track. */
  refreshInterval: number;
  /** Frames between embeddings while the identity is uncertain. */
  uncertainInterval: number;
  /** Observations after which an identity counts as settled (unless near the threshold). */
  settledObservations: number;
  minCropWidth: number;
  minCropHeight: number;
}

interface GateState {
  lastEmbedFrame: number;
  observations: number;
  uncertain: boolean;
}

export class ReidGate {
  private readonly state = new Map<number, GateState>();

  constructor(private readonly options: ReidGateOptions) {}

  /** True when the track with this box should be embedded on `frameIndex`. */
  wants(trackId: number, frameIndex: number, width: number, height: number): boolean {
    if (width < this.options.minCropWidth || height < this.options.minCropHeight) return false;
    const s = this.state.get(trackId);
    if (s === undefined) return true;
    const settled = s.observations >= this.options.settledObservations && !s.uncertain;
    const interval = settled ? this.options.refreshInterval : this.options.uncertainInterval;
    return frameIndex - s.lastEmbedFrame >= interval;
  }

  /** Records that the track was embedded; `uncertain` when its similarity sat near the threshold. */
  embedded(trackId: number, frameIndex: number, uncertain: boolean): void {
    const s = this.state.get(trackId);
    if (s === undefined) this.state.set(trackId, { lastEmbedFrame: frameIndex, observations: 1, uncertain });
    else {
      s.lastEmbedFrame = frameIndex;
      s.observations += 1;
      s.uncertain = uncertain;
    }
  }

  /** Forgets a removed track. */
  forget(trackId: number): void {
    this.state.delete(trackId);
  }
}
