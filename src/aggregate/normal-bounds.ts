// The IQR fences of k6's v1 outlier detection (§5.2 step 3), over integer nanoseconds.
//
// Both quantile methods are k6's, and they differ on purpose: below the algorithm threshold k6
// sorts and interpolates linearly between neighbours; at or above it k6 takes the k-th smallest
// value with k rounded, which needs no full sort. Every truncation below is a Go float→Duration
// conversion, so the fences are integers exactly as k6 computes them.

import type { V1AggregationSettings } from './types.js';

export type QuantileMethod = 'interpolated-sort' | 'quickselect';

export type IqrSettings = Pick<V1AggregationSettings, 'iqrRadius' | 'iqrCoefLower' | 'iqrCoefUpper'>;

/** Values within `[lower, upper]` are normal; the bounds themselves are normal. */
export interface NormalBounds {
  lower: number;
  upper: number;
}

/** Q1 = q(0.5 − r) and Q3 = q(0.5 + r), r = min(0.5, radius). Reorders `values`. */
export function quartiles(
  values: Float64Array,
  method: QuantileMethod,
  iqrRadius: number,
): { q1: number; q3: number } {
  if (values.length === 0) return { q1: 0, q3: 0 };
  const r = Math.min(0.5, iqrRadius);
  const last = values.length - 1;
  if (method === 'interpolated-sort') {
    values.sort(); // a typed array sorts numerically
    return { q1: interpolated(values, (0.5 - r) * last), q3: interpolated(values, (0.5 + r) * last) };
  }
  // Go's math.Round rounds half away from zero; for these non-negative positions Math.round agrees.
  return {
    q1: kthSmallest(values, Math.round((0.5 - r) * last)),
    q3: kthSmallest(values, Math.round((0.5 + r) * last)),
  };
}

/** lower = Q1 − trunc(coefLower·IQR), upper = Q3 + trunc(coefUpper·IQR). Reorders `values`. */
export function normalBounds(values: Float64Array, method: QuantileMethod, settings: IqrSettings): NormalBounds {
  const { q1, q3 } = quartiles(values, method, settings.iqrRadius);
  const iqr = q3 - q1;
  return {
    lower: q1 - Math.trunc(settings.iqrCoefLower * iqr),
    upper: q3 + Math.trunc(settings.iqrCoefUpper * iqr),
  };
}

/** v[⌊i⌋] + trunc((v[⌈i⌉] − v[⌊i⌋]) · frac(i)) over sorted `values`. */
function interpolated(sorted: Float64Array, position: number): number {
  const below = sorted[Math.floor(position)] as number;
  const above = sorted[Math.ceil(position)] as number;
  return below + Math.trunc((above - below) * (position - Math.floor(position)));
}

/**
 * The k-th smallest value (0-based), found by Hoare partitioning around the middle element and
 * keeping only the side that holds k. Reorders `values`; any correct selection returns the same
 * value as k6's, since the k-th smallest is unique.
 */
export function kthSmallest(values: Float64Array, k: number): number {
  let lo = 0;
  let hi = values.length - 1;
  while (lo < hi) {
    const pivot = values[(lo + hi) >>> 1] as number;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while ((values[i] as number) < pivot) i++;
      while ((values[j] as number) > pivot) j--;
      if (i <= j) {
        const swap = values[i] as number;
        values[i] = values[j] as number;
        values[j] = swap;
        i++;
        j--;
      }
    }
    // Now values[lo..j] ≤ pivot ≤ values[i..hi], and anything strictly between j and i equals pivot.
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return values[k] as number;
  }
  return values[k] as number;
}
