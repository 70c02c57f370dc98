// The clock that decides when a bucket is due: the latest sample time the run's aggregation has
// seen, not the wall clock. Live data arrives about as it happens, so this runs close to the wall
// clock; data replayed from a file or held back by a runner is aggregated bucket by bucket as it
// arrives, instead of every bucket counting as already late. A sample timed more than the wait
// period ahead of the wall clock (a runner with a wrong clock) moves it only that far.

export class EventClock {
  /** Unix µs; 0 before the first sample. */
  #timeUs: number;
  #wallLimitUs = Number.POSITIVE_INFINITY;

  constructor(timeUs: number) {
    this.#timeUs = timeUs;
  }

  /** Sets the furthest the clock may run ahead: wall time plus the wait period. */
  limit(wallMs: number, waitPeriodMs: number): void {
    this.#wallLimitUs = (wallMs + waitPeriodMs) * 1000;
  }

  observe(timeUs: number): void {
    if (timeUs > this.#timeUs) this.#timeUs = Math.min(timeUs, Math.max(this.#wallLimitUs, this.#timeUs));
  }

  get timeUs(): number {
    return this.#timeUs;
  }

  /** For the aggregators' `nowNs` (a double: exact to 256 ns, see aggregate/time-bucket.ts). */
  get timeNs(): number {
    return this.#timeUs * 1000;
  }
}
