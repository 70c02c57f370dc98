// Plain-object shapes the aggregation functions read and write. They mirror the k6 cloud wire
// formats (API v1 JSON envelopes, §4.2/§5.3; API v2 MetricSet in protobufjs `toObject` form,
// §6.2) without importing src/protocol, so this folder stays dependency-free.

import type { HttpReqDurationMetric } from './http-trail.js';

/** A sample's indexed tags (k6 "tag set"). */
export type Tags = Record<string, string>;

export type K6MetricType = 'counter' | 'gauge' | 'rate' | 'trend';

// ---- API v1 (§4.2) ----------------------------------------------------------------------------

/** `data.time` is Unix microseconds written as a decimal string. */
export interface V1PointEnvelope {
  type: 'Point';
  metric: string;
  data: { time: string; type: string; tags?: Tags; value: number };
}

/** `http_req_li_all` (one HTTP request) or `iter_li_all` (one iteration). */
export interface V1PointsEnvelope {
  type: 'Points';
  metric: string;
  data: { time: string; type: string; tags?: Tags; values: Record<string, number> };
}

export interface MinMaxAvg {
  min: number;
  max: number;
  avg: number;
}

/** §5.3: durations in ms; `http_req_failed` only when at least one trail had the flag. */
export type AggregatedHttpValues = Record<HttpReqDurationMetric, MinMaxAvg> & {
  http_req_failed?: { count: number; nz_count: number };
};

export interface V1AggregatedPointsEnvelope {
  type: 'AggregatedPoints';
  metric: 'http_req_li_all';
  data: { time: string; type: 'aggregated_trend'; count: number; tags: Tags; values: AggregatedHttpValues };
}

export type V1Envelope = V1PointEnvelope | V1PointsEnvelope | V1AggregatedPointsEnvelope;

/** k6 `cloudapi.Config` aggregation fields, durations in nanoseconds (§5.2). */
export interface V1AggregationSettings {
  /** P. Must be a whole number of microseconds (k6 periods are whole seconds), see time-bucket.ts. */
  periodNs: number;
  /** W. */
  waitPeriodNs: number;
  minSamples: number;
  outlierAlgoThreshold: number;
  iqrRadius: number;
  iqrCoefLower: number;
  iqrCoefUpper: number;
  skipOutlierDetection: boolean;
}

/** The legacy k6 (<= v0.47) v1 aggregation defaults of §5.4, as the cloud used to send them. */
export const LEGACY_V1_SETTINGS: Readonly<V1AggregationSettings> = Object.freeze({
  periodNs: 3e9,
  waitPeriodNs: 5e9,
  minSamples: 25,
  outlierAlgoThreshold: 75,
  iqrRadius: 0.25,
  iqrCoefLower: 1.5,
  iqrCoefUpper: 1.3,
  skipOutlierDetection: false,
});

// ---- API v2 (§6) ------------------------------------------------------------------------------

/** One raw k6 sample. */
export interface V2Sample {
  metric: string;
  type: K6MetricType;
  /**
   * Unix time in **microseconds**. The v1 wire carries µs and raw streams carry ms (×1000 is exact);
   * both fit a double exactly, which Unix nanoseconds do not.
   */
  time: number;
  tags: Tags;
  value: number;
}

export interface V2AggregationSettings {
  /** The reference id repeated in every MetricSet. */
  testRunId: string;
  /** Must be whole seconds: k6 refuses sub-second periods and the wire carries seconds. */
  periodNs: number;
  waitPeriodNs: number;
  /** k6 default 1000. */
  maxTimeSeriesInBatch: number;
}

/** `MetricType` enum values (§6.2). */
export const METRIC_TYPE_NUMBER = { counter: 1, gauge: 2, rate: 3, trend: 4 } as const satisfies Record<
  K6MetricType,
  number
>;

export interface Timestamp {
  seconds: number;
}

export interface Label {
  name: string;
  value: string;
}

export interface CounterValue {
  time: Timestamp;
  value: number;
}

export interface GaugeValue {
  time: Timestamp;
  last: number;
  count: number;
  min: number;
  max: number;
  avg: number;
}

export interface RateValue {
  time: Timestamp;
  nonzeroCount: number;
  totalCount: number;
}

export interface BucketSpan {
  offset: number;
  length: number;
}

export interface TrendHdrValue {
  time: Timestamp;
  counters: number[];
  spans: BucketSpan[];
  sum: number;
  count: number;
  minValue: number;
  maxValue: number;
  extraLowValuesCounter?: number;
  extraHighValuesCounter?: number;
  minResolution: number;
}

/** Exactly one of the `*Samples` fields is set, the one matching `Metric.type`. */
export interface TimeSeries {
  labels: Label[];
  counterSamples?: { values: CounterValue[] };
  gaugeSamples?: { values: GaugeValue[] };
  rateSamples?: { values: RateValue[] };
  trendHdrSamples?: { values: TrendHdrValue[] };
}

export interface Metric {
  name: string;
  type: (typeof METRIC_TYPE_NUMBER)[K6MetricType];
  timeSeries: TimeSeries[];
}

export interface MetricSet {
  testRunId: string;
  /** Seconds. */
  aggregationPeriod: number;
  metrics: Metric[];
}
