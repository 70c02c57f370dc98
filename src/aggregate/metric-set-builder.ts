// Due v2 buckets → MetricSets (§6.2, §6.6), in protobufjs `toObject` shape.
//
// Batching: a new MetricSet starts when the current one already holds maxTimeSeriesInBatch
// distinct series and another is needed, so no batch exceeds the limit. (k6 checks only after a
// whole bucket, so its batches can overshoot.) A series with values in several buckets is one
// TimeSeries carrying several values, unless a batch boundary falls between them; then it appears
// in both batches, which §6.5 allows.

import { encodeSpans, MIN_RESOLUTION } from './histogram.js';
import type { MetricSink } from './metric-sink.js';
import { bucketStartUs } from './time-bucket.js';
import {
  METRIC_TYPE_NUMBER,
  type Label,
  type Metric,
  type MetricSet,
  type Tags,
  type TimeSeries,
  type TrendHdrValue,
  type V2AggregationSettings,
} from './types.js';
import type { SeriesEntry } from './v2-aggregator.js';

export interface DueBucket {
  id: number;
  series: Readonly<Record<string, SeriesEntry>>;
}

interface Batch {
  set: MetricSet;
  /** Keyed by `<type> <name>`. */
  metrics: Map<string, Metric>;
  /** Keyed by series key. */
  series: Map<string, TimeSeries>;
}

export function buildMetricSets(due: readonly DueBucket[], settings: V2AggregationSettings): MetricSet[] {
  const sets: MetricSet[] = [];
  let batch: Batch | undefined;
  for (const { id, series } of due) {
    const seconds = Math.floor(bucketStartUs(id, settings.periodNs) / 1e6);
    for (const [key, entry] of Object.entries(series)) {
      let timeSeries = batch?.series.get(key);
      if (timeSeries === undefined) {
        if (batch === undefined || batch.series.size >= settings.maxTimeSeriesInBatch) {
          batch = newBatch(settings);
          sets.push(batch.set);
        }
        timeSeries = { labels: labelsOf(entry.tags) };
        metricOf(batch, entry).timeSeries.push(timeSeries);
        batch.series.set(key, timeSeries);
      }
      appendValue(timeSeries, entry.sink, seconds);
    }
  }
  return sets;
}

function newBatch(settings: V2AggregationSettings): Batch {
  return {
    set: { testRunId: settings.testRunId, aggregationPeriod: Math.trunc(settings.periodNs / 1e9), metrics: [] },
    metrics: new Map(),
    series: new Map(),
  };
}

function metricOf(batch: Batch, entry: SeriesEntry): Metric {
  const key = `${entry.sink.type} ${entry.metric}`;
  let metric = batch.metrics.get(key);
  if (metric === undefined) {
    metric = { name: entry.metric, type: METRIC_TYPE_NUMBER[entry.sink.type], timeSeries: [] };
    batch.metrics.set(key, metric);
    batch.set.metrics.push(metric);
  }
  return metric;
}

/** Labels sorted by name, without the tags k6 never sends. */
function labelsOf(tags: Readonly<Tags>): Label[] {
  const labels: Label[] = [];
  for (const name of Object.keys(tags).sort()) {
    if (!name.startsWith('__') && name !== 'test_run_id') labels.push({ name, value: tags[name] as string });
  }
  return labels;
}

function appendValue(timeSeries: TimeSeries, sink: MetricSink, seconds: number): void {
  const time = { seconds };
  switch (sink.type) {
    case 'counter':
      (timeSeries.counterSamples ??= { values: [] }).values.push({ time, value: sink.sum });
      return;
    case 'gauge':
      (timeSeries.gaugeSamples ??= { values: [] }).values.push({
        time,
        last: sink.last,
        count: sink.count,
        min: sink.min,
        max: sink.max,
        avg: sink.sum / sink.count,
      });
      return;
    case 'rate':
      (timeSeries.rateSamples ??= { values: [] }).values.push({
        time,
        nonzeroCount: sink.nonzero,
        totalCount: sink.total,
      });
      return;
    case 'trend': {
      const value: TrendHdrValue = {
        time,
        ...encodeSpans(sink.buckets),
        sum: sink.sum,
        count: sink.count,
        minValue: sink.min,
        maxValue: sink.max,
        minResolution: MIN_RESOLUTION,
      };
      if (sink.extraLow > 0) value.extraLowValuesCounter = sink.extraLow;
      if (sink.extraHigh > 0) value.extraHighValuesCounter = sink.extraHigh;
      (timeSeries.trendHdrSamples ??= { values: [] }).values.push(value);
      return;
    }
  }
}
