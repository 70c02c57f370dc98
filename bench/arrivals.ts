// How work arrives in a benchmark, whatever the work is (an HTTP push to relayd, a synced write to a
// bare LevelDB), so relayd and its baselines are driven the same way:
//  - closed: `concurrency` workers, each starting its next operation when the last one finished;
//    this finds the highest rate the system sustains;
//  - Poisson: operations start at random times with a fixed mean rate whatever the system does, as
//    from many independent k6 instances. Latency counts from the scheduled start, so a stalled
//    system cannot hide its queueing (no coordinated omission);
//  - bursts: k6's own rhythm, each instance flushing a batch of pushes one after the other.
import { setTimeout as sleep } from 'node:timers/promises';
import { type PushBody, seededRandom } from './payloads.js';

/** What one run of operations achieved. */
export interface LoadResult {
  readonly seconds: number;
  readonly operations: number;
  /** Wire bytes of the completed operations' bodies. */
  readonly bytes: number;
  readonly samples: number;
  readonly values: number;
  readonly errors: number;
  readonly firstError?: string;
  readonly latenciesMs: number[];
  /** Completed operations and bytes per second of the window, for throughput over time. */
  readonly perSecond: ReadonlyArray<{ readonly operations: number; readonly bytes: number }>;
}

export class LoadRecorder {
  readonly #latenciesMs: number[] = [];
  readonly #perSecond: Array<{ operations: number; bytes: number }> = [];
  readonly #start = performance.now();
  #operations = 0;
  #bytes = 0;
  #samples = 0;
  #values = 0;
  #errors = 0;
  #firstError: string | undefined;

  get operations(): number {
    return this.#operations;
  }

  get bytes(): number {
    return this.#bytes;
  }

  /** A completed operation that started (or was scheduled) at `startedAt` (performance.now()). */
  done(body: PushBody, startedAt: number): number {
    const now = performance.now();
    const latencyMs = now - startedAt;
    this.#latenciesMs.push(latencyMs);
    this.#operations += 1;
    this.#bytes += body.body.length;
    this.#samples += body.samples;
    this.#values += body.values;
    const second = Math.floor((now - this.#start) / 1000);
    while (this.#perSecond.length <= second) this.#perSecond.push({ operations: 0, bytes: 0 });
    this.#perSecond[second]!.operations += 1;
    this.#perSecond[second]!.bytes += body.body.length;
    return latencyMs;
  }

  failed(error: string): void {
    this.#errors += 1;
    this.#firstError ??= error;
  }

  result(seconds: number): LoadResult {
    return {
      seconds,
      operations: this.#operations,
      bytes: this.#bytes,
      samples: this.#samples,
      values: this.#values,
      errors: this.#errors,
      latenciesMs: this.#latenciesMs,
      perSecond: this.#perSecond,
      ...(this.#firstError === undefined ? {} : { firstError: this.#firstError }),
    };
  }
}

/** How a benchmark drives load. */
export type Arrivals =
  /** `concurrency` workers back to back: the highest rate the system sustains. */
  | {
      readonly kind: 'closed';
      readonly concurrency: number;
      readonly seconds: number;
      /** Ends the run early (e.g. once a backlog of a given size was written). */
      readonly stop?: () => boolean;
    }
  /** Independent arrivals at a mean rate, as from many k6 instances. */
  | { readonly kind: 'poisson'; readonly rate: number; readonly seconds: number; readonly seed?: number }
  /**
   * k6's own rhythm: each of `workers` instances flushes every `everySeconds`, sending `burst`
   * requests one after the other (k6's default push concurrency is 1); instances are out of phase.
   */
  | { readonly kind: 'bursts'; readonly workers: number; readonly everySeconds: number; readonly burst: number; readonly seconds: number };

/**
 * Runs operation(n, scheduledAt, worker) for n = 0, 1, … as `arrivals` says. `scheduledAt` is the
 * performance.now() the operation was due; `worker` is the closed-loop worker or k6 instance (for
 * Poisson arrivals, n). Resolves with the seconds it took, once every operation finished.
 */
export function drive(arrivals: Arrivals, operation: Operation): Promise<number> {
  switch (arrivals.kind) {
    case 'closed':
      return closed(arrivals, operation);
    case 'poisson':
      return poisson(arrivals, operation);
    case 'bursts':
      return bursts(arrivals, operation);
  }
}

export type Operation = (n: number, scheduledAt: number, worker: number) => Promise<void>;

async function closed(arrivals: Extract<Arrivals, { kind: 'closed' }>, operation: Operation): Promise<number> {
  const start = performance.now();
  const deadline = start + arrivals.seconds * 1000;
  let next = 0;
  const worker = async (_: unknown, index: number): Promise<void> => {
    while (performance.now() < deadline && !arrivals.stop?.()) await operation(next++, performance.now(), index);
  };
  await Promise.all(Array.from({ length: arrivals.concurrency }, worker));
  return (performance.now() - start) / 1000;
}

async function poisson(arrivals: Extract<Arrivals, { kind: 'poisson' }>, operation: Operation): Promise<number> {
  const random = seededRandom(arrivals.seed ?? 7);
  const start = performance.now();
  const deadline = start + arrivals.seconds * 1000;
  const inFlight = new Set<Promise<void>>();
  let due = start;
  for (let n = 0; ; n++) {
    due += (-Math.log(1 - random()) / arrivals.rate) * 1000;
    if (due >= deadline) break;
    await sleepUntil(due);
    const started = operation(n, due, n);
    inFlight.add(started);
    void started.finally(() => inFlight.delete(started));
  }
  await Promise.all(inFlight);
  return (performance.now() - start) / 1000;
}

async function bursts(arrivals: Extract<Arrivals, { kind: 'bursts' }>, operation: Operation): Promise<number> {
  const start = performance.now();
  const deadline = start + arrivals.seconds * 1000;
  const period = arrivals.everySeconds * 1000;
  let next = 0;
  const instance = async (_: unknown, index: number): Promise<void> => {
    for (let due = start + (index * period) / arrivals.workers; due < deadline; due += period) {
      await sleepUntil(due);
      for (let i = 0; i < arrivals.burst; i++) await operation(next++, performance.now(), index);
    }
  };
  await Promise.all(Array.from({ length: arrivals.workers }, instance));
  return (performance.now() - start) / 1000;
}

async function sleepUntil(due: number): Promise<void> {
  const wait = due - performance.now();
  if (wait > 1) await sleep(wait);
}
