// API v2 output (§6): every sample (stream samples, API v1 envelopes transcoded) goes into its time
// series and bucket; due buckets become MetricSets, one request each.
//
// Late samples: a sample for a bucket at or below the watermark (that bucket was sent already)
// re-opens its bucket, which is due at once: it goes upstream with the next flush, as another value
// of its series timed at the bucket's start. The cloud adds up the values of one series and bucket,
// as it must when k6 itself sends a series in several requests (§6.5). So a late sample is counted
// once, in the bucket it belongs to.
// `AggregatedPoints` (a runner that aggregated before relayd could) hold no histogram and cannot
// become v2: they are handed back as unsendable (the pipeline keeps them as dead letters).
import {
  addSample,
  bucketOf,
  createV2State,
  finalFlushV2,
  flushV2,
  v2SamplesFromV1,
  type MetricSet,
  type V1Envelope,
  type V2AggregationSettings,
  type V2AggregatorState,
  type V2Sample,
} from '../aggregate/index.js';
import type { QueueItem } from '../queue/index.js';
import type { ProcessingPlan } from '../runs/index.js';
import { BucketedOutput, type OutputAggregation } from './output-aggregation.js';
import { v2PushItem, type RequestOrigin } from './outbox-requests.js';
import type { OutputState } from './output-state.js';

/** k6's default maxTimeSeriesInBatch (§6.6). */
const MAX_TIME_SERIES_IN_BATCH = 1000;

export class V2Output extends BucketedOutput<V2AggregatorState, MetricSet> implements OutputAggregation {
  readonly #settings: V2AggregationSettings;
  #unsendable: V1Envelope[] = [];

  constructor(plan: ProcessingPlan, runId: string, saved: OutputState | undefined) {
    super(saved, createV2State);
    this.#settings = {
      testRunId: runId,
      periodNs: plan.periodMs * 1e6,
      waitPeriodNs: plan.waitPeriodMs * 1e6,
      maxTimeSeriesInBatch: MAX_TIME_SERIES_IN_BATCH,
    };
  }

  addV1(envelopes: readonly V1Envelope[]): void {
    for (const envelope of envelopes) {
      const transcoded = v2SamplesFromV1(envelope);
      if (transcoded.kind === 'samples') this.addSamples(transcoded.samples);
      else this.#unsendable.push(envelope);
    }
  }

  addSamples(samples: readonly V2Sample[]): void {
    const periodNs = this.#settings.periodNs;
    for (const sample of samples) {
      if (this.isClosed(bucketOf(sample.time, periodNs))) this.lateSamples++;
      else this.clock.observe(sample.time);
      addSample(this.aggregator, sample, this.#settings);
    }
  }

  protected aggregate(all: boolean): MetricSet[] {
    return all ? finalFlushV2(this.aggregator, this.#settings) : flushV2(this.aggregator, this.clock.timeNs, this.#settings);
  }

  async takeRequests(origin: RequestOrigin, firstNumber: number, now: number): Promise<QueueItem[]> {
    return this.takeProduced().map((set, i) => v2PushItem(set, origin, firstNumber + i, now));
  }

  takeUnsendable(): V1Envelope[] {
    const envelopes = this.#unsendable;
    this.#unsendable = [];
    return envelopes;
  }
}
