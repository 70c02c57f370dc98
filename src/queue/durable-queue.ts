// The durable queue: every byte relayd keeps lives in one LevelDB under the data dir (layout in
// keys.ts). Invariants:
//  - append() resolves only after its batch was written with sync (fsync): an ack to a runner
//    after append() survives kill -9 and power loss.
//  - Items of a run are read back in arrival order; an item leaves the queue only on a final outcome:
//    delivered (remove) or dead-lettered (moved, synced).
//  - Removal is not synced: after a crash a delivered item may come back and be sent again, with the
//    same K6-Idempotency-Key (at-least-once). LevelDB's log is sequential, so the next synced batch
//    makes every earlier removal durable too. A removal deletes the item's own key, group-committed
//    with other writes: a range delete from the box's start would walk every tombstone and value
//    removed since the last compaction, reading (and mapping) them again for each delivery.
//  - Removed ranges leave the disk when LevelDB compacts them: drain-compactor.ts does so in the
//    background as a backlog drains, with or without a quota.
//  - Memory holds per-run counters only, never the backlog itself.
//  - A processed run's inbox turns into outbox items in commitProcessed: the outbox items, the run's
//    aggregator state and the deletion of the inbox items they were made from are one synced batch,
//    so after a crash every sample is either still in the inbox or already in state and outbox.
//    The backlog counters count both boxes.
//  - After a write fails (a full disk, an I/O error) nothing more is written, and so nothing more
//    acknowledged, until the store was closed and reopened. LevelDB's log may have lost the bytes
//    of the failed write while it goes on appending: a write "succeeding" after that, without a
//    reopen, can vanish at the next open (seen with a real ENOSPC on tmpfs; test/queue/disk-full).
//    Meanwhile writers get RELAYD_DISK_FULL or RELAYD_STORE_UNAVAILABLE (503, Retry-After).
//  - A body kept in a file (body-files.ts: a multipart create's archive, a push of PUSH_BODY_FILE_BYTES
//    or more) leaves with its item: the item's removal is synced first, so that a crash cannot bring
//    back an item without its file; files no item names are deleted when the store opens. A processed
//    push that becomes an outbox item as it came keeps its file, which the outbox item then names.
//  - Data appends (everything but create and finish) are refused at the disk quota (disk-quota.ts);
//    creates and finishes are small, and refusing a finish would turn a finished run into a
//    timed-out one.
import { EventEmitter, once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ClassicLevel } from 'classic-level';
import { RelaydError } from '../errors.js';
import type { Logger } from '../observe/index.js';
import type { Backlog, StoreCensus } from './census.js';
import { DiskQuota, type QuotaState } from './disk-quota.js';
import { DrainCompactor } from './drain-compactor.js';
import { GroupCommitter, type BatchOp } from './group-commit.js';
import { BodyFiles } from './body-files.js';
import { isDiskFull, openStore, type StoreRecovery } from './store-open.js';
import { decodeItem, diskBytes, encodeItem, isControlItem, type ItemBox, type QueueItem, type StoredItem } from './item.js';
import {
  BOX_PREFIX,
  RESULTS_PREFIX,
  SEQ_KEY,
  deadKey,
  itemKey,
  outboxKey,
  parseEntryKey,
  prefixRange,
  processStateKey,
  runKey,
  statsKey,
} from './keys.js';

export type { Backlog } from './census.js';

/** Where the queue reports what keeps it from taking data, and what an operator must know (observe/health.ts fits). */
export interface StoreConditions {
  setNotReady(condition: string, reason: string): void;
  setReady(condition: string): void;
  addNotice(notice: string): void;
}

export interface QueueOptions {
  /** The disk quota in bytes (a resolved --max-disk); absent: none. */
  readonly maxDiskBytes?: number;
  readonly logger?: Logger;
  readonly conditions?: StoreConditions;
  /** Called after the store was reopened following a failed write: readers should start over. */
  readonly onReopened?: () => void;
}

const QUOTA_CONDITION = 'disk-quota';
const STORE_CONDITION = 'store';
const MEASURE_EVERY_MS = 1000;
const REOPEN_EVERY_MS = 1000;
/**
 * Compact every 64 MiB removed: at most about that much delivered stays on disk (and mapped), for
 * one memtable flush and a few rewritten boundary tables per round.
 */
const COMPACT_AFTER_REMOVED_BYTES = 64 * 1024 ** 2;
/**
 * A push body of this size or more is kept in a body file, not in its store value: LevelDB holds a
 * value several times over while it writes it (its log, the memtable), compacts it (a table block and
 * its compression) and reads it back (its copy, then classic-level's Buffer), in malloc arenas that
 * keep the memory afterwards. A 12 MiB push raised relayd's RSS ~75 MiB more between its answer and
 * its delivery (bench/FOOTPRINT.md). k6's pushes are ~0.1-0.3 MiB (a one-second v1 push of 2,000
 * requests, gzipped), so they stay in the store, group-committed.
 */
export const PUSH_BODY_FILE_BYTES = 1024 ** 2;
/** With a small quota, compact once this share of it was removed: a full store recovers early in a drain. */
const COMPACT_AFTER_REMOVED_SHARE = 0.1;
/** When the queue empties, compact if this much (LevelDB's memtable size) was removed since the last round. */
const COMPACT_WHEN_EMPTY_AFTER_BYTES = 4 * 1024 ** 2;
/** Above every key (keys.ts): compacting it only flushes LevelDB's memtable. */
const ABOVE_EVERY_KEY = '~';

/** One step of the processing stage for one run, written as one synced batch. */
export interface ProcessedBatch {
  /** Inbox items taken into the state or the outbox: deleted. */
  readonly consumed: readonly StoredItem[];
  /** Upstream-ready requests, appended to the run's outbox in this order. */
  readonly outbox: readonly QueueItem[];
  /** Made from the inbox but impossible to send in the run's upstream protocol: kept as dead letters. */
  readonly deadLetters: readonly { readonly item: QueueItem; readonly reason: string }[];
  /** The run's aggregator state after this step; null deletes it (the run's processing is done). */
  readonly state: Uint8Array | null;
}

const BOX_KEY: Readonly<Record<ItemBox, (runId: string, seq: number) => string>> = { inbox: itemKey, outbox: outboxKey };

/** Where a run's box starts: below its first item's key. */
const boxStart = (box: ItemBox, runId: string): string => `${BOX_PREFIX[box]}${runId}!`;
/** What an item's removal takes out of LevelDB (its size without its body file): what the compactor counts. */
const storeBytes = (item: StoredItem): number => item.size - (item.bodyFile?.bytes ?? 0);

export interface DeadLetter extends Omit<StoredItem, 'size'> {
  readonly reason: string;
  readonly deadAt: number;
}

type Db = ClassicLevel<string, Uint8Array>;

export class DurableQueue {
  /** Replaced when the store is reopened after a failed write. */
  #db: Db;
  readonly #dir: string;
  readonly #options: QueueOptions;
  readonly #committer: GroupCommitter;
  readonly #quota: DiskQuota | null;
  #backlog = new Map<string, Backlog>();
  #seq = 0;
  #appended = 0;
  #deadLetters = 0;
  #failure: RelaydError | null = null;
  #reopening: Promise<void> | null = null;
  readonly #compactor: DrainCompactor;
  /** Measurements one after the other: each one settles the bytes appended since the one before. */
  #measuring: Promise<void> = Promise.resolve();
  readonly #measureTimer: NodeJS.Timeout | null;
  readonly #closing = new AbortController();
  /** Emits 'drained' whenever the last pending item leaves. */
  readonly #events = new EventEmitter();
  /** What opening the store took (repair, moved aside); null when it opened as it was. */
  readonly recovery: StoreRecovery | null;
  /** Bodies kept out of the store, in files named by their items. */
  readonly bodyFiles: BodyFiles;
  /** Runs whose ledger changed since their last write, with how to encode it (when the batch is built). */
  readonly #changedStats = new Map<string, () => Uint8Array>();
  /** Awaited before inbox items leave (guardRemovals). */
  #beforeRemoving: (runId: string, seq: number) => Promise<void> = () => Promise.resolve();

  private constructor(dir: string, db: Db, census: StoreCensus, recovery: StoreRecovery | null, options: QueueOptions) {
    this.#dir = dir;
    this.#db = db;
    this.#options = options;
    this.recovery = recovery;
    this.bodyFiles = new BodyFiles(dir);
    this.#adopt(census);
    this.#committer = new GroupCommitter(
      (ops, sync) => this.#write((store) => store.batch(ops, { sync }), ops),
      () => [{ type: 'put', key: SEQ_KEY, value: Buffer.from(String(this.#seq)) }, ...this.#takeChangedStats()],
    );
    this.#quota = options.maxDiskBytes === undefined ? null : new DiskQuota(options.maxDiskBytes, dir);
    this.#compactor = new DrainCompactor({
      compact: (start, end) => this.#write((store) => store.compactRange(start, end)),
      flush: () => this.#write((store) => store.compactRange(ABOVE_EVERY_KEY, ABOVE_EVERY_KEY)),
      compactAfterBytes: Math.min(COMPACT_AFTER_REMOVED_BYTES, COMPACT_AFTER_REMOVED_SHARE * (options.maxDiskBytes ?? Infinity)),
      compactWhenEmptyAfterBytes: COMPACT_WHEN_EMPTY_AFTER_BYTES,
      onCompacted: () => this.#checkQuota(),
      onError: (err) => {
        if (!this.#closing.signal.aborted && !this.#failure) options.logger?.warn({ err }, 'compacting delivered items failed');
      },
    });
    this.#measureTimer = this.#quota ? setInterval(() => void this.#checkQuota(), MEASURE_EVERY_MS).unref() : null;
  }

  /**
   * Opens (repairing or moving aside a damaged store, see store-open.ts), counts the backlog from a
   * census of every entry, and quarantines entries that cannot be read so that no reader trips on them.
   */
  static async open(dir: string, options: QueueOptions = {}): Promise<DurableQueue> {
    const { db, census, recovery } = await openStore(dir);
    const queue = new DurableQueue(dir, db, census, recovery, options);
    queue.#reportRecovery(recovery);
    await queue.#quarantine(census);
    const leftOver = await queue.bodyFiles.sweep(census.bodyFiles);
    if (leftOver.length > 0) options.logger?.info({ files: leftOver.length }, 'deleted body files no queued item names (left by a crash)');
    await queue.#checkQuota();
    return queue;
  }

  #adopt(census: StoreCensus): void {
    this.#backlog = new Map([...census.backlog].map(([runId, backlog]) => [runId, { ...backlog }]));
    this.#deadLetters = census.deadLetters.items;
    // A write that failed may still have reached the disk: never hand out its seq again.
    this.#seq = Math.max(this.#seq, census.storedSeq ?? 0, census.highestSeq);
  }

  #reportRecovery(recovery: StoreRecovery | null): void {
    if (recovery === null) return;
    const { logger, conditions } = this.#options;
    if (recovery.kind === 'repaired') {
      logger?.error(
        { damage: recovery.damage, archived: recovery.archived },
        'STORE REPAIRED: the store could not be opened; LevelDB repair rebuilt it and archived what it could not use in lost/',
      );
      conditions?.addNotice(`the store in ${this.#dir} was damaged (${recovery.damage}) and repaired; files repair could not use are kept in ${this.#dir}/lost`);
    } else {
      logger?.error(
        { damage: recovery.damage, repairFailure: recovery.repairFailure, movedTo: recovery.movedTo },
        'STORE MOVED ASIDE: the store could not be opened nor repaired; it is kept and relayd started with an empty store',
      );
      conditions?.addNotice(
        `the store in ${this.#dir} could not be opened nor repaired (${recovery.repairFailure}); it was moved to ${recovery.movedTo} (kept) and relayd started with an empty store`,
      );
    }
  }

  /** Moves entries that do not decode to q!<key>, raw bytes kept, in one synced batch. */
  async #quarantine(census: StoreCensus): Promise<void> {
    if (census.unreadable.length === 0) return;
    const ops: BatchOp[] = [];
    for (const { key } of census.unreadable) {
      const value = await this.#db.get(key);
      if (value !== undefined) ops.push({ type: 'put', key: `q!${key}`, value }, { type: 'del', key });
    }
    await this.#committer.commit(ops);
    this.#options.logger?.error(
      { entries: census.unreadable.slice(0, 20), count: census.unreadable.length },
      'unreadable entries were moved to the quarantine keyspace (q!), kept; relayd check lists them',
    );
    this.#options.conditions?.addNotice(`${census.unreadable.length} unreadable store entries were quarantined (relayd check lists them)`);
  }

  /**
   * Every write goes through here. After one failed write, every later one is refused until the
   * store was reopened (see the header).
   */
  async #write<T>(write: (db: Db) => Promise<T>, ops: readonly BatchOp[] = []): Promise<T> {
    if (this.#failure) throw this.#failure;
    try {
      const result = await write(this.#db);
      if (this.#quota) for (const op of ops) if (op.type === 'put') this.#quota.added(op.value.byteLength);
      return result;
    } catch (err) {
      throw this.#fail(err);
    }
  }

  #fail(err: unknown): RelaydError {
    if (this.#failure) return this.#failure;
    const detail = err instanceof Error ? err.message : String(err);
    if (this.#closing.signal.aborted) return new RelaydError('RELAYD_SHUTTING_DOWN', detail, { cause: err });
    this.#failure = new RelaydError(isDiskFull(err) ? 'RELAYD_DISK_FULL' : 'RELAYD_STORE_UNAVAILABLE', detail, { cause: err });
    this.#options.logger?.error({ err }, 'a write to the store failed; refusing data until the store was reopened');
    this.#options.conditions?.setNotReady(STORE_CONDITION, this.#failure.message);
    this.#reopening = this.#reopenUntilOpen();
    return this.#failure;
  }

  async #reopenUntilOpen(): Promise<void> {
    const signal = this.#closing.signal;
    for (let attempt = 1; !signal.aborted; attempt++) {
      await sleep(REOPEN_EVERY_MS, undefined, { signal }).catch(() => undefined);
      if (signal.aborted) return;
      await this.#committer.idle();
      try {
        await this.#db.close().catch(() => undefined);
        const { db, census, recovery } = await openStore(this.#dir);
        this.#db = db;
        this.#adopt(census);
        this.#reportRecovery(recovery);
        this.#failure = null;
        this.#options.conditions?.setReady(STORE_CONDITION);
        this.#options.logger?.warn({ attempt }, 'the store was reopened; taking data again');
        this.#options.onReopened?.();
        return;
      } catch (err) {
        if (attempt === 1 || attempt % 10 === 0) this.#options.logger?.warn({ err, attempt }, 'the store cannot be reopened yet; trying again');
      }
    }
  }

  /** Measures the store against the quota: every second, and after each compaction of delivered items (a full store recovers then). */
  #checkQuota(): Promise<void> {
    this.#measuring = this.#measuring.then(() => this.#measureQuota());
    return this.#measuring;
  }

  async #measureQuota(): Promise<void> {
    const quota = this.#quota;
    if (!quota || this.#closing.signal.aborted) return;
    try {
      if (await quota.measure()) this.#reportQuota(quota.state());
    } catch (err) {
      if (!this.#closing.signal.aborted && !this.#failure) this.#options.logger?.warn({ err }, 'measuring the store against its quota failed');
    }
  }

  #reportQuota(state: QuotaState): void {
    const { logger, conditions } = this.#options;
    const fields = { usedBytes: state.usedBytes, maxBytes: state.maxBytes };
    if (state.full) {
      logger?.warn(fields, 'the store reached its disk quota (--max-disk): refusing pushes with 503 until the backlog drains');
      conditions?.setNotReady(QUOTA_CONDITION, `the store uses ${state.usedBytes} of ${state.maxBytes} bytes (--max-disk)`);
    } else {
      logger?.info(fields, 'the store is below its disk quota again: taking pushes');
      conditions?.setReady(QUOTA_CONDITION);
    }
  }

  /** Refuses data beyond the quota; the first refusal makes the store not ready at once, not at the next measurement. */
  #admit(bytes: number): void {
    const quota = this.#quota;
    if (!quota) return;
    const wasFull = quota.full;
    try {
      quota.admit(bytes);
    } catch (err) {
      if (!wasFull) this.#reportQuota(quota.state());
      throw err;
    }
  }

  /** The quota's state, or null without a quota. */
  quotaState(): QuotaState | null {
    return this.#quota?.state() ?? null;
  }

  #grow(runId: string, items: number, bytes: number): void {
    const backlog = this.#backlog.get(runId) ?? { items: 0, bytes: 0 };
    backlog.items += items;
    backlog.bytes += bytes;
    if (backlog.items <= 0) this.#backlog.delete(runId);
    else this.#backlog.set(runId, backlog);
    if (this.#backlog.size === 0) {
      this.#events.emit('drained');
      this.#compactor.emptied();
    }
  }

  /** Resolves once nothing is pending (every item delivered or dead-lettered), or when `signal` aborts. */
  async drained(signal: AbortSignal): Promise<void> {
    if (this.#backlog.size === 0) return;
    await once(this.#events, 'drained', { signal }).catch(() => undefined);
  }

  /**
   * Appends an item (and optionally a run record in the same batch); resolves with its seq once synced.
   * A large push body goes to a body file first. If the write fails, the file is left to the sweep of
   * the next open: whether a failed batch is in LevelDB's log is only known then.
   */
  async append(runId: string, item: QueueItem, runRecord?: Uint8Array): Promise<number> {
    if (this.#failure) throw this.#failure;
    let stored = item;
    if (item.kind === 'push' && item.bodyFile === undefined && item.body.byteLength >= PUSH_BODY_FILE_BYTES) {
      this.#admit(item.body.byteLength);
      const bodyFile = await this.bodyFiles.write(item.body).catch((err: unknown) => {
        // The store itself is unharmed (the file is gone again): only this push is refused.
        throw isDiskFull(err) ? new RelaydError('RELAYD_DISK_FULL', `writing a push's body file: ${(err as Error).message}`, { cause: err }) : err;
      });
      this.#quota?.added(bodyFile.bytes);
      stored = { ...item, bodyFile };
    }
    const value = encodeItem(stored);
    if (stored === item && !isControlItem(item)) this.#admit(value.byteLength);
    const seq = ++this.#seq;
    const ops: BatchOp[] = [{ type: 'put', key: itemKey(runId, seq), value }];
    if (runRecord !== undefined) ops.push({ type: 'put', key: runKey(runId), value: runRecord });
    await this.#committer.commit(ops);
    this.#appended += 1;
    this.#grow(runId, 1, diskBytes(value.byteLength, stored));
    return seq;
  }

  /** Items appended since the store opened: whether ingest is busy (cli/idle-heap.ts). */
  get appended(): number {
    return this.#appended;
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

  /**
   * Up to `limit` items of a run's inbox (or outbox) with seq > afterSeq, in arrival order; once they
   * hold `maxBytes` (their sizes, body files included) no more are read (the first always is), so
   * that what is read ahead of sending, or read back by readInMemory, stays small whatever the
   * bodies weigh.
   */
  async read(runId: string, afterSeq: number, limit: number, box: ItemBox = 'inbox', maxBytes = Infinity): Promise<StoredItem[]> {
    const items: StoredItem[] = [];
    const keyOf = BOX_KEY[box];
    const range = { gt: keyOf(runId, afterSeq), lt: `${BOX_PREFIX[box]}${runId}!~`, limit };
    let bytes = 0;
    for await (const [key, value] of this.#db.iterator(range)) {
      const decoded = decodeItem(value);
      const item = { ...decoded, runId, seq: parseEntryKey(key).seq, size: diskBytes(value.byteLength, decoded) };
      items.push(box === 'inbox' ? item : { ...item, box });
      bytes += item.size;
      if (bytes >= maxBytes) break;
    }
    return items;
  }

  /**
   * read() of the inbox, with the bodies of pushes kept in files read back into memory (one file at a
   * time, at most `maxBytes` and the first item), for readers that decode them (the run results after
   * a restart, the processing stage; the forwarder streams them instead).
   */
  async readInMemory(runId: string, afterSeq: number, limit: number, maxBytes: number): Promise<StoredItem[]> {
    const loaded: StoredItem[] = [];
    for (const item of await this.read(runId, afterSeq, limit, 'inbox', maxBytes)) {
      loaded.push(item.kind === 'push' && item.bodyFile !== undefined ? { ...item, body: await this.bodyFiles.read(item.bodyFile) } : item);
    }
    return loaded;
  }

  /**
   * Removes a delivered item, unsynced. Callers remove a run's items in arrival order (the forwarder
   * settles them so): what the compactor is told, the box's start up to this key, is all removed.
   */
  async remove(item: StoredItem): Promise<void> {
    const box = item.box ?? 'inbox';
    if (box === 'inbox') await this.#beforeRemoving(item.runId, item.seq);
    const key = BOX_KEY[box](item.runId, item.seq);
    await this.#committer.commit([{ type: 'del', key }], false);
    if (item.bodyFile !== undefined) {
      // Synced before the file goes: the item must never come back without it.
      await this.#committer.commit([]);
      await this.bodyFiles.remove(item.bodyFile.name);
    }
    this.#compactor.removed(boxStart(box, item.runId), key, storeBytes(item));
    this.#grow(item.runId, -1, -item.size);
  }

  /** The aggregator state a processed run persisted with its last commitProcessed, if any. */
  async loadProcessState(runId: string): Promise<Uint8Array | undefined> {
    return this.#db.get(processStateKey(runId));
  }

  /**
   * Outbox items, dead letters, the state and the deletion of the consumed inbox items, in one
   * synced batch: none of it is visible after a crash unless all of it is.
   */
  async commitProcessed(runId: string, batch: ProcessedBatch): Promise<void> {
    const lastInbox = batch.consumed.at(-1);
    if (lastInbox) await this.#beforeRemoving(runId, lastInbox.seq);
    const ops: BatchOp[] = batch.consumed.map((item) => ({ type: 'del', key: itemKey(runId, item.seq) }));
    let outboxBytes = 0;
    for (const item of batch.outbox) {
      const value = encodeItem(item);
      outboxBytes += diskBytes(value.byteLength, item);
      ops.push({ type: 'put', key: outboxKey(runId, ++this.#seq), value });
    }
    for (const { item, reason } of batch.deadLetters) {
      const letter = { ...item, reason, deadAt: Date.now() };
      ops.push({ type: 'put', key: deadKey(runId, ++this.#seq), value: encodeItem(letter) });
    }
    const stateKey = processStateKey(runId);
    ops.push(batch.state === null ? { type: 'del', key: stateKey } : { type: 'put', key: stateKey, value: batch.state });
    await this.#committer.commit(ops);
    await this.#removeBodyFilesLeft(batch);
    const consumedBytes = batch.consumed.reduce((sum, item) => sum + item.size, 0);
    // The processing stage consumes a run's inbox in order, as the forwarder delivers it.
    const lastConsumed = batch.consumed.at(-1);
    const consumedStoreBytes = batch.consumed.reduce((sum, item) => sum + storeBytes(item), 0);
    if (lastConsumed) this.#compactor.removed(boxStart('inbox', runId), itemKey(runId, lastConsumed.seq), consumedStoreBytes);
    this.#grow(runId, batch.outbox.length - batch.consumed.length, outboxBytes - consumedBytes);
    this.#deadLetters += batch.deadLetters.length;
  }

  /** The body files of consumed inbox items that no outbox item or dead letter of the batch names (synced by then). */
  async #removeBodyFilesLeft(batch: ProcessedBatch): Promise<void> {
    const named = new Set([...batch.outbox, ...batch.deadLetters.map((letter) => letter.item)].map((item) => item.bodyFile?.name));
    for (const { bodyFile } of batch.consumed) {
      if (bodyFile !== undefined && !named.has(bodyFile.name)) await this.bodyFiles.remove(bodyFile.name);
    }
  }

  /** Moves an item the cloud refused for good to the dead-letter keyspace, synced. */
  async deadLetter(item: StoredItem, reason: string): Promise<void> {
    const { runId, seq, size, box = 'inbox', ...stored } = item;
    if (box === 'inbox') await this.#beforeRemoving(runId, seq);
    const letter = { ...stored, reason, deadAt: Date.now() };
    await this.#committer.commit([
      { type: 'del', key: BOX_KEY[box](runId, seq) },
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

  /**
   * Puts dead letters (of one run, or all) back at the end of their run's queue, in their original
   * order and with their original headers (idempotency key included), to be sent again. Each letter
   * moves in a synced batch that deletes it and appends it: after a crash it is in exactly one place.
   * Returns how many were re-queued per run.
   */
  async requeueDeadLetters(runId?: string): Promise<Map<string, number>> {
    const requeued = new Map<string, number>();
    const letters = this.#db.iterator(prefixRange(runId === undefined ? 'd!' : `d!${runId}!`));
    for await (const [key, value] of letters) {
      const { runId: letterRun, seq } = parseEntryKey(key);
      const { reason: _reason, deadAt: _deadAt, box, ...item } = decodeItem(value) as QueueItem & { reason?: string; deadAt?: number; box?: ItemBox };
      const encoded = encodeItem(item);
      const newKey = BOX_KEY[box ?? 'inbox'](letterRun, ++this.#seq);
      await this.#committer.commit([
        { type: 'del', key: deadKey(letterRun, seq) },
        { type: 'put', key: newKey, value: encoded },
      ]);
      this.#grow(letterRun, 1, diskBytes(encoded.byteLength, item));
      this.#deadLetters -= 1;
      requeued.set(letterRun, (requeued.get(letterRun) ?? 0) + 1);
    }
    return requeued;
  }

  /**
   * Notes that a run's ledger changed. It is encoded when the next batch is put together, so it goes
   * down with the very writes it counts (a push's append, a dead letter's move) and every batch carries
   * the latest counters: batches land in order, so an older count never overwrites a newer one.
   */
  markStats(runId: string, encode: () => Uint8Array): void {
    this.#changedStats.set(runId, encode);
  }

  /** Writes changed ledgers now, unsynced: after a delivery, they are as durable as its removal. */
  writeStats(): Promise<void> {
    return this.#changedStats.size === 0 ? Promise.resolve() : this.#committer.commit([], false);
  }

  #takeChangedStats(): BatchOp[] {
    const ops: BatchOp[] = [...this.#changedStats].map(([runId, encode]) => ({ type: 'put', key: statsKey(runId), value: encode() }));
    this.#changedStats.clear();
    return ops;
  }

  /** Every persisted run ledger, by run id. */
  async loadStats(): Promise<Map<string, string>> {
    const stats = new Map<string, string>();
    for await (const [key, value] of this.#db.iterator(prefixRange('s!'))) stats.set(key.slice(2), Buffer.from(value).toString('utf8'));
    return stats;
  }

  /**
   * `beforeRemoving(runId, seq)` is awaited before inbox items of the run up to `seq` leave (delivered,
   * processed or dead-lettered): the results engine writes its summary of them first, so that after a
   * crash every item is either still in the inbox or in the persisted results (results/engine.ts).
   */
  guardRemovals(beforeRemoving: (runId: string, seq: number) => Promise<void>): void {
    this.#beforeRemoving = beforeRemoving;
  }

  /** Writes the results engine's records (puts and deletes under x!), unsynced, in order with every other write. */
  writeResults(ops: readonly BatchOp[]): Promise<void> {
    return ops.length === 0 ? Promise.resolve() : this.#committer.commit(ops, false);
  }

  /** Every entry under x! (results), in key order. */
  async *results(): AsyncGenerator<[string, Uint8Array]> {
    yield* this.#db.iterator(prefixRange(RESULTS_PREFIX));
  }

  /** When the oldest item still queued was received (the forwarding lag), or null when nothing is queued. */
  async oldestReceivedAt(): Promise<number | null> {
    let oldest: number | null = null;
    for (const runId of [...this.#backlog.keys()]) {
      for (const box of Object.keys(BOX_PREFIX) as ItemBox[]) {
        const [head] = await this.read(runId, 0, 1, box);
        if (head && (oldest === null || head.receivedAt < oldest)) oldest = head.receivedAt;
      }
    }
    return oldest;
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
    this.#closing.abort();
    if (this.#measureTimer) clearInterval(this.#measureTimer);
    await this.#compactor.stop();
    await this.#reopening;
    await this.#committer.idle();
    await this.#db.close();
  }
}
