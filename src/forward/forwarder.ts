// The forwarder: one worker per run with something to send. A worker takes its run's items in arrival
// order. The create, an operator's events and the finish travel alone: the create's answer must be
// known before any push (a provisional run gets its cloud id from it), events keep their place among
// the run's pushes, and the finish goes only after every push of the
// run was delivered (or dead-lettered). Pushes go up to PUSHES_IN_FLIGHT at a time (send-window.ts),
// so that a run drains at more than one push per upstream round trip (the protocol does not order a
// run's pushes, §9.4.3); their outcomes are settled in arrival order, so an item leaves the queue
// only after every item before it. Runs are independent: a slow or refused run never holds up another.
//
// Provisional runs: the queued create goes first; once the cloud answers, its id is persisted and
// every later request of the run is addressed to it (path, and MetricSet.test_run_id in v2 bodies).
// Adopted runs (created elsewhere) have no create: their items go to their own id as they came.
import { access } from 'node:fs/promises';
import type { RetryPolicy } from '../config/index.js';
import type { Logger, Metrics } from '../observe/index.js';
import { rewriteTestRunId, snappyCompress, snappyUncompressBounded } from '../protocol/index.js';
import { upstreamPath, type DurableQueue, type StoredItem } from '../queue/index.js';
import type { Run, RunRegistry } from '../runs/index.js';
import { parseCreateAnswer } from './create-answer.js';
import { deliver, type FinalOutcome, type RetryNotice } from './delivery.js';
import type { UpstreamClient, UpstreamRequest } from './upstream-client.js';
import { SendWindow } from './send-window.js';
import { Wakeup } from './wakeup.js';

/**
 * What a worker reads of its run at once: up to this many items, or this many bytes. Small bodies
 * come in long reads (one store iterator per 64 pushes, not per push), large ones a few at a time:
 * each run holds at most about 1 MiB of bodies read ahead of the window, so a drain of many runs
 * does not hold megabytes per run in memory.
 */
const READ_AHEAD_ITEMS = 64;
const READ_AHEAD_BYTES = 1024 ** 2;
/**
 * One run's pushes in flight at once. Against a cloud 50 ms away one at a time would cap a run's
 * drain near 20 pushes/s, six times a heavy k6 run (bench/README.md); four lift it past ten times
 * while keeping the retry traffic of an outage small.
 */
export const PUSHES_IN_FLIGHT = 4;

export interface ForwarderOptions {
  readonly queue: DurableQueue;
  readonly runs: RunRegistry;
  readonly client: UpstreamClient;
  readonly policy: RetryPolicy;
  readonly logger: Logger;
  readonly metrics: Metrics;
}

export class Forwarder {
  readonly #options: ForwarderOptions;
  readonly #log: Logger;
  readonly #abort = new AbortController();
  readonly #workers = new Map<string, { wakeup: Wakeup; done: Promise<void> }>();

  constructor(options: ForwarderOptions) {
    this.#options = options;
    this.#log = options.logger;
  }

  /** Starts a worker for every run left with work from an earlier life of the daemon. */
  start(): void {
    for (const run of this.#options.runs.list()) {
      if (this.#options.runs.needsForwarding(run)) this.notify(run.record.id);
    }
  }

  /** Something was queued for this run: wake its worker, or start one. */
  notify(runId: string): void {
    if (this.#abort.signal.aborted) return;
    const worker = this.#workers.get(runId);
    if (worker) {
      worker.wakeup.notify();
      return;
    }
    const wakeup = new Wakeup();
    const done = this.#work(runId, wakeup).catch((err: unknown) => {
      if (!this.#abort.signal.aborted) this.#log.error({ err, runId }, 'forward worker failed');
    });
    this.#workers.set(runId, { wakeup, done: done.finally(() => this.#workers.delete(runId)) });
  }

  /** Cancels every wait and in-flight request; what was not delivered stays queued for the next start. */
  async stop(): Promise<void> {
    this.#abort.abort(new Error('relayd is stopping'));
    await Promise.all([...this.#workers.values()].map((worker) => worker.done));
  }

  async #work(runId: string, wakeup: Wakeup): Promise<void> {
    const { queue, runs } = this.#options;
    const signal = this.#abort.signal;
    const run = runs.get(runId);
    if (!run) return;
    const window = new SendWindow(PUSHES_IN_FLIGHT);
    // The last item handed to the window or sent: reads go on from there, while what is in flight
    // stays in the store until it is settled.
    let cursor = 0;
    try {
      while (!signal.aborted) {
        // A processed (aggregated) run is sent from its outbox; its inbox is the processing stage's.
        const box = run.record.processing === undefined ? 'inbox' : 'outbox';
        const items = await queue.read(runId, cursor, READ_AHEAD_ITEMS, box, READ_AHEAD_BYTES);
        if (items.length === 0) {
          await window.drain();
          if (!runs.needsForwarding(run)) return;
          await wakeup.wait(signal);
          continue;
        }
        for (const item of items) {
          if (signal.aborted) return;
          // A push with its body in a file (a large one, rare) travels alone, as the other kinds do.
          if (item.kind === 'push' && item.bodyFile === undefined && run.record.state !== 'rejected') {
            await window.add(() => this.#send(run, item), (outcome) => this.#settle(run, item, outcome, window));
          } else {
            await window.drain();
            if (await this.#lostBodyFile(run, item)) {
              cursor = item.seq;
              continue;
            }
            await this.#settle(run, item, run.record.state === 'rejected' ? 'rejected' : await this.#send(run, item));
          }
          cursor = item.seq;
        }
      }
    } finally {
      // On the way out (stop, failure) nothing of this worker may still touch the queue.
      await window.drain().catch(() => undefined);
    }
  }

  async #send(run: Run, item: StoredItem): Promise<FinalOutcome> {
    return deliver(this.#options.client, await this.#request(run, item), this.#options.policy, this.#abort.signal, (notice) =>
      this.#onRetry(run, item, notice),
    );
  }

  /**
   * What the item's final outcome means for the queue and the run; in arrival order. A push settled
   * in a window leaves its removal to the window (SendWindow.background): the next settle need not
   * wait for the store.
   */
  async #settle(run: Run, item: StoredItem, outcome: FinalOutcome | 'rejected', window?: SendWindow): Promise<void> {
    const { queue, runs } = this.#options;
    if (outcome === 'rejected') {
      await this.#deadLetter(run, item, `run rejected by the cloud: ${run.record.lastError ?? ''}`);
      return;
    }
    if (outcome.kind === 'reject') {
      this.#options.metrics.forwardFailure(outcome.status);
      await this.#deadLetter(run, item, outcome.reason);
      if (item.kind === 'create') await runs.reject(run, outcome.reason);
      return;
    }
    if (item.kind === 'create' && !(await this.#adoptUpstreamId(run, item, outcome))) return;
    // Both writes start at once, to share a group-committed batch where they can (a push's removal
    // first waits for the run results that include it to be written: DurableQueue.guardRemovals).
    const written = Promise.all([queue.remove(item), runs.delivered(run, item)]).then(async () => {
      if (run.record.lastError !== null) await runs.noteError(run, null);
      this.#log.debug({ runId: run.record.id, seq: item.seq, kind: item.kind }, 'delivered');
      if (item.kind === 'finish') this.#log.info({ runId: run.record.id, state: run.record.state }, 'run ended upstream');
    });
    if (window && item.kind === 'push') window.background(written);
    else await written;
  }

  async #adoptUpstreamId(run: Run, item: StoredItem, outcome: FinalOutcome): Promise<boolean> {
    const answer = parseCreateAnswer(outcome.body);
    if (!answer) {
      const reason = `create answered HTTP ${outcome.status} without a usable reference_id`;
      await this.#deadLetter(run, item, reason);
      await this.#options.runs.reject(run, reason);
      return false;
    }
    await this.#options.runs.setUpstreamId(run, answer.referenceId);
    this.#log.info({ runId: run.record.id, upstreamId: answer.referenceId }, 'provisional run created upstream');
    return true;
  }

  /**
   * An item whose body file is gone (deleted by hand) can never be sent: rather than retrying for
   * ever, it becomes a dead letter, and for a create the run is rejected, as for a create the cloud
   * refused. Checked before the first attempt; a file deleted while its attempts go on is found at
   * the next start.
   */
  async #lostBodyFile(run: Run, item: StoredItem): Promise<boolean> {
    if (item.bodyFile === undefined || run.record.state === 'rejected') return false;
    const path = this.#options.queue.bodyFiles.path(item.bodyFile);
    if (await access(path).then(() => true, () => false)) return false;
    const reason = `the ${item.kind}'s body file ${path} is missing`;
    await this.#deadLetter(run, item, reason);
    if (item.kind === 'create') await this.#options.runs.reject(run, reason);
    return true;
  }

  async #request(run: Run, item: StoredItem): Promise<UpstreamRequest> {
    const upstreamId = run.record.upstreamId ?? run.record.id;
    const { bodyFiles } = this.#options.queue;
    const { bodyFile } = item;
    let body: UpstreamRequest['body'];
    if (upstreamId !== run.record.id && item.kind === 'push' && item.protocol === 'v2') {
      // v2 bodies carry the run id inside the snappy-compressed MetricSet (validated at ingest).
      const sent = bodyFile === undefined ? item.body : await bodyFiles.read(bodyFile);
      body = snappyCompress(rewriteTestRunId(snappyUncompressBounded(sent, Number.MAX_SAFE_INTEGER), upstreamId));
    } else {
      // A body in a file (a multipart create's archive, a large push) is streamed from it, byte for byte.
      body = bodyFile === undefined ? item.body : bodyFiles.upstreamBody(bodyFile);
    }
    // Stream batches never reach the forwarder: the processing stage turns them into pushes.
    return { path: upstreamPath(item, upstreamId)!, headers: item.headers, body };
  }

  #onRetry(run: Run, item: StoredItem, notice: RetryNotice): void {
    this.#options.metrics.forwardRetry(notice.status);
    const fields = { runId: run.record.id, seq: item.seq, kind: item.kind, attempt: notice.attempt, waitMs: notice.waitMs, reason: notice.reason };
    // The first failure and then every tenth: an outage must be visible without flooding the log.
    if (notice.attempt === 1 || notice.attempt % 10 === 0) this.#log.warn(fields, 'upstream attempt failed, retrying');
    else this.#log.debug(fields, 'upstream attempt failed, retrying');
    void this.#options.runs.noteError(run, notice.reason).catch(() => undefined);
  }

  async #deadLetter(run: Run, item: StoredItem, reason: string): Promise<void> {
    await this.#options.runs.deadLetter(run, item, reason);
    this.#log.warn({ runId: run.record.id, seq: item.seq, kind: item.kind, reason }, 'upstream refused an item for good; moved to dead letters');
  }
}
