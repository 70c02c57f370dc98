// One processed run's way from inbox to outbox, taking inbox items in arrival order:
//
//   create, events        → the outbox, as it is (a provisional run's create goes first)
//   push v2               → the outbox, as it is (k6 ≥ 0.48 aggregated it already)
//   push v1               → its envelopes into the output aggregation, unless it repeats the
//                           K6-Idempotency-Key of a push already taken (k6 retried a push whose
//                           answer it lost: taking it twice would count its samples twice)
//   push stream           → its samples into the output aggregation (duplicates were dropped at
//                           ingest by sequence number)
//   finish                → every bucket is aggregated (k6's wait period 0 at stop), then the
//                           finish goes to the outbox after all of it
//
// takeBatch() hands over what the steps since the last call produced, with the state to persist,
// for one DurableQueue.commitProcessed. If that commit fails, the pipeline must be thrown away and
// restored from disk: its memory is ahead of the store.
import type { V1Envelope, V2Sample } from '../aggregate/index.js';
import { decodeV1Push, type StreamSample } from '../protocol/index.js';
import type { ProcessedBatch, QueueItem, StoredItem } from '../queue/index.js';
import type { ProcessingPlan, RunRecord } from '../runs/index.js';
import type { OutputAggregation } from './output-aggregation.js';
import { v1PushItems, type RequestOrigin } from './outbox-requests.js';
import { decodeProcessState, encodeProcessState, type ProcessState } from './process-state.js';
import { V1Output } from './v1-output.js';
import { V2Output } from './v2-output.js';

/** Runner pushes remembered for deduplication: k6 retries within seconds, at one push a second. */
const RECENT_KEYS = 256;
const UNBOUNDED = { maxDecompressedBytes: Number.MAX_SAFE_INTEGER };

type DeadLetter = ProcessedBatch['deadLetters'][number];

export interface PipelineStats {
  itemsTaken: number;
  duplicatesDropped: number;
  requestsMade: number;
}

export class RunPipeline {
  readonly stats: PipelineStats = { itemsTaken: 0, duplicatesDropped: 0, requestsMade: 0 };
  readonly #plan: ProcessingPlan;
  readonly #origin: RequestOrigin;
  readonly #output: OutputAggregation;
  #requests: number;
  readonly #recentKeys: string[];
  readonly #recentKeySet: Set<string>;
  #consumed: StoredItem[] = [];
  #passThrough: QueueItem[] = [];
  #deadLetters: DeadLetter[] = [];
  #finish: QueueItem | null = null;

  constructor(record: RunRecord, plan: ProcessingPlan, relaydUserAgent: string, saved: Uint8Array | undefined) {
    const state = saved === undefined ? undefined : decodeProcessState(saved);
    this.#plan = plan;
    this.#origin = { runId: record.id, authorization: record.authorization, runnerUserAgent: record.userAgent, relaydUserAgent };
    this.#output = plan.output === 'v1' ? new V1Output(plan, state?.output) : new V2Output(plan, record.id, state?.output);
    this.#requests = state?.requests ?? 0;
    this.#recentKeys = state?.recentKeys ?? [];
    this.#recentKeySet = new Set(this.#recentKeys);
  }

  /** The finish was taken: the run's processing is complete once the batch is committed. */
  get finished(): boolean {
    return this.#finish !== null;
  }

  get hasPendingBuckets(): boolean {
    return this.#output.hasPendingBuckets;
  }

  get lateSamples(): number {
    return this.#output.lateSamples;
  }

  async take(item: StoredItem, now: number): Promise<void> {
    this.#consumed.push(item);
    this.stats.itemsTaken++;
    this.#output.clock.limit(now, this.#plan.waitPeriodMs);
    try {
      await this.#route(item);
    } catch (err) {
      // Validated at ingest, so this is damage or a bug: keep the item where a person can get it.
      this.#deadLetters.push({ item: queued(item), reason: `processing failed: ${err instanceof Error ? err.message : String(err)}` });
    }
  }

  async #route(item: StoredItem): Promise<void> {
    switch (item.kind) {
      case 'create':
      case 'events':
        this.#passThrough.push(queued(item));
        return;
      case 'finish':
        this.#output.flush(true);
        this.#finish = queued(item);
        return;
      case 'push':
        if (this.#isRetry(item.headers['k6-idempotency-key'])) {
          this.stats.duplicatesDropped++;
          return;
        }
        if (item.protocol === 'v2') this.#passThrough.push(queued(item));
        else if (item.protocol === 'stream') this.#output.addSamples(streamSamples(item.body));
        else this.#output.addV1(await v1Envelopes(item));
    }
  }

  /** Whether a runner push with this key was taken before; remembers it. Stream batches have none. */
  #isRetry(key: string | undefined): boolean {
    if (key === undefined) return false;
    if (this.#recentKeySet.has(key)) return true;
    this.#recentKeys.push(key);
    this.#recentKeySet.add(key);
    if (this.#recentKeys.length > RECENT_KEYS) this.#recentKeySet.delete(this.#recentKeys.shift() as string);
    return false;
  }

  /** Aggregates the buckets due at the event clock, or all of them (a run gone quiet). */
  flush(all: boolean): void {
    this.#output.flush(all);
  }

  /** What was produced since the last call, for one commit; null when nothing changed. */
  async takeBatch(now: number): Promise<ProcessedBatch | null> {
    const made = await this.#output.takeRequests(this.#origin, this.#requests, now);
    this.#requests += made.length;
    const unsendable = this.#output.takeUnsendable();
    if (unsendable.length > 0) {
      const reason = 'AggregatedPoints hold no histogram, so they cannot go upstream in API v2 (--upstream-protocol v2)';
      const kept = await v1PushItems(unsendable, this.#origin, this.#requests, now);
      this.#requests += kept.length;
      for (const item of kept) this.#deadLetters.push({ item, reason });
    }
    this.stats.requestsMade += made.length;
    const outbox = [...this.#passThrough, ...made];
    if (this.#finish !== null) outbox.push(this.#finish);
    const batch: ProcessedBatch = {
      consumed: this.#consumed,
      outbox,
      deadLetters: this.#deadLetters,
      state: this.#finish !== null ? null : encodeProcessState(this.#snapshot()),
    };
    this.#consumed = [];
    this.#passThrough = [];
    this.#deadLetters = [];
    const changed = batch.consumed.length > 0 || batch.outbox.length > 0 || batch.deadLetters.length > 0;
    return changed ? batch : null;
  }

  #snapshot(): ProcessState {
    return { requests: this.#requests, recentKeys: this.#recentKeys, output: this.#output.snapshot() };
  }
}

/** The queue item without where it was stored. */
function queued(item: StoredItem): QueueItem {
  const { runId: _runId, seq: _seq, size: _size, box: _box, ...rest } = item;
  return rest;
}

/** An API v1 push as stored: validated at ingest, so its envelopes have the shapes of §4.2. */
async function v1Envelopes(item: StoredItem): Promise<V1Envelope[]> {
  const { envelopes } = await decodeV1Push(item.body, item.headers['content-encoding'], UNBOUNDED);
  return envelopes as V1Envelope[];
}

/** A stream batch as stored (the message as received, validated at ingest), times in µs. */
function streamSamples(body: Uint8Array): V2Sample[] {
  const { samples } = JSON.parse(Buffer.from(body).toString('utf8')) as { samples: StreamSample[] };
  return samples.map((s) => ({ metric: s.metric, type: s.type, time: Math.round(s.time * 1000), tags: s.tags, value: s.value }));
}
