// Gives back the event loop's heap when ingest goes quiet. Ingest grows V8's young generation to
// 16 MiB a semi-space (32 MiB resident) and leaves garbage in the old generation; nothing shrinks
// either while relayd then only drains its backlog, and the drain's own garbage (every value read
// from the store is a Buffer of the push's size) waits for the next collection of a young
// generation that large. Once no item was appended for QUIET_MS: one memory-reducing collection,
// and the young generation held at its initial 1 MiB, so that the drain's buffers are freed a few
// hundred at most after they were sent. The first append after that lets it grow again.
// Measured on the memory benchmark (bench/README.md, issue 11).
import { holdYoungGeneration, reduceHeap, releaseYoungGeneration } from './young-generation.js';

/** k6 pushes every second per run: two missed pushes and ingest is quiet. */
const QUIET_MS = 2000;
const CHECK_EVERY_MS = 500;

export interface HeapActions {
  hold(): void;
  release(): void;
  reduce(): void;
}

const V8_ACTIONS: HeapActions = { hold: holdYoungGeneration, release: releaseYoungGeneration, reduce: reduceHeap };

export class IdleHeap {
  readonly #appended: () => number;
  readonly #actions: HeapActions;
  #seen: number;
  #changedAt: number;
  #held = false;

  /** `appended`: how many items ingest has appended so far; the young generation is released now. */
  constructor(appended: () => number, now: number, actions: HeapActions = V8_ACTIONS) {
    this.#appended = appended;
    this.#actions = actions;
    this.#seen = appended();
    this.#changedAt = now;
  }

  /** Looks at ingest once: reduces and holds the heap once it is quiet, releases it when it is not. */
  check(now: number): void {
    const appended = this.#appended();
    if (appended !== this.#seen) {
      this.#seen = appended;
      this.#changedAt = now;
      if (this.#held) this.#actions.release();
      this.#held = false;
    } else if (!this.#held && now - this.#changedAt >= QUIET_MS) {
      this.#actions.hold();
      this.#actions.reduce();
      this.#held = true;
    }
  }

  /** Checks every CHECK_EVERY_MS until the returned function is called. */
  watch(): () => void {
    const timer = setInterval(() => this.check(Date.now()), CHECK_EVERY_MS).unref();
    return () => clearInterval(timer);
  }
}
