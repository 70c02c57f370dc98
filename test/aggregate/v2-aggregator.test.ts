import assert from 'node:assert/strict';
import { workedExampleMetricSet } from '../fixtures/worked-example.js';
import { test } from 'node:test';
import {
  addSample,
  createV2State,
  decodeSpans,
  finalFlushV2,
  flushV2,
  type K6MetricType,
  type MetricSet,
  type Tags,
  type V2AggregationSettings,
  type V2Sample,
} from '../../src/aggregate/index.js';
import { sequence } from './builders.js';

const SETTINGS: V2AggregationSettings = {
  testRunId: '1234567',
  periodNs: 3e9,
  waitPeriodNs: 8e9,
  maxTimeSeriesInBatch: 1000,
};
const GET_200: Tags = { status: '200', method: 'GET' };

function sample(metric: string, type: K6MetricType, time: number, value: number, tags: Tags = {}): V2Sample {
  return { metric, type, time, tags, value };
}

function aggregateAll(samples: readonly V2Sample[], settings: V2AggregationSettings = SETTINGS): MetricSet[] {
  const state = createV2State();
  for (const s of samples) addSample(state, s, settings);
  return finalFlushV2(state, settings);
}

test('the §6.7 worked example produces the documented MetricSet, with true gauge min and max', () => {
  const start = 1_700_000_001_000_000; // µs, the start of bucket 566666667 at 3 s
  const out = aggregateAll([
    sample('http_reqs', 'counter', start + 100_000, 1, GET_200),
    sample('http_req_duration', 'trend', start + 100_000, 120.5, GET_200),
    sample('http_req_failed', 'rate', start + 100_000, 0, GET_200),
    sample('vus', 'gauge', start + 500_000, 5),
    sample('http_reqs', 'counter', start + 1_200_000, 1, GET_200),
    sample('http_req_duration', 'trend', start + 1_200_000, 121, GET_200),
    sample('http_req_failed', 'rate', start + 1_200_000, 1, GET_200),
    sample('http_req_duration', 'trend', start + 2_999_999, 350, GET_200),
    sample('vus', 'gauge', start + 2_500_000, 10),
  ]);
  assert.deepEqual(out, [workedExampleMetricSet('true')]);
});

test('an all-negative gauge reports its true maximum, not 0', () => {
  const [set] = aggregateAll([sample('g', 'gauge', 0, -5), sample('g', 'gauge', 1, -2)]);
  assert.deepEqual(set?.metrics[0]?.timeSeries[0]?.gaugeSamples?.values[0], {
    time: { seconds: 0 },
    last: -2,
    count: 2,
    min: -5,
    max: -2,
    avg: -3.5,
  });
});

test('labels are sorted by name and tags k6 never sends are dropped', () => {
  const tags = { __vu: '3', test_run_id: '9', status: '200', method: 'GET' };
  const [set] = aggregateAll([sample('c', 'counter', 0, 1, tags)]);
  assert.deepEqual(set?.metrics[0]?.timeSeries[0]?.labels, [
    { name: 'method', value: 'GET' },
    { name: 'status', value: '200' },
  ]);
});

test('untrackable trend values are counted apart but still shape sum, min and max', () => {
  const [set] = aggregateAll([-1, 0, 1e20].map((value) => sample('t', 'trend', 0, value)));
  assert.deepEqual(set?.metrics[0]?.timeSeries[0]?.trendHdrSamples?.values[0], {
    time: { seconds: 0 },
    counters: [1],
    spans: [{ offset: 0, length: 1 }],
    sum: 1e20 - 1,
    count: 3,
    minValue: -1,
    maxValue: 1e20,
    extraLowValuesCounter: 1,
    extraHighValuesCounter: 1,
    minResolution: 0.001,
  });
});

test('a bucket is sent once now minus the wait period reaches its start, timed at that start', () => {
  const settings = { ...SETTINGS, waitPeriodNs: 5e9 };
  const state = createV2State();
  addSample(state, sample('c', 'counter', 10_000_000, 1), settings); // bucket 3 = [9 s, 12 s)
  addSample(state, sample('c', 'counter', 12_000_000, 1), settings); // bucket 4
  assert.deepEqual(flushV2(state, 14e9 - 1, settings), []);
  const [set] = flushV2(state, 14e9, settings);
  assert.deepEqual(set?.metrics[0]?.timeSeries[0]?.counterSamples?.values, [{ time: { seconds: 9 }, value: 1 }]);
  assert.deepEqual(Object.keys(state.buckets), ['4']);
});

test('the final flush takes every bucket, even one still open or in the future', () => {
  const state = createV2State();
  addSample(state, sample('c', 'counter', 10_000_000, 1), SETTINGS);
  addSample(state, sample('c', 'counter', 4_000_000_000_000_000, 1), SETTINGS); // the year 2096, bucket start 3999999999 s
  assert.deepEqual(flushV2(state, 0, SETTINGS), []);
  const [set] = finalFlushV2(state, SETTINGS);
  assert.deepEqual(
    set?.metrics[0]?.timeSeries[0]?.counterSamples?.values.map((v) => v.time.seconds),
    [9, 3_999_999_999],
  );
  assert.deepEqual(state.buckets, {});
});

test('a series with values in several buckets is one time series carrying them all', () => {
  const [set, ...rest] = aggregateAll([sample('c', 'counter', 0, 1, GET_200), sample('c', 'counter', 3_000_000, 2, GET_200)]);
  assert.equal(rest.length, 0);
  assert.deepEqual(set?.metrics[0]?.timeSeries, [
    {
      labels: [
        { name: 'method', value: 'GET' },
        { name: 'status', value: '200' },
      ],
      counterSamples: {
        values: [
          { time: { seconds: 0 }, value: 1 },
          { time: { seconds: 3 }, value: 2 },
        ],
      },
    },
  ]);
});

test('no MetricSet holds more than maxTimeSeriesInBatch series, and each repeats the run and period', () => {
  const samples = Array.from({ length: 2500 }, (_, i) => sample('c', 'counter', 0, 1, { i: String(i) }));
  samples.push(sample('c', 'counter', 3_000_000, 1, { i: '0' }));
  const sets = aggregateAll(samples);
  assert.deepEqual(
    sets.map((s) => s.metrics.reduce((n, m) => n + m.timeSeries.length, 0)),
    [1000, 1000, 501],
  );
  for (const set of sets) {
    assert.equal(set.testRunId, '1234567');
    assert.equal(set.aggregationPeriod, 3);
  }
});

test('a state restored from JSON flushes exactly as the original', () => {
  const next = sequence(21);
  const types: K6MetricType[] = ['counter', 'gauge', 'rate', 'trend'];
  const original = createV2State();
  for (let i = 0; i < 500; i++) {
    const type = types[i % 4] as K6MetricType;
    const time = Math.floor(next() * 20e6);
    addSample(original, sample(type, type, time, Math.floor(next() * 2000) - 100, { k: String(i % 3) }), SETTINGS);
  }
  const restored = JSON.parse(JSON.stringify(original)) as typeof original;
  assert.deepEqual(flushV2(restored, 20e9, SETTINGS), flushV2(original, 20e9, SETTINGS));
  assert.deepEqual(finalFlushV2(restored, SETTINGS), finalFlushV2(original, SETTINGS));
});

test('every generated sample is counted exactly once in the output', () => {
  const next = sequence(4);
  const types: K6MetricType[] = ['counter', 'gauge', 'rate', 'trend'];
  const sent: Record<K6MetricType, number> = { counter: 0, gauge: 0, rate: 0, trend: 0 };
  const state = createV2State();
  const small = { ...SETTINGS, maxTimeSeriesInBatch: 7 };
  for (let i = 0; i < 20_000; i++) {
    const type = types[Math.floor(next() * 4)] as K6MetricType;
    sent[type]++;
    const value = type === 'counter' ? 1 : (next() - 0.05) * 10 ** (next() * 8);
    const time = Math.floor(next() * 60e6);
    addSample(state, sample(`m_${type}`, type, time, value, { k: String(Math.floor(next() * 5)) }), small);
  }
  const sets = [...flushV2(state, 40e9, small), ...finalFlushV2(state, small)];
  const seen: Record<K6MetricType, number> = { counter: 0, gauge: 0, rate: 0, trend: 0 };
  for (const series of sets.flatMap((s) => s.metrics.flatMap((m) => m.timeSeries))) {
    for (const v of series.counterSamples?.values ?? []) seen.counter += v.value;
    for (const v of series.gaugeSamples?.values ?? []) seen.gauge += v.count;
    for (const v of series.rateSamples?.values ?? []) seen.rate += v.totalCount;
    for (const v of series.trendHdrSamples?.values ?? []) {
      seen.trend += v.count;
      const tracked = Object.values(decodeSpans(v.counters, v.spans)).reduce((a, b) => a + b, 0);
      assert.equal(tracked + (v.extraLowValuesCounter ?? 0) + (v.extraHighValuesCounter ?? 0), v.count);
    }
  }
  assert.deepEqual(seen, sent);
  assert.ok(sets.every((s) => s.metrics.reduce((n, m) => n + m.timeSeries.length, 0) <= 7));
});
