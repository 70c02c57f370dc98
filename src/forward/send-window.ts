// Up to `size` sends of one run in flight at once, their outcomes settled strictly in the order the
// sends were added. The forwarder sends a run's pushes this way: the cloud takes a run's pushes in
// any order (only the create first and the finish last, §9.4.3), so one round trip per push need
// not bound a run's drain rate; and settling in order means an item leaves the queue only after
// every item before it did, so the queue's delivered prefix never skips one still in flight.
//
// A send or settle that fails stops every settle after it (they would remove items whose
// predecessor was not delivered); the failure is thrown by the next add() or drain().
export class SendWindow {
  readonly #size: number;
  readonly #running = new Set<Promise<boolean>>();
  /** Whether everything added so far was settled; never rejects. */
  #settled: Promise<boolean> = Promise.resolve(true);
  #failure: { error: unknown } | null = null;

  constructor(size: number) {
    this.#size = size;
  }

  /** Starts `send` once fewer than `size` are in flight; `settle` gets its outcome after all earlier settles. */
  async add<T>(send: () => Promise<T>, settle: (outcome: T) => Promise<void>): Promise<void> {
    while (this.#running.size >= this.#size) await Promise.race(this.#running);
    this.#throwIfFailed();
    const earlier = this.#settled;
    const settled = (async (): Promise<boolean> => {
      const [outcome, earlierSettled] = await Promise.all([send(), earlier]);
      if (!earlierSettled) return false;
      await settle(outcome);
      return true;
    })().catch((error: unknown) => {
      // Kept, not left unhandled: the next add() or drain() throws it.
      this.#failure ??= { error };
      return false;
    });
    this.#settled = settled;
    this.#running.add(settled);
    void settled.then(() => this.#running.delete(settled));
  }

  /** Resolves once everything added was settled; throws the first failure. */
  async drain(): Promise<void> {
    await Promise.all(this.#running);
    this.#throwIfFailed();
  }

  #throwIfFailed(): void {
    if (this.#failure) throw this.#failure.error;
  }
}
