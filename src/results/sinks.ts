// Merging and reading the per-metric accumulators of src/aggregate/metric-sink.ts, which the results
// engine keeps per time bucket and per run. Trend histograms use k6's layout (histogram.ts) at its
// 0.001 resolution, whichever protocol the values came in: v2 histograms as k6 built them, raw v1
// and stream values indexed by the same function, so every percentile is read the same way.
import { histogramIndex, MIN_RESOLUTION, type BucketCounts } from '../aggregate/histogram.js';
import { addToSink, newSink, type MetricSink, type TrendSink } from '../aggregate/metric-sink.js';
import type { K6MetricType } from '../aggregate/types.js';

export type { MetricSink, TrendSink };
export { addToSink, newSink };

/** Sinks by metric name. */
export type MetricSinks = Record<string, MetricSink>;

/**
 * Adds `from` into `into` (same type; a sink of another type is ignored: a metric's type never changes
 * within a run). A gauge's `last` becomes from's: callers merge in time order.
 */
export function mergeSink(into: MetricSink, from: MetricSink): void {
  if (into.type === 'counter' && from.type === 'counter') into.sum += from.sum;
  else if (into.type === 'rate' && from.type === 'rate') {
    into.nonzero += from.nonzero;
    into.total += from.total;
  } else if (into.type === 'gauge' && from.type === 'gauge') {
    if (from.count === 0) return;
    widen(into, from);
    into.last = from.last;
    into.sum += from.sum;
  } else if (into.type === 'trend' && from.type === 'trend') {
    if (from.count === 0) return;
    widen(into, from);
    into.sum += from.sum;
    into.extraLow += from.extraLow;
    into.extraHigh += from.extraHigh;
    for (const key of Object.keys(from.buckets)) {
      const index = Number(key);
      into.buckets[index] = (into.buckets[index] ?? 0) + (from.buckets[index] as number);
    }
  }
}

function widen(into: { count: number; min: number; max: number }, from: { count: number; min: number; max: number }): void {
  if (into.count === 0 || from.min < into.min) into.min = from.min;
  if (into.count === 0 || from.max > into.max) into.max = from.max;
  into.count += from.count;
}

/** Merges every sink of `from` into `into`, creating the missing ones. */
export function mergeSinks(into: MetricSinks, from: Readonly<MetricSinks>, only?: ReadonlySet<string>): void {
  for (const metric of Object.keys(from)) {
    if (only !== undefined && !only.has(metric)) continue;
    const sink = from[metric] as MetricSink;
    mergeSink((into[metric] ??= newSink(sink.type)), sink);
  }
}

/** The sink of `metric` in `sinks`, created with `type` if missing. */
export function sinkOf(sinks: MetricSinks, metric: string, type: K6MetricType): MetricSink {
  return (sinks[metric] ??= newSink(type));
}

/**
 * A histogram bucket's counts re-indexed from another resolution to MIN_RESOLUTION, each at its
 * bucket's upper bound (k6 always sends 0.001; this keeps a different one from mixing indices).
 */
export function reindex(counts: Readonly<BucketCounts>, minResolution: number): BucketCounts {
  if (minResolution === MIN_RESOLUTION) return counts as BucketCounts;
  const out: BucketCounts = {};
  for (const key of Object.keys(counts)) {
    const index = histogramIndex(upperBound(Number(key), minResolution));
    out[index] = (out[index] ?? 0) + (counts[Number(key)] as number);
  }
  return out;
}

/**
 * The largest value histogramIndex puts in bucket `index`: below 256 the index is ceil(v / res);
 * above, index = 128·e + ⌊u / 2^e⌋ with u = ceil(v / res), so u < (index − 128·e + 1)·2^e.
 */
export function upperBound(index: number, minResolution: number = MIN_RESOLUTION): number {
  if (index < 256) return index * minResolution;
  const e = Math.floor(index / 128) - 1;
  return ((index - 128 * e + 1) * 2 ** e - 1) * minResolution;
}

/**
 * The p-quantile (0 < p ≤ 1) of a trend's histogram: the upper bound of the bucket holding the
 * value of rank ⌈p·n⌉ (nearest rank), clamped to the trend's min and max, so it lies in the same
 * histogram bucket as the exact nearest-rank quantile of the values. Extra-low values rank below
 * every bucket, extra-high above. Null without histogram values (only k6-aggregated v1 data).
 */
export function quantile(sink: TrendSink, p: number): number | null {
  let tracked = sink.extraLow + sink.extraHigh;
  for (const key of Object.keys(sink.buckets)) tracked += sink.buckets[Number(key)] as number;
  if (tracked === 0) return null;
  const rank = Math.max(1, Math.ceil(p * tracked));
  let seen = sink.extraLow;
  if (seen >= rank) return sink.min;
  for (const key of Object.keys(sink.buckets)) {
    seen += sink.buckets[Number(key)] as number;
    if (seen >= rank) return Math.min(sink.max, Math.max(sink.min, upperBound(Number(key))));
  }
  return sink.max;
}

/** A value into a sink, as k6 would add it (v1 and stream samples). */
export function addValue(sinks: MetricSinks, metric: string, type: K6MetricType, value: number): void {
  addToSink(sinkOf(sinks, metric, type), value);
}
