// API v1 output (§5): requests (`Points` http_req_li_all) wait in time buckets and are aggregated
// into `AggregatedPoints` plus outliers once due; every other envelope goes on as it came.
//
// Late requests: a request whose bucket is at or below the watermark (that bucket was aggregated
// and sent already) goes upstream on its own, as the `Points` it came as, which is how k6 sends an
// outlier. It is counted once, and never merged into another bucket's aggregate.
// With a period of 0 (a v1 stream relayd does not aggregate) every request goes on its own.
import {
  addTrail,
  bucketOf,
  createV1State,
  finalFlushV1,
  flushV1,
  httpTrailFromPoints,
  type V1AggregationSettings,
  type V1AggregatorState,
  type V1Envelope,
  type V1PointsEnvelope,
  type V2Sample,
} from '../aggregate/index.js';
import type { QueueItem } from '../queue/index.js';
import type { ProcessingPlan } from '../runs/index.js';
import { BucketedOutput, type OutputAggregation } from './output-aggregation.js';
import { v1PushItems, type RequestOrigin } from './outbox-requests.js';
import type { OutputState } from './output-state.js';
import { v1EnvelopesFromSamples } from './stream-to-v1.js';

/** k6 ≤ 0.47's default (§5.4): below it, quartiles by sort with interpolation. */
const OUTLIER_ALGO_THRESHOLD = 75;

export class V1Output extends BucketedOutput<V1AggregatorState, V1Envelope> implements OutputAggregation {
  readonly #settings: V1AggregationSettings | null;

  constructor(plan: ProcessingPlan, saved: OutputState | undefined) {
    super(saved, createV1State);
    this.#settings =
      plan.periodMs === 0
        ? null
        : {
            periodNs: plan.periodMs * 1e6,
            waitPeriodNs: plan.waitPeriodMs * 1e6,
            minSamples: plan.minSamples,
            outlierAlgoThreshold: OUTLIER_ALGO_THRESHOLD,
            iqrRadius: plan.iqrRadius,
            iqrCoefLower: plan.iqrCoefLower,
            iqrCoefUpper: plan.iqrCoefUpper,
            skipOutlierDetection: false,
          };
  }

  addV1(envelopes: readonly V1Envelope[]): void {
    for (const envelope of envelopes) {
      if (this.#settings !== null && envelope.type === 'Points' && envelope.metric === 'http_req_li_all') {
        this.#addRequest(envelope, this.#settings);
      } else {
        this.produce(envelope);
      }
    }
  }

  #addRequest(envelope: V1PointsEnvelope, settings: V1AggregationSettings): void {
    const trail = httpTrailFromPoints(envelope);
    if (this.isClosed(bucketOf(trail.endTimeUs, settings.periodNs))) {
      this.lateSamples++;
      this.produce(envelope);
      return;
    }
    this.clock.observe(trail.endTimeUs);
    addTrail(this.aggregator, envelope.data.tags ?? {}, trail, settings);
  }

  addSamples(samples: readonly V2Sample[]): void {
    this.addV1(v1EnvelopesFromSamples(samples));
  }

  protected aggregate(all: boolean): V1Envelope[] {
    if (this.#settings === null) return [];
    return all ? finalFlushV1(this.aggregator, this.#settings) : flushV1(this.aggregator, this.clock.timeNs, this.#settings);
  }

  async takeRequests(origin: RequestOrigin, firstNumber: number, now: number): Promise<QueueItem[]> {
    const envelopes = this.takeProduced();
    return envelopes.length === 0 ? [] : v1PushItems(envelopes, origin, firstNumber, now);
  }

  takeUnsendable(): V1Envelope[] {
    return [];
  }
}
