// Scenario 5, aggregation: raw samples aggregated per second on one core by the pure functions of
// src/aggregate, in this process (no I/O):
//  - v1: HTTP trails (one per `http_req_li_all` Points, i.e. one HTTP request carrying 9 samples)
//    through addTrail/flushV1, with k6's IQR outlier detection (3 s buckets, min 25 samples);
//  - v2: raw samples (the 9 per HTTP request) through addSample/flushV2 into HDR histograms.
// The clock advances one simulated second per 20,000 requests (a k6 at 20,000 requests/s) and the
// state is flushed each simulated second, as the daemon would. Baseline in the same run: the bare
// group-by-series of the same samples (build a key, count in a Map), the least any aggregator does.
//
// `npm run bench -- aggregation` or `tsx bench/aggregation.bench.ts`.
import {
  addSample,
  addTrail,
  createV1State,
  createV2State,
  finalFlushV1,
  finalFlushV2,
  flushV1,
  flushV2,
  type HttpTrail,
  LEGACY_V1_SETTINGS,
  pointsFromHttpTrail,
  type Tags,
  type V2AggregationSettings,
  type V2Sample,
  v2SamplesFromV1,
} from '../src/aggregate/index.js';
import { endpointTags, randomTrail, seededRandom, V1_ENDPOINTS } from './payloads.js';
import { figure, formatNumber, type ScenarioResult } from './report.js';
import { type BenchSettings, runIfEntryPoint, type Scenario } from './scenario.js';

const REQUESTS = 50_000;
const REQUESTS_PER_SECOND = 20_000;
const SECOND_NS = 1e9;
const START_US = Date.UTC(2026, 0, 1) * 1000;

const V1_SETTINGS = LEGACY_V1_SETTINGS;

const V2_SETTINGS: V2AggregationSettings = { testRunId: '1234', periodNs: 3 * SECOND_NS, waitPeriodNs: 8 * SECOND_NS, maxTimeSeriesInBatch: 1000 };

interface Request {
  readonly tags: Tags;
  readonly trail: HttpTrail;
}

function requests(): Request[] {
  const random = seededRandom(501);
  const tags: Tags[] = Array.from({ length: V1_ENDPOINTS }, (_, index) => endpointTags(index));
  return Array.from({ length: REQUESTS }, (_, n) => {
    const endpoint = tags[Math.floor(random() * tags.length)]!;
    const endTimeUs = START_US + Math.floor((n * 1e6) / REQUESTS_PER_SECOND);
    return { tags: endpoint, trail: randomTrail(random, endTimeUs, endpoint.expected_response !== 'true') };
  });
}

/** The 9 k6 samples of each request, as a v2 aggregator receives them (relayd's v1 → v2 transcoding). */
function rawSamples(list: readonly Request[]): V2Sample[] {
  return list.flatMap(({ tags, trail }) => {
    const transcoded = v2SamplesFromV1(pointsFromHttpTrail(tags, trail));
    if (transcoded.kind !== 'samples') throw new Error(`a trail did not transcode: ${transcoded.reason}`);
    return transcoded.samples;
  });
}

/** Runs `pass` until `seconds` of CPU time passed; returns items per CPU second (this thread: one core). */
function perCpuSecond(seconds: number, itemsPerPass: number, pass: () => void): number {
  const start = process.cpuUsage();
  let items = 0;
  let used = 0;
  while (used < seconds * 1e6) {
    pass();
    items += itemsPerPass;
    const cpu = process.cpuUsage(start);
    used = cpu.user + cpu.system;
  }
  return items / (used / 1e6);
}

function aggregateV1(list: readonly Request[]): void {
  const state = createV1State();
  let nextFlushUs = START_US + 1e6;
  for (const { tags, trail } of list) {
    if (trail.endTimeUs >= nextFlushUs) {
      flushV1(state, nextFlushUs * 1000, V1_SETTINGS);
      nextFlushUs += 1e6;
    }
    addTrail(state, tags, trail, V1_SETTINGS);
  }
  finalFlushV1(state, V1_SETTINGS);
}

function aggregateV2(samples: readonly V2Sample[]): void {
  const state = createV2State();
  let nextFlushUs = START_US + 1e6;
  for (const sample of samples) {
    if (sample.time >= nextFlushUs) {
      flushV2(state, nextFlushUs * 1000, V2_SETTINGS);
      nextFlushUs += 1e6;
    }
    addSample(state, sample, V2_SETTINGS);
  }
  finalFlushV2(state, V2_SETTINGS);
}

/** The least an aggregator does per sample: find its series (a key of metric and tags) and count it. */
function groupBySeries(samples: readonly { metric: string; tags: Tags }[]): void {
  const counts = new Map<string, number>();
  for (const { metric, tags } of samples) {
    let key = metric;
    for (const name in tags) key += `|${name}=${tags[name]}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
}

async function runAggregation(settings: BenchSettings): Promise<ScenarioResult> {
  const list = requests();
  const samples = rawSamples(list);
  const trailKeys = list.map(({ tags }) => ({ metric: 'http_req_li_all', tags }));
  const seconds = 2 * settings.scale;
  const v1 = [];
  const v1Base = [];
  const v2 = [];
  const v2Base = [];
  for (let run = 0; run < settings.runs; run++) {
    settings.log(`aggregation: run ${run + 1}/${settings.runs}`);
    v1.push(perCpuSecond(seconds, list.length, () => aggregateV1(list)));
    v1Base.push(perCpuSecond(seconds / 2, list.length, () => groupBySeries(trailKeys)));
    v2.push(perCpuSecond(seconds, samples.length, () => aggregateV2(samples)));
    v2Base.push(perCpuSecond(seconds / 2, samples.length, () => groupBySeries(samples)));
  }
  const figures = [
    figure('v1 IQR: HTTP requests (trails)/s per core', 'trails/s', v1, { name: 'bare group-by-series', runs: v1Base }),
    figure('v1 IQR: raw samples/s per core (9 per trail)', 'samples/s', v1.map((x) => (x * samples.length) / list.length), {
      name: 'bare group-by-series',
      runs: v1Base.map((x) => (x * samples.length) / list.length),
    }),
    figure('v2 histograms: raw samples/s per core', 'samples/s', v2, { name: 'bare group-by-series', runs: v2Base }),
  ];
  return {
    scenario: 'aggregation',
    title: 'aggregation of raw samples on one core (src/aggregate, pure functions)',
    setup: [
      `${REQUESTS.toLocaleString('en-US')} HTTP requests over ${V1_ENDPOINTS} endpoints (tag sets), ${REQUESTS_PER_SECOND.toLocaleString('en-US')} requests per simulated second, flushed every simulated second; 3 s buckets.`,
      `v1: addTrail + flushV1 (min 25 samples, IQR radius 0.25, coefficients 1.5 / 1.3); v2: addSample + flushV2 of the 9 samples per request (HDR histograms, 1000 series per MetricSet).`,
      `CPU time of this thread (process.cpuUsage); ${formatNumber(seconds)} s per measurement, ${settings.runs} runs, medians.`,
    ].join('\n'),
    figures,
    targets: [],
  };
}

export const scenario: Scenario = { name: 'aggregation', run: runAggregation };

runIfEntryPoint(import.meta.url, scenario);
