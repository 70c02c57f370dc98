// Group commit: every caller's operations wait for one synced LevelDB batch. While a batch is being
// written, new operations gather; when it completes, all of them go down in the next batch. Under load
// this turns N fsyncs into one per round trip of the disk, without delaying a lone writer.
// A commit may waive the sync (bookkeeping that is as durable as the removals it follows): a batch is
// synced when any of its commits asked for it, and batches are written in the order of their commits.

export type BatchOp = { type: 'put'; key: string; value: Uint8Array } | { type: 'del'; key: string };

export type WriteBatch = (ops: BatchOp[], sync: boolean) => Promise<void>;

interface Waiter {
  readonly ops: readonly BatchOp[];
  readonly sync: boolean;
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
}

export class GroupCommitter {
  readonly #write: WriteBatch;
  readonly #finalOps: () => BatchOp[];
  #waiting: Waiter[] = [];
  #running: Promise<void> | null = null;

  /** `finalOps` is appended to each batch (the queue uses it to persist its seq counter). */
  constructor(write: WriteBatch, finalOps: () => BatchOp[] = () => []) {
    this.#write = write;
    this.#finalOps = finalOps;
  }

  commit(ops: readonly BatchOp[], sync = true): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#waiting.push({ ops, sync, resolve, reject });
      this.#running ??= this.#drain();
    });
  }

  /** Resolves once every commit so far has been written (or failed). */
  async idle(): Promise<void> {
    while (this.#running) await this.#running;
  }

  async #drain(): Promise<void> {
    while (this.#waiting.length > 0) {
      const group = this.#waiting;
      this.#waiting = [];
      const ops = group.flatMap((waiter) => waiter.ops);
      ops.push(...this.#finalOps());
      try {
        await this.#write(ops, group.some((waiter) => waiter.sync));
        for (const waiter of group) waiter.resolve();
      } catch (err) {
        for (const waiter of group) waiter.reject(err);
      }
    }
    this.#running = null;
  }
}
