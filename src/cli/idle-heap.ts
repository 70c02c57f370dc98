// Gives back the event loop's heap when ingest goes quiet. Ingest grows V8's young generation to
// 16 MiB a semi-space (32 MiB resident) and leaves garbage in the old generation; nothing shrinks
// either while relayd then only drains its backlog. Once no item was appended for QUIET_MS: one
// memory-reducing collection, and the young generation held at its initial 1 MiB until the next
// append lets it grow again.
// While ingest stays quiet, the drain's garbage is mostly outside V8's heap: every value read from
// the store is a Buffer of its push's size (~133 KiB for a v1 push), with a few hundred bytes of
// objects on the heap. Those that outlive a scavenge of the small young generation are freed only
// by a full collection, which V8 starts once 64 MiB more of such memory was allocated; so a full
// collection every COLLECT_AFTER_BYTES of new buffers keeps that garbage and the allocator's growth
// under it. Measured on the memory benchmark (bench/README.md, issue 11).
import { collectGarbage, holdYoungGeneration, reduceHeap, releaseYoungGeneration } from './young-generation.js';

/** k6 pushes every second per run: two missed pushes and ingest is quiet. */
const QUIET_MS = 2000;
/** A drain into a fast upstream allocates ~130 MiB/s of buffers: ~13 MiB between checks. */
const CHECK_EVERY_MS = 100;
/** ~20 ms of full collection per 32 MiB drained (a heap of ~25 MiB). */
const COLLECT_AFTER_BYTES = 32 * 1024 ** 2;

export interface HeapActions {
  hold(): void;
  release(): void;
  reduce(): void;
  collect(): void;
  /** Bytes of ArrayBuffers (Buffers) alive or awaiting collection. */
  arrayBuffers(): number;
}

const V8_ACTIONS: HeapActions = {
  hold: holdYoungGeneration,
  release: releaseYoungGeneration,
  reduce: reduceHeap,
  collect: collectGarbage,
  arrayBuffers: () => process.memoryUsage().arrayBuffers,
};

export class IdleHeap {
  readonly #appended: () => number;
  readonly #actions: HeapActions;
  #seen: number;
  #changedAt: number;
  #held = false;
  /** ArrayBuffer bytes after the last collection, or the lowest seen since. */
  #collectedAt = 0;

  /** `appended`: how many items ingest has appended so far; the young generation is released now. */
  constructor(appended: () => number, now: number, actions: HeapActions = V8_ACTIONS) {
    this.#appended = appended;
    this.#actions = actions;
    this.#seen = appended();
    this.#changedAt = now;
  }

  /**
   * Looks at ingest once: reduces and holds the heap once it is quiet, collects the buffers it
   * allocates while it stays quiet, and releases the heap when ingest is busy again.
   */
  check(now: number): void {
    const actions = this.#actions;
    const appended = this.#appended();
    if (appended !== this.#seen) {
      this.#seen = appended;
      this.#changedAt = now;
      if (this.#held) actions.release();
      this.#held = false;
    } else if (this.#held) {
      const buffers = actions.arrayBuffers();
      if (buffers - this.#collectedAt < COLLECT_AFTER_BYTES) {
        this.#collectedAt = Math.min(this.#collectedAt, buffers);
        return;
      }
      actions.collect();
      this.#collectedAt = actions.arrayBuffers();
    } else if (now - this.#changedAt >= QUIET_MS) {
      actions.hold();
      actions.reduce();
      this.#held = true;
      this.#collectedAt = actions.arrayBuffers();
    }
  }

  /** Checks every CHECK_EVERY_MS until the returned function is called. */
  watch(): () => void {
    const timer = setInterval(() => this.check(Date.now()), CHECK_EVERY_MS).unref();
    return () => clearInterval(timer);
  }
}
