// Realistic push bodies for the benchmarks, scaled up from the real k6 v0.48.0 captures.
//
// v2: a MetricSet the way a heavy k6 run fills one (k6 batches at most 1000 time series per request):
// the nine HTTP series per distinct request tag set (http_reqs, http_req_failed and the seven
// http_req_* trends), the per-scenario iteration and data series, checks and the vus gauges. Tag
// values vary (URL, method, status, scenario, group, proto); every value is perturbed from the
// captured one of the same metric, so trend histograms keep the shape of real k6 HDR histograms.
// Encoded with src/protocol's encodeMetricSet and snappyCompress, exactly like k6's wire.
//
// v1: a JSON array as k6's v1 output sends it without aggregation: per HTTP request one
// `http_req_li_all` Points envelope (nine samples) and one `checks` Point, per iteration one
// `iter_li_all` Points envelope (four samples), the vus gauges now and then; the requests hit 300
// endpoints, so tag sets repeat as in a real test. Gzip'd as k6 does.
//
// Every builder is deterministic for a seed, so two runs of a benchmark push the same bytes.
import { gzipSync } from 'node:zlib';
import {
  type Label,
  type Metric,
  type MetricSet,
  type TimeSeries,
  type TrendHdrValue,
  decodeMetricSet,
  encodeMetricSet,
  MetricType,
  rewriteTestRunId,
  snappyCompress,
  snappyUncompressBounded,
} from '../src/protocol/index.js';
import { type HttpTrail, pointsFromHttpTrail } from '../src/aggregate/index.js';
import { loadFixture } from '../test/emulator/fixtures.js';

/** Small, fast, seedable PRNG (mulberry32): payloads must not change between runs. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)]!;
}

const SCENARIOS = ['browse', 'checkout', 'api_soak'] as const;
const GROUPS = ['', '::login', '::cart', '::checkout'] as const;
const RESOURCES = ['products', 'carts', 'orders', 'users', 'search', 'reviews', 'inventory', 'payments'] as const;
const METHODS = ['GET', 'GET', 'GET', 'GET', 'POST', 'PUT', 'DELETE'] as const;
const STATUSES = ['200', '200', '200', '200', '201', '204', '304', '404', '429', '500'] as const;
const PROTOS = ['HTTP/1.1', 'HTTP/2.0'] as const;
const CHECKS = ['status is 200', 'body has items', 'latency under 300ms'] as const;

const HTTP_TRENDS = [
  'http_req_duration',
  'http_req_blocked',
  'http_req_connecting',
  'http_req_tls_handshaking',
  'http_req_sending',
  'http_req_waiting',
  'http_req_receiving',
] as const;

/**
 * The tags k6 puts on every HTTP sample (sorted by name, as k6's tag store emits them). A type
 * alias, not an interface, so that it passes as a plain Tags record.
 */
export type RequestTags = {
  expected_response: string;
  group: string;
  method: string;
  name: string;
  proto: string;
  scenario: string;
  status: string;
  url: string;
};

/** The tags of endpoint `index`: always the same for the same index, varied across indexes. */
export function endpointTags(index: number): RequestTags {
  const random = seededRandom(index + 1);
  const status = pick(random, STATUSES);
  const url = `https://shop.bench.test/api/v1/${pick(random, RESOURCES)}/${index}`;
  return {
    expected_response: String(Number(status) < 400),
    group: pick(random, GROUPS),
    method: pick(random, METHODS),
    name: url,
    proto: pick(random, PROTOS),
    scenario: pick(random, SCENARIOS),
    status,
    url,
  };
}

/**
 * One HTTP request's timings (k6's httpext.Trail): mostly 5–300 ms waiting, a slow tail, now and then
 * a new connection. Sent as k6 sends it with pointsFromHttpTrail, or aggregated.
 */
export function randomTrail(random: () => number, endTimeUs: number, failed: boolean): HttpTrail {
  const ns = (ms: number): number => Math.round(ms * 1e6);
  const waiting = 5 + random() * 300 * (random() < 0.02 ? 10 : 1);
  const sending = random() * 0.5;
  const receiving = random() * 2;
  return {
    endTimeUs,
    durationNs: ns(sending) + ns(waiting) + ns(receiving),
    blockedNs: ns(random() * 0.2),
    connectingNs: random() < 0.05 ? ns(random() * 3) : 0,
    tlsHandshakingNs: 0,
    sendingNs: ns(sending),
    waitingNs: ns(waiting),
    receivingNs: ns(receiving),
    failed,
  };
}

/** Endpoints a v1 body's requests are spread over: tag sets repeat, as in a real test. */
export const V1_ENDPOINTS = 300;

function labelsOf(tags: Record<string, string>): Label[] {
  // proto3 omits an empty string: k6 sends `group` with no value, as in the captures.
  return Object.entries(tags).map(([name, value]) => (value === '' ? { name } : { name, value }));
}

/** One captured trend value per metric name: the shape (span layout, counters) real k6 sends. */
let trendTemplates: Map<string, TrendHdrValue> | undefined;

function trendTemplate(metric: string): TrendHdrValue {
  trendTemplates ??= loadTrendTemplates();
  return trendTemplates.get(metric) ?? trendTemplates.get('http_req_duration')!;
}

function loadTrendTemplates(): Map<string, TrendHdrValue> {
  const templates = new Map<string, TrendHdrValue>();
  for (const capture of loadFixture('v2')) {
    if (capture.route.kind !== 'v2-push') continue;
    const metricSet = decodeMetricSet(snappyUncompressBounded(capture.body, 1 << 24));
    for (const metric of metricSet.metrics) {
      const value = metric.timeSeries[0]?.trendHdrSamples?.values[0];
      // The larger capture wins: it holds the fuller histograms of a longer bucket.
      const known = templates.get(metric.name ?? '');
      if (value && (!known || known.counters.length < value.counters.length)) templates.set(metric.name ?? '', value);
    }
  }
  if (!templates.has('http_req_duration')) throw new Error('the v2 capture has no http_req_duration trend');
  return templates;
}

function trendValue(random: () => number, metric: string, seconds: number): TrendHdrValue {
  const template = trendTemplate(metric);
  const scale = 0.5 + random() * 3;
  const counters = template.counters.map((count) => Math.max(1, Math.round(count * scale * (0.5 + random()))));
  const count = counters.reduce((sum, n) => sum + n, 0);
  const shift = 0.8 + random() * 0.4;
  const minValue = (template.minValue ?? 0) * shift;
  const maxValue = (template.maxValue ?? 0) * shift;
  return {
    time: { seconds },
    counters,
    spans: template.spans.map((span) => ({ ...span })),
    sum: ((minValue + maxValue) / 2) * count,
    count,
    minValue,
    maxValue,
    minResolution: template.minResolution ?? 0.001,
  };
}

type SeriesSink = (metric: string, type: number, series: TimeSeries) => void;

function httpSeries(random: () => number, tags: RequestTags, seconds: number, add: SeriesSink): void {
  const labels = labelsOf({ ...tags });
  const requests = 5 + Math.floor(random() * 300);
  add('http_reqs', MetricType.Counter, { labels, counterSamples: { values: [{ time: { seconds }, value: requests }] } });
  const failed = tags.expected_response === 'true' ? 0 : requests;
  add('http_req_failed', MetricType.Rate, {
    labels,
    rateSamples: { values: [{ time: { seconds }, nonzeroCount: failed, totalCount: requests }] },
  });
  for (const trend of HTTP_TRENDS) {
    add(trend, MetricType.Trend, { labels, trendHdrSamples: { values: [trendValue(random, trend, seconds)] } });
  }
}

function scenarioSeries(random: () => number, scenario: string, group: string, seconds: number, add: SeriesSink): void {
  const labels = labelsOf({ group, scenario });
  const counter = (value: number): TimeSeries => ({ labels, counterSamples: { values: [{ time: { seconds }, value }] } });
  const iterations = 20 + Math.floor(random() * 500);
  add('iterations', MetricType.Counter, counter(iterations));
  add('data_sent', MetricType.Counter, counter(iterations * 81));
  add('data_received', MetricType.Counter, counter(iterations * 2200));
  add('iteration_duration', MetricType.Trend, {
    labels,
    trendHdrSamples: { values: [trendValue(random, 'iteration_duration', seconds)] },
  });
  for (const check of CHECKS) {
    add('checks', MetricType.Rate, {
      labels: labelsOf({ check, group, scenario }),
      rateSamples: { values: [{ time: { seconds }, nonzeroCount: iterations - 1, totalCount: iterations }] },
    });
  }
}

function gaugeSeries(seconds: number, add: SeriesSink): void {
  for (const name of ['vus', 'vus_max']) {
    add(name, MetricType.Gauge, {
      labels: [],
      gaugeSamples: { values: [{ time: { seconds }, last: 500, count: 3, min: 480, max: 500, avg: 493 }] },
    });
  }
}

export interface MetricSetOptions {
  readonly testRunId: string;
  /** Time series in the set (k6 sends at most 1000 per request). */
  readonly series: number;
  readonly seed: number;
  /** Start of the 3 s aggregation bucket, Unix seconds. */
  readonly bucketSeconds: number;
}

/** A k6-like MetricSet with exactly `series` time series, one value each (one closed bucket). */
export function buildMetricSet(options: MetricSetOptions): MetricSet {
  const random = seededRandom(options.seed);
  const metrics = new Map<string, Metric>();
  let count = 0;
  const add: SeriesSink = (name, type, series) => {
    if (count >= options.series) return;
    count += 1;
    let metric = metrics.get(name);
    if (!metric) {
      metric = { name, type, timeSeries: [] };
      metrics.set(name, metric);
    }
    metric.timeSeries.push(series);
  };
  const seconds = options.bucketSeconds;
  gaugeSeries(seconds, add);
  for (const scenario of SCENARIOS) for (const group of GROUPS) scenarioSeries(random, scenario, group, seconds, add);
  for (let request = options.seed * 10_000; count < options.series; request++) {
    httpSeries(random, endpointTags(request), seconds, add);
  }
  return { testRunId: options.testRunId, aggregationPeriod: 3, metrics: [...metrics.values()] };
}

/**
 * The largest v2 request a real k6 makes, by the README's reckoning: 1000 trend series (k6's
 * maxTimeSeriesInBatch) with three buckets flushed together, each histogram with every bucket from
 * 1 ms to 60 s (indices 506..2532, §6.4) counted, counts up to 16,383 (two-byte varints).
 */
export function densestV2Body(testRunId: string): PushBody {
  const random = seededRandom(11);
  const first = 506;
  const last = 2532;
  const bucket = Math.floor(Date.UTC(2026, 0, 1) / 3000) * 3;
  const timeSeries: TimeSeries[] = Array.from({ length: 1000 }, (_, series) => ({
    labels: labelsOf({ ...endpointTags(series) }),
    trendHdrSamples: {
      values: [0, 1, 2].map((flushed): TrendHdrValue => {
        const counters = Array.from({ length: last - first + 1 }, () => 1 + Math.floor(random() * 16_383));
        const count = counters.reduce((sum, n) => sum + n, 0);
        return { time: { seconds: bucket + 3 * flushed }, counters, spans: [{ offset: first, length: counters.length }], sum: count * 120, count, minValue: 1, maxValue: 60_000, minResolution: 0.001 };
      }),
    },
  }));
  const raw = encodeMetricSet({ testRunId, aggregationPeriod: 3, metrics: [{ name: 'http_req_duration', type: MetricType.Trend, timeSeries }] });
  return { body: snappyCompress(raw), rawBytes: raw.length, samples: 3000, values: 3000 };
}

export interface PushBody {
  /** As sent on the wire (snappy or gzip). */
  readonly body: Buffer;
  /** Decompressed size. */
  readonly rawBytes: number;
  /** What relayd counts as the push's samples (v2: series values; v1: envelopes). */
  readonly samples: number;
  /** Numeric sample values: v2 series values; v1 Point values and every entry of a Points' values. */
  readonly values: number;
}

export const V2_HEADERS = {
  'content-type': 'application/x-protobuf',
  'content-encoding': 'snappy',
  'k6-metrics-protocol-version': '2.0',
  'user-agent': 'k6cloud/0.48.0',
} as const;

export const V1_HEADERS = { 'content-type': 'application/json', 'content-encoding': 'gzip', 'user-agent': 'k6cloud/0.48.0' } as const;

/** The series counts of a heavy run's pushes: mostly full 1000-series batches, then the rest of a flush. */
export function v2SeriesMix(index: number, seed: number): number {
  return index % 4 === 3 ? 50 + Math.floor(seededRandom(seed)() * 950) : 1000;
}

/** `count` distinct v2 bodies for run `testRunId` (each a different mix of series and values). */
export function v2Bodies(testRunId: string, count: number, firstSeed = 1): PushBody[] {
  const bucket = Math.floor(Date.UTC(2026, 0, 1) / 3000) * 3;
  return Array.from({ length: count }, (_, index) => {
    const seed = firstSeed + index;
    const metricSet = buildMetricSet({ testRunId, series: v2SeriesMix(index, seed), seed, bucketSeconds: bucket + 3 * index });
    const raw = encodeMetricSet(metricSet);
    const samples = metricSet.metrics.reduce((sum, metric) => sum + metric.timeSeries.length, 0);
    return { body: snappyCompress(raw), rawBytes: raw.length, samples, values: samples };
  });
}

/** The same bodies for another run: only MetricSet.test_run_id changes (the byte-level rewrite relayd uses). */
export function v2BodiesFor(testRunId: string, bodies: readonly PushBody[]): PushBody[] {
  return bodies.map((push) => {
    const raw = rewriteTestRunId(snappyUncompressBounded(push.body, 1 << 30), testRunId);
    return { ...push, body: snappyCompress(raw), rawBytes: raw.length };
  });
}

export interface V1BodyOptions {
  /** HTTP requests in the push (about one second of a k6 instance at this many requests/s). */
  readonly requests: number;
  readonly seed: number;
  /** Unix µs of the first sample. */
  readonly startMicros: number;
}

interface V1Built {
  readonly envelopes: unknown[];
  readonly values: number;
}

function v1Envelopes(options: V1BodyOptions): V1Built {
  const random = seededRandom(options.seed);
  const envelopes: unknown[] = [];
  let values = 0;
  let time = options.startMicros;
  const stamp = (): string => String((time += 1 + Math.floor(random() * 200)));
  for (let request = 0; request < options.requests; ) {
    const perIteration = 1 + Math.floor(random() * 3);
    let iterationTags: { scenario: string; group: string } | undefined;
    for (let i = 0; i < perIteration && request < options.requests; i++, request++) {
      const tags = endpointTags(Math.floor(random() * V1_ENDPOINTS));
      iterationTags ??= { scenario: tags.scenario, group: tags.group };
      envelopes.push(pointsFromHttpTrail(tags, randomTrail(random, Number(stamp()), tags.expected_response !== 'true')));
      envelopes.push({
        type: 'Point',
        metric: 'checks',
        data: { time: stamp(), type: 'rate', tags: { check: pick(random, CHECKS), group: tags.group, scenario: tags.scenario }, value: random() < 0.98 ? 1 : 0 },
      });
      values += 10;
    }
    envelopes.push({
      type: 'Points',
      metric: 'iter_li_all',
      data: {
        time: stamp(),
        type: 'counter',
        tags: iterationTags,
        values: { data_sent: 81 * perIteration, data_received: 2200 * perIteration, iteration_duration: 100 + random() * 900, iterations: 1 },
      },
    });
    values += 4;
    if (random() < 0.01) {
      envelopes.push({ type: 'Point', metric: 'vus', data: { time: stamp(), type: 'gauge', tags: {}, value: 500 } });
      values += 1;
    }
  }
  return { envelopes, values };
}

/** A gzip'd v1 push body of about `requests` HTTP requests' samples. */
export function v1Body(options: V1BodyOptions): PushBody {
  const { envelopes, values } = v1Envelopes(options);
  const json = Buffer.from(JSON.stringify(envelopes));
  return { body: gzipSync(json), rawBytes: json.length, samples: envelopes.length, values };
}

/** `count` distinct v1 bodies, each about one second of a k6 instance doing `requests` requests/s. */
export function v1Bodies(count: number, requests: number, firstSeed = 1): PushBody[] {
  const start = Date.UTC(2026, 0, 1) * 1000;
  return Array.from({ length: count }, (_, index) =>
    v1Body({ requests, seed: firstSeed + index, startMicros: start + index * 1_000_000 }),
  );
}
