// What the processing stage puts in a run's outbox: upstream-ready push requests, as queue items the
// forwarder sends unchanged (it only rewrites the run id of a provisional run, as for any push).
//
//   v1: a gzip JSON array of envelopes, at most MAX_V1_ENVELOPES per request (k6's
//       maxMetricSamplesPerPackage), with k6's v1 headers (§4.1) and the runner's User-Agent
//   v2: one snappy-block MetricSet per request (§6.1); the User-Agent is relayd's, because the cloud
//       reads k6 versions from it (early v2 schemas, the gauge min/max swap before k6 1.8) and these
//       bodies are relayd's own encoding, with true gauge min and max
//
// Every request carries a K6-Idempotency-Key derived from the run id and the request's number in
// the run (persisted in the run's processing state): the same state and input make the same keys.
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { constants as zlib, gzip } from 'node:zlib';
import type { MetricSet, V1Envelope } from '../aggregate/index.js';
import { encodeMetricSet, snappyCompress } from '../protocol/index.js';
import type { QueueItem } from '../queue/index.js';

const gzipAsync = promisify(gzip);

const MAX_V1_ENVELOPES = 100_000;

/** Who the requests are sent for: the run and the runner's credentials. */
export interface RequestOrigin {
  readonly runId: string;
  readonly authorization: string | null;
  readonly runnerUserAgent: string | null;
  readonly relaydUserAgent: string;
}

/** 16 lowercase hex characters, as k6 makes them (§2), but a function of (run, number). */
function idempotencyKey(runId: string, number: number): string {
  return createHash('sha256').update(`${runId}/${number}`).digest('hex').slice(0, 16);
}

function baseHeaders(origin: RequestOrigin, userAgent: string | null, number: number): Record<string, string> {
  const headers: Record<string, string> = { 'k6-idempotency-key': idempotencyKey(origin.runId, number) };
  if (origin.authorization !== null) headers.authorization = origin.authorization;
  if (userAgent !== null) headers['user-agent'] = userAgent;
  return headers;
}

/** `firstNumber` numbers the first request; the others follow. */
export async function v1PushItems(envelopes: readonly V1Envelope[], origin: RequestOrigin, firstNumber: number, now: number): Promise<QueueItem[]> {
  const items: QueueItem[] = [];
  for (let start = 0; start < envelopes.length; start += MAX_V1_ENVELOPES) {
    const chunk = envelopes.slice(start, start + MAX_V1_ENVELOPES);
    const json = Buffer.from(JSON.stringify(chunk));
    const body = await gzipAsync(json, { level: zlib.Z_BEST_SPEED });
    const headers = {
      ...baseHeaders(origin, origin.runnerUserAgent, firstNumber + items.length),
      'content-type': 'application/json',
      'content-encoding': 'gzip',
      'x-payload-sample-count': String(chunk.length),
      'x-payload-byte-count': String(json.length),
    };
    items.push({ kind: 'push', protocol: 'v1', headers, body, receivedAt: now, samples: chunk.length });
  }
  return items;
}

export function v2PushItem(metricSet: MetricSet, origin: RequestOrigin, number: number, now: number): QueueItem {
  const headers = {
    ...baseHeaders(origin, origin.relaydUserAgent, number),
    'content-type': 'application/x-protobuf',
    'content-encoding': 'snappy',
    'k6-metrics-protocol-version': '2.0',
  };
  const body = snappyCompress(encodeMetricSet(metricSet));
  return { kind: 'push', protocol: 'v2', headers, body, receivedAt: now, samples: valueCount(metricSet) };
}

function valueCount(metricSet: MetricSet): number {
  let values = 0;
  for (const metric of metricSet.metrics) {
    for (const series of metric.timeSeries) {
      const samples = series.counterSamples ?? series.gaugeSamples ?? series.rateSamples ?? series.trendHdrSamples;
      values += samples?.values.length ?? 0;
    }
  }
  return values;
}
