// Where pushes are validated. Parsing an API v1 push is most of ingest's CPU (JSON.parse of a
// one-second push of 2,000 requests ~12 ms); on the event loop it delays every other push's
// acknowledgement behind it and keeps ingest on one core. With --validation-threads N (auto: one
// core less than the machine has, at most 4) v1 pushes are parsed on N worker threads (piscina)
// while the event loop only reads bodies, writes batches and answers; with 0, on the event loop.
// API v2 pushes stay on the event loop: their snappy decompression (~0.3 ms per 1000-series push)
// and wire walk (~1 ms) are cheap, and the snappy binding must not be loaded on a worker thread
// (protocol/snappy.ts).
// The pool starts with the first v1 push, not with relayd: a thread costs ~10 MiB of RSS, and
// a relayd that only ever sees v2 (k6 v0.48 on) or nothing at all needs none.
// A body that owns its memory (as ingest reads them, body.ts) is transferred to the thread and back
// rather than copied each way: a 32 MiB body would otherwise be held twice while it is validated.
import { availableParallelism } from 'node:os';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Piscina } from 'piscina';
import { RelaydError } from '../errors.js';
import { scanV2Push } from '../protocol/index.js';
import type { DigestSource } from '../results/digest.js';
import { digestMetricSet } from '../results/v2-digest.js';
import { type PushToValidate, validateV1Push } from './push-validation.js';
import { checkV2Labels } from './tag-limit.js';
import type { ValidationOutcome } from './validation-worker.js';

const MAX_AUTO_THREADS = 4;
// The worker is this module's sibling: .js in the build, .ts when run through tsx (tests, bench).
const WORKER_FILE = new URL(`./validation-worker${extname(fileURLToPath(import.meta.url))}`, import.meta.url);

export function resolveValidationThreads(setting: number | 'auto'): number {
  return setting === 'auto' ? Math.min(MAX_AUTO_THREADS, Math.max(1, availableParallelism() - 1)) : setting;
}

type ValidationPool = Piscina<PushToValidate, ValidationOutcome>;

async function startPool(threads: number): Promise<ValidationPool> {
  const { Piscina } = await import('piscina');
  // stricterFIFO: by default piscina puts a task it could not hand to a busy thread back at the
  // tail of its queue, so under steady load some pushes waited 28-41 s for their acknowledgement
  // (memory bench) while later ones went first.
  return new Piscina({ filename: WORKER_FILE.href, minThreads: threads, maxThreads: threads, stricterFIFO: true });
}

export class PushValidator {
  readonly threads: number;
  #pool: Promise<ValidationPool> | null = null;

  constructor(threads: number) {
    this.threads = threads;
  }

  /** The push's sample count; a RelaydError for a body relayd must refuse. */
  async validate(push: PushToValidate): Promise<number> {
    return (await this.check(push)).samples;
  }

  /**
   * validate(), and the push's results digest (src/results): a v1 push's made while it is parsed
   * anyway, a v2 push's to be made after the ack from the bytes decompressed here (not twice).
   * `body` is the push's body to store. With `transferBody`, a body alone in its ArrayBuffer (as
   * body.ts reads them) goes to the thread and back instead of being copied: the given one is then
   * detached, and `body` holds the same bytes.
   */
  async check(
    push: PushToValidate,
    { transferBody = false } = {},
  ): Promise<{ readonly samples: number; readonly digest: DigestSource; readonly body: Uint8Array }> {
    if (push.protocol === 'v2') {
      const { samples, mostLabels, pb } = await scanV2Push(push.body, push.contentEncoding, push.runId, push.limits);
      checkV2Labels(mostLabels, push.limits.maxTags);
      return { samples, digest: () => digestMetricSet(pb), body: push.body };
    }
    if (this.threads === 0) return { ...(await validateV1Push(push)), body: push.body };
    this.#pool ??= startPool(this.threads);
    const { body } = push;
    // Only a body alone in its ArrayBuffer: a slice of Buffer's pool would take the pool along.
    const transfer = transferBody && body.byteOffset === 0 && body.byteLength === body.buffer.byteLength && body.buffer instanceof ArrayBuffer;
    const outcome = await (await this.#pool).run(push, transfer ? { transferList: [body.buffer] } : {});
    if ('samples' in outcome) return { ...outcome, body: transfer ? outcome.body : body };
    throw new RelaydError(outcome.code, outcome.detail);
  }

  /** After ingest stopped: tasks still queued finish first. */
  async close(): Promise<void> {
    await (await this.#pool)?.close();
  }
}
