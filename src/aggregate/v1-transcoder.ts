// API v1 envelopes → raw v2 samples, so a v1 run can be re-aggregated and sent as v2.
//
// `Point` already names its metric and type. `Points` packs one request (`http_req_li_all`) or
// one iteration (`iter_li_all`); each value becomes its own sample, as k6's native v2 output
// emits them, sharing the envelope's time and tags. `AggregatedPoints` holds only min/max/avg, from
// which no histogram can be rebuilt, so it is reported as untranscodable rather than guessed at.

import { TRAIL_DURATIONS } from './http-trail.js';
import type { K6MetricType, V1Envelope, V2Sample } from './types.js';

/** The k6 type of every metric a `Points` envelope carries (§4.2). */
const POINTS_METRIC_TYPES: ReadonlyMap<string, K6MetricType> = new Map<string, K6MetricType>([
  ['http_reqs', 'counter'],
  ...TRAIL_DURATIONS.map(([metric]): [string, K6MetricType] => [metric, 'trend']),
  ['http_req_failed', 'rate'],
  ['data_sent', 'counter'],
  ['data_received', 'counter'],
  ['iteration_duration', 'trend'],
  ['iterations', 'counter'],
]);

export type UntranscodableReason = 'aggregated-points' | 'unknown-metric-type' | 'unknown-points-metric';

export type V1Transcoding = { kind: 'samples'; samples: V2Sample[] } | { kind: 'untranscodable'; reason: UntranscodableReason };

export function v2SamplesFromV1(envelope: V1Envelope): V1Transcoding {
  const time = Number(envelope.data.time);
  const tags = envelope.data.tags ?? {};
  const samples: V2Sample[] = [];
  const reason = forEachV1Value(envelope, (metric, type, value) => samples.push({ metric, type, time, tags, value }));
  return reason === undefined ? { kind: 'samples', samples } : { kind: 'untranscodable', reason };
}

/**
 * Each value of an envelope with its metric and k6 type, as v2SamplesFromV1 makes samples of them,
 * without an object per value (the run results digest every value of every v1 push this way). An
 * envelope that cannot be transcoded visits nothing and returns why.
 */
export function forEachV1Value(
  envelope: V1Envelope,
  visit: (metric: string, type: K6MetricType, value: number) => void,
): UntranscodableReason | undefined {
  switch (envelope.type) {
    case 'Point': {
      const type = envelope.data.type;
      if (!isK6MetricType(type)) return 'unknown-metric-type';
      visit(envelope.metric, type, envelope.data.value);
      return undefined;
    }
    case 'Points': {
      const values = envelope.data.values;
      for (const metric in values) if (!POINTS_METRIC_TYPES.has(metric)) return 'unknown-points-metric';
      for (const metric in values) visit(metric, POINTS_METRIC_TYPES.get(metric)!, values[metric] as number);
      return undefined;
    }
    case 'AggregatedPoints':
      return 'aggregated-points';
  }
}

function isK6MetricType(type: string): type is K6MetricType {
  return type === 'counter' || type === 'gauge' || type === 'rate' || type === 'trend';
}
