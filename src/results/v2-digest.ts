// The digest (digest.ts) of an API v2 MetricSet, read straight off the protobuf wire: decoding a
// 1000-series push into objects (decodeMetricSet) costs tens of ms of CPU, while this walk only sums
// each value into its metric's sink for its second. Labels are skipped: the results merge every tag
// set of a metric. Runs after ingest validated the body (v2-scan.ts), so the wire is well-formed; a
// surprise still only throws, never loops.
//
// It runs for every v2 push (on a validation thread, or on the event loop after the ack when there
// is none), so it reads the buffer byte by byte like the validation scan, with no call into a
// protobuf reader and no object per value: with protobufjs' Reader it cost 3–5 ms per 1000-series
// push, as much as the rest of ingest, and halved the rate at which relayd took a v2 backlog in
// (bench/README.md).
import { decodeSpans, MIN_RESOLUTION, type BucketCounts } from '../aggregate/histogram.js';
import type { BucketSpan } from '../aggregate/types.js';
import { sinksAt, type PushDigest } from './digest.js';
import { mergeSink, reindex, sinkOf, type MetricSink } from './sinks.js';

const VARINT = 0;
const FIXED64 = 1;
const LENGTH = 2;
const FIXED32 = 5;
const TYPES = ['counter', 'gauge', 'rate', 'trend'] as const;
type MetricType = (typeof TYPES)[number];

/** The push being walked, and where: module state, as the walk never yields. */
let buf: Uint8Array = new Uint8Array(0);
let view: DataView = new DataView(buf.buffer);
let pos = 0;

export function digestMetricSet(pb: Uint8Array): PushDigest {
  buf = pb;
  view = new DataView(pb.buffer, pb.byteOffset, pb.byteLength);
  pos = 0;
  try {
    let periodSeconds = 0;
    const metrics: { name: string; type: number; series: number[] }[] = [];
    while (pos < buf.length) {
      const tag = varint();
      if (tag === ((2 << 3) | VARINT)) periodSeconds = uint32();
      else if (tag === ((3 << 3) | LENGTH)) metrics.push(readMetric(length()));
      else skip(tag & 7);
    }
    const digest: PushDigest = periodSeconds > 0 ? { seconds: {}, periodSeconds } : { seconds: {} };
    for (const metric of metrics) {
      const type = TYPES[metric.type - 1];
      if (type === undefined) continue;
      for (let i = 0; i < metric.series.length; i += 2) {
        pos = metric.series[i] as number;
        readSeries(metric.series[i + 1] as number, metric.name, type, digest);
      }
    }
    for (const [buckets, dense] of denseBuckets) flushDense(buckets, dense);
    return digest;
  } finally {
    for (const dense of denseBuckets.values()) if (spareDense.length < MAX_SPARE_DENSE) spareDense.push(dense.fill(0));
    denseBuckets.clear();
    buf = new Uint8Array(0);
    view = new DataView(buf.buffer);
  }
}

/**
 * Counts of the histogram buckets being summed, per trend sink of the digest, in arrays indexed by
 * bucket (a push adds hundreds of thousands of counts; a dictionary write each cost most of the
 * walk), moved into the sinks' records once the push is read. Indices past DENSE_BUCKETS go to the
 * record directly.
 */
const denseBuckets = new Map<BucketCounts, Float64Array>();
const DENSE_BUCKETS = 4096;
/**
 * Dense arrays kept for the next push (zeroed): one new 32 KiB array per trend sink and push was
 * ~0.3 MB of malloc'd memory per 1000-series push, churned through the allocator's main arena and
 * counted as external memory by V8's GC heuristics.
 */
const spareDense: Float64Array[] = [];
const MAX_SPARE_DENSE = 64;

function flushDense(buckets: BucketCounts, dense: Float64Array): void {
  for (let index = 0; index < dense.length; index++) {
    const count = dense[index] as number;
    if (count !== 0) buckets[index] = (buckets[index] ?? 0) + count;
  }
}

/**
 * A varint as a number (exact below 2^53; the fields read here are uint32 and Unix seconds). Up to
 * four bytes are shifted in as small integers: a number computed with powers of two is a heap
 * allocated double, one per field read, and collecting them was most of the walk's time.
 */
function varint(): number {
  let byte = buf[pos++] as number;
  let result = byte & 0x7f;
  for (let shift = 7; byte >= 0x80 && shift < 28; shift += 7) {
    byte = buf[pos++] as number;
    result |= (byte & 0x7f) << shift;
  }
  return byte >= 0x80 ? longVarint(result) : result;
}

/** The bytes of a varint past its 28th bit. */
function longVarint(low: number): number {
  let result = low;
  for (let scale = 2 ** 28; ; scale *= 128) {
    if (pos >= buf.length) throw new RangeError('a varint runs past the end');
    if (scale > 2 ** 63) throw new RangeError('a varint is longer than 10 bytes');
    const byte = buf[pos++] as number;
    result += (byte & 0x7f) * scale;
    if (byte < 0x80) return result;
  }
}

/** A uint32 field as protobufjs reads it: the varint's low 32 bits. */
const uint32 = (): number => varint() >>> 0;

function double(): number {
  const number = view.getFloat64(pos, true);
  pos += 8;
  return number;
}

/** A length-delimited field's end. */
function length(): number {
  const end = varint() + pos;
  if (end > buf.length) throw new RangeError('a field runs past the end');
  return end;
}

function skip(wire: number): void {
  if (wire === VARINT) varint();
  else if (wire === FIXED64) pos += 8;
  else if (wire === LENGTH) pos = length();
  else if (wire === FIXED32) pos += 4;
  else throw new RangeError(`wire type ${wire} is not read here`);
}

/** Metric{name=1, type=2, time_series=3}: the series' positions (start, end), walked once the type is known. */
function readMetric(end: number): { name: string; type: number; series: number[] } {
  const metric = { name: '', type: 0, series: [] as number[] };
  while (pos < end) {
    const tag = varint();
    if (tag === ((1 << 3) | LENGTH)) {
      const nameEnd = length();
      metric.name = Buffer.from(buf.buffer, buf.byteOffset + pos, nameEnd - pos).toString('utf8');
      pos = nameEnd;
    } else if (tag === ((2 << 3) | VARINT)) metric.type = uint32();
    else if (tag === ((3 << 3) | LENGTH)) {
      const seriesEnd = length();
      metric.series.push(pos, seriesEnd);
      pos = seriesEnd;
    } else skip(tag & 7);
  }
  return metric;
}

/** TimeSeries{labels=1, oneof samples 2..5{values=1}}: every value into its second's sink. */
function readSeries(end: number, metric: string, type: MetricType, digest: PushDigest): void {
  while (pos < end) {
    const tag = varint();
    const field = tag >>> 3;
    if (field < 2 || field > 5 || (tag & 7) !== LENGTH) {
      skip(tag & 7);
      continue;
    }
    const samplesEnd = length();
    while (pos < samplesEnd) {
      const valueTag = varint();
      if (valueTag !== ((1 << 3) | LENGTH)) {
        skip(valueTag & 7);
        continue;
      }
      readValue(length(), type);
      mergeValue(sinkOf(sinksAt(digest, value.second), metric, type));
    }
  }
}

/**
 * The value being read. One scratch record, reused for every value of every push: a 1000-series push
 * holds thousands of values, and an object (and arrays) per value cost more than the walk itself.
 * `counters` holds the first `counted` packed counts.
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
  counters: new Float64Array(1024),
  counted: 0,
  /** offset, length of each span, for the first `spanned` numbers. */
  spans: new Float64Array(256),
  spanned: 0,
};

/** One Counter/Gauge/Rate/TrendHdr value (field numbers: v2-schema.ts) into `value`. */
function readValue(end: number, type: MetricType): void {
  value.second = value.number = value.count = value.sum = value.min = value.max = value.avg = 0;
  value.nonzero = value.total = value.extraLow = value.extraHigh = value.counted = value.spanned = 0;
  value.minResolution = MIN_RESOLUTION;
  while (pos < end) {
    const tag = varint();
    const field = tag >>> 3;
    const wire = tag & 7;
    if (field === 1 && wire === LENGTH) value.second = readTimestamp(length());
    else if (type === 'trend') readTrendField(field, wire);
    else if (type === 'counter' && field === 2 && wire === FIXED64) value.number = double();
    else if (type === 'gauge' && field === 2 && wire === FIXED64) value.number = double();
    else if (type === 'gauge' && field === 3 && wire === VARINT) value.count = uint32();
    else if (type === 'gauge' && field === 4 && wire === FIXED64) value.min = double();
    else if (type === 'gauge' && field === 5 && wire === FIXED64) value.max = double();
    else if (type === 'gauge' && field === 6 && wire === FIXED64) value.avg = double();
    else if (type === 'rate' && field === 2 && wire === VARINT) value.nonzero = uint32();
    else if (type === 'rate' && field === 3 && wire === VARINT) value.total = uint32();
    else skip(wire);
  }
}

/** A field of a TrendHdrValue. */
function readTrendField(field: number, wire: number): void {
  if (field === 2 && wire === LENGTH) readPackedCounters(length());
  else if (field === 2 && wire === VARINT) addCounter(uint32());
  else if (field === 3 && wire === LENGTH) readSpan(length());
  else if (field === 5 && wire === FIXED64) value.sum = double();
  else if (field === 6 && wire === VARINT) value.count = uint32();
  else if (field === 7 && wire === FIXED64) value.min = double();
  else if (field === 8 && wire === FIXED64) value.max = double();
  else if (field === 9 && wire === VARINT) value.extraLow = uint32();
  else if (field === 10 && wire === VARINT) value.extraHigh = uint32();
  else if (field === 11 && wire === FIXED64) value.minResolution = double();
  else skip(wire);
}

function addCounter(count: number): void {
  if (value.counted === value.counters.length) value.counters = grown(value.counters);
  value.counters[value.counted++] = count;
}

function grown(numbers: Float64Array): Float64Array<ArrayBuffer> {
  const larger = new Float64Array(numbers.length * 2);
  larger.set(numbers);
  return larger;
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
      if (value.count !== 0) {
        if (sink.count === 0 || value.min < sink.min) sink.min = value.min;
        if (sink.count === 0 || value.max > sink.max) sink.max = value.max;
        sink.count += value.count;
        sink.sum += value.sum;
        sink.extraLow += value.extraLow;
        sink.extraHigh += value.extraHigh;
      }
      if (value.minResolution === MIN_RESOLUTION) addSpans(sink.buckets);
      else if (value.count !== 0) addReindexed(sink.buckets);
  }
}

/** Counts at another resolution than k6's, re-indexed (sinks.ts reindex): never sent by k6, so not on the fast path. */
function addReindexed(buckets: BucketCounts): void {
  const counts = reindex(decodeSpans(Array.from(value.counters.subarray(0, value.counted)), spanList()), value.minResolution);
  for (const key of Object.keys(counts)) buckets[Number(key)] = (buckets[Number(key)] ?? 0) + (counts[Number(key)] as number);
}

/** The span encoding (histogram.ts decodeSpans) walked into `buckets` directly. */
function addSpans(buckets: BucketCounts): void {
  const { counters, counted, spans, spanned } = value;
  let dense = denseBuckets.get(buckets);
  if (dense === undefined) {
    dense = spareDense.pop() ?? new Float64Array(DENSE_BUCKETS);
    denseBuckets.set(buckets, dense);
  }
  let next = 0;
  let position = 0;
  for (let i = 0; i < spanned; i += 2) {
    position = i === 0 ? (spans[i] as number) : position + (spans[i] as number);
    const length = spans[i + 1] as number;
    if (next + length > counted) throw new RangeError(`spans cover more than the ${counted} counters`);
    for (let j = 0; j < length; j++, position++) {
      const count = counters[next++] as number;
      if (position < DENSE_BUCKETS) dense[position] = (dense[position] as number) + count;
      else buckets[position] = (buckets[position] ?? 0) + count;
    }
  }
  if (next !== counted) throw new RangeError(`spans cover ${next} of ${counted} counters`);
}

function spanList(): BucketSpan[] {
  const list: BucketSpan[] = [];
  for (let i = 0; i < value.spanned; i += 2) list.push({ offset: value.spans[i] as number, length: value.spans[i + 1] as number });
  return list;
}

/** google.protobuf.Timestamp{seconds=1, nanos=2}: the whole seconds (k6 buckets start on them). */
function readTimestamp(end: number): number {
  let seconds = 0;
  while (pos < end) {
    const tag = varint();
    if (tag === ((1 << 3) | VARINT)) seconds = varint();
    else skip(tag & 7);
  }
  return seconds;
}

/**
 * Packed uint32 histogram counts (most of a push's bytes) into `value.counters`. Go writes a uint32
 * in at most 5 bytes; a longer one keeps its low 32 bits, as protobufjs reads it.
 */
function readPackedCounters(end: number): void {
  while (pos < end) addCounter(uint32());
  if (pos > end) throw new RangeError('packed counts run past their field');
}

/** BucketSpan{offset=1, length=2}, appended to `value.spans` as offset, length. */
function readSpan(end: number): void {
  let offset = 0;
  let length = 0;
  while (pos < end) {
    const tag = varint();
    if (tag === ((1 << 3) | VARINT)) offset = uint32();
    else if (tag === ((2 << 3) | VARINT)) length = uint32();
    else skip(tag & 7);
  }
  if (value.spanned + 2 > value.spans.length) value.spans = grown(value.spans);
  value.spans[value.spanned++] = offset;
  value.spans[value.spanned++] = length;
}
