// Validation of an API v2 push by walking the protobuf wire format, without building objects, and
// the values it reads on the way for whoever wants them (the results digest, results/v2-digest.ts).
//
// Ingest only needs to know that a body is a valid MetricSet of the right run and how many values
// it holds; the bytes it stores and forwards are the runner's own. Decoding a 1000-series push into
// objects with protobufjs only to check it cost 37–48 ms of CPU (half of it garbage collection) and
// capped durable v2 ingest far below the disk (bench/README.md); this walk costs about 2 ms. The
// results digest reads the same values, so it rides along (one walk, not a second one after it).
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

/** Where a value's numbers are in V2Value.numbers (0 when the field is absent, as protobuf decodes it). */
export const Slot = {
  /** The Unix second of its time (Timestamp.seconds). */
  second: 0,
  /** A counter's value, a gauge's last. */
  value: 1,
  count: 2,
  sum: 3,
  min: 4,
  max: 5,
  avg: 6,
  nonzero: 7,
  total: 8,
  extraLow: 9,
  extraHigh: 10,
  minResolution: 11,
} as const;
const SLOTS = 12;
const NO_SLOT = -1;

/** One value of a time series as the walk read it. Reused for the next value: read it in the visitor, do not keep it. */
export interface V2Value {
  readonly numbers: Float64Array;
  /** A trend's histogram counts: the first `counted`. */
  readonly counters: Float64Array;
  readonly counted: number;
  /** A trend's spans as offset, length pairs: the first `spanned` numbers. */
  readonly spans: Float64Array;
  readonly spanned: number;
}

/** Takes every value of a MetricSet as the walk reads it. `type` is the metric's, 1..4. */
export interface V2ValueVisitor {
  value(metric: string, type: number, value: V2Value): void;
}

/**
 * Per field number of a value message: its wire type or one of the codes above (UNKNOWN, or past
 * the end, for unknown fields), and the slot its number goes to (NO_SLOT: checked, not kept).
 */
interface Shape {
  readonly wires: readonly number[];
  readonly slots: readonly number[];
}

const shape = (fields: Readonly<Record<number, readonly [wire: number, slot?: number]>>): Shape => {
  const numbers = Array.from({ length: Math.max(...Object.keys(fields).map(Number)) + 1 }, (_, field) => fields[field]);
  return { wires: numbers.map((spec) => spec?.[0] ?? UNKNOWN), slots: numbers.map((spec) => spec?.[1] ?? NO_SLOT) };
};

/** CounterValue, GaugeValue, RateValue, TrendHdrValue: the `samples` oneof members 2..5. */
const VALUE_SHAPES: readonly Shape[] = [
  shape({ 1: [TIMESTAMP_FIELD], 2: [FIXED64, Slot.value] }),
  shape({
    1: [TIMESTAMP_FIELD], 2: [FIXED64, Slot.value], 3: [VARINT, Slot.count], 4: [FIXED64, Slot.min], 5: [FIXED64, Slot.max],
    6: [FIXED64, Slot.avg],
  }),
  shape({ 1: [TIMESTAMP_FIELD], 2: [VARINT, Slot.nonzero], 3: [VARINT, Slot.total] }),
  shape({
    1: [TIMESTAMP_FIELD], 2: [PACKED_FIELD], 3: [SPAN_FIELD], 5: [FIXED64, Slot.sum], 6: [VARINT, Slot.count],
    7: [FIXED64, Slot.min], 8: [FIXED64, Slot.max], 9: [VARINT, Slot.extraLow], 10: [VARINT, Slot.extraHigh],
    11: [FIXED64, Slot.minResolution], 12: [VARINT],
  }),
];
const SAMPLE_NAMES = ['counter_samples', 'gauge_samples', 'rate_samples', 'trend_hdr_samples'];
const TYPE_NAMES = ['counter', 'gauge', 'rate', 'trend'];

export interface V2Scan {
  /** Values over all time series (one per series and bucket). */
  readonly samples: number;
  /** The largest label count of any time series, and where it is (for the tag limit). */
  readonly mostLabels: { readonly count: number; readonly at: string };
  /** aggregation_period: the seconds each value covers (0 if unset). */
  readonly periodSeconds: number;
}

/**
 * Checks a MetricSet (a RelaydError refuses it) and hands each value to `visitor`. The test_run_id
 * is checked against `expectedRunId` unless it is undefined (a stored push, read again).
 */
export function scanMetricSet(pb: Uint8Array, expectedRunId: string | undefined, visitor?: V2ValueVisitor): V2Scan {
  return new Scanner(pb, visitor).metricSet(expectedRunId);
}

/**
 * The field number of a tag (a tag is a varint: field << 3 | wire type). Field numbers are below
 * 2^29, so a valid tag fits 32 bits; 0 is never valid.
 */
function fieldOf(tag: number, offset: number): number {
  const field = tag >>> 3;
  if (field === 0 || tag > 0xffffffff) throw malformed(`invalid field number ${Math.floor(tag / 8)} at offset ${offset}`);
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

/** The value being read: one record per walk, refilled for every value. */
class ValueRecord implements V2Value {
  readonly numbers = new Float64Array(SLOTS);
  counters = new Float64Array(256);
  counted = 0;
  spans = new Float64Array(64);
  spanned = 0;

  clear(): void {
    this.numbers.fill(0);
    this.counted = 0;
    this.spanned = 0;
  }

  addCounter(count: number): void {
    if (this.counted === this.counters.length) this.counters = grown(this.counters);
    this.counters[this.counted++] = count;
  }

  addSpan(offset: number, length: number): void {
    if (this.spanned + 2 > this.spans.length) this.spans = grown(this.spans);
    this.spans[this.spanned++] = offset;
    this.spans[this.spanned++] = length;
  }
}

function grown(numbers: Float64Array): Float64Array<ArrayBuffer> {
  const larger = new Float64Array(numbers.length * 2);
  larger.set(numbers);
  return larger;
}

class Scanner {
  readonly #buf: Uint8Array;
  readonly #view: DataView;
  readonly #visitor: V2ValueVisitor | undefined;
  readonly #value = new ValueRecord();
  #pos = 0;
  /** What #twoVarints read. */
  #first = 0;
  #second = 0;
  #samples = 0;
  #mostLabels = { count: 0, at: '' };

  constructor(buf: Uint8Array, visitor: V2ValueVisitor | undefined) {
    this.#buf = buf;
    this.#view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.#visitor = visitor;
  }

  metricSet(expectedRunId: string | undefined): V2Scan {
    const end = this.#buf.length;
    let testRunId = '';
    let periodSeconds = 0;
    let metric = 0;
    while (this.#pos < end) {
      const tag = this.#varint(end);
      const field = fieldOf(tag, this.#pos);
      const wire = tag & 7;
      if (field === 1 && wire === LENGTH) testRunId = this.#string(end);
      else if (field === 2 && wire === VARINT) periodSeconds = this.#varint(end) >>> 0;
      else if (field === 3 && wire === LENGTH) this.#metric(this.#length(end), metric++);
      else this.#skipOrFail(field, wire, 3, end);
    }
    if (expectedRunId !== undefined && testRunId !== expectedRunId) {
      throw invalid(`test_run_id is ${JSON.stringify(testRunId)}, expected ${JSON.stringify(expectedRunId)}`);
    }
    return { samples: this.#samples, mostLabels: this.#mostLabels, periodSeconds };
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
      this.#timeSeries(series[i + 1]!, name, type, m, i / 2);
    }
    this.#pos = end;
  }

  /**
   * TimeSeries{labels=1, oneof samples 2..5}. The series' path (`metrics[m].time_series[s]`) is
   * only built for an error or a new label maximum: building it per series was a third of the walk.
   */
  #timeSeries(end: number, metric: string, type: number, m: number, s: number): void {
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
        this.#values(this.#length(end), metric, type);
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

  /** {Counter,Gauge,Rate,Trend}Samples{values=1}: reads each value, counts it and hands it on. */
  #values(end: number, metric: string, type: number): void {
    const shape = VALUE_SHAPES[type - 1]!;
    while (this.#pos < end) {
      const tag = this.#varint(end);
      const field = fieldOf(tag, this.#pos);
      const wire = tag & 7;
      if (field === 1 && wire === LENGTH) {
        this.#readValue(this.#length(end), shape);
        this.#samples += 1;
        this.#visitor?.value(metric, type, this.#value);
      } else this.#skipOrFail(field, wire, 1, end);
    }
  }

  /** One value message into the record. The VARINT fields kept are uint32 (their low 32 bits, as protobufjs reads them). */
  #readValue(end: number, { wires, slots }: Shape): void {
    const value = this.#value;
    value.clear();
    while (this.#pos < end) {
      const tag = this.#varint(end);
      const field = fieldOf(tag, this.#pos);
      const wire = tag & 7;
      const expected = field < wires.length ? wires[field]! : UNKNOWN;
      if (expected === wire) {
        const slot = slots[field]!;
        if (slot === NO_SLOT) this.#skip(wire, end);
        else if (wire === FIXED64) value.numbers[slot] = this.#double(end);
        else value.numbers[slot] = this.#varint(end) >>> 0;
      } else if (expected === UNKNOWN) this.#skip(wire, end);
      else if (expected === TIMESTAMP_FIELD && wire === LENGTH) {
        // The whole seconds: k6's buckets start on them.
        this.#twoVarints(this.#length(end));
        value.numbers[Slot.second] = this.#first;
      } else if (expected === SPAN_FIELD && wire === LENGTH) {
        this.#twoVarints(this.#length(end));
        value.addSpan(this.#first >>> 0, this.#second >>> 0);
      } else if (expected === PACKED_FIELD && wire === LENGTH) this.#packedCounters(this.#length(end));
      else if (expected === PACKED_FIELD && wire === VARINT) value.addCounter(this.#varint(end) >>> 0);
      else throw malformed(`field ${field} has wire type ${wire}`);
    }
  }

  /**
   * Timestamp{seconds=1, nanos=2} and BucketSpan{offset=1, length=2}: two varint fields, read into
   * #first and #second (0 when absent). Kept apart from #readValue so that it does not recurse (a
   * trend value holds dozens of spans).
   */
  #twoVarints(end: number): void {
    this.#first = 0;
    this.#second = 0;
    while (this.#pos < end) {
      const tag = this.#varint(end);
      const field = fieldOf(tag, this.#pos);
      const wire = tag & 7;
      if (field <= 2 && wire !== VARINT) throw malformed(`field ${field} has wire type ${wire}`);
      if (field === 1) this.#first = this.#varint(end);
      else if (field === 2) this.#second = this.#varint(end);
      else this.#skip(wire, end);
    }
  }

  /** Packed uint32 histogram counts, most of a push's bytes: the last one must end inside the field. */
  #packedCounters(end: number): void {
    const value = this.#value;
    while (this.#pos < end) value.addCounter(this.#varint(end) >>> 0);
  }

  /** A known field number with another wire type is malformed; an unknown one is skipped. */
  #skipOrFail(field: number, wire: number, lastKnown: number, end: number): void {
    if (field >= 1 && field <= lastKnown) throw malformed(`field ${field} has wire type ${wire}`);
    this.#skip(wire, end);
  }

  /**
   * Reads a varint. Up to four bytes (28 bits: every tag, length, enum and histogram count here) it
   * is built from small integers, so V8 returns it without allocating; longer ones take the exact
   * slow path.
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

  #double(end: number): number {
    if (this.#pos + 8 > end) throw malformed(`fixed-width value runs past the end at offset ${this.#pos}`);
    const number = this.#view.getFloat64(this.#pos, true);
    this.#pos += 8;
    return number;
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
