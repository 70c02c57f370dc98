// The digest (digest.ts) of an API v2 MetricSet, read straight off the protobuf wire with
// protobufjs' Reader: decoding a 1000-series push into objects (decodeMetricSet) costs tens of ms of
// CPU, while this walk only sums each value into its metric's sink for its second. Labels are
// skipped: the results merge every tag set of a metric. Runs after ingest validated the body
// (v2-scan.ts), so the wire is well-formed; a surprise still only throws, never loops.
import protobuf from 'protobufjs';
import { decodeSpans } from '../aggregate/histogram.js';
import type { BucketSpan } from '../aggregate/types.js';
import { sinksAt, type PushDigest } from './digest.js';
import { mergeSink, reindex, sinkOf } from './sinks.js';

const VARINT = 0;
const LENGTH = 2;
const TYPES = ['counter', 'gauge', 'rate', 'trend'] as const;

/** An int64 as protobufjs returns it (a number, or a Long when the long package is installed). */
const toNumber = (value: ReturnType<protobuf.Reader['int64']> | number): number =>
  typeof value === 'number' ? value : protobuf.util.LongBits.from(value).toNumber();

export function digestMetricSet(pb: Uint8Array): PushDigest {
  const reader = new protobuf.Reader(pb);
  let periodSeconds = 0;
  const metrics: { name: string; type: number; series: [number, number][] }[] = [];
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    if (tag >>> 3 === 2 && (tag & 7) === VARINT) periodSeconds = reader.uint32();
    else if (tag >>> 3 === 3 && (tag & 7) === LENGTH) metrics.push(readMetric(reader, reader.uint32() + reader.pos));
    else reader.skipType(tag & 7);
  }
  const digest: PushDigest = periodSeconds > 0 ? { seconds: {}, periodSeconds } : { seconds: {} };
  for (const metric of metrics) {
    const type = TYPES[metric.type - 1];
    if (type === undefined) continue;
    for (const [start, end] of metric.series) {
      reader.pos = start;
      readSeries(reader, end, metric.name, type, digest);
    }
  }
  return digest;
}

/** Metric{name=1, type=2, time_series=3}: the series' positions, walked once the type is known. */
function readMetric(reader: protobuf.Reader, end: number): { name: string; type: number; series: [number, number][] } {
  const metric = { name: '', type: 0, series: [] as [number, number][] };
  while (reader.pos < end) {
    const tag = reader.uint32();
    const field = tag >>> 3;
    if (field === 1 && (tag & 7) === LENGTH) metric.name = reader.string();
    else if (field === 2 && (tag & 7) === VARINT) metric.type = reader.uint32();
    else if (field === 3 && (tag & 7) === LENGTH) {
      const seriesEnd = reader.uint32() + reader.pos;
      metric.series.push([reader.pos, seriesEnd]);
      reader.pos = seriesEnd;
    } else reader.skipType(tag & 7);
  }
  return metric;
}

/** TimeSeries{labels=1, oneof samples 2..5{values=1}}: every value into its second's sink. */
function readSeries(reader: protobuf.Reader, end: number, metric: string, type: (typeof TYPES)[number], digest: PushDigest): void {
  while (reader.pos < end) {
    const tag = reader.uint32();
    const field = tag >>> 3;
    if (field < 2 || field > 5 || (tag & 7) !== LENGTH) {
      reader.skipType(tag & 7);
      continue;
    }
    const samplesEnd = reader.uint32() + reader.pos;
    while (reader.pos < samplesEnd) {
      const valueTag = reader.uint32();
      if (valueTag >>> 3 !== 1 || (valueTag & 7) !== LENGTH) {
        reader.skipType(valueTag & 7);
        continue;
      }
      const valueEnd = reader.uint32() + reader.pos;
      const value = readValue(reader, valueEnd, type);
      mergeSink(sinkOf(sinksAt(digest, value.second), metric, type), value.sink);
    }
  }
}

type ValueSink = Parameters<typeof mergeSink>[1];

/** One Counter/Gauge/Rate/TrendHdr value (field numbers: v2-schema.ts) as a sink of its own. */
function readValue(reader: protobuf.Reader, end: number, type: (typeof TYPES)[number]): { second: number; sink: ValueSink } {
  let second = 0;
  let counter = 0;
  const gauge = { type: 'gauge' as const, last: 0, count: 0, sum: 0, min: 0, max: 0 };
  let avg = 0;
  const rate = { type: 'rate' as const, nonzero: 0, total: 0 };
  const trend = { type: 'trend' as const, buckets: {}, extraLow: 0, extraHigh: 0, sum: 0, count: 0, min: 0, max: 0 };
  const counters: number[] = [];
  const spans: BucketSpan[] = [];
  let minResolution = 0.001;
  while (reader.pos < end) {
    const tag = reader.uint32();
    const field = tag >>> 3;
    const wire = tag & 7;
    if (field === 1 && wire === LENGTH) second = readTimestamp(reader, reader.uint32() + reader.pos);
    else if (type === 'counter' && field === 2) counter = reader.double();
    else if (type === 'gauge' && field >= 2 && field <= 6) {
      if (field === 3) gauge.count = reader.uint32();
      else if (field === 2) gauge.last = reader.double();
      else if (field === 4) gauge.min = reader.double();
      else if (field === 5) gauge.max = reader.double();
      else avg = reader.double();
    } else if (type === 'rate' && (field === 2 || field === 3)) {
      if (field === 2) rate.nonzero = reader.uint32();
      else rate.total = reader.uint32();
    } else if (type === 'trend' && field === 2) {
      if (wire === LENGTH) for (const packedEnd = reader.uint32() + reader.pos; reader.pos < packedEnd; ) counters.push(reader.uint32());
      else counters.push(reader.uint32());
    } else if (type === 'trend' && field === 3 && wire === LENGTH) spans.push(readSpan(reader, reader.uint32() + reader.pos));
    else if (type === 'trend' && field === 5) trend.sum = reader.double();
    else if (type === 'trend' && field === 6) trend.count = reader.uint32();
    else if (type === 'trend' && field === 7) trend.min = reader.double();
    else if (type === 'trend' && field === 8) trend.max = reader.double();
    else if (type === 'trend' && field === 9) trend.extraLow = reader.uint32();
    else if (type === 'trend' && field === 10) trend.extraHigh = reader.uint32();
    else if (type === 'trend' && field === 11) minResolution = reader.double();
    else reader.skipType(wire);
  }
  switch (type) {
    case 'counter':
      return { second, sink: { type, sum: counter } };
    case 'gauge':
      return { second, sink: { ...gauge, sum: avg * gauge.count } };
    case 'rate':
      return { second, sink: rate };
    case 'trend':
      return { second, sink: { ...trend, buckets: reindex(decodeSpans(counters, spans), minResolution) } };
  }
}

/** google.protobuf.Timestamp{seconds=1, nanos=2}: the whole seconds (k6 buckets start on them). */
function readTimestamp(reader: protobuf.Reader, end: number): number {
  let seconds = 0;
  while (reader.pos < end) {
    const tag = reader.uint32();
    if (tag >>> 3 === 1 && (tag & 7) === VARINT) seconds = toNumber(reader.int64());
    else reader.skipType(tag & 7);
  }
  return seconds;
}

/** BucketSpan{offset=1, length=2}. */
function readSpan(reader: protobuf.Reader, end: number): BucketSpan {
  const span = { offset: 0, length: 0 };
  while (reader.pos < end) {
    const tag = reader.uint32();
    if (tag >>> 3 === 1 && (tag & 7) === VARINT) span.offset = reader.uint32();
    else if (tag >>> 3 === 2 && (tag & 7) === VARINT) span.length = reader.uint32();
    else reader.skipType(tag & 7);
  }
  return span;
}
