/**
 * Merges the crops of concurrent `embed()` calls into shared batches, so that the cameras of
 * one tick cost one inference call instead of one each. Each crop is written into the open
 * batch when it is added (the caller's frame is read at once); the batch is sent when it is
 * full, or at the end of the current event-loop turn — later, if a run is still in flight,
 * so the crops that arrive meanwhile join it instead of queueing behind it. One model session
 * runs one batch at a time, so waiting for it to be free costs no latency.
 */

/** Runs one batch: `count` crops in the first slots of `tensor`; resolves with the tensor (usable again) and `count × dimension` outputs. */
export type BatchRunner = (tensor: Float32Array, count: number) => Promise<{ tensor: Float32Array; output: Float32Array }>;

interface Waiter {
  resolve: (vector: Float32Array) => void;
  reject: (error: unknown) => void;
}

interface OpenBatch {
  tensor: Float32Array;
  waiters: Waiter[];
}

/** Spare batch tensors kept for reuse; a burst beyond this allocates temporarily. */
const MAX_POOLED_TENSORS = 4;

export class CropBatcher {
  private open: OpenBatch | undefined;
  private readonly spare: Float32Array[] = [];
  private running = 0;
  private flushScheduled = false;

  /**
   * @param slotLength - Floats per crop.
   * @param capacity - Crops per batch (the model's maximum batch).
   * @param dimension - Floats per output vector.
   * @param run - Runs a batch on the model.
   * @param finish - Turns one output row (a fresh copy) into the caller's vector (e.g. L2-normalises it).
   */
  constructor(
    private readonly slotLength: number,
    private readonly capacity: number,
    private readonly dimension: number,
    private readonly run: BatchRunner,
    private readonly finish: (row: Float32Array) => Float32Array,
  ) {}

  /**
   * Adds one crop: `write(tensor, slot)` must fill slot `slot` of `tensor` now. Resolves with
   * the crop's vector once its batch has run.
   */
  add(write: (tensor: Float32Array, slot: number) => void): Promise<Float32Array> {
    const batch = (this.open ??= { tensor: this.spare.pop() ?? new Float32Array(this.capacity * this.slotLength), waiters: [] });
    write(batch.tensor, batch.waiters.length);
    const vector = new Promise<Float32Array>((resolve, reject) => batch.waiters.push({ resolve, reject }));
    if (batch.waiters.length === this.capacity) this.dispatch();
    else if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => {
        this.flushScheduled = false;
        if (this.running === 0) this.dispatch();
      });
    }
    return vector;
  }

  /** Sends the open batch to the model. */
  private dispatch(): void {
    const batch = this.open;
    if (batch === undefined || batch.waiters.length === 0) return;
    this.open = undefined;
    this.running++;
    const { waiters } = batch;
    this.run(batch.tensor, waiters.length).then(
      ({ tensor, output }) => {
        this.running--;
        if (this.spare.length < MAX_POOLED_TENSORS) this.spare.push(tensor);
        const d = this.dimension;
        for (let k = 0; k < waiters.length; k++) waiters[k]!.resolve(this.finish(output.slice(k * d, (k + 1) * d)));
        // Crops that arrived during the run go now, in one batch.
        if (this.running === 0) this.dispatch();
      },
      (error: unknown) => {
        this.running--; // the tensor stayed in the failed worker run
        for (const w of waiters) w.reject(error);
        if (this.running === 0) this.dispatch();
      },
    );
  }
}
