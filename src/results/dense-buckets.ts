// Histogram counts summed while one push is read: a push adds thousands (v1) to hundreds of
// thousands (v2) of counts to a few trend sinks, and a write into a sink's sparse record
// (BucketCounts, a dictionary) per count cost most of its digest. They go into an array indexed by
// bucket per sink instead, moved into the records once the push is read. Indices past
// DENSE_BUCKETS (values above ~4 hours at k6's resolution) go to the record directly.
import type { BucketCounts } from '../aggregate/histogram.js';

export const DENSE_BUCKETS = 4096;
/**
 * Arrays kept for the next push (zeroed): one new 32 KiB array per trend sink and push was ~0.3 MB
 * of malloc'd memory per 1000-series v2 push, churned through the allocator's main arena and
 * counted as external memory by V8's GC heuristics.
 */
const spare: Float64Array[] = [];
const MAX_SPARE = 64;

export class DenseBuckets {
  readonly #arrays = new Map<BucketCounts, Float64Array>();

  /** The array that sums into `buckets` while this push is read. */
  of(buckets: BucketCounts): Float64Array {
    let dense = this.#arrays.get(buckets);
    if (dense === undefined) {
      dense = spare.pop() ?? new Float64Array(DENSE_BUCKETS);
      this.#arrays.set(buckets, dense);
    }
    return dense;
  }

  /** Adds the sums into their records, once the push is read. */
  flush(): void {
    for (const [buckets, dense] of this.#arrays) {
      for (let index = 0; index < dense.length; index++) {
        const count = dense[index]!;
        if (count !== 0) buckets[index] = (buckets[index] ?? 0) + count;
      }
    }
  }

  /** Gives the arrays back for the next push, whether this one was read to the end or not. */
  release(): void {
    for (const dense of this.#arrays.values()) if (spare.length < MAX_SPARE) spare.push(dense.fill(0));
    this.#arrays.clear();
  }
}
