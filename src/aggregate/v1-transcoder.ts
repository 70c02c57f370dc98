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

export type V1Transcoding =
  | { kind: 'samples'; samples: V2Sample[] }
  | { kind: 'untranscodable'; reason: 'aggregated-points' | 'unknown-metric-type' | 'unknown-points-metric' };

export function v2SamplesFromV1(envelope: V1Envelope): V1Transcoding {
  const time = Number(envelope.data.time);
  const tags = envelope.data.tags ?? {};
  switch (envelope.type) {
    case 'Point': {
      const type = envelope.data.type;
      if (!isK6MetricType(type)) return { kind: 'untranscodable', reason: 'unknown-metric-type' };
      return { kind: 'samples', samples: [{ metric: envelope.metric, type, time, tags, value: envelope.data.value }] };
    }
    case 'Points': {
      if (!pointsAreKnown(envelope.data.values)) return { kind: 'untranscodable', reason: 'unknown-points-metric' };
      const samples: V2Sample[] = [];
      for (const [metric, value] of Object.entries(envelope.data.values)) {
        samples.push({ metric, type: POINTS_METRIC_TYPES.get(metric)!, time, tags, value });
      }
      return { kind: 'samples', samples };
    }
    case 'AggregatedPoints':
      return { kind: 'untranscodable', reason: 'aggregated-points' };
  }
}

/** Whether every metric of a `Points` envelope's values is one k6 puts there (else it is not transcoded). */
export function pointsAreKnown(values: Readonly<Record<string, number>>): boolean {
  for (const metric in values) if (!POINTS_METRIC_TYPES.has(metric)) return false;
  return true;
}

/** The k6 type of a metric of a `Points` envelope, once pointsAreKnown said it is one. */
export function pointsMetricType(metric: string): K6MetricType {
  return POINTS_METRIC_TYPES.get(metric)!;
}

export function isK6MetricType(type: string): type is K6MetricType {
  return type === 'counter' || type === 'gauge' || type === 'rate' || type === 'trend';
}
