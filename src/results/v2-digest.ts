// The digest (digest.ts) of an API v2 MetricSet, made from the values the validation walk reads
// (protocol/v2-scan.ts): decoding a 1000-series push into objects (decodeMetricSet) costs tens of ms
// of CPU, and a walk of its own cost 1.5–2.5 ms per push more than the validation it followed
// (bench/README.md). Each value is summed into its metric's sink for its second, with no object
// per value. Labels are not read: the results merge every tag set of a metric.
import { decodeSpans, MIN_RESOLUTION, type BucketCounts } from '../aggregate/histogram.js';
import type { BucketSpan } from '../aggregate/types.js';
import { scanMetricSet, Slot, type V2Scan, type V2Value, type V2ValueVisitor } from '../protocol/v2-scan.js';
import { DENSE_BUCKETS, DenseBuckets } from './dense-buckets.js';
import { sinksAt, type PushDigest } from './digest.js';
import { mergeSink, reindex, sinkOf, type MetricSink } from './sinks.js';

const TYPES = ['counter', 'gauge', 'rate', 'trend'] as const;

/**
 * Validates a MetricSet (scanMetricSet: a RelaydError refuses it) and digests it in the same walk.
 * The digest is undefined when the MetricSet is valid protobuf whose histograms do not add up (spans
 * that cover more or fewer counts than it lists: never from k6): such a push is still accepted and
 * forwarded, as the cloud's decoder takes it; only the local results leave it out.
 */
export function scanAndDigest(pb: Uint8Array, expectedRunId: string | undefined): { scan: V2Scan; digest: PushDigest | undefined } {
  const digester = new MetricSetDigester();
  try {
    const scan = scanMetricSet(pb, expectedRunId, digester);
    return { scan, digest: digester.finish(scan.periodSeconds) };
  } finally {
    digester.release();
  }
}

/** The digest of a stored MetricSet (validated when it was accepted); throws if it cannot be read. */
export function digestMetricSet(pb: Uint8Array): PushDigest {
  const { digest } = scanAndDigest(pb, undefined);
  if (digest === undefined) throw new RangeError('the MetricSet\'s histogram spans do not cover its counts');
  return digest;
}

class MetricSetDigester implements V2ValueVisitor {
  readonly #digest: { seconds: PushDigest['seconds'] } = { seconds: {} };
  readonly #dense = new DenseBuckets();
  #broken = false;

  value(metric: string, type: number, value: V2Value): void {
    if (this.#broken) return;
    const sink = sinkOf(sinksAt(this.#digest, value.numbers[Slot.second]!), metric, TYPES[type - 1]!);
    if (!this.#merge(sink, value)) this.#broken = true;
  }

  finish(periodSeconds: number): PushDigest | undefined {
    if (this.#broken) return undefined;
    this.#dense.flush();
    return periodSeconds > 0 ? { ...this.#digest, periodSeconds } : this.#digest;
  }

  /** Gives the dense arrays back, whether the walk finished or threw. */
  release(): void {
    this.#dense.release();
  }

  /** Adds `value` to `sink` (of the metric's type), as mergeSink would add it as a sink of its own; false if its spans do not add up. */
  #merge(sink: MetricSink, value: V2Value): boolean {
    const { numbers } = value;
    switch (sink.type) {
      case 'counter':
        sink.sum += numbers[Slot.value]!;
        return true;
      case 'gauge': {
        const count = numbers[Slot.count]!;
        mergeSink(sink, { type: 'gauge', last: numbers[Slot.value]!, count, sum: numbers[Slot.avg]! * count, min: numbers[Slot.min]!, max: numbers[Slot.max]! });
        return true;
      }
      case 'rate':
        sink.nonzero += numbers[Slot.nonzero]!;
        sink.total += numbers[Slot.total]!;
        return true;
      case 'trend':
        return this.#mergeTrend(sink, value);
    }
  }

  #mergeTrend(sink: Extract<MetricSink, { type: 'trend' }>, value: V2Value): boolean {
    const { numbers } = value;
    const count = numbers[Slot.count]!;
    if (count !== 0) {
      const min = numbers[Slot.min]!;
      const max = numbers[Slot.max]!;
      if (sink.count === 0 || min < sink.min) sink.min = min;
      if (sink.count === 0 || max > sink.max) sink.max = max;
      sink.count += count;
      sink.sum += numbers[Slot.sum]!;
      sink.extraLow += numbers[Slot.extraLow]!;
      sink.extraHigh += numbers[Slot.extraHigh]!;
    }
    // An unset resolution (0) is k6's own.
    const resolution = numbers[Slot.minResolution]! || MIN_RESOLUTION;
    if (resolution === MIN_RESOLUTION) return this.#addSpans(sink.buckets, value);
    if (count !== 0) return addReindexed(sink.buckets, value, resolution);
    return true;
  }

  /** The span encoding (histogram.ts decodeSpans) walked into the sink's dense array; false if the spans and counts disagree. */
  #addSpans(buckets: BucketCounts, { counters, counted, spans, spanned }: V2Value): boolean {
    const dense = this.#dense.of(buckets);
    let next = 0;
    let position = 0;
    for (let i = 0; i < spanned; i += 2) {
      position = i === 0 ? spans[i]! : position + spans[i]!;
      const length = spans[i + 1]!;
      if (next + length > counted) return false;
      for (let j = 0; j < length; j++, position++) {
        const count = counters[next++]!;
        if (position < DENSE_BUCKETS) dense[position] = dense[position]! + count;
        else buckets[position] = (buckets[position] ?? 0) + count;
      }
    }
    return next === counted;
  }
}

/** Counts at another resolution than k6's, re-indexed (sinks.ts reindex): never sent by k6, so not on the fast path. */
function addReindexed(buckets: BucketCounts, { counters, counted, spans, spanned }: V2Value, resolution: number): boolean {
  const spanList: BucketSpan[] = [];
  for (let i = 0; i < spanned; i += 2) spanList.push({ offset: spans[i]!, length: spans[i + 1]! });
  let counts: BucketCounts;
  try {
    counts = reindex(decodeSpans(Array.from(counters.subarray(0, counted)), spanList), resolution);
  } catch {
    return false;
  }
  for (const key of Object.keys(counts)) buckets[Number(key)] = (buckets[Number(key)] ?? 0) + counts[Number(key)]!;
  return true;
}
