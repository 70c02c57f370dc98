// Gives back the event loop's heap when ingest goes quiet. Ingest grows V8's young generation to
// 16 MiB a semi-space (32 MiB resident) and leaves garbage in the old generation; no ordinary
// collection shrinks either, and a drain grows the young generation back to 16 MiB a semi-space.
// Once no item was appended for QUIET_MS: one memory-reducing collection (back to 1 MiB a
// semi-space), after which the young generation may grow to YOUNG_HELD_BYTES and no more, until
// ingest is busy again. Held at 1 MiB, the drain's live objects did not fit: they were promoted,
// and the drain took ~1.5× the CPU. Measured on the memory benchmark (bench/README.md, issue 11).
import { getHeapSpaceStatistics } from 'node:v8';
import { holdYoungGeneration, reduceHeap, releaseYoungGeneration } from './young-generation.js';

/** k6 pushes every second per run: two missed pushes and ingest is quiet. */
const QUIET_MS = 2000;
const CHECK_EVERY_MS = 100;
/** Both semi-spaces: 4 MiB each. */
const YOUNG_HELD_BYTES = 8 * 1024 ** 2;

export interface HeapActions {
  reduce(): void;
  hold(): void;
  release(): void;
  /** Bytes of the young generation (both semi-spaces). */
  youngBytes(): number;
}

const V8_ACTIONS: HeapActions = {
  reduce: reduceHeap,
  hold: holdYoungGeneration,
  release: releaseYoungGeneration,
  youngBytes: () => getHeapSpaceStatistics().find((space) => space.space_name === 'new_space')?.space_size ?? 0,
};

export class IdleHeap {
  readonly #appended: () => number;
  readonly #actions: HeapActions;
  #seen: number;
  #changedAt: number;
  #quiet = false;
  #held = false;

  /** `appended`: how many items ingest has appended so far; the young generation is released now. */
  constructor(appended: () => number, now: number, actions: HeapActions = V8_ACTIONS) {
    this.#appended = appended;
    this.#actions = actions;
    this.#seen = appended();
    this.#changedAt = now;
  }

  /**
   * Looks at ingest once: reduces the heap once it is quiet and keeps the young generation small
   * while it stays so; releases the young generation when ingest is busy again.
   */
  check(now: number): void {
    const actions = this.#actions;
    const appended = this.#appended();
    if (appended !== this.#seen) {
      this.#seen = appended;
      this.#changedAt = now;
      if (this.#held) actions.release();
      this.#quiet = false;
      this.#held = false;
    } else if (this.#quiet) {
      // Held again at every check: V8 sets the growth factor back to 2 whenever an isolate starts
      // (a validation thread, push-validator.ts), even for a push that is refused and never appended.
      if (this.#held || actions.youngBytes() >= YOUNG_HELD_BYTES) {
        actions.hold();
        this.#held = true;
      }
    } else if (now - this.#changedAt >= QUIET_MS) {
      actions.reduce();
      this.#quiet = true;
    }
  }

  /** Checks every CHECK_EVERY_MS until the returned function is called. */
  watch(): () => void {
    const timer = setInterval(() => this.check(Date.now()), CHECK_EVERY_MS).unref();
    return () => clearInterval(timer);
  }
}
