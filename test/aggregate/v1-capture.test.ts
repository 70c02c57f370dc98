// The v1 aggregation against real k6 v0.48.0 traffic (test/fixtures/k6-v0.48.0).
//
// What can be reproduced: `v1-aggr-override` holds only k6's *output* (AggregatedPoints plus the
// trails it sent individually); the raw trails k6 folded into each aggregate are gone. So its
// min/max/avg values and its outlier decisions cannot be recomputed. What can be checked is that
// the output obeys the invariants of §5 (count conservation against k6's own summary, midpoint
// times, outliers lying outside every aggregate range), that our aggregator re-emits k6's
// individual points unchanged, and that aggregating the 480 raw trails of the plain `v1` capture
// (same script, aggregation off) with the same settings obeys the very same invariants.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  addTrail,
  createV1State,
  finalFlushV1,
  httpTrailFromPoints,
  type V1AggregatedPointsEnvelope,
  type V1Envelope,
  type V1PointsEnvelope,
} from '../../src/aggregate/index.js';
import { capturedV1Envelopes, isHttpReqPoints, LEGACY_V1_SETTINGS } from './builders.js';

const PERIOD_US = LEGACY_V1_SETTINGS.periodNs / 1000;

function midpointOf(points: V1PointsEnvelope): number {
  return Math.floor(Number(points.data.time) / PERIOD_US) * PERIOD_US + PERIOD_US / 2;
}

function isAggregate(envelope: V1Envelope): envelope is V1AggregatedPointsEnvelope {
  return envelope.type === 'AggregatedPoints';
}

/**
 * k6 aggregates a trail only when C and R lie within the fences, and the fences contain every
 * aggregated trail, so an individual point next to an aggregate must lie outside the aggregate's
 * range on C or R. The reported min can only exceed the true min (the k6 quirk), which keeps
 * the test sound. C = connecting here because the aggregates' TLS time is 0 throughout.
 */
function assertOutsideAggregate(points: V1PointsEnvelope, aggregate: V1AggregatedPointsEnvelope): void {
  const { values } = aggregate.data;
  assert.equal(values.http_req_tls_handshaking.max, 0);
  const c = (points.data.values.http_req_connecting ?? 0) + (points.data.values.http_req_tls_handshaking ?? 0);
  const r = points.data.values.http_req_duration ?? 0;
  const outside =
    c < values.http_req_connecting.min ||
    c > values.http_req_connecting.max ||
    r < values.http_req_duration.min ||
    r > values.http_req_duration.max;
  assert.ok(outside, `point at ${points.data.time} (C ${c}, R ${r}) lies inside the aggregate at ${aggregate.data.time}`);
}

/** The §5 invariants over one flush's output; returns the number of requests it accounts for. */
function assertAggregationInvariants(out: readonly V1Envelope[]): number {
  const aggregates = new Map<number, V1AggregatedPointsEnvelope>();
  for (const envelope of out.filter(isAggregate)) aggregates.set(Number(envelope.data.time), envelope);
  const points = out.filter(isHttpReqPoints);
  for (const point of points) {
    const aggregate = aggregates.get(midpointOf(point));
    if (aggregate === undefined) continue; // its whole group was below the minimum sample count
    assert.deepEqual(point.data.tags, aggregate.data.tags);
    assertOutsideAggregate(point, aggregate);
  }
  for (const [timeUs, aggregate] of aggregates) {
    assert.equal((timeUs - PERIOD_US / 2) % PERIOD_US, 0, 'aggregates sit at a bucket midpoint');
    // only a group of at least minSamples trails is aggregated (each capture has one tag set)
    const outliers = points.filter((p) => midpointOf(p) === timeUs).length;
    assert.ok(aggregate.data.count + outliers >= LEGACY_V1_SETTINGS.minSamples);
  }
  return [...aggregates.values()].reduce((sum, a) => sum + a.data.count, 0) + points.length;
}

test("k6's own aggregated capture accounts for every request and keeps outliers outside the aggregates", () => {
  const out = capturedV1Envelopes('v1-aggr-override').filter((e) => e.metric === 'http_req_li_all');
  assert.equal(out.filter(isAggregate).length, 4);
  // 482 is k6's http_reqs in that run's k6_console.txt
  assert.equal(assertAggregationInvariants(out), 482);
});

test("re-aggregating k6's individually sent trails gives them back unchanged", () => {
  // Each bucket holds at most 22 of them, under the 25-sample minimum, so all stay individual.
  const sent = capturedV1Envelopes('v1-aggr-override').filter(isHttpReqPoints);
  const state = createV1State();
  for (const points of sent) addTrail(state, points.data.tags ?? {}, httpTrailFromPoints(points), LEGACY_V1_SETTINGS);
  const byTime = (a: V1Envelope, b: V1Envelope): number => Number(a.data.time) - Number(b.data.time);
  assert.deepEqual(finalFlushV1(state, LEGACY_V1_SETTINGS).sort(byTime), sent.slice().sort(byTime));
});

test('aggregating the 480 raw trails of a real run obeys the same invariants', () => {
  const raw = capturedV1Envelopes('v1').filter(isHttpReqPoints);
  assert.equal(raw.length, 480);
  const state = createV1State();
  for (const points of raw) addTrail(state, points.data.tags ?? {}, httpTrailFromPoints(points), LEGACY_V1_SETTINGS);
  const out = finalFlushV1(state, LEGACY_V1_SETTINGS);
  assert.equal(assertAggregationInvariants(out), 480);

  // Individually sent trails are the inputs, untouched; the rest are exactly the aggregated ones.
  const key = (p: V1PointsEnvelope): string => `${p.data.time} ${p.data.values.http_req_duration}`;
  const rawByKey = new Map(raw.map((r) => [key(r), r]));
  assert.equal(rawByKey.size, raw.length);
  const sentAlone = out.filter(isHttpReqPoints);
  for (const point of sentAlone) assert.deepEqual(point, rawByKey.get(key(point)));
  const aloneKeys = new Set(sentAlone.map(key));
  const aggregates = out.filter(isAggregate);
  assert.ok(sentAlone.length > 0 && aggregates.length > 0, 'both outliers and aggregates occur');
  for (const aggregate of aggregates) {
    const members = raw.filter((r) => midpointOf(r) === Number(aggregate.data.time) && !aloneKeys.has(key(r)));
    const durations = members.map((m) => m.data.values.http_req_duration ?? 0);
    assert.equal(aggregate.data.count, members.length);
    assert.equal(aggregate.data.values.http_req_duration.min, Math.min(...durations));
    assert.equal(aggregate.data.values.http_req_duration.max, Math.max(...durations));
  }
});
