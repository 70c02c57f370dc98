import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  addTrail,
  createV1State,
  finalFlushV1,
  flushV1,
  type HttpTrail,
  type Tags,
  type V1AggregatedPointsEnvelope,
  type V1AggregationSettings,
  type V1Envelope,
  type V1PointsEnvelope,
} from '../../src/aggregate/index.js';
import { LEGACY_V1_SETTINGS, sequence, trail } from './builders.js';

const TAGS: Tags = { method: 'GET', status: '200' };
const MS = 1_000_000;

function settings(overrides: Partial<V1AggregationSettings>): V1AggregationSettings {
  return { ...LEGACY_V1_SETTINGS, ...overrides };
}

function aggregateAll(trails: readonly HttpTrail[], s: V1AggregationSettings, tags: Tags = TAGS): V1Envelope[] {
  const state = createV1State();
  for (const t of trails) addTrail(state, tags, t, s);
  return finalFlushV1(state, s);
}

function aggregated(out: readonly V1Envelope[]): V1AggregatedPointsEnvelope[] {
  return out.filter((e): e is V1AggregatedPointsEnvelope => e.type === 'AggregatedPoints');
}

function individual(out: readonly V1Envelope[]): V1PointsEnvelope[] {
  return out.filter((e): e is V1PointsEnvelope => e.type === 'Points');
}

test('a bucket waits until now minus the wait period reaches its start', () => {
  const s = settings({ minSamples: 0, skipOutlierDetection: true });
  const state = createV1State();
  addTrail(state, TAGS, trail({ endTimeUs: 10_000_000 }), s); // bucket 3 = [9 s, 12 s)
  addTrail(state, TAGS, trail({ endTimeUs: 12_000_000 }), s); // bucket 4
  // cutoff = floor((now − 5 s) / 3 s) reaches 3 at now = 14 s
  assert.deepEqual(flushV1(state, 14e9 - 1, s), []);
  const out = flushV1(state, 14e9, s);
  assert.deepEqual(
    out.map((e) => [e.type, e.data.time]),
    [['AggregatedPoints', '10500000']],
  );
  assert.deepEqual(Object.keys(state.buckets), ['4']);
  assert.deepEqual(flushV1(state, 14e9, s), [], 'a processed bucket is gone');
});

test('aggregated points are timed at the bucket midpoint in microseconds', () => {
  const s = settings({ minSamples: 0, skipOutlierDetection: true });
  // the first trail of the v1-aggr-override capture: bucket 598613040 at P = 3 s
  const [real] = aggregateAll([trail({ endTimeUs: 1795839122067305 })], s);
  assert.equal(real?.data.time, '1795839121500000');
  // P = 1.000001 s: (3·P + ⌊P/2⌋) ns = 3500003500 ns, truncated to 3500003 µs
  const odd = settings({ minSamples: 0, skipOutlierDetection: true, periodNs: 1_000_001_000 });
  const [truncated] = aggregateAll([trail({ endTimeUs: 3_000_004 })], odd);
  assert.equal(truncated?.data.time, '3500003');
});

test('trails are grouped by their exact full tag set, whatever the key order', () => {
  const s = settings({ minSamples: 0, skipOutlierDetection: true });
  const state = createV1State();
  addTrail(state, { a: '1', b: '2' }, trail(), s);
  addTrail(state, { b: '2', a: '1' }, trail(), s);
  addTrail(state, { a: '1', b: '3' }, trail(), s);
  addTrail(state, { a: '1' }, trail(), s);
  const out = aggregated(finalFlushV1(state, s));
  assert.deepEqual(
    out.map((e) => [e.data.tags, e.data.count]),
    [
      [{ a: '1', b: '2' }, 2],
      [{ a: '1', b: '3' }, 1],
      [{ a: '1' }, 1],
    ],
  );
});

test('a group below the minimum sample count is sent as individual points', () => {
  const s = settings({ minSamples: 3 });
  const two = aggregateAll([trail(), trail({ durationNs: 2 * MS })], s);
  assert.deepEqual(
    two.map((e) => e.type),
    ['Points', 'Points'],
  );
  assert.deepEqual(two[0], {
    type: 'Points',
    metric: 'http_req_li_all',
    data: {
      time: '10000000',
      type: 'counter',
      tags: TAGS,
      values: {
        http_reqs: 1,
        http_req_duration: 1,
        http_req_blocked: 0,
        http_req_connecting: 0.1,
        http_req_tls_handshaking: 0,
        http_req_sending: 0.01,
        http_req_waiting: 0.98,
        http_req_receiving: 0.01,
        http_req_failed: 0,
      },
    },
  });
  const three = aggregateAll([trail(), trail(), trail()], s);
  assert.deepEqual(
    three.map((e) => e.type),
    ['AggregatedPoints'],
  );
});

test('an individual point omits empty tags while an aggregated one writes {}', () => {
  const points = aggregateAll([trail()], settings({ minSamples: 2 }), {});
  assert.equal('tags' in (points[0]?.data ?? {}), false);
  const [aggregate] = aggregated(aggregateAll([trail()], settings({ minSamples: 0 }), {}));
  assert.deepEqual(aggregate?.data.tags, {});
});

test('request-time outliers leave the aggregate and values exactly on a fence stay in', () => {
  // R (ms) = 1,2,3,4,5,10, sort method: Q1 = 2 + trunc(1·0.25) = 2.25, Q3 = 4 + trunc(1·0.75) = 4.75,
  // IQR 2.5 → lower = 2.25 − trunc(0.5·2.5) = 1 and upper = 4.75 + trunc(0.1·2.5) = 5: 1 and 5 are
  // on the fences (normal), 10 is above. C is 1 ms everywhere, once as 0.5 connecting + 0.5 TLS.
  const s = settings({ minSamples: 0, iqrCoefLower: 0.5, iqrCoefUpper: 0.1 });
  const trails = [1, 2, 3, 4, 5, 10].map((ms, i) =>
    trail({
      durationNs: ms * MS,
      connectingNs: i === 1 ? 0.5 * MS : MS,
      tlsHandshakingNs: i === 1 ? 0.5 * MS : 0,
    }),
  );
  const out = aggregateAll(trails, s);
  assert.deepEqual(
    out.map((e) => e.type),
    ['Points', 'AggregatedPoints'],
  );
  assert.equal(individual(out)[0]?.data.values.http_req_duration, 10);
  const [aggregate] = aggregated(out);
  assert.equal(aggregate?.data.count, 5);
  assert.deepEqual(aggregate?.data.values.http_req_duration, { min: 1, max: 5, avg: 3 });
  assert.deepEqual(aggregate?.data.values.http_req_connecting, { min: 0.5, max: 1, avg: 0.9 });
  assert.deepEqual(aggregate?.data.values.http_req_tls_handshaking, { min: 0, max: 0.5, avg: 0.1 });
});

test('connection-time outliers are judged on connecting plus TLS handshaking', () => {
  // C (ms) = 1,1,1,1,3: Q1 = Q3 = 1, so both fences are 1; R is 1 ms everywhere
  const trails = [1, 1, 1, 1, 3].map((ms) => trail({ connectingNs: ms * MS }));
  const out = aggregateAll(trails, settings({ minSamples: 0 }));
  assert.deepEqual(
    individual(out).map((e) => e.data.values.http_req_connecting),
    [3],
  );
  assert.equal(aggregated(out)[0]?.data.count, 4);
});

test('the algorithm threshold switches from interpolation to quickselect', () => {
  // R (ms) = 1,2,4,8. Sort: Q1 1.75, Q3 5, fences [−3.125, 9.225] → all normal.
  // Quickselect: Q1 = 2, Q3 = 4, fences [2 − 3, 4 + 2.6] = [−1, 6.6] → 8 is an outlier.
  const trails = [1, 2, 4, 8].map((ms) => trail({ durationNs: ms * MS }));
  const sorted = aggregateAll(trails, settings({ minSamples: 0, outlierAlgoThreshold: 5 }));
  assert.deepEqual(
    sorted.map((e) => e.type),
    ['AggregatedPoints'],
  );
  const selected = aggregateAll(trails, settings({ minSamples: 0, outlierAlgoThreshold: 4 }));
  assert.deepEqual(
    individual(selected).map((e) => e.data.values.http_req_duration),
    [8],
  );
  assert.equal(aggregated(selected)[0]?.data.count, 3);
});

test('skipping outlier detection aggregates every trail', () => {
  const trails = [1, 1, 1, 1, 1000].map((ms) => trail({ durationNs: ms * MS }));
  const out = aggregateAll(trails, settings({ minSamples: 0, skipOutlierDetection: true }));
  assert.deepEqual(
    out.map((e) => e.type),
    ['AggregatedPoints'],
  );
  assert.equal(aggregated(out)[0]?.data.count, 5);
});

test('http_req_failed counts the trails with the flag and how many failed', () => {
  const s = settings({ minSamples: 0, skipOutlierDetection: true });
  const flags = [trail({ failed: true }), trail({ failed: false }), trail({ failed: undefined })];
  const [mixed] = aggregated(aggregateAll(flags, s));
  assert.deepEqual(mixed?.data.values.http_req_failed, { count: 2, nz_count: 1 });
  const [none] = aggregated(aggregateAll([trail({ failed: undefined })], s));
  assert.equal(none !== undefined && 'http_req_failed' in none.data.values, false);
});

test("the minimum keeps k6's reset-while-the-sum-is-zero quirk", () => {
  // connecting 0, 3, 2 µs: the leading 0 is forgotten when 3 arrives with the sum still 0
  const trails = [0, 3000, 2000].map((ns) => trail({ connectingNs: ns }));
  const [aggregate] = aggregated(aggregateAll(trails, settings({ minSamples: 0, skipOutlierDetection: true })));
  assert.deepEqual(aggregate?.data.values.http_req_connecting.min, 0.002);
  assert.deepEqual(aggregate?.data.values.http_req_connecting.max, 0.003);
});

test('a state restored from JSON flushes exactly as the original', () => {
  const s = LEGACY_V1_SETTINGS;
  const next = sequence(11);
  const trails = Array.from({ length: 300 }, () =>
    trail({ endTimeUs: 10_000_000 + Math.floor(next() * 9e6), durationNs: Math.floor(next() * 20 * MS) }),
  );
  const original = createV1State();
  for (const t of trails) addTrail(original, TAGS, t, s);
  const restored = JSON.parse(JSON.stringify(original)) as typeof original;
  assert.deepEqual(flushV1(restored, 20e9, s), flushV1(original, 20e9, s));
  assert.deepEqual(finalFlushV1(restored, s), finalFlushV1(original, s));
});

test('every generated trail comes out exactly once, aggregated or individually', () => {
  const s = LEGACY_V1_SETTINGS;
  const next = sequence(3);
  const tagSets: Tags[] = [{ name: 'a' }, { name: 'b' }, { name: 'c', status: '500' }];
  const state = createV1State();
  const n = 5000;
  for (let i = 0; i < n; i++) {
    const tags = tagSets[Math.floor(next() * tagSets.length)] as Tags;
    // heavy-tailed durations and connection times, spread over 5 buckets
    const endTimeUs = 1_000_000_000 + Math.floor(next() * 15e6);
    const durationNs = Math.floor(MS / (next() + 0.01));
    addTrail(state, tags, trail({ endTimeUs, durationNs, connectingNs: Math.floor(next() ** 4 * MS) }), s);
  }
  const out = [...flushV1(state, 1_008e9, s), ...finalFlushV1(state, s)];
  const total = aggregated(out).reduce((sum, e) => sum + e.data.count, 0) + individual(out).length;
  assert.equal(total, n);
  assert.ok(individual(out).length > 0 && aggregated(out).length > 0, 'both kinds occur');
  assert.deepEqual(state.buckets, {});
});
