/** Calls still running on a model, so `release()` can wait for them before freeing its sessions. */
export class InFlightCalls {
  private readonly calls = new Set<Promise<unknown>>();

  /** Resolves like `call`, counting it as in flight until it settles. */
  async track<T>(call: Promise<T>): Promise<T> {
    this.calls.add(call);
    try {
      return await call;
    } finally {
      this.calls.delete(call);
    }
  }

  /** Resolves once every call in flight now has settled (never rejects). */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.calls]);
  }
}
