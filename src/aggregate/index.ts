// Pure k6 cloud aggregation: no clock (callers pass `nowNs`), no randomness, no I/O, no await.
// Every state is plain JSON, so the daemon can persist it atomically and resume from JSON.parse.

export type {
  AggregatedHttpValues,
  BucketSpan,
  CounterValue,
  GaugeValue,
  K6MetricType,
  Label,
  Metric,
  MetricSet,
  MinMaxAvg,
  RateValue,
  Tags,
  TimeSeries,
  Timestamp,
  TrendHdrValue,
  V1AggregatedPointsEnvelope,
  V1AggregationSettings,
  V1Envelope,
  V1PointEnvelope,
  V1PointsEnvelope,
  V2AggregationSettings,
  V2Sample,
} from './types.js';
export { LEGACY_V1_SETTINGS, METRIC_TYPE_NUMBER } from './types.js';

export { httpTrailFromPoints, pointsFromHttpTrail, TRAIL_DURATIONS, type HttpTrail } from './http-trail.js';
export { bucketOf } from './time-bucket.js';
export { tagSetKey } from './tag-set.js';
export { kthSmallest, normalBounds, quartiles, type NormalBounds, type QuantileMethod } from './normal-bounds.js';
export {
  addTrail,
  createV1State,
  finalFlushV1,
  flushV1,
  type TrailGroup,
  type V1AggregatorState,
} from './v1-aggregator.js';

export {
  decodeSpans,
  encodeSpans,
  EXTRA_HIGH,
  EXTRA_LOW,
  histogramIndex,
  MIN_RESOLUTION,
  type BucketCounts,
} from './histogram.js';
export {
  addSample,
  createV2State,
  finalFlushV2,
  flushV2,
  type SeriesEntry,
  type V2AggregatorState,
} from './v2-aggregator.js';
export type { MetricSink } from './metric-sink.js';
export { v2SamplesFromV1, type V1Transcoding } from './v1-transcoder.js';
