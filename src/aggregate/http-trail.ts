// One HTTP request as k6's v1 aggregation sees it (an `httpext.Trail`), rebuilt from the
// `Points`/`http_req_li_all` envelope that carries it, and turned back into that envelope.
//
// Durations are integer nanoseconds, as in k6. k6 writes each one as float64(ns) / 1e6 ms;
// multiplying back and rounding recovers the integer exactly (for anything under ~2^51 ns), so a
// trail re-emitted as `Points` carries the very numbers it arrived with. The end time stays in µs:
// that is all the wire carries, and Unix ns would not fit a double (see time-bucket.ts).

import type { Tags, V1PointsEnvelope } from './types.js';

export interface HttpTrail {
  /** The request's end time, Unix µs. */
  endTimeUs: number;
  /** = sending + waiting + receiving (k6 sets it so); the request time R of outlier detection. */
  durationNs: number;
  blockedNs: number;
  connectingNs: number;
  tlsHandshakingNs: number;
  sendingNs: number;
  waitingNs: number;
  receivingNs: number;
  /** Absent when k6 left the "failed" flag undefined. */
  failed?: boolean;
}

/** The duration metrics of a trail, in k6's emission order, and where each lives in HttpTrail. */
export const TRAIL_DURATIONS = [
  ['http_req_duration', 'durationNs'],
  ['http_req_blocked', 'blockedNs'],
  ['http_req_connecting', 'connectingNs'],
  ['http_req_tls_handshaking', 'tlsHandshakingNs'],
  ['http_req_sending', 'sendingNs'],
  ['http_req_waiting', 'waitingNs'],
  ['http_req_receiving', 'receivingNs'],
] as const;

export type HttpReqDurationMetric = (typeof TRAIL_DURATIONS)[number][0];

/** A missing duration counts as 0 ns (k6 always sends all seven). */
export function httpTrailFromPoints(envelope: V1PointsEnvelope): HttpTrail {
  const values = envelope.data.values;
  const trail = { endTimeUs: Number(envelope.data.time) } as HttpTrail;
  for (const [metric, field] of TRAIL_DURATIONS) trail[field] = Math.round((values[metric] ?? 0) * 1e6);
  const failed = values.http_req_failed;
  if (failed !== undefined) trail.failed = failed !== 0;
  return trail;
}

/** k6's `NewSampleFromTrail`: the envelope a trail is sent as when it is not aggregated. */
export function pointsFromHttpTrail(tags: Readonly<Tags>, trail: HttpTrail): V1PointsEnvelope {
  const values: Record<string, number> = { http_reqs: 1 };
  for (const [metric, field] of TRAIL_DURATIONS) values[metric] = trail[field] / 1e6;
  if (trail.failed !== undefined) values.http_req_failed = trail.failed ? 1 : 0;
  const time = String(trail.endTimeUs);
  // k6 omits `tags` for an empty tag set on this envelope (and only on this one).
  const data =
    Object.keys(tags).length === 0 ? { time, type: 'counter', values } : { time, type: 'counter', tags, values };
  return { type: 'Points', metric: 'http_req_li_all', data };
}
