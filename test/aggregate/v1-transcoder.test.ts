import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  addSample,
  createV2State,
  finalFlushV2,
  v2SamplesFromV1,
  type V1Envelope,
  type V2AggregationSettings,
} from '../../src/aggregate/index.js';
import { capturedV1Envelopes } from './builders.js';

const TAGS = { method: 'GET', name: 'https://example.com/', status: '200', url: 'https://example.com/' };

test('an http_req_li_all point becomes one sample per value with its k6 type', () => {
  // the first entry of the §4.2 example body
  const envelope: V1Envelope = {
    type: 'Points',
    metric: 'http_req_li_all',
    data: {
      time: '1700000000123456',
      type: 'counter',
      tags: TAGS,
      values: {
        http_reqs: 1,
        http_req_duration: 40.35,
        http_req_blocked: 1.5,
        http_req_connecting: 2,
        http_req_tls_handshaking: 3,
        http_req_sending: 0.1,
        http_req_waiting: 40,
        http_req_receiving: 0.25,
        http_req_failed: 0,
      },
    },
  };
  const sample = (metric: string, type: string, value: number) => ({
    metric,
    type,
    time: 1700000000123456,
    tags: TAGS,
    value,
  });
  assert.deepEqual(v2SamplesFromV1(envelope), {
    kind: 'samples',
    samples: [
      sample('http_reqs', 'counter', 1),
      sample('http_req_duration', 'trend', 40.35),
      sample('http_req_blocked', 'trend', 1.5),
      sample('http_req_connecting', 'trend', 2),
      sample('http_req_tls_handshaking', 'trend', 3),
      sample('http_req_sending', 'trend', 0.1),
      sample('http_req_waiting', 'trend', 40),
      sample('http_req_receiving', 'trend', 0.25),
      sample('http_req_failed', 'rate', 0),
    ],
  });
});

test('an iter_li_all point becomes data, duration and iteration samples', () => {
  const envelope: V1Envelope = {
    type: 'Points',
    metric: 'iter_li_all',
    data: {
      time: '5',
      type: 'counter',
      tags: {},
      values: { data_sent: 80, data_received: 220, iteration_duration: 101.5, iterations: 1 },
    },
  };
  const result = v2SamplesFromV1(envelope);
  assert.equal(result.kind, 'samples');
  assert.deepEqual(
    result.kind === 'samples' && result.samples.map((s) => [s.metric, s.type, s.value]),
    [
      ['data_sent', 'counter', 80],
      ['data_received', 'counter', 220],
      ['iteration_duration', 'trend', 101.5],
      ['iterations', 'counter', 1],
    ],
  );
});

test('a single point keeps its metric, type, time and tags', () => {
  const envelope: V1Envelope = {
    type: 'Point',
    metric: 'vus',
    data: { time: '1700000000123456', type: 'gauge', tags: {}, value: 10 },
  };
  assert.deepEqual(v2SamplesFromV1(envelope), {
    kind: 'samples',
    samples: [{ metric: 'vus', type: 'gauge', time: 1700000000123456, tags: {}, value: 10 }],
  });
});

test('envelopes that cannot be turned into raw samples say why instead of guessing', () => {
  const aggregated = capturedV1Envelopes('v1-aggr-override').find((e) => e.type === 'AggregatedPoints');
  assert.ok(aggregated);
  assert.deepEqual(v2SamplesFromV1(aggregated), { kind: 'untranscodable', reason: 'aggregated-points' });
  assert.deepEqual(v2SamplesFromV1({ type: 'Point', metric: 'x', data: { time: '1', type: 'histogram', value: 1 } }), {
    kind: 'untranscodable',
    reason: 'unknown-metric-type',
  });
  const mystery: V1Envelope = {
    type: 'Points',
    metric: 'iter_li_all',
    data: { time: '1', type: 'counter', values: { iterations: 1, mystery: 2 } },
  };
  assert.deepEqual(v2SamplesFromV1(mystery), { kind: 'untranscodable', reason: 'unknown-points-metric' });
});

test('a real v1 run transcoded to v2 keeps every request, iteration and check', () => {
  const settings: V2AggregationSettings = {
    testRunId: '1234',
    periodNs: 3e9,
    waitPeriodNs: 8e9,
    maxTimeSeriesInBatch: 1000,
  };
  const state = createV2State();
  for (const envelope of capturedV1Envelopes('v1')) {
    const result = v2SamplesFromV1(envelope);
    assert.equal(result.kind, 'samples');
    if (result.kind === 'samples') for (const s of result.samples) addSample(state, s, settings);
  }
  const totals = new Map<string, number>();
  for (const metric of finalFlushV2(state, settings).flatMap((s) => s.metrics)) {
    for (const series of metric.timeSeries) {
      const values = [
        ...(series.counterSamples?.values.map((v) => v.value) ?? []),
        ...(series.rateSamples?.values.map((v) => v.totalCount) ?? []),
        ...(series.trendHdrSamples?.values.map((v) => v.count) ?? []),
      ];
      totals.set(metric.name, (totals.get(metric.name) ?? 0) + values.reduce((a, b) => a + b, 0));
    }
  }
  // the capture holds 480 requests, 480 iteration ends and 480 checks
  assert.equal(totals.get('http_reqs'), 480);
  assert.equal(totals.get('http_req_duration'), 480);
  assert.equal(totals.get('http_req_failed'), 480);
  assert.equal(totals.get('iterations'), 480);
  assert.equal(totals.get('checks'), 480);
});
