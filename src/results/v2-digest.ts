// The digest (digest.ts) of an API v2 MetricSet, read straight off the protobuf wire with
// protobufjs' Reader: decoding a 1000-series push into objects (decodeMetricSet) costs tens of ms of
// CPU, while this walk only sums each value into its metric's sink for its second. Labels are
// skipped: the results merge every tag set of a metric. Runs after ingest validated the body
// (v2-scan.ts), so the wire is well-formed; a surprise still only throws, never loops.
import protobuf from 'protobufjs';
import { decodeSpans, MIN_RESOLUTION, type BucketCounts } from '../aggregate/histogram.js';
import type { BucketSpan } from '../aggregate/types.js';
import { sinksAt, type PushDigest } from './digest.js';
import { mergeSink, reindex, sinkOf, type MetricSink, type TrendSink } from './sinks.js';

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
  try {
    for (const metric of metrics) {
      const type = TYPES[metric.type - 1];
      if (type === undefined) continue;
      for (const [start, end] of metric.series) {
        reader.pos = start;
        readSeries(reader, end, metric.name, type, digest);
      }
    }
    for (const [buckets, dense] of denseBuckets) flushDense(buckets, dense);
  } finally {
    denseBuckets.clear();
  }
  return digest;
}

/**
 * Counts of the histogram buckets being summed, per trend sink of the digest, in arrays indexed by
 * bucket (a push adds hundreds of thousands of counts; a dictionary write each cost most of the
 * walk), moved into the sinks' records once the push is read. Indices past DENSE_BUCKETS go to the
 * record directly.
 */
const denseBuckets = new Map<BucketCounts, Float64Array>();
const DENSE_BUCKETS = 4096;

function flushDense(buckets: BucketCounts, dense: Float64Array): void {
  for (let index = 0; index < dense.length; index++) {
    const count = dense[index] as number;
    if (count !== 0) buckets[index] = (buckets[index] ?? 0) + count;
  }
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
      readValue(reader, reader.uint32() + reader.pos, type);
      mergeValue(sinkOf(sinksAt(digest, value.second), metric, type));
    }
  }
}

/**
 * The value being read. One scratch record, reused for every value of every push: a 1000-series push
 * holds thousands of values, and an object (and arrays) per value cost more than the walk itself.
 */
const value = {
  second: 0,
  /** counter value, gauge last */
  number: 0,
  count: 0,
  sum: 0,
  min: 0,
  max: 0,
  avg: 0,
  nonzero: 0,
  total: 0,
  extraLow: 0,
  extraHigh: 0,
  minResolution: MIN_RESOLUTION,
  counters: [] as number[],
  spans: [] as number[],
};

/** One Counter/Gauge/Rate/TrendHdr value (field numbers: v2-schema.ts) into `value`. */
function readValue(reader: protobuf.Reader, end: number, type: (typeof TYPES)[number]): void {
  value.second = value.number = value.count = value.sum = value.min = value.max = value.avg = 0;
  value.nonzero = value.total = value.extraLow = value.extraHigh = 0;
  value.minResolution = MIN_RESOLUTION;
  value.counters.length = value.spans.length = 0;
  const trend = type === 'trend';
  while (reader.pos < end) {
    const tag = reader.uint32();
    const field = tag >>> 3;
    const wire = tag & 7;
    if (field === 1 && wire === LENGTH) value.second = readTimestamp(reader, reader.uint32() + reader.pos);
    else if (type === 'counter' && field === 2) value.number = reader.double();
    else if (type === 'gauge' && field === 2) value.number = reader.double();
    else if (type === 'gauge' && field === 3) value.count = reader.uint32();
    else if (type === 'gauge' && field === 4) value.min = reader.double();
    else if (type === 'gauge' && field === 5) value.max = reader.double();
    else if (type === 'gauge' && field === 6) value.avg = reader.double();
    else if (type === 'rate' && field === 2) value.nonzero = reader.uint32();
    else if (type === 'rate' && field === 3) value.total = reader.uint32();
    else if (trend && field === 2 && wire === LENGTH) readPackedCounters(reader, reader.uint32() + reader.pos);
    else if (trend && field === 2) value.counters.push(reader.uint32());
    else if (trend && field === 3 && wire === LENGTH) readSpan(reader, reader.uint32() + reader.pos);
    else if (trend && field === 5) value.sum = reader.double();
    else if (trend && field === 6) value.count = reader.uint32();
    else if (trend && field === 7) value.min = reader.double();
    else if (trend && field === 8) value.max = reader.double();
    else if (trend && field === 9) value.extraLow = reader.uint32();
    else if (trend && field === 10) value.extraHigh = reader.uint32();
    else if (trend && field === 11) value.minResolution = reader.double();
    else reader.skipType(wire);
  }
}

/** Adds the value just read to `sink` (of the metric's type), as mergeSink would add it as a sink of its own. */
function mergeValue(sink: MetricSink): void {
  switch (sink.type) {
    case 'counter':
      sink.sum += value.number;
      return;
    case 'gauge':
      mergeSink(sink, { type: 'gauge', last: value.number, count: value.count, sum: value.avg * value.count, min: value.min, max: value.max });
      return;
    case 'rate':
      sink.nonzero += value.nonzero;
      sink.total += value.total;
      return;
    case 'trend':
      if (value.minResolution !== MIN_RESOLUTION) {
        mergeSink(sink, { ...trendOfValue(), buckets: reindex(decodeSpans(value.counters, spanList()), value.minResolution) });
        return;
      }
      mergeSink(sink, trendOfValue());
      addSpans(sink.buckets);
  }
}

/** The value's trend figures, without its buckets (added apart, straight from the spans). */
function trendOfValue(): TrendSink {
  const { sum, count, min, max, extraLow, extraHigh } = value;
  return { type: 'trend', buckets: {}, extraLow, extraHigh, sum, count, min, max };
}

/** The span encoding (histogram.ts decodeSpans) walked into `buckets` directly. */
function addSpans(buckets: BucketCounts): void {
  const { counters, spans } = value;
  let dense = denseBuckets.get(buckets);
  if (dense === undefined) {
    dense = new Float64Array(DENSE_BUCKETS);
    denseBuckets.set(buckets, dense);
  }
  let next = 0;
  let position = 0;
  for (let i = 0; i < spans.length; i += 2) {
    position = i === 0 ? (spans[i] as number) : position + (spans[i] as number);
    for (let j = 0, length = spans[i + 1] as number; j < length; j++) {
      const count = counters[next++];
      if (count === undefined) throw new RangeError(`spans cover more than the ${counters.length} counters`);
      if (position < DENSE_BUCKETS) dense[position] = (dense[position] as number) + count;
      else buckets[position] = (buckets[position] ?? 0) + count;
      position++;
    }
  }
  if (next !== counters.length) throw new RangeError(`spans cover ${next} of ${counters.length} counters`);
}

function spanList(): BucketSpan[] {
  const list: BucketSpan[] = [];
  for (let i = 0; i < value.spans.length; i += 2) list.push({ offset: value.spans[i] as number, length: value.spans[i + 1] as number });
  return list;
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

/**
 * Packed uint32 histogram counts (most of a push's bytes) into `value.counters`: a byte loop over the
 * reader's buffer, as Reader.uint32 per count was most of the walk's time.
 */
function readPackedCounters(reader: protobuf.Reader, end: number): void {
  const buf = reader.buf;
  let pos = reader.pos;
  while (pos < end) {
    let byte = buf[pos++] as number;
    let count = byte & 0x7f;
    for (let shift = 7; byte >= 0x80 && shift < 35; shift += 7) {
      byte = buf[pos++] as number;
      count += (byte & 0x7f) * 2 ** shift;
    }
    // Go writes a uint32 in at most 5 bytes; a longer varint only wastes the rest of its bytes here.
    while (byte >= 0x80 && pos < end) byte = buf[pos++] as number;
    value.counters.push(count);
  }
  if (pos > end) throw new RangeError('packed counts run past their field');
  reader.pos = pos;
}

/**
 * BucketSpan{offset=1, length=2}, appended to `value.spans` as offset, length. Its usual form, two
 * one-byte tags and two varints, is read off the buffer directly (a push has tens of thousands of
 * spans); anything else goes through the Reader.
 */
function readSpan(reader: protobuf.Reader, end: number): void {
  let offset = 0;
  let length = 0;
  const buf = reader.buf;
  while (reader.pos < end) {
    const tag = buf[reader.pos] as number;
    let pos = reader.pos + 1;
    let byte = buf[pos++] as number;
    let number = byte & 0x7f;
    for (let shift = 7; byte >= 0x80 && shift < 35; shift += 7) {
      byte = buf[pos++] as number;
      number += (byte & 0x7f) * 2 ** shift;
    }
    if ((tag === 0x08 || tag === 0x10) && byte < 0x80 && pos <= end) {
      reader.pos = pos;
      if (tag === 0x08) offset = number;
      else length = number;
      continue;
    }
    const field = reader.uint32();
    if (field === 0x08) offset = reader.uint32();
    else if (field === 0x10) length = reader.uint32();
    else reader.skipType(field & 7);
  }
  value.spans.push(offset, length);
}
