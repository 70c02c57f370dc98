// k6's trend histogram layout (§6.4): bucket indices and the sparse span encoding.
//
//   s = v / minResolution          (k6 divides; 0.001 makes ms values 1 µs wide)
//   s < 0 → extra low,  s > 2^63 − 1 → extra high
//   u = ceil(s);  u < 256 → index u;  else e = floor(log2 u) − 7, index = 128·e + ⌊u / 2^e⌋
//
// Indices never exceed 7296 (u = 2^63), so a plain object keyed by index is a compact,
// JSON-safe sparse histogram, and its keys enumerate in ascending numeric order (ECMAScript
// orders integer-like own keys numerically), which the span encoding relies on.

import type { BucketSpan } from './types.js';

export const MIN_RESOLUTION = 0.001;

/** histogramIndex results for the untrackable values, counted apart from the buckets. */
export const EXTRA_LOW = -1;
export const EXTRA_HIGH = -2;

/** float64(math.MaxInt64), which is 2^63: what k6's `v > math.MaxInt64` compares against. */
const INT64_MAX_AS_DOUBLE = 2 ** 63;

/** The bucket index of `v`, or EXTRA_LOW / EXTRA_HIGH. NaN counts as extra high. */
export function histogramIndex(v: number, minResolution: number = MIN_RESOLUTION): number {
  const scaled = v / minResolution;
  if (scaled < 0) return EXTRA_LOW;
  if (!(scaled <= INT64_MAX_AS_DOUBLE)) return EXTRA_HIGH;
  const u = Math.ceil(scaled);
  if (u < 256) return u | 0; // `| 0` turns ceil(−0) = −0 into 0
  // 32-bit operators are exact only while u < 2^31; above that, BigInt keeps the bit length exact
  // where Math.log2 would round up just below a power of two.
  if (u < 2 ** 31) {
    const e = 31 - Math.clz32(u) - 7;
    return (e << 7) + (u >> e);
  }
  const big = BigInt(u);
  const e = big.toString(2).length - 8;
  return e * 128 + Number(big >> BigInt(e));
}

/** Sparse histogram: bucket index → count, non-empty buckets only. */
export type BucketCounts = Record<number, number>;

/**
 * counters = counts by ascending index; spans run-length encode the positions: the first span's
 * offset is its absolute index, each later offset the number of empty indices skipped.
 */
export function encodeSpans(counts: Readonly<BucketCounts>): { counters: number[]; spans: BucketSpan[] } {
  const counters: number[] = [];
  const spans: BucketSpan[] = [];
  let previous = 0;
  for (const key of Object.keys(counts)) {
    const index = Number(key);
    counters.push(counts[index] as number);
    const open = spans[spans.length - 1];
    if (open === undefined) spans.push({ offset: index, length: 1 });
    else if (index === previous + 1) open.length++;
    else spans.push({ offset: index - previous - 1, length: 1 });
    previous = index;
  }
  return { counters, spans };
}

/** The inverse of encodeSpans. Throws a RangeError when spans and counters disagree in size. */
export function decodeSpans(counters: readonly number[], spans: readonly BucketSpan[]): BucketCounts {
  const counts: BucketCounts = {};
  let next = 0;
  let position = 0;
  spans.forEach((span, i) => {
    position = i === 0 ? span.offset : position + span.offset;
    for (let j = 0; j < span.length; j++) {
      const count = counters[next++];
      if (count === undefined) throw new RangeError(`spans cover more than the ${counters.length} counters`);
      counts[position++] = count;
    }
  });
  if (next !== counters.length) throw new RangeError(`spans cover ${next} of ${counters.length} counters`);
  return counts;
}
