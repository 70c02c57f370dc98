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
//
// Pure: the validation threads import it (the snappy decompression before it is v2-body.ts's).
import { RelaydError } from '../errors.js';

const VARINT = 0;
const FIXED64 = 1;
const LENGTH = 2;
const FIXED32 = 5;

// What a field of a value message holds besides a plain wire type. Small integer codes in arrays
// indexed by field number keep the hot loop on one shape of data (this walk runs per value).
const UNKNOWN = -1;
const TIMESTAMP_FIELD = 16;
const SPAN_FIELD = 17;
const PACKED_FIELD = 18;

/** Per field number: its wire type or one of the codes above; UNKNOWN (or past the end) for unknown fields. */
type Shape = readonly number[];

const shape = (fields: Readonly<Record<number, number>>): Shape => {
  const last = Math.max(...Object.keys(fields).map(Number));
  return Array.from({ length: last + 1 }, (_, field) => fields[field] ?? UNKNOWN);
};

/** CounterValue, GaugeValue, RateValue, TrendHdrValue: the `samples` oneof members 2..5. */
const VALUE_SHAPES: readonly Shape[] = [
  shape({ 1: TIMESTAMP_FIELD, 2: FIXED64 }),
  shape({ 1: TIMESTAMP_FIELD, 2: FIXED64, 3: VARINT, 4: FIXED64, 5: FIXED64, 6: FIXED64 }),
  shape({ 1: TIMESTAMP_FIELD, 2: VARINT, 3: VARINT }),
  shape({
    1: TIMESTAMP_FIELD, 2: PACKED_FIELD, 3: SPAN_FIELD, 5: FIXED64, 6: VARINT, 7: FIXED64, 8: FIXED64,
    9: VARINT, 10: VARINT, 11: FIXED64, 12: VARINT,
  }),
];
const SAMPLE_NAMES = ['counter_samples', 'gauge_samples', 'rate_samples', 'trend_hdr_samples'];
const TYPE_NAMES = ['counter', 'gauge', 'rate', 'trend'];

export interface V2Scan {
  /** Values over all time series (one per series and bucket). */
  readonly samples: number;
  /** The largest label count of any time series, and where it is (for the tag limit). */
  readonly mostLabels: { readonly count: number; readonly at: string };
}

export function scanMetricSet(pb: Uint8Array, expectedRunId: string): V2Scan {
  return new Scanner(pb).metricSet(expectedRunId);
}

/** The field number of a tag (a tag is a varint: field << 3 | wire type); 0 is never valid. */
function fieldOf(tag: number, offset: number): number {
  const field = Math.floor(tag / 8);
  if (field === 0) throw malformed(`invalid field number 0 at offset ${offset}`);
  return field;
}

function seriesPath(m: number, s: number): string {
  return `metrics[${m}].time_series[${s}]`;
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
      const tag = this.#varint(end);
      const field = fieldOf(tag, this.#pos);
      const wire = tag & 7;
      if (field === 1 && wire === LENGTH) testRunId = this.#string(end);
      else if (field === 2 && wire === VARINT) this.#skipVarint(end);
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
      const tag = this.#varint(end);
      const field = fieldOf(tag, this.#pos);
      const wire = tag & 7;
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
      this.#timeSeries(series[i + 1]!, type, m, i / 2);
    }
    this.#pos = end;
  }

  /**
   * TimeSeries{labels=1, oneof samples 2..5}. The series' path (`metrics[m].time_series[s]`) is
   * only built for an error or a new label maximum: building it per series was a third of the walk.
   */
  #timeSeries(end: number, type: number, m: number, s: number): void {
    let labels = 0;
    let samplesField = 0;
    while (this.#pos < end) {
      const tag = this.#varint(end);
      const field = fieldOf(tag, this.#pos);
      const wire = tag & 7;
      if (field === 1 && wire === LENGTH) {
        if (!this.#label(this.#length(end))) throw invalid(`${seriesPath(m, s)}.labels[${labels}]: label has no name`);
        labels += 1;
      } else if (field >= 2 && field <= 5 && wire === LENGTH) {
        if (field !== type + 1) throw invalid(`${seriesPath(m, s)}: ${TYPE_NAMES[type - 1]} metric carries ${SAMPLE_NAMES[field - 2]}`);
        samplesField = field;
        this.#values(this.#length(end), VALUE_SHAPES[type - 1]!);
      } else this.#skipOrFail(field, wire, 5, end);
    }
    if (samplesField === 0) throw invalid(`${seriesPath(m, s)}: ${TYPE_NAMES[type - 1]} metric carries no ${SAMPLE_NAMES[type - 1]}`);
    if (labels > this.#mostLabels.count) this.#mostLabels = { count: labels, at: seriesPath(m, s) };
  }

  /** Label{name=1, value=2}: whether it has a non-empty name. */
  #label(end: number): boolean {
    let named = false;
    while (this.#pos < end) {
      const tag = this.#varint(end);
      const field = fieldOf(tag, this.#pos);
      const wire = tag & 7;
      if ((field === 1 || field === 2) && wire === LENGTH) {
        const valueEnd = this.#length(end);
        if (field === 1 && valueEnd > this.#pos) named = true;
        this.#pos = valueEnd;
      } else this.#skipOrFail(field, wire, 2, end);
    }
    return named;
  }

  /** {Counter,Gauge,Rate,Trend}Samples{values=1}: counts the values and checks each one. */
  #values(end: number, shape: Shape): void {
    while (this.#pos < end) {
      const tag = this.#varint(end);
      const field = fieldOf(tag, this.#pos);
      const wire = tag & 7;
      if (field === 1 && wire === LENGTH) {
        this.#message(this.#length(end), shape);
        this.#samples += 1;
      } else this.#skipOrFail(field, wire, 1, end);
    }
  }

  #message(end: number, shape: Shape): void {
    while (this.#pos < end) {
      const tag = this.#varint(end);
      const field = fieldOf(tag, this.#pos);
      const wire = tag & 7;
      const expected = field < shape.length ? shape[field]! : UNKNOWN;
      if (expected === UNKNOWN || expected === wire) this.#skip(wire, end);
      else if ((expected === TIMESTAMP_FIELD || expected === SPAN_FIELD) && wire === LENGTH) this.#twoVarints(this.#length(end));
      else if (expected === PACKED_FIELD && wire === LENGTH) this.#packedVarints(this.#length(end));
      else if (expected === PACKED_FIELD && wire === VARINT) this.#skipVarint(end);
      else throw malformed(`field ${field} has wire type ${wire}`);
    }
  }

  /**
   * Timestamp{seconds=1, nanos=2} and BucketSpan{offset=1, length=2}: two varint fields. Kept apart
   * from #message so that it does not recurse (a trend value holds dozens of spans).
   */
  #twoVarints(end: number): void {
    while (this.#pos < end) {
      const tag = this.#varint(end);
      const field = fieldOf(tag, this.#pos);
      const wire = tag & 7;
      if (field <= 2 && wire !== VARINT) throw malformed(`field ${field} has wire type ${wire}`);
      this.#skip(wire, end);
    }
  }

  /**
   * Packed varints (the histogram counts, most of a push's bytes) are only checked for shape: no
   * varint longer than 10 bytes, the last one ending inside the field. A byte loop, not a decode.
   */
  #packedVarints(end: number): void {
    const buf = this.#buf;
    let continued = 0;
    for (let i = this.#pos; i < end; i++) {
      if (buf[i]! < 0x80) continued = 0;
      else if (++continued === 10) throw malformed(`varint longer than 10 bytes at offset ${i - 9}`);
    }
    if (continued > 0) throw malformed(`varint runs past the end at offset ${end - continued}`);
    this.#pos = end;
  }

  /** A known field number with another wire type is malformed; an unknown one is skipped. */
  #skipOrFail(field: number, wire: number, lastKnown: number, end: number): void {
    if (field >= 1 && field <= lastKnown) throw malformed(`field ${field} has wire type ${wire}`);
    this.#skip(wire, end);
  }

  /**
   * Reads a varint. Up to four bytes (28 bits: every tag, length and enum here) it is built from
   * small integers, so V8 returns it without allocating; longer ones take the exact slow path.
   */
  #varint(end: number): number {
    const buf = this.#buf;
    let value = 0;
    for (let i = this.#pos, shift = 0; i < end && shift < 28; i++, shift += 7) {
      const byte = buf[i]!;
      value |= (byte & 0x7f) << shift;
      if (byte < 0x80) {
        this.#pos = i + 1;
        return value;
      }
    }
    return this.#wideVarint(end);
  }

  #wideVarint(end: number): number {
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

  /** Steps over a varint whose value is not needed: the same checks, no arithmetic. */
  #skipVarint(end: number): void {
    const buf = this.#buf;
    for (let i = this.#pos, last = Math.min(end, this.#pos + 10); i < last; i++) {
      if (buf[i]! < 0x80) {
        this.#pos = i + 1;
        return;
      }
    }
    if (end - this.#pos < 10) throw malformed(`varint runs past the end at offset ${end}`);
    throw malformed(`varint longer than 10 bytes at offset ${this.#pos + 10}`);
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
        this.#skipVarint(end);
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
