// The running summary behind one `AggregatedPoints` envelope (§5.3): count, min/max/sum per
// duration metric in integer ns, and the http_req_failed tally. It lives only during a flush.

import { TRAIL_DURATIONS, type HttpTrail } from './http-trail.js';
import type { AggregatedHttpValues, Tags, V1AggregatedPointsEnvelope } from './types.js';

/** Integer ns; the sum stays exact below 2^53 ns, i.e. 104 days of request time per group. */
interface DurationSummary {
  minNs: number;
  maxNs: number;
  sumNs: number;
}

export interface HttpReqSummary {
  count: number;
  /** Aligned with TRAIL_DURATIONS. */
  durations: DurationSummary[];
  failedCount: number;
  failedNonzero: number;
}

export function newHttpReqSummary(): HttpReqSummary {
  return {
    count: 0,
    durations: TRAIL_DURATIONS.map(() => ({ minNs: 0, maxNs: 0, sumNs: 0 })),
    failedCount: 0,
    failedNonzero: 0,
  };
}

export function addToSummary(summary: HttpReqSummary, trail: HttpTrail): void {
  summary.count++;
  let i = 0;
  for (const [, field] of TRAIL_DURATIONS) {
    const ns = trail[field];
    const d = summary.durations[i++] as DurationSummary;
    // k6 quirk, reproduced for wire parity (v1 data.go AggregatedMetric.Add): the minimum is
    // replaced whenever the running sum is still 0, so leading zero values are forgotten and `min`
    // can exceed the true minimum, e.g. `connecting` on reused connections.
    if (d.sumNs === 0 || d.minNs > ns) d.minNs = ns;
    if (d.maxNs < ns) d.maxNs = ns;
    d.sumNs += ns;
  }
  if (trail.failed !== undefined) {
    summary.failedCount++;
    if (trail.failed) summary.failedNonzero++;
  }
}

export function aggregatedPointsEnvelope(
  summary: HttpReqSummary,
  tags: Tags,
  timeUs: number,
): V1AggregatedPointsEnvelope {
  const values = {} as AggregatedHttpValues;
  TRAIL_DURATIONS.forEach(([metric], i) => {
    const d = summary.durations[i] as DurationSummary;
    values[metric] = { min: d.minNs / 1e6, max: d.maxNs / 1e6, avg: d.sumNs / 1e6 / summary.count };
  });
  if (summary.failedCount > 0) {
    values.http_req_failed = { count: summary.failedCount, nz_count: summary.failedNonzero };
  }
  // Unlike `Points`, k6 always writes `tags` here, `{}` when empty.
  return {
    type: 'AggregatedPoints',
    metric: 'http_req_li_all',
    data: { time: String(timeUs), type: 'aggregated_trend', count: summary.count, tags, values },
  };
}
