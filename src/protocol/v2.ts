// API v2 metric push (§6): snappy block compressed protobuf MetricSet.
//
//   body = snappy_block(protobuf(MetricSet{test_run_id, aggregation_period, metrics[]}))
//
// Invariants checked by decodeV2Push:
// - Content-Encoding is snappy, and the declared uncompressed length is within the limit;
// - test_run_id equals the run id of the URL the body was pushed to;
// - every metric has a name and a type in COUNTER..TREND;
// - every TimeSeries sets exactly the `samples` oneof member of its metric's type, and every
//   label has a name.
// The sample count is the number of values over all time series (one per series and bucket).

import protobuf from 'protobufjs';
import { RelaydError } from '../errors.js';
import { type DecodeLimits, normaliseContentEncoding } from './compression.js';
import { snappyUncompressBounded } from './snappy.js';
import { type MetricSet, MetricSetType, MetricType, type Samples, TO_OBJECT_OPTIONS, type TimeSeries } from './v2-schema.js';

/** The `samples` oneof members, indexed by MetricType − 1, with their proto names for messages. */
const SAMPLE_FIELDS = [
  { key: 'counterSamples', name: 'counter_samples', type: 'counter' },
  { key: 'gaugeSamples', name: 'gauge_samples', type: 'gauge' },
  { key: 'rateSamples', name: 'rate_samples', type: 'rate' },
  { key: 'trendHdrSamples', name: 'trend_hdr_samples', type: 'trend' },
] as const satisfies ReadonlyArray<{ key: keyof TimeSeries; name: string; type: string }>;

export function decodeMetricSet(pb: Uint8Array): MetricSet {
  try {
    // An explicit base Reader: for a Buffer, protobufjs would pick its BufferReader, whose
    // string() clamps a length running past the end instead of throwing (a truncated body
    // would then decode "successfully").
    return MetricSetType.toObject(MetricSetType.decode(new protobuf.Reader(pb)), TO_OBJECT_OPTIONS) as MetricSet;
  } catch (err) {
    throw new RelaydError('RELAYD_BAD_PROTOBUF', (err as Error).message, { cause: err });
  }
}

export function encodeMetricSet(metricSet: MetricSet): Uint8Array {
  return MetricSetType.encode(MetricSetType.fromObject(metricSet)).finish();
}

export function decodeV2Push(
  body: Uint8Array,
  contentEncoding: string | undefined,
  expectedRunId: string,
  limits: DecodeLimits,
): { metricSet: MetricSet; samples: number } {
  if (normaliseContentEncoding(contentEncoding) !== 'snappy') {
    throw new RelaydError('RELAYD_UNSUPPORTED_ENCODING', `"${contentEncoding ?? ''}" on an API v2 push (expected snappy)`);
  }
  const metricSet = decodeMetricSet(snappyUncompressBounded(body, limits.maxDecompressedBytes));
  return { metricSet, samples: validateMetricSet(metricSet, expectedRunId) };
}

/** Checks the invariants in the header and returns the number of values. */
function validateMetricSet(metricSet: MetricSet, expectedRunId: string): number {
  const testRunId = metricSet.testRunId ?? '';
  if (testRunId !== expectedRunId) {
    throw invalid(`test_run_id is ${JSON.stringify(testRunId)}, expected ${JSON.stringify(expectedRunId)}`);
  }
  let samples = 0;
  const metrics = metricSet.metrics;
  for (let m = 0; m < metrics.length; m++) {
    const metric = metrics[m]!;
    if (!metric.name) throw invalid(`metrics[${m}]: metric has no name`);
    const type = metric.type ?? MetricType.Unspecified;
    const expected = SAMPLE_FIELDS[type - 1];
    if (expected === undefined) throw invalid(`metrics[${m}] (${metric.name}): metric type ${type} is not 1..4`);
    const series = metric.timeSeries;
    for (let s = 0; s < series.length; s++) {
      const timeSeries = series[s]!;
      const labels = timeSeries.labels;
      for (let l = 0; l < labels.length; l++) {
        if (!labels[l]!.name) throw invalid(`metrics[${m}].time_series[${s}].labels[${l}]: label has no name`);
      }
      let values: Samples<unknown> | undefined;
      for (const field of SAMPLE_FIELDS) {
        const member = timeSeries[field.key];
        if (member === undefined) continue;
        if (field !== expected) {
          throw invalid(`metrics[${m}].time_series[${s}]: ${expected.type} metric carries ${field.name}`);
        }
        values = member;
      }
      if (values === undefined) {
        throw invalid(`metrics[${m}].time_series[${s}]: ${expected.type} metric carries no ${expected.name}`);
      }
      samples += values.values.length;
    }
  }
  return samples;
}

function invalid(detail: string): RelaydError {
  return new RelaydError('RELAYD_BAD_V2_PAYLOAD', detail);
}
