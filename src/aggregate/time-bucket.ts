// Time buckets shared by the v1 (§5.2) and v2 (§6.5) aggregators.
//
// Sample instants are Unix **microseconds**: the v1 wire carries µs, raw streams carry ms, and
// every such instant fits a double exactly (2^53 µs is the year 2255). Unix nanoseconds do not fit
// (2^53 ns is 104 days), so k6's `UnixNano() / period` is computed as `timeUs / (period / 1000)`.
// That is the same integer whenever the period is a whole number of µs: the sub-µs part k6 had is
// not on the wire, and it can never carry an instant across a bucket boundary.
//
// `nowNs` is a clock reading. As a double it is exact to 256 ns, which only moves the moment a
// bucket becomes due by that much; which bucket a sample belongs to never depends on it.

export function bucketOf(timeUs: number, periodNs: number): number {
  return Math.floor(timeUs / (periodNs / 1000));
}

/** Buckets with `id ≤ floor((now − wait) / period)` are due. */
export function bucketCutoff(nowNs: number, waitPeriodNs: number, periodNs: number): number {
  return Math.floor((nowNs - waitPeriodNs) / periodNs);
}

export function bucketStartUs(id: number, periodNs: number): number {
  return id * (periodNs / 1000);
}

/** Ids of the due buckets, oldest first, so output order is deterministic. */
export function dueBucketIds(buckets: Readonly<Record<string, unknown>>, cutoff: number): number[] {
  const ids: number[] = [];
  for (const key of Object.keys(buckets)) {
    const id = Number(key);
    if (id <= cutoff) ids.push(id);
  }
  return ids.sort((a, b) => a - b);
}
