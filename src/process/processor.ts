// The processing stage: between a processed run's inbox (what runners sent, acknowledged once
// synced) and its outbox (what the forwarder sends). One step of a run, at most one at a time:
//
//   read up to ITEMS_PER_STEP inbox items (BYTES_PER_STEP) after the run's cursor
//   → RunPipeline.take each (aggregating, or passing through)
//   → aggregate the buckets that are due (every calc interval), or all of them when the run has
//     been quiet for a wait period plus a period, or when the finish was taken
//   → ONE synced batch: outbox items + the run's state + deletion of the inbox items taken
//   → wake the forwarder
//
// Every run with a plan is stepped every push interval (a timer for all runs), and at once when its
// finish arrives. A crash between steps loses nothing and counts nothing twice: on start, a run
// resumes from its persisted state and the inbox items no commit consumed. A failed commit throws
// the in-memory pipeline away; the next step restores it from disk the same way.
import type { AggregationSettings } from '../config/index.js';
import type { Logger } from '../observe/index.js';
import type { DurableQueue } from '../queue/index.js';
import type { Run, RunRegistry } from '../runs/index.js';
import { RunPipeline } from './run-pipeline.js';

/** Bound one step (one commit), in items and in bytes read: stream batches may be megabytes each. */
const ITEMS_PER_STEP = 64;
const BYTES_PER_STEP = 16 * 1024 * 1024;

export interface ProcessorOptions {
  readonly queue: DurableQueue;
  readonly runs: RunRegistry;
  readonly timing: Pick<AggregationSettings, 'pushIntervalMs' | 'calcIntervalMs'>;
  /** User-Agent of the v2 requests relayd encodes itself. */
  readonly userAgent: string;
  readonly logger: Logger;
  /** A commit put something in the run's outbox. */
  readonly onOutbox: (runId: string) => void;
  readonly now?: () => number;
}

interface RunWork {
  readonly run: Run;
  /** null: restore from disk before the next step. */
  pipeline: RunPipeline | null;
  /** The seq of the last inbox item taken. */
  cursor: number;
  lastCalcAt: number;
  lastDataAt: number;
  running: Promise<void> | null;
  again: boolean;
}

type StepOutcome = 'idle' | 'more' | 'done';

export class Processor {
  readonly #options: ProcessorOptions;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #works = new Map<string, RunWork>();
  #timer: NodeJS.Timeout | null = null;
  #stopping = false;

  constructor(options: ProcessorOptions) {
    this.#options = options;
    this.#log = options.logger;
    this.#now = options.now ?? Date.now;
  }

  /** Resumes every processed run an earlier life left unfinished, and starts the step timer. */
  start(): void {
    for (const run of this.#options.runs.list()) {
      if (run.record.processing !== undefined && this.#options.runs.needsForwarding(run)) this.#kick(this.#workFor(run));
    }
    this.#timer = setInterval(() => {
      for (const work of this.#works.values()) this.#kick(work);
    }, this.#options.timing.pushIntervalMs);
  }

  /** Something was queued in a processed run's inbox. A finish is processed at once. */
  notify(runId: string): void {
    const run = this.#options.runs.get(runId);
    if (this.#stopping || run?.record.processing === undefined) return;
    const work = this.#workFor(run);
    if (run.record.state !== 'running') this.#kick(work);
  }

  /** Stops stepping; a step in flight completes (or fails) first, so no commit is cut short. */
  async stop(): Promise<void> {
    this.#stopping = true;
    if (this.#timer !== null) clearInterval(this.#timer);
    await Promise.all([...this.#works.values()].map((work) => work.running));
  }

  #workFor(run: Run): RunWork {
    let work = this.#works.get(run.record.id);
    if (work === undefined) {
      const now = this.#now();
      work = { run, pipeline: null, cursor: 0, lastCalcAt: now, lastDataAt: now, running: null, again: false };
      this.#works.set(run.record.id, work);
    }
    return work;
  }

  #kick(work: RunWork): void {
    if (work.running !== null) {
      work.again = true;
      return;
    }
    work.running = this.#drain(work)
      .catch((err: unknown) => this.#log.error({ err, runId: work.run.record.id }, 'processing step failed; retrying from the store'))
      .finally(() => {
        work.running = null;
      });
  }

  async #drain(work: RunWork): Promise<void> {
    do {
      work.again = false;
      const outcome = await this.#step(work);
      if (outcome === 'done') {
        this.#works.delete(work.run.record.id);
        return;
      }
      if (outcome === 'more') work.again = true;
    } while (work.again && !this.#stopping);
  }

  async #step(work: RunWork): Promise<StepOutcome> {
    const { queue, onOutbox } = this.#options;
    const { record } = work.run;
    const plan = record.processing;
    if (plan === undefined) return 'done';
    if (work.pipeline === null) {
      work.pipeline = new RunPipeline(record, plan, this.#options.userAgent, await queue.loadProcessState(record.id));
      work.cursor = 0;
    }
    const pipeline = work.pipeline;
    // Read before the inbox: a finish is in the inbox before its run leaves `running`.
    const wasRunning = record.state === 'running';
    const items = await queue.readInMemory(record.id, work.cursor, ITEMS_PER_STEP, BYTES_PER_STEP);
    const now = this.#now();
    let bytes = 0;
    for (const item of items) {
      if (bytes >= BYTES_PER_STEP) break;
      await pipeline.take(item, now);
      work.cursor = item.seq;
      bytes += item.size;
      if (pipeline.finished) break;
    }
    if (items.length > 0) work.lastDataAt = now;
    // Not running and nothing left in the inbox: the finish was taken (now or in an earlier life),
    // or the run ended without one (rejected); either way every bucket goes out and the state goes.
    const ending = !pipeline.finished && items.length === 0 && !wasRunning;
    if (ending || (pipeline.hasPendingBuckets && now - work.lastDataAt >= plan.waitPeriodMs + plan.periodMs)) {
      pipeline.flush(true);
    } else if (now - work.lastCalcAt >= this.#options.timing.calcIntervalMs) {
      pipeline.flush(false);
      work.lastCalcAt = now;
    }
    const produced = await pipeline.takeBatch(now);
    const batch = ending ? { consumed: [], outbox: [], deadLetters: [], ...produced, state: null } : produced;
    if (batch !== null) {
      try {
        await queue.commitProcessed(record.id, batch);
      } catch (err) {
        work.pipeline = null;
        throw err;
      }
      if (batch.outbox.length > 0) onOutbox(record.id);
    }
    if (pipeline.finished || ending) {
      this.#log.info({ runId: record.id, ...pipeline.stats, lateSamples: pipeline.lateSamples }, 'run processed to the end');
      return 'done';
    }
    return items.length === ITEMS_PER_STEP || bytes >= BYTES_PER_STEP ? 'more' : 'idle';
  }
}
