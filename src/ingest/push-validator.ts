// Where pushes are validated. Decoding is most of ingest's CPU (a 1000-series v2 push ~1 ms of
// wire walk, a one-second v1 push of 2,000 requests ~15 ms of JSON.parse); on the event loop it
// delays every other push's acknowledgement behind it and keeps ingest on one core. With
// --validation-threads N (auto: one core less than the machine has, at most 4) it runs on N
// worker threads (piscina) while the event loop only reads bodies, writes batches and answers.
// With 0 it runs on the event loop, e.g. where threads are scarce.
import { availableParallelism } from 'node:os';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { RelaydError } from '../errors.js';
import { type PushToValidate, validatePush } from './push-validation.js';
import type { ValidationOutcome } from './validation-worker.js';

const MAX_AUTO_THREADS = 4;
// A worker waits for libuv's snappy while it could walk another body: two tasks each.
const TASKS_PER_THREAD = 2;
// The worker is this module's sibling: .js in the build, .ts when run through tsx (tests, bench).
const WORKER_FILE = new URL(`./validation-worker${extname(fileURLToPath(import.meta.url))}`, import.meta.url);

export function resolveValidationThreads(setting: number | 'auto'): number {
  return setting === 'auto' ? Math.min(MAX_AUTO_THREADS, Math.max(1, availableParallelism() - 1)) : setting;
}

export class PushValidator {
  readonly #pool: Piscina<PushToValidate, ValidationOutcome> | null;

  constructor(threads: number) {
    this.#pool =
      threads === 0
        ? null
        : new Piscina({ filename: WORKER_FILE.href, minThreads: threads, maxThreads: threads, concurrentTasksPerWorker: TASKS_PER_THREAD });
  }

  get threads(): number {
    return this.#pool?.options.maxThreads ?? 0;
  }

  /** The push's sample count; a RelaydError for a body relayd must refuse. */
  async validate(push: PushToValidate): Promise<number> {
    if (this.#pool === null) return validatePush(push);
    const outcome = await this.#pool.run(push);
    if ('samples' in outcome) return outcome.samples;
    throw new RelaydError(outcome.code, outcome.detail);
  }

  /** After ingest stopped: tasks still queued finish first. */
  async close(): Promise<void> {
    await this.#pool?.close();
  }
}
