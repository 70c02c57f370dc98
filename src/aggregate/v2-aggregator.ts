// API v2 aggregation, as k6 output/cloud/expv2 collects and flushes (§6.3, §6.5).
//
//   addSample:  bucket = floor(time / period); series = (metric, type, full tag set); one sink each
//   flushV2:    every bucket with id ≤ floor((now − wait) / period), oldest first, becomes values
//               timed at the bucket start, packed into MetricSets of at most
//               maxTimeSeriesInBatch distinct series; the buckets are deleted
//   finalFlushV2: at stop, every bucket, including the still-open one
//
// Like k6, the series identity is the full tag set, and tags that are not sent (`__*`,
// `test_run_id`) are dropped only when labels are written (metric-set-builder.ts).
//
// State layout (plain JSON, so the daemon can persist it as is and resume from `JSON.parse`):
//   { buckets: { "<bucket id>": { "<series key>": { metric, tags, sink } } } }

import { buildMetricSets } from './metric-set-builder.js';
import { addToSink, newSink, type MetricSink } from './metric-sink.js';
import { tagSetKey } from './tag-set.js';
import { bucketCutoff, bucketOf, dueBucketIds } from './time-bucket.js';
import type { MetricSet, Tags, V2AggregationSettings, V2Sample } from './types.js';

export interface SeriesEntry {
  metric: string;
  tags: Tags;
  sink: MetricSink;
}

export interface V2AggregatorState {
  buckets: Record<string, Record<string, SeriesEntry>>;
}

export function createV2State(): V2AggregatorState {
  return { buckets: {} };
}

/** `sample.tags` is kept by reference; do not mutate it afterwards. */
export function addSample(
  state: V2AggregatorState,
  sample: V2Sample,
  settings: Pick<V2AggregationSettings, 'periodNs'>,
): void {
  const bucket = (state.buckets[bucketOf(sample.time, settings.periodNs)] ??= {});
  const key = tagSetKey(sample.tags, [sample.metric, sample.type]);
  let entry = bucket[key];
  if (entry === undefined) {
    entry = { metric: sample.metric, tags: sample.tags, sink: newSink(sample.type) };
    bucket[key] = entry;
  }
  addToSink(entry.sink, sample.value);
}

/** One collect tick at `nowNs`: removes the due buckets and returns them as MetricSets. */
export function flushV2(state: V2AggregatorState, nowNs: number, settings: V2AggregationSettings): MetricSet[] {
  return takeBuckets(state, bucketCutoff(nowNs, settings.waitPeriodNs, settings.periodNs), settings);
}

/** At stop: removes every bucket, leaving the state empty. */
export function finalFlushV2(state: V2AggregatorState, settings: V2AggregationSettings): MetricSet[] {
  return takeBuckets(state, Infinity, settings);
}

function takeBuckets(state: V2AggregatorState, cutoff: number, settings: V2AggregationSettings): MetricSet[] {
  const due = dueBucketIds(state.buckets, cutoff).map((id) => {
    const series = state.buckets[id] ?? {};
    delete state.buckets[id];
    return { id, series };
  });
  return buildMetricSets(due, settings);
}
