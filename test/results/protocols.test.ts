// The figures a page shows are computed the same way whichever protocol brought the values: the raw
// requests of the v1 capture, sent as they were (v1), as k6's v2 output would aggregate them
// (transcoded, then histograms by src/aggregate's v2 aggregator) and as raw stream samples.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createV2State, finalFlushV2, histogramIndex, v2SamplesFromV1, type V1Envelope, type V2Sample } from '../../src/aggregate/index.js';
import { encodeMetricSet, snappyCompress, type MetricSet } from '../../src/protocol/index.js';
import { addSample } from '../../src/aggregate/v2-aggregator.js';
import type { ResultBucket, RunResults } from '../../src/results/index.js';
import { loadFixture } from '../emulator/fixtures.js';
import { closeStack, createRun, openStack, pushItem, removeDir, tempDir, type ResultsStack } from './stack.js';

const CREATE = Buffer.from(JSON.stringify({ name: 'script.js', thresholds: { http_req_duration: ['p(95)<500'] } }));
const PERIOD_NS = 3e9;

/** The raw samples of the v1 capture, as k6 recorded them (µs times). */
function v1Samples(): V2Sample[] {
  return loadFixture('v1')
    .filter((request) => request.route.kind === 'v1-push')
    .flatMap((request) => (request.decoded as V1Envelope[]).flatMap((envelope) => {
      const transcoded = v2SamplesFromV1(envelope);
      assert.equal(transcoded.kind, 'samples');
      return transcoded.kind === 'samples' ? transcoded.samples : [];
    }));
}

/** Nearest-rank quantile of the raw values: the ⌈p·n⌉-th smallest. */
function exactQuantile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.ceil(p * sorted.length) - 1] as number;
}

/**
 * The non-counter rows agree (a counter's rate depends on the bucket width): percentiles, extremes and
 * counts exactly, sums to 1e-12 relative (they add up in another order).
 */
function assertSameRows(actual: RunResults, expected: RunResults, protocol: string): void {
  const rows = (results: RunResults) => results.summary.filter((row) => row.type !== 'counter');
  assert.deepEqual(rows(actual).map((row) => [row.metric, row.type, Object.keys(row.values)]), rows(expected).map((row) => [row.metric, row.type, Object.keys(row.values)]));
  rows(expected).forEach((row, i) => {
    for (const [key, value] of Object.entries(row.values)) {
      const got = rows(actual)[i]?.values[key] as number;
      if (key === 'avg') assert.ok(Math.abs(got - value) <= 1e-12 * Math.abs(value), `${protocol} ${row.metric} ${key}: ${got} vs ${value}`);
      else assert.equal(got, value, `${protocol} ${row.metric} ${key}`);
    }
  });
}

describe('the same requests through v1, v2 and the stream', () => {
  let dir: string;
  let stack: ResultsStack;
  const results: Record<'v1' | 'v2' | 'stream', RunResults | undefined> = { v1: undefined, v2: undefined, stream: undefined };
  const samples = v1Samples();

  before(async () => {
    dir = await tempDir();
    stack = await openStack(dir);
    const v1Run = await createRun(stack, 'v1run', CREATE);
    for (const request of loadFixture('v1').filter((r) => r.route.kind === 'v1-push')) {
      await stack.runs.acceptPush(v1Run, pushItem('v1', request.body, request.headers));
    }
    const v2Run = await createRun(stack, 'v2run', CREATE);
    const state = createV2State();
    for (const sample of samples) addSample(state, sample, { periodNs: PERIOD_NS });
    const sets: MetricSet[] = finalFlushV2(state, { testRunId: 'v2run', periodNs: PERIOD_NS, waitPeriodNs: 0, maxTimeSeriesInBatch: 1000 });
    for (const set of sets) {
      await stack.runs.acceptPush(v2Run, pushItem('v2', snappyCompress(encodeMetricSet(set)), { 'content-encoding': 'snappy' }));
    }
    const streamRun = await createRun(stack, 'streamrun', CREATE);
    for (let i = 0; i < samples.length; i += 500) {
      const batch = samples.slice(i, i + 500).map(({ metric, type, time, tags, value }) => ({ metric, type, time: time / 1000, tags, value }));
      const body = Buffer.from(JSON.stringify({ type: 'batch', seq: i / 500 + 1, samples: batch }));
      await stack.runs.acceptStreamBatch(streamRun, pushItem('stream', body), i / 500 + 1);
    }
    results.v1 = stack.engine.get('v1run');
    results.v2 = stack.engine.get('v2run');
    results.stream = stack.engine.get('streamrun');
  });
  after(async () => {
    await closeStack(stack).catch(() => undefined);
    await removeDir(dir);
  });

  it('p95: the exact p95 of the raw durations, to the histogram bucket, for all three', () => {
    const durations = samples.filter((s) => s.metric === 'http_req_duration').map((s) => s.value);
    assert.equal(durations.length, 480);
    const exact = exactQuantile(durations, 0.95);
    for (const protocol of ['v1', 'v2', 'stream'] as const) {
      const p95 = results[protocol]?.totals.p95;
      assert.ok(typeof p95 === 'number', `${protocol} has a p95`);
      assert.equal(histogramIndex(p95), histogramIndex(exact), `${protocol}: p95 ${p95} in the bucket of the exact ${exact}`);
      // k6 indexes with 128 sub-buckets per power of two above 256 µs: under 1% apart.
      assert.ok(Math.abs(p95 - exact) / exact < 1 / 128, `${protocol}: ${p95} within 1/128 of ${exact}`);
    }
  });

  it('totals and every non-counter summary row agree across the protocols', () => {
    const { v1, v2, stream } = results;
    assert.ok(v1 && v2 && stream);
    assert.deepEqual(v2.totals, v1.totals);
    assert.deepEqual(stream.totals, v1.totals);
    assertSameRows(v2, v1, 'v2');
    assertSameRows(stream, v1, 'stream');
    assert.equal(v1.totals.requests, 480);
  });

  it('buckets: v1 and the stream give the same points; v2 the same requests in its 3 s buckets', () => {
    const { v1, v2, stream } = results;
    assert.ok(v1 && v2 && stream);
    assert.equal(v1.bucketMs, 1000);
    assert.deepEqual(stream.buckets, v1.buckets);
    assert.equal(v2.bucketMs, 3000);
    for (const bucket of v2.buckets) {
      const inside: ResultBucket[] = v1.buckets.filter((b) => b.t >= bucket.t && b.t < bucket.t + 3000);
      assert.equal(bucket.requests, inside.reduce((sum, b) => sum + b.requests, 0), `requests of the bucket at ${bucket.t}`);
      assert.equal(bucket.duration?.max, Math.max(...inside.map((b) => b.duration?.max ?? 0)));
    }
  });
});
