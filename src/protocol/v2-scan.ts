// Validation of an API v2 push by walking the protobuf wire format, without building objects.
//
// Ingest only needs to know that a body is a valid MetricSet of the right run and how many values
// it holds; the bytes it stores and forwards are the runner's own. Decoding a 1000-series push into
// objects with protobufjs only to check it cost 37–48 ms of CPU (half of it garbage collection) and
// capped durable v2 ingest far below the disk (bench/README.md); this walk costs about 2 ms.
//
// It checks what decodeV2Push checks, with the same messages:
// - every field of a known number has the wire type of the schema (v2-schema.ts), every length
//   stays inside its message, unknown fields are skipped by wire type (proto3);
// - test_run_id equals the run id of the URL; every metric has a name and a type in 1..4;
// - every TimeSeries sets exactly the `samples` member of its metric's type; every label has a name.
// Nested messages of the values (Timestamp, BucketSpan) are walked too, so a body this accepts is
// one protobufjs decodes.
import { RelaydError } from '../errors.js';
import { type DecodeLimits, normaliseContentEncoding, snappyUncompressBounded } from './compression.js';

const VARINT = 0;
const FIXED64 = 1;
const LENGTH = 2;
const FIXED32 = 5;

/** Wire types of the value messages' fields, by field number; absent numbers are unknown fields. */
type Shape = Readonly<Record<number, number | 'timestamp' | 'span' | 'packed'>>;

const TIMESTAMP: Shape = { 1: VARINT, 2: VARINT };
const BUCKET_SPAN: Shape = { 1: VARINT, 2: VARINT };
/** CounterValue, GaugeValue, RateValue, TrendHdrValue: the `samples` oneof members 2..5. */
const VALUE_SHAPES: readonly Shape[] = [
  { 1: 'timestamp', 2: FIXED64 },
  { 1: 'timestamp', 2: FIXED64, 3: VARINT, 4: FIXED64, 5: FIXED64, 6: FIXED64 },
  { 1: 'timestamp', 2: VARINT, 3: VARINT },
  { 1: 'timestamp', 2: 'packed', 3: 'span', 5: FIXED64, 6: VARINT, 7: FIXED64, 8: FIXED64, 9: VARINT, 10: VARINT, 11: FIXED64, 12: VARINT },
];
const SAMPLE_NAMES = ['counter_samples', 'gauge_samples', 'rate_samples', 'trend_hdr_samples'];
const TYPE_NAMES = ['counter', 'gauge', 'rate', 'trend'];

export interface V2Scan {
  /** Values over all time series (one per series and bucket). */
  readonly samples: number;
  /** The largest label count of any time series, and where it is (for the tag limit). */
  readonly mostLabels: { readonly count: number; readonly at: string };
}

export function scanV2Push(body: Uint8Array, contentEncoding: string | undefined, expectedRunId: string, limits: DecodeLimits): V2Scan {
  if (normaliseContentEncoding(contentEncoding) !== 'snappy') {
    throw new RelaydError('RELAYD_UNSUPPORTED_ENCODING', `"${contentEncoding ?? ''}" on an API v2 push (expected snappy)`);
  }
  return scanMetricSet(snappyUncompressBounded(body, limits.maxDecompressedBytes), expectedRunId);
}

export function scanMetricSet(pb: Uint8Array, expectedRunId: string): V2Scan {
  return new Scanner(pb).metricSet(expectedRunId);
}

function malformed(detail: string): RelaydError {
  return new RelaydError('RELAYD_BAD_PROTOBUF', detail);
}

function invalid(detail: string): RelaydError {
  return new RelaydError('RELAYD_BAD_V2_PAYLOAD', detail);
}

class Scanner {
  readonly #buf: Uint8Array;
  #pos = 0;
  #samples = 0;
  #mostLabels = { count: 0, at: '' };

  constructor(buf: Uint8Array) {
    this.#buf = buf;
  }

  metricSet(expectedRunId: string): V2Scan {
    const end = this.#buf.length;
    let testRunId = '';
    let metric = 0;
    while (this.#pos < end) {
      const [field, wire] = this.#tag(end);
      if (field === 1 && wire === LENGTH) testRunId = this.#string(end);
      else if (field === 2 && wire === VARINT) this.#varint(end);
      else if (field === 3 && wire === LENGTH) this.#metric(this.#length(end), metric++);
      else this.#skipOrFail(field, wire, 3, end);
    }
    if (testRunId !== expectedRunId) {
      throw invalid(`test_run_id is ${JSON.stringify(testRunId)}, expected ${JSON.stringify(expectedRunId)}`);
    }
    return { samples: this.#samples, mostLabels: this.#mostLabels };
  }

  /** Metric{name=1, type=2, time_series=3}: series are walked after the type is known. */
  #metric(end: number, m: number): void {
    let name = '';
    let type = 0;
    const series: number[] = [];
    while (this.#pos < end) {
      const [field, wire] = this.#tag(end);
      if (field === 1 && wire === LENGTH) name = this.#string(end);
      else if (field === 2 && wire === VARINT) type = this.#varint(end);
      else if (field === 3 && wire === LENGTH) {
        const seriesEnd = this.#length(end);
        series.push(this.#pos, seriesEnd);
        this.#pos = seriesEnd;
      } else this.#skipOrFail(field, wire, 3, end);
    }
    if (!name) throw invalid(`metrics[${m}]: metric has no name`);
    if (type < 1 || type > 4) throw invalid(`metrics[${m}] (${name}): metric type ${type} is not 1..4`);
    for (let i = 0; i < series.length; i += 2) {
      this.#pos = series[i]!;
      this.#timeSeries(series[i + 1]!, type, `metrics[${m}].time_series[${i / 2}]`);
    }
    this.#pos = end;
  }

  /** TimeSeries{labels=1, oneof samples 2..5}. */
  #timeSeries(end: number, type: number, at: string): void {
    let labels = 0;
    let samplesField = 0;
    while (this.#pos < end) {
      const [field, wire] = this.#tag(end);
      if (field === 1 && wire === LENGTH) this.#label(this.#length(end), `${at}.labels[${labels++}]`);
      else if (field >= 2 && field <= 5 && wire === LENGTH) {
        if (field !== type + 1) throw invalid(`${at}: ${TYPE_NAMES[type - 1]} metric carries ${SAMPLE_NAMES[field - 2]}`);
        samplesField = field;
        this.#values(this.#length(end), VALUE_SHAPES[type - 1]!);
      } else this.#skipOrFail(field, wire, 5, end);
    }
    if (samplesField === 0) throw invalid(`${at}: ${TYPE_NAMES[type - 1]} metric carries no ${SAMPLE_NAMES[type - 1]}`);
    if (labels > this.#mostLabels.count) this.#mostLabels = { count: labels, at };
  }

  /** Label{name=1, value=2}. */
  #label(end: number, at: string): void {
    let named = false;
    while (this.#pos < end) {
      const [field, wire] = this.#tag(end);
      if ((field === 1 || field === 2) && wire === LENGTH) {
        const valueEnd = this.#length(end);
        if (field === 1 && valueEnd > this.#pos) named = true;
        this.#pos = valueEnd;
      } else this.#skipOrFail(field, wire, 2, end);
    }
    if (!named) throw invalid(`${at}: label has no name`);
  }

  /** {Counter,Gauge,Rate,Trend}Samples{values=1}: counts the values and checks each one. */
  #values(end: number, shape: Shape): void {
    while (this.#pos < end) {
      const [field, wire] = this.#tag(end);
      if (field === 1 && wire === LENGTH) {
        this.#message(this.#length(end), shape);
        this.#samples += 1;
      } else this.#skipOrFail(field, wire, 1, end);
    }
  }

  #message(end: number, shape: Shape): void {
    while (this.#pos < end) {
      const [field, wire] = this.#tag(end);
      const expected = shape[field];
      if (expected === undefined) this.#skip(wire, end);
      else if (expected === 'timestamp' && wire === LENGTH) this.#message(this.#length(end), TIMESTAMP);
      else if (expected === 'span' && wire === LENGTH) this.#message(this.#length(end), BUCKET_SPAN);
      else if (expected === 'packed' && wire === LENGTH) this.#packedVarints(this.#length(end));
      else if (expected === 'packed' && wire === VARINT) this.#varint(end);
      else if (expected === wire) this.#skip(wire, end);
      else throw malformed(`field ${field} has wire type ${wire}`);
    }
  }

  #packedVarints(end: number): void {
    while (this.#pos < end) this.#varint(end);
  }

  /** A known field number with another wire type is malformed; an unknown one is skipped. */
  #skipOrFail(field: number, wire: number, lastKnown: number, end: number): void {
    if (field >= 1 && field <= lastKnown) throw malformed(`field ${field} has wire type ${wire}`);
    this.#skip(wire, end);
  }

  #tag(end: number): [number, number] {
    const tag = this.#varint(end);
    const field = Math.floor(tag / 8);
    if (field === 0) throw malformed(`invalid field number 0 at offset ${this.#pos}`);
    return [field, tag & 7];
  }

  #varint(end: number): number {
    const buf = this.#buf;
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (this.#pos >= end) throw malformed(`varint runs past the end at offset ${this.#pos}`);
      const byte = buf[this.#pos++]!;
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return value;
      scale *= 128;
    }
    throw malformed(`varint longer than 10 bytes at offset ${this.#pos}`);
  }

  /** Reads a length prefix; returns where the length-delimited value ends. */
  #length(end: number): number {
    const length = this.#varint(end);
    const valueEnd = this.#pos + length;
    if (valueEnd > end) throw malformed(`length ${length} at offset ${this.#pos} runs past the end of its message`);
    return valueEnd;
  }

  #string(end: number): string {
    const valueEnd = this.#length(end);
    const text = Buffer.from(this.#buf.buffer, this.#buf.byteOffset + this.#pos, valueEnd - this.#pos).toString('utf8');
    this.#pos = valueEnd;
    return text;
  }

  #skip(wire: number, end: number): void {
    switch (wire) {
      case VARINT:
        this.#varint(end);
        return;
      case FIXED64:
      case FIXED32: {
        const next = this.#pos + (wire === FIXED64 ? 8 : 4);
        if (next > end) throw malformed(`fixed-width value runs past the end at offset ${this.#pos}`);
        this.#pos = next;
        return;
      }
      case LENGTH:
        this.#pos = this.#length(end);
        return;
      default:
        throw malformed(`unsupported wire type ${wire} at offset ${this.#pos}`);
    }
  }
}
