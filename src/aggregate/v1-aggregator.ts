// API v1 HTTP-trail aggregation, exactly as k6 v0.49 output/cloud/v1 `aggregateHTTPTrails` (§5).
//
//   addTrail:  bucket = floor(endTime / P); within a bucket, group = exact full tag set
//   flushV1:   every bucket with id ≤ floor((now − W) / P), oldest first, for each group:
//                n < minSamples        → every trail as its own `Points`
//                skipOutlierDetection  → all trails aggregated
//                otherwise             → IQR fences on C = connecting + tls and R = duration;
//                                        outside either → `Points`, inside (bounds included) → aggregated
//              then one `AggregatedPoints` at the bucket midpoint if anything was aggregated,
//              and the bucket is deleted.
//
// State layout (plain JSON, so the daemon can persist it as is and resume from `JSON.parse`):
//   { buckets: { "<bucket id>": { "<tag-set key>": { tags, trails: HttpTrail[] } } } }
// Tags are stored once per group, not per trail. Nothing else is kept: a restored state flushes
// exactly as the original would have.
//
// One deliberate difference from k6: finalFlushV1 aggregates every bucket, including any timed
// after the stop instant; k6 sends trails from such future buckets individually.

import { addToSummary, aggregatedPointsEnvelope, newHttpReqSummary } from './aggregated-points.js';
import { pointsFromHttpTrail, type HttpTrail } from './http-trail.js';
import { normalBounds, type NormalBounds } from './normal-bounds.js';
import { tagSetKey } from './tag-set.js';
import { bucketCutoff, bucketOf, bucketStartUs, dueBucketIds } from './time-bucket.js';
import type { Tags, V1AggregationSettings, V1Envelope } from './types.js';

export interface TrailGroup {
  tags: Tags;
  trails: HttpTrail[];
}

export interface V1AggregatorState {
  buckets: Record<string, Record<string, TrailGroup>>;
}

export function createV1State(): V1AggregatorState {
  return { buckets: {} };
}

/** Holds `trail` for aggregation. `tags` is kept by reference; do not mutate it afterwards. */
export function addTrail(
  state: V1AggregatorState,
  tags: Tags,
  trail: HttpTrail,
  settings: Pick<V1AggregationSettings, 'periodNs'>,
): void {
  const bucket = (state.buckets[bucketOf(trail.endTimeUs, settings.periodNs)] ??= {});
  const key = tagSetKey(tags);
  const group = bucket[key];
  if (group === undefined) bucket[key] = { tags, trails: [trail] };
  else group.trails.push(trail);
}

/** One aggregation tick at `nowNs`: processes and removes the due buckets, returns what k6 would send. */
export function flushV1(state: V1AggregatorState, nowNs: number, settings: V1AggregationSettings): V1Envelope[] {
  return processBuckets(state, bucketCutoff(nowNs, settings.waitPeriodNs, settings.periodNs), settings);
}

/** At stop (k6 drops the wait period to 0): processes every bucket, leaving the state empty. */
export function finalFlushV1(state: V1AggregatorState, settings: V1AggregationSettings): V1Envelope[] {
  return processBuckets(state, Infinity, settings);
}

function processBuckets(state: V1AggregatorState, cutoff: number, settings: V1AggregationSettings): V1Envelope[] {
  const out: V1Envelope[] = [];
  for (const id of dueBucketIds(state.buckets, cutoff)) {
    const timeUs = midpointUs(id, settings.periodNs);
    for (const group of Object.values(state.buckets[id] ?? {})) processGroup(group, timeUs, settings, out);
    delete state.buckets[id];
  }
  return out;
}

/**
 * k6's `(id·P + P/2) / 1000` in integer arithmetic. id·P is a whole number of µs (P is), so this
 * equals start + ⌊⌊P/2⌋ / 1000⌋ without ever forming the ns instant, which a double cannot hold.
 */
function midpointUs(id: number, periodNs: number): number {
  return bucketStartUs(id, periodNs) + Math.floor(Math.floor(periodNs / 2) / 1000);
}

function processGroup(group: TrailGroup, timeUs: number, settings: V1AggregationSettings, out: V1Envelope[]): void {
  const { tags, trails } = group;
  if (trails.length < settings.minSamples) {
    for (const trail of trails) out.push(pointsFromHttpTrail(tags, trail));
    return;
  }
  const summary = newHttpReqSummary();
  const fences = settings.skipOutlierDetection ? undefined : outlierFences(trails, settings);
  for (const trail of trails) {
    if (fences === undefined || isNormal(trail, fences)) addToSummary(summary, trail);
    else out.push(pointsFromHttpTrail(tags, trail));
  }
  if (summary.count > 0) out.push(aggregatedPointsEnvelope(summary, tags, timeUs));
}

interface OutlierFences {
  connection: NormalBounds;
  request: NormalBounds;
}

function outlierFences(trails: readonly HttpTrail[], settings: V1AggregationSettings): OutlierFences {
  const connection = new Float64Array(trails.length);
  const request = new Float64Array(trails.length);
  trails.forEach((trail, i) => {
    connection[i] = connectionNs(trail);
    request[i] = trail.durationNs;
  });
  const method = trails.length < settings.outlierAlgoThreshold ? 'interpolated-sort' : 'quickselect';
  return { connection: normalBounds(connection, method, settings), request: normalBounds(request, method, settings) };
}

/** k6's `trail.ConnDuration`. */
function connectionNs(trail: HttpTrail): number {
  return trail.connectingNs + trail.tlsHandshakingNs;
}

function isNormal(trail: HttpTrail, fences: OutlierFences): boolean {
  const c = connectionNs(trail);
  const r = trail.durationNs;
  const { connection, request } = fences;
  return c >= connection.lower && c <= connection.upper && r >= request.lower && r <= request.upper;
}
