// A push's digest: what the results engine keeps of one push or stream batch, its values summed per
// second and metric into mergeable sinks (sinks.ts), all tags merged. Plain JSON, so a validation
// thread can make it for a v1 push and hand it over (structured clone), and small: a few sinks per
// second of data, whatever the number of samples.
//
// v1 `Point` and `Points` values and stream samples go in one by one, as k6 adds them. A v1
// `AggregatedPoints` (k6 aggregating itself, on the cloud's legacy config) carries only the count and
// min/max/avg of each duration, of the requests inside its IQR bounds (k6 sends the outliers raw):
// its requests, failures, sums and extremes count exactly, and its requests go into the histograms
// at their average, so the percentiles of such a run are approximate (the only case where they are).
// v2 values are k6's own per-bucket sinks (v2-digest.ts).
//
// Imported by the validation threads: nothing here may load the snappy binding.
import { EXTRA_LOW, histogramIndex } from '../aggregate/histogram.js';
import type { AggregatedHttpValues, K6MetricType, V1Envelope as TypedV1Envelope } from '../aggregate/types.js';
import { forEachV1Value } from '../aggregate/v1-transcoder.js';
import type { V1Envelope } from '../protocol/v1.js';
import { DenseBuckets } from './dense-buckets.js';
import { addToSink, addValue, sinkOf, type MetricSinks } from './sinks.js';

export interface PushDigest {
  /** Sinks by Unix second of their values, then by metric. */
  readonly seconds: Record<number, MetricSinks>;
  /** v2: the MetricSet's aggregation period (its values are per bucket of that many seconds). */
  readonly periodSeconds?: number;
}

export function sinksAt(digest: PushDigest, second: number): MetricSinks {
  return ((digest.seconds as Record<number, MetricSinks>)[second] ??= {});
}

export function digestV1(envelopes: readonly V1Envelope[]): PushDigest {
  const digester = new V1Digester();
  for (const envelope of envelopes) digester.add(envelope);
  return digester.finish();
}

/**
 * digestV1 one envelope at a time: for ingest, which does not hold a large push's envelopes all at
 * once. A push's trend counts are summed densely (dense-buckets.ts) until finish().
 */
export class V1Digester {
  readonly #digest: PushDigest = { seconds: {} };
  readonly #dense = new DenseBuckets();
  /** The sinks of the second being filled: a push's envelopes come mostly in order. */
  #second = Number.NaN;
  #sinks: MetricSinks = {};

  add(envelope: V1Envelope): void {
    const second = Math.floor(Number(envelope.data.time) / 1e6);
    if (second !== this.#second) {
      this.#second = second;
      this.#sinks = sinksAt(this.#digest, second);
    }
    if (envelope.type === 'AggregatedPoints') {
      addAggregated(this.#sinks, envelope.data.count ?? 0, envelope.data.values as unknown as AggregatedHttpValues);
      return;
    }
    // v1.ts validated the envelope; the transcoder gives each value its k6 type.
    forEachV1Value(envelope as TypedV1Envelope, this.#addValue);
  }

  /** The digest, once every envelope is in. */
  finish(): PushDigest {
    this.#dense.flush();
    this.#dense.release();
    return this.#digest;
  }

  /** Gives the dense arrays back when the push is refused before finish(). */
  release(): void {
    this.#dense.release();
  }

  readonly #addValue = (metric: string, type: K6MetricType, value: number): void => {
    const sink = sinkOf(this.#sinks, metric, type);
    addToSink(sink, value, sink.type === 'trend' ? this.#dense.of(sink.buckets) : undefined);
  };
}

/** `count` requests of which k6 sent only min/max/avg per duration metric (§5.3). */
function addAggregated(sinks: MetricSinks, count: number, values: AggregatedHttpValues): void {
  addValue(sinks, 'http_reqs', 'counter', count);
  for (const [metric, aggregate] of Object.entries(values)) {
    if (metric === 'http_req_failed') continue;
    const { min, max, avg } = aggregate as { min: number; max: number; avg: number };
    const sink = sinkOf(sinks, metric, 'trend');
    if (sink.type !== 'trend') continue;
    if (sink.count === 0 || min < sink.min) sink.min = min;
    if (sink.count === 0 || max > sink.max) sink.max = max;
    sink.count += count;
    sink.sum += avg * count;
    const index = histogramIndex(avg);
    if (index >= 0) sink.buckets[index] = (sink.buckets[index] ?? 0) + count;
    else if (index === EXTRA_LOW) sink.extraLow += count;
    else sink.extraHigh += count;
  }
  const failed = values.http_req_failed;
  if (failed !== undefined) {
    const sink = sinkOf(sinks, 'http_req_failed', 'rate');
    if (sink.type === 'rate') {
      sink.nonzero += failed.nz_count;
      sink.total += failed.count;
    }
  }
}

/** Raw samples with Unix-ms times (a stream batch). */
export function digestSamples(samples: readonly { metric: string; type: 'counter' | 'gauge' | 'rate' | 'trend'; time: number; value: number }[]): PushDigest {
  const digest: PushDigest = { seconds: {} };
  for (const sample of samples) addValue(sinksAt(digest, Math.floor(sample.time / 1000)), sample.metric, sample.type, sample.value);
  return digest;
}
