// The durable queue: every byte relayd keeps lives in one LevelDB under the data dir (layout in
// keys.ts). Invariants:
//  - append() resolves only after its batch was written with sync (fsync): an ack to a runner
//    after append() survives kill -9 and power loss.
//  - Items of a run are read back in arrival order; an item leaves the queue only on a final outcome:
//    delivered (remove, a range delete of the delivered prefix) or dead-lettered (moved, synced).
//  - Removal is not synced: after a crash a delivered item may come back and be sent again, with the
//    same K6-Idempotency-Key (at-least-once). LevelDB's log is sequential, so the next synced batch
//    makes every earlier removal durable too.
//  - Memory holds per-run counters only, never the backlog itself.
import { Level } from 'level';
import { GroupCommitter, type BatchOp } from './group-commit.js';
import { decodeItem, encodeItem, type QueueItem, type StoredItem } from './item.js';
import { SEQ_KEY, deadKey, itemKey, parseEntryKey, prefixRange, runKey } from './keys.js';

export interface Backlog {
  items: number;
  bytes: number;
}

export interface DeadLetter extends Omit<StoredItem, 'size'> {
  readonly reason: string;
  readonly deadAt: number;
}

type Db = Level<string, Uint8Array>;

export class DurableQueue {
  readonly #db: Db;
  readonly #committer: GroupCommitter;
  readonly #backlog = new Map<string, Backlog>();
  #seq: number;
  #deadLetters = 0;

  private constructor(db: Db, seq: number) {
    this.#db = db;
    this.#seq = seq;
    this.#committer = new GroupCommitter(
      (ops) => db.batch(ops, { sync: true }),
      () => [{ type: 'put', key: SEQ_KEY, value: Buffer.from(String(this.#seq)) }],
    );
  }

  static async open(dir: string): Promise<DurableQueue> {
    const db: Db = new Level(dir, { keyEncoding: 'utf8', valueEncoding: 'view' });
    await db.open();
    const seqBytes = await db.get(SEQ_KEY);
    const queue = new DurableQueue(db, seqBytes ? Number(Buffer.from(seqBytes).toString()) : 0);
    await queue.#countBacklog();
    return queue;
  }

  async #countBacklog(): Promise<void> {
    for await (const [key, value] of this.#db.iterator(prefixRange('i!'))) {
      this.#grow(parseEntryKey(key).runId, 1, value.byteLength);
    }
    for await (const _ of this.#db.keys(prefixRange('d!'))) this.#deadLetters += 1;
  }

  #grow(runId: string, items: number, bytes: number): void {
    const backlog = this.#backlog.get(runId) ?? { items: 0, bytes: 0 };
    backlog.items += items;
    backlog.bytes += bytes;
    if (backlog.items <= 0) this.#backlog.delete(runId);
    else this.#backlog.set(runId, backlog);
  }

  /** Appends an item (and optionally a run record in the same batch); resolves with its seq once synced. */
  async append(runId: string, item: QueueItem, runRecord?: Uint8Array): Promise<number> {
    const seq = ++this.#seq;
    const value = encodeItem(item);
    const ops: BatchOp[] = [{ type: 'put', key: itemKey(runId, seq), value }];
    if (runRecord !== undefined) ops.push({ type: 'put', key: runKey(runId), value: runRecord });
    await this.#committer.commit(ops);
    this.#grow(runId, 1, value.byteLength);
    return seq;
  }

  /** Persists a run record, synced (group-committed with appends). */
  saveRun(runId: string, record: Uint8Array): Promise<void> {
    return this.#committer.commit([{ type: 'put', key: runKey(runId), value: record }]);
  }

  async loadRuns(): Promise<string[]> {
    const records: string[] = [];
    for await (const value of this.#db.values(prefixRange('r!'))) records.push(Buffer.from(value).toString('utf8'));
    return records;
  }

  /** Up to `limit` items of a run with seq > afterSeq, in arrival order. */
  async read(runId: string, afterSeq: number, limit: number): Promise<StoredItem[]> {
    const items: StoredItem[] = [];
    const range = { gt: itemKey(runId, afterSeq), lt: `i!${runId}!~`, limit };
    for await (const [key, value] of this.#db.iterator(range)) {
      items.push({ ...decodeItem(value), runId, seq: parseEntryKey(key).seq, size: value.byteLength });
    }
    return items;
  }

  /** Removes every item of the run up to and including `seq` (delivered in order). */
  async remove(item: StoredItem): Promise<void> {
    await this.#db.clear({ gt: `i!${item.runId}!`, lte: itemKey(item.runId, item.seq) });
    this.#grow(item.runId, -1, -item.size);
  }

  /** Moves an item the cloud refused for good to the dead-letter keyspace, synced. */
  async deadLetter(item: StoredItem, reason: string): Promise<void> {
    const { runId, seq, size, ...stored } = item;
    const letter = { ...stored, reason, deadAt: Date.now() };
    await this.#committer.commit([
      { type: 'del', key: itemKey(runId, seq) },
      { type: 'put', key: deadKey(runId, seq), value: encodeItem(letter) },
    ]);
    this.#grow(runId, -1, -size);
    this.#deadLetters += 1;
  }

  async *deadLetters(): AsyncGenerator<DeadLetter> {
    for await (const [key, value] of this.#db.iterator(prefixRange('d!'))) {
      yield { ...(decodeItem(value) as Omit<DeadLetter, 'runId' | 'seq'>), ...parseEntryKey(key) };
    }
  }

  backlog(runId: string): Backlog {
    return { ...(this.#backlog.get(runId) ?? { items: 0, bytes: 0 }) };
  }

  totals(): Backlog & { runs: number; deadLetters: number } {
    let items = 0;
    let bytes = 0;
    for (const backlog of this.#backlog.values()) {
      items += backlog.items;
      bytes += backlog.bytes;
    }
    return { items, bytes, runs: this.#backlog.size, deadLetters: this.#deadLetters };
  }

  async close(): Promise<void> {
    await this.#committer.idle();
    await this.#db.close();
  }
}
