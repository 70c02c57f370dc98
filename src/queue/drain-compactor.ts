// Gives the disk space of delivered items back while a backlog drains. The queue removes a run's
// items as in-order prefixes of its box (keys.ts) with range deletes: LevelDB writes a tombstone
// per key, and the bytes leave the disk only when a compaction brings the tombstones down to the
// values they hide. A draining queue writes little but tombstones, so LevelDB's own compactions
// (set off by writes) may not come at all: the store would keep its peak size, and its table files
// would stay mapped into relayd's memory (LevelDB reads them through mmap until it deletes them).
// Invariants:
//  - Only removed key ranges are compacted, each from the start of its run's box up to the last key
//    removed there: a live backlog is not rewritten (beyond the table files that straddle a range's
//    end, and what LevelDB's level 0 overlaps).
//  - One LevelDB call at a time, in the background: LevelDB compacts on its own thread, removals
//    only note their range here, and appends and acks never wait for a compaction.
//  - A round starts once `compactAfterBytes` were removed since the last round began, and when the
//    queue became empty after at least `compactWhenEmptyAfterBytes` were.
//  - LevelDB deletes the table files a compaction replaced at its next flush or compaction, and only
//    those no read still has open: so each round is followed, a moment later, by a flush.
//  - A compaction changes how much disk the store takes, never what it holds: a range compacted twice
//    or with live keys in it costs I/O, not data.

/** The queue's reads take milliseconds: this long after a round, the reads that overlapped it have ended. */
const FLUSH_AFTER_ROUND_MS = 250;

export interface DrainCompactorOptions {
  /** Compacts the keys from `start` to `end`, both included (LevelDB's CompactRange). */
  readonly compact: (start: string, end: string) => Promise<void>;
  /** Writes LevelDB's memtable out, compacting nothing; LevelDB then deletes the files no read holds. */
  readonly flush: () => Promise<void>;
  readonly compactAfterBytes: number;
  readonly compactWhenEmptyAfterBytes: number;
  /** After each round or flush that did not fail, e.g. to measure the store again. */
  readonly onCompacted: () => Promise<void>;
  readonly onError: (err: unknown) => void;
}

export class DrainCompactor {
  readonly #options: DrainCompactorOptions;
  /** Removed ranges not compacted yet: the start of a run's box → the last key removed there. */
  #pending = new Map<string, string>();
  #removedBytes = 0;
  /** The queue became empty after the last removal. */
  #empty = false;
  /** The round or flush running, if any. */
  #running: Promise<void> | null = null;
  #flushTimer: NodeJS.Timeout | null = null;
  #stopped = false;

  constructor(options: DrainCompactorOptions) {
    this.#options = options;
  }

  /** Keys from `start` up to `end` (included) were removed, freeing `bytes` once compacted. */
  removed(start: string, end: string, bytes: number): void {
    this.#note(start, end);
    this.#removedBytes += bytes;
    this.#empty = false;
    this.#startIfDue();
  }

  /** The queue holds nothing more. */
  emptied(): void {
    this.#empty = true;
    this.#startIfDue();
  }

  /** Starts nothing more; resolves once what runs (if anything) ended. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#flushTimer) clearTimeout(this.#flushTimer);
    await this.#running;
  }

  #note(start: string, end: string): void {
    const known = this.#pending.get(start);
    if (known === undefined || end > known) this.#pending.set(start, end);
  }

  #due(): boolean {
    const { compactAfterBytes, compactWhenEmptyAfterBytes } = this.#options;
    if (this.#pending.size === 0) return false;
    // A queue that keeps up with its runs empties after every delivery: a round each time would
    // flush LevelDB's memtable after every push.
    return this.#removedBytes >= compactAfterBytes || (this.#empty && this.#removedBytes >= compactWhenEmptyAfterBytes);
  }

  #startIfDue(): void {
    if (this.#running !== null || this.#stopped || !this.#due()) return;
    // The round's own compactions flush first: no separate flush needed before it.
    if (this.#flushTimer) clearTimeout(this.#flushTimer);
    this.#flushTimer = null;
    const ranges = [...this.#pending];
    this.#pending = new Map();
    this.#removedBytes = 0;
    this.#empty = false;
    this.#run(() => this.#compact(ranges), true);
  }

  #run(work: () => Promise<void>, flushAfter: boolean): void {
    this.#running = work()
      .then(() => this.#options.onCompacted())
      .catch((err: unknown) => this.#options.onError(err))
      .finally(() => {
        this.#running = null;
        this.#startIfDue();
        if (flushAfter && this.#running === null && !this.#stopped) {
          this.#flushTimer = setTimeout(() => {
            this.#flushTimer = null;
            if (this.#running === null && !this.#stopped) this.#run(this.#options.flush, false);
          }, FLUSH_AFTER_ROUND_MS).unref();
        }
      });
  }

  async #compact(ranges: [string, string][]): Promise<void> {
    try {
      while (ranges.length > 0 && !this.#stopped) {
        const [start, end] = ranges[0]!;
        await this.#options.compact(start, end);
        ranges.shift();
      }
    } finally {
      // Ranges not compacted (stopped, or the store failed) wait for the next round.
      for (const [start, end] of ranges) this.#note(start, end);
    }
  }
}
