// The registry of test runs: the one place that changes a run's state, always persisting the change
// through the queue (synced) before anyone acts on it. Items of a run and its record change together
// in one batch where both change (a finish and the state `finishing`).
//
// Adopted runs (created elsewhere, run-ids.ts) come in with their first push, finish or events call.
// They are passed through as received (relayd answered no create, so it has no say in how k6
// aggregates), each item with its own Authorization, and relayd never sends their finish: at the run
// timeout they are only closed locally, and their next request opens them again.
import { randomBytes } from 'node:crypto';
import type { DurableQueue, QueueItem, StoredItem } from '../queue/index.js';
import type { PushDigest } from '../results/digest.js';
import { count, decodeLedger, encodeLedger, newLedger, type RunLedger } from './run-ledger.js';
import { decodeRecord, encodeRecord, type ProcessingPlan, type RunRecord } from './run-record.js';
import { finalStateOf, hasEnded } from './run-state.js';

export interface Run {
  readonly record: RunRecord;
  readonly ledger: RunLedger;
  /** Wall-clock ms of the run's last push or finish; the run timeout counts from it. */
  lastActivityAt: number;
}

export interface NewRun {
  readonly name: string;
  /** The thresholds of the run's create (`{metric: [source]}`), for its results; not part of the record. */
  readonly thresholds?: Readonly<Record<string, readonly string[]>>;
  readonly authorization: string | null;
  readonly userAgent: string | null;
  /** Absent: the run is passed through as received. */
  readonly processing?: ProcessingPlan;
  /** The runner's idempotency key of the create, when it sent one. */
  readonly createKey?: string;
}

/** Told of every run created and every item durably stored (the results engine, src/results). */
export interface RunObserver {
  created(runId: string, thresholds: NewRun['thresholds']): void;
  /** After the item's synced write, before it is acknowledged; must return at once. */
  stored(runId: string, item: QueueItem, seq: number, digest?: PushDigest): void;
}

export interface RunRegistryOptions {
  readonly runTimeoutMs: number;
  /** Called whenever a run has something new to forward. */
  readonly onBacklog: (runId: string) => void;
  readonly now?: () => number;
}

const TIMEOUT_FINISH_BODY = Buffer.from(JSON.stringify({ result_status: 0, run_status: 4, thresholds: {} }));

export class RunRegistry {
  readonly #queue: DurableQueue;
  readonly #runs = new Map<string, Run>();
  readonly #options: RunRegistryOptions;
  readonly #now: () => number;
  #provisionalCounter = 0;
  #observer: RunObserver | null = null;
  /** Adoptions whose record is being written: concurrent first requests of a run share one. */
  readonly #adopting = new Map<string, Promise<Run>>();

  private constructor(queue: DurableQueue, options: RunRegistryOptions) {
    this.#queue = queue;
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  /**
   * Loads every persisted run. A run still `running` gets a fresh timeout window from now: relayd
   * itself was down, which says nothing about the runner.
   */
  static async load(queue: DurableQueue, options: RunRegistryOptions): Promise<RunRegistry> {
    const registry = new RunRegistry(queue, options);
    const now = registry.#now();
    const ledgers = await queue.loadStats();
    for (const text of await queue.loadRuns()) {
      const record = decodeRecord(text);
      const ledger = ledgers.get(record.id);
      registry.#runs.set(record.id, { record, ledger: ledger ? decodeLedger(ledger) : newLedger(), lastActivityAt: now });
    }
    return registry;
  }

  /** Sets the one observer (set after loading: the observer reads the loaded runs). */
  observe(observer: RunObserver): void {
    this.#observer = observer;
  }

  get(id: string): Run | undefined {
    return this.#runs.get(id);
  }

  list(): Run[] {
    return [...this.#runs.values()];
  }

  /** A run the cloud created at once: the runner uses the cloud's id. */
  async createConfirmed(upstreamId: string, meta: NewRun): Promise<Run> {
    // k6 retries a create whose answer it lost with the same idempotency key; the cloud answers with
    // the same id, and the run is already here.
    const existing = this.#runs.get(upstreamId);
    if (existing && existing.record.state === 'running') return existing;
    const run = this.#newRun(upstreamId, upstreamId, false, meta);
    await this.#queue.saveRun(upstreamId, encodeRecord(run.record));
    this.#runs.set(upstreamId, run);
    this.#observer?.created(upstreamId, meta.thresholds);
    return run;
  }

  /**
   * The run a request for an id relayd does not know belongs to: a run created elsewhere, adopted as
   * it is, or the run a concurrent request adopted a moment ago. The caller checked the id
   * (whyNotAdoptable) and the request's body.
   */
  async adopt(id: string): Promise<{ run: Run; adoptedNow: boolean }> {
    const known = this.#runs.get(id);
    if (known) return { run: known, adoptedNow: false };
    const pending = this.#adopting.get(id);
    if (pending) return { run: await pending, adoptedNow: false };
    // No Authorization kept: relayd never sends anything for an adopted run on its own.
    const run = this.#newRun(id, id, false, { name: 'created elsewhere', authorization: null, userAgent: null }, true);
    const adopting = this.#queue
      .saveRun(id, encodeRecord(run.record))
      .then(() => {
        this.#runs.set(id, run);
        return run;
      })
      .finally(() => this.#adopting.delete(id));
    this.#adopting.set(id, adopting);
    return { run: await adopting, adoptedNow: true };
  }

  /** An adopted run closed at the run timeout takes data again. */
  async reopen(run: Run): Promise<void> {
    const { record } = run;
    if (record.state !== 'closed') return;
    await this.#queue.saveRun(record.id, encodeRecord({ ...record, state: 'running', endedAt: null }));
    if (record.state !== 'closed') return;
    record.state = 'running';
    record.endedAt = null;
    run.lastActivityAt = this.#now();
  }

  /** A run with a locally minted numeric id; its create is queued and sent when the cloud is back. */
  async createProvisional(meta: NewRun, createItem: QueueItem): Promise<Run> {
    const id = this.#mintProvisionalId();
    const run = this.#newRun(id, null, true, meta);
    await this.#queue.append(id, createItem, encodeRecord(run.record));
    this.#runs.set(id, run);
    this.#observer?.created(id, meta.thresholds);
    this.#options.onBacklog(id);
    return run;
  }

  /**
   * Provisional ids are numeric (k6 parses reference ids as integers) and 17 digits long with a
   * leading 9, far outside the range of cloud run ids, so the two never collide.
   */
  #mintProvisionalId(): string {
    this.#provisionalCounter = (this.#provisionalCounter + 1) % 1000;
    return `9${String(this.#now()).padStart(13, '0')}${String(this.#provisionalCounter).padStart(3, '0')}`;
  }

  #newRun(id: string, upstreamId: string | null, provisional: boolean, meta: NewRun, adopted = false): Run {
    const now = this.#now();
    const record: RunRecord = {
      id,
      upstreamId,
      provisional,
      ...(adopted && { adopted }),
      name: meta.name,
      state: 'running',
      outcome: null,
      runStatus: null,
      createdAt: now,
      endedAt: null,
      authorization: meta.authorization,
      userAgent: meta.userAgent,
      lastError: null,
      ...(meta.processing === undefined ? {} : { processing: meta.processing }),
      ...(meta.createKey === undefined ? {} : { createKey: meta.createKey }),
    };
    return { record, ledger: newLedger(), lastActivityAt: now };
  }

  /**
   * Durably queues a push of a running run. The caller checked `hasEnded` before decoding; `digest`
   * is the push's results digest when its validation made one.
   */
  async acceptPush(run: Run, item: QueueItem, digest?: PushDigest): Promise<void> {
    await this.#accept(run, item, () => this.#queue.append(run.record.id, item), digest);
  }

  /**
   * Durably queues a stream batch together with its sequence number, in one synced batch: after a
   * crash the run's `streamSeq` says exactly which batches are in, so a re-sent one is dropped.
   * The caller serialises the batches of a run and checked `seq` > `streamSeq`.
   */
  async acceptStreamBatch(run: Run, item: QueueItem, seq: number): Promise<void> {
    await this.#accept(run, item, () => this.#queue.append(run.record.id, item, encodeRecord({ ...run.record, streamSeq: seq })));
    run.record.streamSeq = seq;
  }

  /**
   * Counts data into the run's ledger around its synced write. `persisted` is counted before the
   * write and taken back if it fails, so that the ledger encoded into the write's own batch includes
   * it (run-ledger.ts).
   */
  async #accept(run: Run, item: QueueItem, write: () => Promise<number>, digest?: PushDigest): Promise<void> {
    const { ledger, record } = run;
    const now = this.#now();
    count(ledger.received, item);
    count(ledger.persisted, item);
    ledger.firstDataAt ??= now;
    ledger.lastDataAt = now;
    run.lastActivityAt = now;
    this.#markLedger(run);
    let seq: number;
    try {
      seq = await write();
    } catch (err) {
      count(ledger.persisted, item, -1);
      this.#markLedger(run);
      throw err;
    }
    this.#observer?.stored(record.id, item, seq, digest);
    this.#options.onBacklog(record.id);
  }

  #markLedger(run: Run): void {
    this.#queue.markStats(run.record.id, () => encodeLedger(run.ledger));
  }

  /** Durably queues an orchestrator's events call, to be forwarded in order with the run's items. */
  async acceptEvents(run: Run, item: QueueItem): Promise<void> {
    await this.#queue.append(run.record.id, item);
    run.lastActivityAt = this.#now();
    this.#options.onBacklog(run.record.id);
  }

  /** Durably queues the finish and moves the run to `finishing`, in one synced batch. */
  async acceptFinish(run: Run, item: QueueItem, runStatus: number): Promise<void> {
    const { record } = run;
    const finishing: RunRecord = { ...record, state: 'finishing', outcome: finalStateOf(runStatus), runStatus };
    // Memory changes only once the disk has it: a failed write leaves the run as it was.
    const seq = await this.#queue.append(record.id, item, encodeRecord(finishing));
    Object.assign(record, finishing);
    this.#observer?.stored(record.id, item, seq);
    run.lastActivityAt = this.#now();
    this.#options.onBacklog(record.id);
  }

  /**
   * Times out every running run that sent neither data nor its finish for the run timeout: relayd
   * finishes the runs it created, and closes adopted ones locally (their creator finishes them).
   */
  async sweepTimeouts(): Promise<{ timedOut: string[]; closed: string[] }> {
    const now = this.#now();
    const expired = this.list().filter(
      (run) => run.record.state === 'running' && now - run.lastActivityAt >= this.#options.runTimeoutMs,
    );
    const swept = { timedOut: [] as string[], closed: [] as string[] };
    for (const run of expired) {
      if (run.record.adopted) {
        await this.#close(run);
        swept.closed.push(run.record.id);
      } else {
        await this.acceptFinish(run, this.#timeoutFinish(run.record), 4);
        swept.timedOut.push(run.record.id);
      }
    }
    return swept;
  }

  async #close(run: Run): Promise<void> {
    const closed: RunRecord = { ...run.record, state: 'closed', endedAt: this.#now() };
    await this.#queue.saveRun(closed.id, encodeRecord(closed));
    // A finish that came while the record was written wrote its own record after this one.
    if (run.record.state === 'running') Object.assign(run.record, closed);
  }

  #timeoutFinish(record: RunRecord): QueueItem {
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'k6-idempotency-key': randomBytes(8).toString('hex'),
    };
    if (record.authorization) headers.authorization = record.authorization;
    if (record.userAgent) headers['user-agent'] = record.userAgent;
    return { kind: 'finish', headers, body: TIMEOUT_FINISH_BODY, receivedAt: this.#now(), samples: 0, synthetic: true };
  }

  async setUpstreamId(run: Run, upstreamId: string): Promise<void> {
    run.record.upstreamId = upstreamId;
    await this.#queue.saveRun(run.record.id, encodeRecord(run.record));
  }

  /** Bookkeeping after an item was delivered; a delivered finish ends the run. */
  async delivered(run: Run, item: StoredItem): Promise<void> {
    if (item.kind === 'push') {
      count(run.ledger.delivered, item);
      this.#markLedger(run);
      await this.#queue.writeStats();
    }
    if (item.kind !== 'finish') return;
    const { record } = run;
    record.state = record.outcome ?? 'finished';
    record.endedAt = this.#now();
    record.lastError = null;
    await this.#queue.saveRun(record.id, encodeRecord(record));
  }

  async noteError(run: Run, message: string | null): Promise<void> {
    if (run.record.lastError === message) return;
    run.record.lastError = message;
    if (message === null) return;
    await this.#queue.saveRun(run.record.id, encodeRecord(run.record));
  }

  /** Moves an item the cloud refused for good to the dead letters, counted in the same synced batch. */
  async deadLetter(run: Run, item: StoredItem, reason: string): Promise<void> {
    const counted = item.kind === 'push';
    if (counted) count(run.ledger.deadLettered, item);
    this.#markLedger(run);
    try {
      await this.#queue.deadLetter(item, reason);
    } catch (err) {
      if (counted) count(run.ledger.deadLettered, item, -1);
      this.#markLedger(run);
      throw err;
    }
  }

  /** The cloud refused the run's create for good: nothing of it can be delivered. */
  async reject(run: Run, reason: string): Promise<void> {
    const { record } = run;
    record.state = 'rejected';
    record.endedAt = this.#now();
    record.lastError = reason;
    await this.#queue.saveRun(record.id, encodeRecord(record));
  }

  /**
   * The dead letters of a rejected run were re-queued (relayd replay-dead-letters): the run goes back
   * to where it was when its create was refused (running, or finishing once its finish had come), so
   * the forwarder sends the create again and then everything after it.
   */
  async revive(run: Run): Promise<void> {
    const { record } = run;
    if (record.state !== 'rejected') return;
    record.state = record.outcome === null ? 'running' : 'finishing';
    record.endedAt = null;
    record.lastError = null;
    await this.#queue.saveRun(record.id, encodeRecord(record));
  }

  /** Whether a run still needs its forwarding worker (not ended, or ended with a backlog). */
  needsForwarding(run: Run): boolean {
    return !hasEnded(run.record.state) || run.record.state === 'finishing' || this.#queue.backlog(run.record.id).items > 0;
  }
}
