// Per (time series, bucket) accumulators of API v2 (§6.3), as plain JSON-safe objects: no
// Infinity starting values (JSON would turn them into null); min and max are taken from the first
// value instead, which `count` tells apart.

import { EXTRA_HIGH, EXTRA_LOW, histogramIndex, type BucketCounts } from './histogram.js';
import type { K6MetricType } from './types.js';

export interface CounterSink {
  type: 'counter';
  sum: number;
}

/**
 * Unlike k6 before v1.8.0, min and max are the true minimum and maximum: k6 wrote them into each
 * other's fields, and its max started at 0, so an all-negative gauge reported a maximum of 0.
 */
export interface GaugeSink {
  type: 'gauge';
  last: number;
  count: number;
  sum: number;
  min: number;
  max: number;
}

export interface RateSink {
  type: 'rate';
  nonzero: number;
  total: number;
}

/** min/max/sum/count include every value; `buckets` only the trackable ones. */
export interface TrendSink {
  type: 'trend';
  buckets: BucketCounts;
  extraLow: number;
  extraHigh: number;
  sum: number;
  count: number;
  min: number;
  max: number;
}

export type MetricSink = CounterSink | GaugeSink | RateSink | TrendSink;

export function newSink(type: K6MetricType): MetricSink {
  switch (type) {
    case 'counter':
      return { type, sum: 0 };
    case 'gauge':
      return { type, last: 0, count: 0, sum: 0, min: 0, max: 0 };
    case 'rate':
      return { type, nonzero: 0, total: 0 };
    case 'trend':
      return { type, buckets: {}, extraLow: 0, extraHigh: 0, sum: 0, count: 0, min: 0, max: 0 };
  }
}

/**
 * Adds one value. A trend's bucket count goes to `dense` (indexed by bucket) when given and long
 * enough, else to the sink's record: the results sum a push's counts densely (results/dense-buckets.ts).
 */
export function addToSink(sink: MetricSink, value: number, dense?: Float64Array): void {
  switch (sink.type) {
    case 'counter':
      sink.sum += value;
      return;
    case 'gauge':
      sink.last = value;
      sink.sum += value;
      trackExtremes(sink, value);
      return;
    case 'rate':
      sink.total++;
      if (value !== 0) sink.nonzero++;
      return;
    case 'trend': {
      sink.sum += value;
      trackExtremes(sink, value);
      const index = histogramIndex(value);
      if (index === EXTRA_LOW) sink.extraLow++;
      else if (index === EXTRA_HIGH) sink.extraHigh++;
      else if (dense !== undefined && index < dense.length) dense[index] = dense[index]! + 1;
      else sink.buckets[index] = (sink.buckets[index] ?? 0) + 1;
      return;
    }
  }
}

/** Counts `value` and widens min/max, seeding both from the first value. */
function trackExtremes(sink: GaugeSink | TrendSink, value: number): void {
  sink.count++;
  if (sink.count === 1 || value < sink.min) sink.min = value;
  if (sink.count === 1 || value > sink.max) sink.max = value;
}
