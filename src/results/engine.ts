// The results engine: the run's own results, computed by relayd from what it acknowledged (issue 12),
// for the pages (ResultsSource, types.ts).
//
// Off the ack path: ingest hands each stored item over (stored(), O(1)) once its synced write is done;
// items are digested (digest.ts) on the next turn of the event loop, in arrival order, and merged
// into the run's state (run-state.ts). A v1 or v2 push comes with the digest its validation made,
// so its body is read once; stream bodies, and pushes read back at start, are read here (item-digest.ts).
//
// Durability: each run's results persist under x! (store.ts) about once a second, unsynced, with
// the seq of the last item they include. After a crash, the items still in the inbox above that seq
// are digested again at start (load()). Items leave the inbox only after the results that include
// them were written (DurableQueue.guardRemovals → settle()), so no acknowledged item is missing
// from the results after a kill -9, and none counts twice.
//
// The delivery series samples each run's ledger (runs/run-ledger.ts) once per bucket width while it
// changes: persisted and delivered samples. For a run relayd aggregates, the ledger's delivered
// samples are the aggregated ones it sent, fewer than the raw samples acknowledged, so the two lines
// of such a run do not meet when everything is delivered.
// At most MAX_RUNS runs keep results; beyond, the least recently changed ended run's go.
import type { Logger } from '../observe/index.js';
import { decodeCreateBody, decodeFinishBody } from '../protocol/test-run.js';
import type { DurableQueue, QueueItem } from '../queue/index.js';
import { hasEnded, type RunRegistry } from '../runs/index.js';
import type { PushDigest } from './digest.js';
import { digestItem } from './item-digest.js';
import { RunResultsState } from './run-state.js';
import { deleteOps, loadResults, resultsOps } from './store.js';
import type { RunResults, ResultsSource } from './types.js';

export const MAX_RUNS = 100;
/** Open buckets of a run that got no data for this long (wall clock) close: its runner went quiet. */
const IDLE_CLOSE_MS = 30_000;
const TICK_MS = 1000;
/**
 * Digesting on its own turn of the event loop gives way after this long: a burst of 1000-series v2
 * pushes (a few ms each) must not hold the acknowledgements of the pushes behind it.
 */
const DRAIN_SLICE_MS = 10;
/** Items waiting to be merged; beyond, they are merged at once (each holds its stored body). */
const MAX_PENDING = 32;
/** Items read back from the inbox per query at start, and the bytes they may hold (large pushes' files read back). */
const RECOVERY_PAGE = 64;
const RECOVERY_PAGE_BYTES = 16 * 1024 * 1024;

export interface ResultsEngineOptions {
  readonly queue: DurableQueue;
  readonly runs: RunRegistry;
  readonly logger?: Logger;
  readonly now?: () => number;
}

interface Pending {
  readonly runId: string;
  readonly item: QueueItem;
  readonly seq: number;
  readonly digest: PushDigest | undefined;
}

export class ResultsEngine implements ResultsSource {
  readonly #queue: DurableQueue;
  readonly #runs: RunRegistry;
  readonly #log: Logger | undefined;
  readonly #now: () => number;
  readonly #states: Map<string, RunResultsState>;
  /** The seq each run's persisted results include. */
  readonly #persistedSeq = new Map<string, number>();
  readonly #pending: Pending[] = [];
  #draining: NodeJS.Immediate | null = null;
  /** Runs changed since their last write / their listeners' last call. */
  readonly #unsaved = new Set<string>();
  readonly #unnotified = new Set<string>();
  readonly #listeners = new Map<string, Set<(results: RunResults) => void>>();
  /** Writes go one after the other, in order. */
  #writing: Promise<void> = Promise.resolve();
  #timer: NodeJS.Timeout | null = null;

  private constructor(options: ResultsEngineOptions, states: Map<string, RunResultsState>) {
    this.#queue = options.queue;
    this.#runs = options.runs;
    this.#log = options.logger;
    this.#now = options.now ?? Date.now;
    this.#states = states;
    for (const [runId, state] of states) this.#persistedSeq.set(runId, state.core.seq);
  }

  /** Loads the persisted results and digests the inbox items they do not include yet. */
  static async load(options: ResultsEngineOptions): Promise<ResultsEngine> {
    const engine = new ResultsEngine(options, await loadResults(options.queue.results()));
    for (const run of options.runs.list()) {
      const runId = run.record.id;
      for (let after = engine.#states.get(runId)?.core.seq ?? 0; ; ) {
        const items = await options.queue.readInMemory(runId, after, RECOVERY_PAGE, RECOVERY_PAGE_BYTES);
        for (const item of items) engine.#apply({ runId, item, seq: item.seq, digest: undefined });
        if (items.length === 0) break;
        after = (items.at(-1) as { seq: number }).seq;
      }
    }
    // An evicted run with items still queued was just rebuilt from them: it goes again.
    engine.#evict();
    options.queue.guardRemovals((runId, seq) => engine.settle(runId, seq));
    return engine;
  }

  /** Starts the once-a-second round: delivery points, idle buckets, writes, listeners. */
  start(): void {
    this.#timer ??= setInterval(() => void this.tick(), TICK_MS).unref();
  }

  get(runId: string): RunResults | undefined {
    this.#drain();
    return this.#states.get(runId)?.results();
  }

  subscribe(runId: string, listener: (results: RunResults) => void): () => void {
    const listeners = this.#listeners.get(runId) ?? new Set();
    this.#listeners.set(runId, listeners);
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
      if (listeners.size === 0) this.#listeners.delete(runId);
    };
  }

  /** A new run and the thresholds of its create. */
  created(runId: string, thresholds: Readonly<Record<string, readonly string[]>> | undefined): void {
    const state = this.#stateOf(runId);
    if (thresholds !== undefined) state.setThresholds(thresholds);
    this.#changed(runId, this.#now());
    // Written at once: a confirmed run's create is not queued, so a crash before the next round
    // would lose its thresholds (a provisional run's are read again from its queued create).
    void this.#saveNow([runId]);
  }

  /** An item of the run was stored under `seq` and acknowledged; `digest` its validation's, if any. */
  stored(runId: string, item: QueueItem, seq: number, digest?: PushDigest): void {
    this.#pending.push({ runId, item, seq, digest });
    // Each pending item holds its body: bounded, whatever the load.
    if (this.#pending.length >= MAX_PENDING) this.#drain();
    else this.#draining ??= setImmediate(() => this.#drainSlice());
  }

  /**
   * Resolves once the persisted results include every item of the run up to `seq` that the engine was
   * told of (an item it never saw, like a re-queued dead letter, has nothing to wait for).
   */
  async settle(runId: string, seq: number): Promise<void> {
    this.#drain();
    const needed = Math.min(seq, this.#states.get(runId)?.core.seq ?? 0);
    if ((this.#persistedSeq.get(runId) ?? 0) >= needed) return;
    await this.#writing;
    if ((this.#persistedSeq.get(runId) ?? 0) < needed) await this.#save([runId]);
  }

  /** One round (exposed for tests): delivery points, idle buckets, writes of changed runs, listeners. */
  async tick(): Promise<void> {
    this.#drain();
    const now = this.#now();
    for (const [runId, state] of this.#states) {
      const run = this.#runs.get(runId);
      if (run === undefined) continue;
      const { persisted, delivered } = run.ledger;
      const last = state.delivery.at(-1);
      const moved = last === undefined ? persisted.samples > 0 : last.acknowledged !== persisted.samples || last.delivered !== delivered.samples;
      if (moved && (last === undefined || now - last.t >= (state.core.bucketMs ?? TICK_MS))) {
        state.addDelivery({ t: now, acknowledged: persisted.samples, delivered: delivered.samples });
        this.#changed(runId);
      }
      if (Object.keys(state.core.open).length > 0 && now - state.core.changedAt >= IDLE_CLOSE_MS) {
        state.closeBuckets(Infinity);
        this.#changed(runId);
      }
    }
    this.#evict();
    await this.#saveNow([...this.#unsaved]);
    this.#notify();
  }

  /** Stops the round and writes what changed. */
  async close(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    if (this.#draining) clearImmediate(this.#draining);
    this.#drain();
    await this.#saveNow([...this.#unsaved]);
  }

  /** Digests every pending item now (a reader or a removal needs them). */
  #drain(): void {
    if (this.#draining) clearImmediate(this.#draining);
    this.#draining = null;
    for (const pending of this.#pending.splice(0)) this.#apply(pending);
  }

  /** Digests pending items for up to DRAIN_SLICE_MS, then lets I/O in before going on. */
  #drainSlice(): void {
    this.#draining = null;
    const until = performance.now() + DRAIN_SLICE_MS;
    let done = 0;
    while (done < this.#pending.length && performance.now() < until) this.#apply(this.#pending[done++] as Pending);
    this.#pending.splice(0, done);
    if (this.#pending.length > 0) this.#draining = setImmediate(() => this.#drainSlice());
  }

  #apply({ runId, item, seq, digest }: Pending): void {
    const state = this.#stateOf(runId);
    if (seq <= state.core.seq) return;
    try {
      if (item.kind === 'push') state.add(digest ?? digestItem(item));
      else if (item.kind === 'finish') state.finish(decodeFinishBody(item.body).thresholds);
      else if (state.core.thresholds.length === 0) state.setThresholds(decodeCreateBody(item.body).thresholds ?? {});
    } catch (err) {
      // Validated at ingest; an item that still does not read is left out of the results, not fatal.
      this.#log?.warn({ err, runId, seq }, 'an item could not be read for the run results');
    }
    state.core.seq = seq;
    this.#changed(runId, item.receivedAt);
  }

  #stateOf(runId: string): RunResultsState {
    let state = this.#states.get(runId);
    if (state === undefined) {
      state = RunResultsState.empty(runId);
      this.#states.set(runId, state);
    }
    return state;
  }

  /**
   * Marks the run to write and to tell its listeners. `dataAt`: when its data, thresholds or finish
   * changed (an item's receivedAt, so that results rebuilt at a start keep their age).
   */
  #changed(runId: string, dataAt?: number): void {
    const state = this.#states.get(runId);
    if (state && dataAt !== undefined) state.core.changedAt = Math.max(state.core.changedAt, dataAt);
    this.#unsaved.add(runId);
    this.#unnotified.add(runId);
  }

  /** Writes the results of `runIds`; each write waits for the one before. */
  #save(runIds: string[]): Promise<void> {
    const write = this.#writing.then(async () => {
      const ops = [];
      const seqs: [string, number][] = [];
      for (const runId of runIds) {
        const state = this.#states.get(runId);
        if (state === undefined || !this.#unsaved.delete(runId)) continue;
        ops.push(...resultsOps(state));
        seqs.push([runId, state.core.seq]);
      }
      try {
        await this.#queue.writeResults(ops);
      } catch (err) {
        for (const [runId] of seqs) this.#unsaved.add(runId);
        throw err;
      }
      for (const [runId, seq] of seqs) this.#persistedSeq.set(runId, seq);
    });
    this.#writing = write.catch(() => undefined);
    return write;
  }

  /** #save, logging a failure (the store reports and recovers from it; the runs stay unsaved). */
  #saveNow(runIds: string[]): Promise<void> {
    return this.#save(runIds).catch((err: unknown) => this.#log?.warn({ err }, 'writing run results failed'));
  }

  #notify(): void {
    for (const runId of this.#unnotified) {
      const listeners = this.#listeners.get(runId);
      const state = this.#states.get(runId);
      if (listeners === undefined || state === undefined) continue;
      const results = state.results();
      for (const listener of listeners) listener(results);
    }
    this.#unnotified.clear();
  }

  /** Keeps MAX_RUNS runs' results: the least recently changed ended (or forgotten) runs' go first. */
  #evict(): void {
    if (this.#states.size <= MAX_RUNS) return;
    const ended = [...this.#states.values()]
      .filter((state) => {
        const run = this.#runs.get(state.core.runId);
        return run === undefined || hasEnded(run.record.state);
      })
      .sort((a, b) => a.core.changedAt - b.core.changedAt);
    for (const state of ended.slice(0, this.#states.size - MAX_RUNS)) {
      const runId = state.core.runId;
      this.#states.delete(runId);
      this.#unsaved.delete(runId);
      this.#persistedSeq.delete(runId);
      this.#writing = this.#writing.then(() => this.#queue.writeResults(deleteOps(state))).catch((err: unknown) => {
        this.#log?.warn({ err, runId }, 'deleting old run results failed');
      });
    }
  }
}
