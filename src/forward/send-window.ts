// Up to `size` sends of one run in flight at once, their outcomes settled strictly in the order the
// sends were added. The forwarder sends a run's pushes this way: the cloud takes a run's pushes in
// any order (only the create first and the finish last, §9.4.3), so one round trip per push need
// not bound a run's drain rate; and settling in order means an item leaves the queue only after
// every item before it did, so the queue's delivered prefix never skips one still in flight.
//
// A send or settle that fails stops every settle after it (they would remove items whose
// predecessor was not delivered); the failure is thrown by the next add() or drain().
//
// A settle may hand the window writes it started and need not wait for (the removal of a delivered
// item): the next settle goes ahead at once, so a run's deliveries are not paced by the store's
// write round trips. Such writes land in the order they were started (the queue's group commit
// keeps that order); drain() waits for them, and one that fails fails the window like a settle.
// At most `size` of them wait at once: a slow store holds up the window instead of piling up
// items, and a crash re-sends at most `size` delivered items whose removal was not written yet on
// top of the `size` in flight (docs/reliability.md).
export class SendWindow {
  readonly #size: number;
  readonly #running = new Set<Promise<boolean>>();
  readonly #writes = new Set<Promise<void>>();
  /** Whether everything added so far was settled; never rejects. */
  #settled: Promise<boolean> = Promise.resolve(true);
  #failure: { error: unknown } | null = null;

  constructor(size: number) {
    this.#size = size;
  }

  /** Starts `send` once fewer than `size` are in flight; `settle` gets its outcome after all earlier settles. */
  async add<T>(send: () => Promise<T>, settle: (outcome: T) => Promise<void>): Promise<void> {
    while (this.#running.size >= this.#size) await Promise.race(this.#running);
    while (this.#writes.size >= this.#size) await Promise.race(this.#writes);
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

  /** A write a settle started and does not wait for; drain() does. */
  background(write: Promise<void>): void {
    const tracked = write
      .catch((error: unknown) => {
        this.#failure ??= { error };
      })
      .finally(() => this.#writes.delete(tracked));
    this.#writes.add(tracked);
  }

  /** Resolves once everything added was settled and its background writes ended; throws the first failure. */
  async drain(): Promise<void> {
    await Promise.all(this.#running);
    await Promise.all(this.#writes);
    this.#throwIfFailed();
  }

  #throwIfFailed(): void {
    if (this.#failure) throw this.#failure.error;
  }
}
