// Where pushes are validated. Parsing an API v1 push is most of ingest's CPU (JSON.parse of a
// one-second push of 2,000 requests ~12 ms); on the event loop it delays every other push's
// acknowledgement behind it and keeps ingest on one core. With --validation-threads N (auto: one
// core less than the machine has, at most 4) pushes are checked on N worker threads (piscina)
// while the event loop only reads bodies, writes batches and answers; with 0, on the event loop.
// An API v2 push is decompressed on the event loop (~0.3 ms per 1000-series push; the snappy
// binding must not be loaded on a worker thread, protocol/snappy.ts), then its MetricSet goes to a
// thread for the wire walk that validates it and makes its results digest (~2 ms, which on the
// event loop capped how fast relayd took a v2 backlog in: bench/README.md).
// The pool starts with the first push, not with relayd: a thread costs ~10 MiB of RSS, and a
// relayd that sees nothing at all needs none. A thread also stops once it had nothing to do for
// THREAD_IDLE_MS: a v1 ingest leaves its isolate and its malloc arena holding tens of MiB that no
// drain needs (bench/README.md); starting one again costs the next push ~55 ms.
// A v2 push is decompressed only when a thread is about to take it: at most three per thread at
// once, so that a thread always has its next one ready. Decompressed as they came, the 32 pushes
// in flight of the ingest benchmark held up to 17 MiB of MetricSets (0.54 MiB each) waiting for a
// thread; the RSS peak was 14-17 MiB higher (bench/README.md).
// A body that owns its memory (as ingest reads them, body.ts; as the snappy binding's copy is) is
// transferred to the thread rather than copied: a 16 MiB body would otherwise be held twice while
// it is validated.
import { availableParallelism } from 'node:os';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import pLimit, { type LimitFunction } from 'p-limit';
import type { Piscina } from 'piscina';
import { RelaydError } from '../errors.js';
import { decompressV2Push } from '../protocol/index.js';
import type { PushDigest } from '../results/digest.js';
import { type MetricSetToValidate, type PushToValidate, validateMetricSet, validateV1Push } from './push-validation.js';
import type { ValidationOutcome } from './validation-worker.js';

const MAX_AUTO_THREADS = 4;
/** k6 pushes every second per run: a thread idle for two missed pushes stops (as idle-heap.ts's quiet). */
const THREAD_IDLE_MS = 2000;
/**
 * v2 MetricSets decompressed at once, per validation thread: the one it walks, the next, and one
 * being decompressed (two cost ~4% of the maximum v2 rate in the benchmark, three nothing measurable).
 */
const DECOMPRESSED_PER_THREAD = 3;
// The worker is this module's sibling: .js in the build, .ts when run through tsx (tests, bench).
const WORKER_FILE = new URL(`./validation-worker${extname(fileURLToPath(import.meta.url))}`, import.meta.url);

export function resolveValidationThreads(setting: number | 'auto'): number {
  return setting === 'auto' ? Math.min(MAX_AUTO_THREADS, Math.max(1, availableParallelism() - 1)) : setting;
}

/**
 * A validation thread's semi-space. V8 grows it to 16 MiB under load (a young generation of 48 MiB:
 * both semi-spaces and a large-object space of the same size), per thread, for no rate that the
 * bench could measure (bench/README.md); with every isolate at 1 MiB, v1 ingest lost ~20 %.
 * A launch flag `--max-semi-space-size` overrides this (checked: V8 reads the flag last).
 */
const VALIDATION_SEMI_SPACE_MIB = 8;

type ValidationPool = Piscina<PushToValidate | MetricSetToValidate, ValidationOutcome>;

async function startPool(threads: number, idleTimeout: number): Promise<ValidationPool> {
  const { Piscina } = await import('piscina');
  // stricterFIFO: by default piscina puts a task it could not hand to a busy thread back at the
  // tail of its queue, so under steady load some pushes waited 28-41 s for their acknowledgement
  // (memory bench) while later ones went first.
  const resourceLimits = { maxYoungGenerationSizeMb: 3 * VALIDATION_SEMI_SPACE_MIB };
  return new Piscina({ filename: WORKER_FILE.href, minThreads: 0, maxThreads: threads, idleTimeout, stricterFIFO: true, resourceLimits });
}

export class PushValidator {
  readonly threads: number;
  readonly #threadIdleMs: number;
  #pool: Promise<ValidationPool> | null = null;
  #started: ValidationPool | null = null;
  readonly #decompressing: LimitFunction;
  /** v2 pushes waiting for their turn or in it: close() lets them reach the pool first. */
  readonly #turns = new Set<Promise<unknown>>();

  /** `threadIdleMs`: how long a thread may sit idle before it stops (tests shorten it). */
  constructor(threads: number, { threadIdleMs = THREAD_IDLE_MS } = {}) {
    this.threads = threads;
    this.#threadIdleMs = threadIdleMs;
    this.#decompressing = pLimit(Math.max(1, DECOMPRESSED_PER_THREAD * threads));
  }

  /** The push's sample count; a RelaydError for a body relayd must refuse. */
  async validate(push: PushToValidate): Promise<number> {
    return (await this.check(push)).samples;
  }

  /**
   * validate(), and the push's results digest (src/results), made while the push is checked (on a
   * validation thread, or with no threads on the event loop). `body` is the push's body to store.
   * With `transferBody`, a v1 body alone in its ArrayBuffer (as body.ts reads them) goes to the
   * thread and back instead of being copied: the given one is then detached, and `body` holds the
   * same bytes.
   */
  async check(
    push: PushToValidate,
    { transferBody = false } = {},
  ): Promise<{ readonly samples: number; readonly digest: PushDigest | undefined; readonly body: Uint8Array }> {
    if (push.protocol === 'v2') {
      if (this.threads === 0) return { ...validateMetricSet(metricSetTask(push)), body: push.body };
      const turn = this.#decompressing(() => {
        const task = metricSetTask(push);
        return this.#run(task, ownsItsMemory(task.metricSet));
      });
      this.#turns.add(turn);
      try {
        return { ...(await turn), body: push.body };
      } finally {
        this.#turns.delete(turn);
      }
    }
    if (this.threads === 0) return { ...(await validateV1Push(push)), body: push.body };
    const { body } = push;
    const transfer = transferBody && ownsItsMemory(body);
    const outcome = await this.#run(push, transfer);
    return { ...outcome, body: transfer ? outcome.body! : body };
  }

  async #run(task: PushToValidate | MetricSetToValidate, transfer: boolean): Promise<Extract<ValidationOutcome, { samples: number }>> {
    this.#pool ??= startPool(this.threads, this.#threadIdleMs).then((pool) => (this.#started = pool));
    const bytes = 'metricSet' in task ? task.metricSet : task.body;
    const outcome = await (await this.#pool).run(task, transfer ? { transferList: [bytes.buffer as ArrayBuffer] } : {});
    if ('samples' in outcome) return outcome;
    throw new RelaydError(outcome.code, outcome.detail);
  }

  /** Validation threads running now: none before the first push, nor after THREAD_IDLE_MS without one. */
  get runningThreads(): number {
    return this.#started?.threads.length ?? 0;
  }

  /** v2 pushes decompressed and not yet validated, and those waiting for their turn (still compressed). */
  get v2Pushes(): { readonly decompressed: number; readonly waiting: number } {
    return { decompressed: this.#decompressing.activeCount, waiting: this.#decompressing.pendingCount };
  }

  /** After ingest stopped: tasks still queued finish first. */
  async close(): Promise<void> {
    await Promise.allSettled(this.#turns);
    await (await this.#pool)?.close();
  }
}

function metricSetTask(push: PushToValidate): MetricSetToValidate {
  const metricSet = decompressV2Push(push.body, push.contentEncoding, push.limits);
  return { protocol: 'v2', runId: push.runId, metricSet, maxTags: push.limits.maxTags };
}

/** Only bytes alone in their ArrayBuffer are transferred: a slice of Buffer's pool would take the pool along. */
function ownsItsMemory(bytes: Uint8Array): boolean {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer;
}
