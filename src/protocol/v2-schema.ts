// API v2 protobuf schema (§6.2, k6 `output/cloud/expv2/pbcloud/metric.proto`) and the plain-object
// shape relayd uses for a decoded MetricSet.
//
// The schema is a string parsed once at module load into one protobufjs Root;
// google.protobuf.Timestamp is defined here rather than loaded from protobufjs' bundled files.
//
// MetricSet shape (protobufjs `toObject` with longs as Number, enums as numbers, arrays always
// present, proto3 defaults omitted):
// - field names are lowerCamelCase, as in protobuf-JSON (`testRunId`, `timeSeries`,
//   `trendHdrSamples`, `minResolution`);
// - a scalar equal to its proto3 zero value is absent, exactly as on the wire (Go omits it), so
//   `metricSet.testRunId ?? ''`; the fixtures' decoded .json files omit the same fields;
// - every repeated field is an array, possibly empty;
// - of a TimeSeries' `samples` oneof only the member that was sent is present;
// - Timestamp is `{ seconds?: number; nanos?: number }` (seconds fit a double exactly).
// Encoding this shape writes only the fields present, so decode → encode reproduces Go's bytes.

import protobuf from 'protobufjs';

const TIMESTAMP_PROTO = `
syntax = "proto3";
package google.protobuf;
message Timestamp {
  int64 seconds = 1;
  int32 nanos = 2;
}
`;

const METRICS_PROTO = `
syntax = "proto3";
package metrics;

enum MetricType {
  METRIC_TYPE_UNSPECIFIED = 0;
  METRIC_TYPE_COUNTER = 1;
  METRIC_TYPE_GAUGE = 2;
  METRIC_TYPE_RATE = 3;
  METRIC_TYPE_TREND = 4;
}

message MetricSet {
  string test_run_id = 1;
  uint32 aggregation_period = 2;
  repeated Metric metrics = 3;
}

message Metric {
  string name = 1;
  MetricType type = 2;
  repeated TimeSeries time_series = 3;
}

message Label {
  string name = 1;
  string value = 2;
}

message TimeSeries {
  repeated Label labels = 1;
  oneof samples {
    CounterSamples counter_samples = 2;
    GaugeSamples gauge_samples = 3;
    RateSamples rate_samples = 4;
    TrendHdrSamples trend_hdr_samples = 5;
  }
}

message CounterSamples { repeated CounterValue values = 1; }
message GaugeSamples { repeated GaugeValue values = 1; }
message RateSamples { repeated RateValue values = 1; }
message TrendHdrSamples { repeated TrendHdrValue values = 1; }

message CounterValue {
  google.protobuf.Timestamp time = 1;
  double value = 2;
}

message GaugeValue {
  google.protobuf.Timestamp time = 1;
  double last = 2;
  uint32 count = 3;
  double min = 4;
  double max = 5;
  double avg = 6;
}

message RateValue {
  google.protobuf.Timestamp time = 1;
  uint32 nonzero_count = 2;
  uint32 total_count = 3;
}

message BucketSpan {
  uint32 offset = 1;
  uint32 length = 2;
}

message TrendHdrValue {
  google.protobuf.Timestamp time = 1;
  repeated uint32 counters = 2;
  repeated BucketSpan spans = 3;
  double sum = 5;
  uint32 count = 6;
  double min_value = 7;
  double max_value = 8;
  optional uint32 extra_low_values_counter = 9;
  optional uint32 extra_high_values_counter = 10;
  double min_resolution = 11;
  optional uint32 significant_digits = 12;
}
`;

function buildMetricSetType(): protobuf.Type {
  const root = new protobuf.Root();
  protobuf.parse(TIMESTAMP_PROTO, root);
  protobuf.parse(METRICS_PROTO, root);
  // parse() leaves proto3 features unresolved: without this, repeated scalars (`counters`)
  // would be encoded unpacked, unlike Go.
  root.resolveAll();
  return root.lookupType('metrics.MetricSet');
}

export const MetricSetType = buildMetricSetType();

export const TO_OBJECT_OPTIONS: protobuf.IConversionOptions = { longs: Number, arrays: true };

/** `Metric.type` values (§6.2). 0 is never valid on the wire. */
export const MetricType = { Unspecified: 0, Counter: 1, Gauge: 2, Rate: 3, Trend: 4 } as const;

export interface Timestamp {
  seconds?: number;
  nanos?: number;
}

export interface Label {
  name?: string;
  value?: string;
}

export interface CounterValue {
  time?: Timestamp;
  value?: number;
}

export interface GaugeValue {
  time?: Timestamp;
  last?: number;
  count?: number;
  /** Holds the maximum for k6 < 1.8.0 (§6.3). */
  min?: number;
  /** Holds the minimum for k6 < 1.8.0 (§6.3). */
  max?: number;
  avg?: number;
}

export interface RateValue {
  time?: Timestamp;
  nonzeroCount?: number;
  totalCount?: number;
}

export interface BucketSpan {
  offset?: number;
  length?: number;
}

export interface TrendHdrValue {
  time?: Timestamp;
  counters: number[];
  spans: BucketSpan[];
  sum?: number;
  count?: number;
  minValue?: number;
  maxValue?: number;
  extraLowValuesCounter?: number;
  extraHighValuesCounter?: number;
  minResolution?: number;
  significantDigits?: number;
}

export interface Samples<V> {
  values: V[];
}

export interface TimeSeries {
  labels: Label[];
  counterSamples?: Samples<CounterValue>;
  gaugeSamples?: Samples<GaugeValue>;
  rateSamples?: Samples<RateValue>;
  trendHdrSamples?: Samples<TrendHdrValue>;
}

export interface Metric {
  name?: string;
  /** A MetricType value; any number before validation. */
  type?: number;
  timeSeries: TimeSeries[];
}

export interface MetricSet {
  testRunId?: string;
  /** Bucket width in seconds. */
  aggregationPeriod?: number;
  metrics: Metric[];
}
