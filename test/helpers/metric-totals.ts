// Per-metric totals of what a run carried, computed the same way from every form the data takes:
// raw samples (what a runner generated), API v1 envelopes (Point, Points, AggregatedPoints) and
// API v2 MetricSets. Aggregation keeps exactly these, so "upstream totals equal what was sent" is a
// comparison of two MetricTotals:
//   counter: sum of values; trend: count (and sum); rate: total and non-zero; gauge: count.
import { gunzipSync } from 'node:zlib';
import type { MetricSet, StreamSample } from '../../src/protocol/index.js';
import { decodeMetricSet, snappyUncompressBounded } from '../../src/protocol/index.js';
import type { V1Envelope } from '../../src/aggregate/index.js';
import type { RecordedRequest } from '../emulator/emulator.js';

export interface MetricTotals {
  counters: Record<string, number>;
  trends: Record<string, { count: number; sum: number }>;
  rates: Record<string, { total: number; nonzero: number }>;
  gauges: Record<string, number>;
}

type Kind = 'counter' | 'gauge' | 'rate' | 'trend';

export function emptyTotals(): MetricTotals {
  return { counters: {}, trends: {}, rates: {}, gauges: {} };
}

/** Adds `count` observations of one metric whose values sum to `sum` (rates: `nonzero` of them ≠ 0). */
function add(totals: MetricTotals, kind: Kind, metric: string, count: number, sum: number, nonzero = 0): void {
  switch (kind) {
    case 'counter':
      totals.counters[metric] = (totals.counters[metric] ?? 0) + sum;
      return;
    case 'gauge':
      totals.gauges[metric] = (totals.gauges[metric] ?? 0) + count;
      return;
    case 'rate': {
      const rate = (totals.rates[metric] ??= { total: 0, nonzero: 0 });
      rate.total += count;
      rate.nonzero += nonzero;
      return;
    }
    case 'trend': {
      const trend = (totals.trends[metric] ??= { count: 0, sum: 0 });
      trend.count += count;
      trend.sum += sum;
    }
  }
}

export function addSamples(totals: MetricTotals, samples: Iterable<Pick<StreamSample, 'metric' | 'type' | 'value'>>): MetricTotals {
  for (const s of samples) add(totals, s.type, s.metric, 1, s.value, s.value !== 0 ? 1 : 0);
  return totals;
}

/** The k6 type of each metric packed in a `Points` envelope (§4.2). */
const PACKED: Record<string, Kind> = {
  http_reqs: 'counter',
  http_req_failed: 'rate',
  data_sent: 'counter',
  data_received: 'counter',
  iterations: 'counter',
  iteration_duration: 'trend',
};

export function addV1Envelopes(totals: MetricTotals, envelopes: Iterable<V1Envelope>): MetricTotals {
  for (const envelope of envelopes) {
    const { data } = envelope;
    switch (envelope.type) {
      case 'Point':
        add(totals, data.type as Kind, envelope.metric, 1, envelope.data.value, envelope.data.value !== 0 ? 1 : 0);
        break;
      case 'Points':
        for (const [metric, value] of Object.entries(envelope.data.values)) {
          add(totals, PACKED[metric] ?? 'trend', metric, 1, value, value !== 0 ? 1 : 0);
        }
        break;
      case 'AggregatedPoints': {
        const { count, values } = envelope.data;
        add(totals, 'counter', 'http_reqs', count, count);
        for (const [metric, aggregate] of Object.entries(values)) {
          if (metric === 'http_req_failed') {
            const failed = aggregate as { count: number; nz_count: number };
            add(totals, 'rate', metric, failed.count, failed.nz_count, failed.nz_count);
          } else {
            add(totals, 'trend', metric, count, (aggregate as { avg: number }).avg * count);
          }
        }
        break;
      }
    }
  }
  return totals;
}

const V2_KINDS: Record<number, Kind> = { 1: 'counter', 2: 'gauge', 3: 'rate', 4: 'trend' };

export function addMetricSet(totals: MetricTotals, metricSet: MetricSet): MetricTotals {
  for (const metric of metricSet.metrics) {
    const kind = V2_KINDS[metric.type ?? 0]!;
    for (const series of metric.timeSeries) {
      for (const v of series.counterSamples?.values ?? []) add(totals, kind, metric.name!, 0, v.value ?? 0);
      for (const v of series.gaugeSamples?.values ?? []) add(totals, kind, metric.name!, v.count ?? 0, 0);
      for (const v of series.rateSamples?.values ?? []) add(totals, kind, metric.name!, v.totalCount ?? 0, 0, v.nonzeroCount ?? 0);
      for (const v of series.trendHdrSamples?.values ?? []) add(totals, kind, metric.name!, v.count ?? 0, v.sum ?? 0);
    }
  }
  return totals;
}

/** Totals of the pushes a run received upstream, each idempotency key counted once (as the cloud would). */
export function upstreamTotals(pushes: readonly RecordedRequest[]): MetricTotals {
  const totals = emptyTotals();
  for (const push of pushes) {
    if (push.duplicate || push.status !== 200) continue;
    if (push.route?.kind === 'v2-push') addMetricSet(totals, decodeMetricSet(snappyUncompressBounded(push.body, 1 << 30)));
    else addV1Envelopes(totals, JSON.parse(gunzipIfNeeded(push).toString('utf8')) as V1Envelope[]);
  }
  return totals;
}

function gunzipIfNeeded(push: RecordedRequest): Buffer {
  return push.headers['content-encoding'] === 'gzip' ? gunzipSync(push.body) : push.body;
}

/**
 * Asserts equal totals: the same metrics, equal counts (exact), equal sums (to 1e-9 relative: float
 * sums depend on the order of addition, and an aggregate's average times its count is not exact).
 */
export function assertSameTotals(actual: MetricTotals, expected: MetricTotals, what = 'totals'): void {
  const close = (a: number, b: number): boolean => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));
  const problems: string[] = [];
  const compare = <T>(kind: string, a: Record<string, T>, b: Record<string, T>, same: (x: T, y: T) => boolean): void => {
    for (const metric of new Set([...Object.keys(a), ...Object.keys(b)])) {
      const x = a[metric];
      const y = b[metric];
      if (x === undefined || y === undefined || !same(x, y)) problems.push(`${kind} ${metric}: got ${JSON.stringify(x)}, expected ${JSON.stringify(y)}`);
    }
  };
  compare('counter', actual.counters, expected.counters, close);
  compare('trend', actual.trends, expected.trends, (x, y) => x.count === y.count && close(x.sum, y.sum));
  compare('rate', actual.rates, expected.rates, (x, y) => x.total === y.total && x.nonzero === y.nonzero);
  compare('gauge', actual.gauges, expected.gauges, (x, y) => x === y);
  if (problems.length > 0) throw new Error(`${what} differ:\n  ${problems.join('\n  ')}`);
}
