// One run's results while relayd builds them: digests (digest.ts) go in, in arrival order; the
// page's figures (types.ts) come out.
//
// Buckets: fixed width per run, 1 s (RESULTS_BUCKET_MS) or a v2 run's aggregation period when that
// is longer (k6 times all values of a v2 bucket at its start, so a narrower bucket would show gaps).
// A bucket stays open, with a sink per charted metric (its histograms included), until the run's data
// has moved CLOSE_AFTER_MS past its end, or the run finished; then it becomes a ResultBucket point
// and its sinks are dropped. Values that arrive for a closed bucket still count in its requests,
// failures, bytes, checks and max, and in every whole-run figure, but no longer move its percentiles.
// Points beyond MAX_POINTS are dropped oldest first (an hour of 1 s buckets).
//
// Whole-run figures (totals, summary) come from one sink per metric over the whole run: trend
// histograms merged by bucket index, exactly, so the run's p95 is as precise as one histogram.
import { quantile, mergeSinks, type MetricSink, type MetricSinks, type TrendSink } from './sinks.js';
import type { PushDigest } from './digest.js';
import type { DeliveryPoint, ResultBucket, RunResults, SummaryRow, ThresholdResult } from './types.js';

export const RESULTS_BUCKET_MS = 1000;
/** How far (data time) the run's newest values must be past a bucket's end before it closes. */
export const CLOSE_AFTER_MS = 10_000;
export const MAX_POINTS = 3600;

/** The metrics a bucket keeps sinks for (what the page charts). */
const CHARTED: ReadonlySet<string> = new Set([
  'http_reqs',
  'http_req_duration',
  'http_req_failed',
  'vus',
  'iterations',
  'data_sent',
  'data_received',
  'checks',
]);

/** What persists of a run's results besides its points (store.ts writes each point under its own key). */
export interface RunResultsCore {
  readonly runId: string;
  bucketMs: number | null;
  /** The highest queue seq whose item is in these results (items of a run are summarised in seq order). */
  seq: number;
  thresholds: ThresholdResult[];
  /** Whole-run sinks by metric. */
  readonly metrics: MetricSinks;
  /** Open buckets: start (Unix ms) → sinks of the charted metrics. */
  readonly open: Record<number, MetricSinks>;
  /** Data time span, Unix ms: the first value's second and the newest value's second end. */
  firstAt: number | null;
  lastAt: number | null;
  finished: boolean;
  /**
   * Wall-clock ms of the last data, thresholds or finish (not delivery points): open buckets close
   * after a quiet while, and retention evicts the least recently changed runs first.
   */
  changedAt: number;
}

export class RunResultsState {
  readonly core: RunResultsCore;
  /** Closed buckets, oldest first. */
  readonly points: ResultBucket[];
  readonly delivery: DeliveryPoint[];
  /** Points changed or added since the last takeChanges(), and points dropped. */
  #changedPoints = new Set<ResultBucket>();
  #droppedPoints: number[] = [];
  #newDelivery: DeliveryPoint[] = [];
  #droppedDelivery: number[] = [];

  constructor(core: RunResultsCore, points: ResultBucket[] = [], delivery: DeliveryPoint[] = []) {
    this.core = core;
    this.points = points;
    this.delivery = delivery;
  }

  static empty(runId: string): RunResultsState {
    return new RunResultsState({
      runId,
      bucketMs: null,
      seq: 0,
      thresholds: [],
      metrics: {},
      open: {},
      firstAt: null,
      lastAt: null,
      finished: false,
      changedAt: 0,
    });
  }

  /** The threshold sources of the run's create (`{metric: [source]}`). */
  setThresholds(sources: Readonly<Record<string, readonly string[]>>): void {
    this.core.thresholds = Object.entries(sources).flatMap(([metric, list]) => list.map((source) => ({ metric, source, passed: null })));
  }

  /** The finish's results (`{metric: {source: failed}}`), and the run's remaining buckets close. */
  finish(results: Readonly<Record<string, Readonly<Record<string, boolean>>>>): void {
    const known = new Set(this.core.thresholds.map((t) => `${t.metric}\u0000${t.source}`));
    const updated = this.core.thresholds.map((t) => {
      const failed = results[t.metric]?.[t.source];
      return failed === undefined ? t : { ...t, passed: !failed };
    });
    // A threshold the create did not list (a stream's create without them) still shows.
    for (const [metric, sources] of Object.entries(results)) {
      for (const [source, failed] of Object.entries(sources)) if (!known.has(`${metric}\u0000${source}`)) updated.push({ metric, source, passed: !failed });
    }
    this.core.thresholds = updated;
    this.core.finished = true;
    this.closeBuckets(Infinity);
  }

  add(digest: PushDigest): void {
    const core = this.core;
    core.bucketMs ??= Math.max(RESULTS_BUCKET_MS, (digest.periodSeconds ?? 0) * 1000);
    const bucketMs = core.bucketMs;
    const seconds = Object.keys(digest.seconds).map(Number).sort((a, b) => a - b);
    for (const second of seconds) {
      const sinks = digest.seconds[second] as MetricSinks;
      const at = second * 1000;
      const end = at + Math.max(1000, (digest.periodSeconds ?? 0) * 1000);
      mergeSinks(core.metrics, sinks);
      core.firstAt = core.firstAt === null ? at : Math.min(core.firstAt, at);
      core.lastAt = core.lastAt === null ? end : Math.max(core.lastAt, end);
      const start = Math.floor(at / bucketMs) * bucketMs;
      const closed = this.#closedPoint(start);
      if (closed === undefined) mergeSinks((core.open[start] ??= {}), sinks, CHARTED);
      else this.#addLate(closed, sinks);
    }
    if (core.lastAt !== null) this.closeBuckets(core.lastAt - CLOSE_AFTER_MS);
  }

  /** Closes every open bucket that ends at or before `until` (Infinity: all). */
  closeBuckets(until: number): void {
    const { open, bucketMs } = this.core;
    if (bucketMs === null) return;
    const due = Object.keys(open)
      .map(Number)
      .filter((start) => start + bucketMs <= until)
      .sort((a, b) => a - b);
    for (const start of due) {
      this.#insertPoint(bucketPoint(start, bucketMs, open[start] as MetricSinks));
      delete open[start];
    }
  }

  #closedPoint(start: number): ResultBucket | undefined {
    const last = this.points.at(-1);
    if (last === undefined || start > last.t) return undefined;
    return this.points.find((point) => point.t === start);
  }

  #insertPoint(point: ResultBucket): void {
    let i = this.points.length;
    while (i > 0 && (this.points[i - 1] as ResultBucket).t > point.t) i--;
    this.points.splice(i, 0, point);
    this.#changedPoints.add(point);
    while (this.points.length > MAX_POINTS) {
      const dropped = this.points.shift() as ResultBucket;
      this.#changedPoints.delete(dropped);
      this.#droppedPoints.push(dropped.t);
    }
  }

  /** Late values for a closed bucket: its counts and max move, its percentiles stay. */
  #addLate(point: ResultBucket, sinks: Readonly<MetricSinks>): void {
    const late = bucketPoint(point.t, this.core.bucketMs as number, sinks);
    const duration =
      point.duration === null ? late.duration : late.duration === null ? point.duration : { ...point.duration, max: Math.max(point.duration.max, late.duration.max) };
    const requests = point.requests + late.requests;
    const failed = point.failed + late.failed;
    const merged: ResultBucket = {
      ...point,
      requests,
      requestsPerSec: point.requestsPerSec + late.requestsPerSec,
      duration,
      failed,
      // Every request has one http_req_failed value (k6), so the merged share is failures per request.
      failureRate: point.failureRate === null && late.failureRate === null ? null : ratio(failed, requests),
      vus: late.vus ?? point.vus,
      iterationsPerSec: point.iterationsPerSec + late.iterationsPerSec,
      dataSent: point.dataSent + late.dataSent,
      dataReceived: point.dataReceived + late.dataReceived,
      checksPassed: point.checksPassed + late.checksPassed,
      checksFailed: point.checksFailed + late.checksFailed,
    };
    this.points[this.points.indexOf(point)] = merged;
    this.#changedPoints.delete(point);
    this.#changedPoints.add(merged);
  }

  addDelivery(point: DeliveryPoint): void {
    this.delivery.push(point);
    this.#newDelivery.push(point);
    while (this.delivery.length > MAX_POINTS) {
      const dropped = this.delivery.shift() as DeliveryPoint;
      this.#droppedDelivery.push(dropped.t);
    }
  }

  /** What changed since the last call, for the store to write. */
  takeChanges(): { points: ResultBucket[]; droppedPoints: number[]; delivery: DeliveryPoint[]; droppedDelivery: number[] } {
    const changes = {
      points: [...this.#changedPoints],
      droppedPoints: this.#droppedPoints,
      delivery: this.#newDelivery.filter((point) => this.delivery.includes(point)),
      droppedDelivery: this.#droppedDelivery,
    };
    this.#changedPoints = new Set();
    this.#droppedPoints = [];
    this.#newDelivery = [];
    this.#droppedDelivery = [];
    return changes;
  }

  results(): RunResults {
    const { core } = this;
    const bucketMs = core.bucketMs ?? RESULTS_BUCKET_MS;
    const open = Object.keys(core.open)
      .map(Number)
      .sort((a, b) => a - b)
      .map((start) => bucketPoint(start, bucketMs, core.open[start] as MetricSinks));
    const buckets = [...this.points, ...open].slice(-MAX_POINTS);
    const duration = trendOf(core.metrics, 'http_req_duration');
    const requests = counterOf(core.metrics, 'http_reqs');
    const failed = core.metrics.http_req_failed;
    return {
      runId: core.runId,
      bucketMs,
      buckets,
      delivery: [...this.delivery],
      thresholds: core.thresholds.map((t) => ({ ...t })),
      totals: {
        requests,
        failed: failed?.type === 'rate' ? failed.nonzero : 0,
        failureRate: failed?.type === 'rate' ? ratio(failed.nonzero, failed.total) : null,
        p95: duration === undefined ? null : quantile(duration, 0.95),
      },
      summary: summaryRows(core.metrics, spanSeconds(core)),
    };
  }
}

function spanSeconds(core: RunResultsCore): number {
  return core.firstAt === null || core.lastAt === null ? 0 : (core.lastAt - core.firstAt) / 1000;
}

/** A bucket's figures from its sinks. */
export function bucketPoint(t: number, bucketMs: number, sinks: Readonly<MetricSinks>): ResultBucket {
  const seconds = bucketMs / 1000;
  const requests = counterOf(sinks, 'http_reqs');
  const duration = trendOf(sinks, 'http_req_duration');
  const failed = sinks.http_req_failed;
  const checks = sinks.checks;
  const vus = sinks.vus;
  const p = (q: number): number | null => (duration === undefined ? null : quantile(duration, q));
  const p50 = p(0.5);
  return {
    t,
    requests,
    requestsPerSec: requests / seconds,
    duration:
      duration === undefined || p50 === null
        ? null
        : { p50, p90: p(0.9) as number, p95: p(0.95) as number, p99: p(0.99) as number, max: duration.max },
    failed: failed?.type === 'rate' ? failed.nonzero : 0,
    failureRate: failed?.type === 'rate' ? ratio(failed.nonzero, failed.total) : null,
    vus: vus?.type === 'gauge' && vus.count > 0 ? vus.last : null,
    iterationsPerSec: counterOf(sinks, 'iterations') / seconds,
    dataSent: counterOf(sinks, 'data_sent'),
    dataReceived: counterOf(sinks, 'data_received'),
    checksPassed: checks?.type === 'rate' ? checks.nonzero : 0,
    checksFailed: checks?.type === 'rate' ? checks.total - checks.nonzero : 0,
  };
}

function ratio(part: number, whole: number): number | null {
  return whole === 0 ? null : part / whole;
}

function counterOf(sinks: Readonly<MetricSinks>, metric: string): number {
  const sink = sinks[metric];
  return sink?.type === 'counter' ? sink.sum : 0;
}

function trendOf(sinks: Readonly<MetricSinks>, metric: string): TrendSink | undefined {
  const sink = sinks[metric];
  return sink?.type === 'trend' && sink.count > 0 ? sink : undefined;
}

/** k6's end-of-test summary: every metric, by name, with the values k6 shows for its type. */
export function summaryRows(metrics: Readonly<MetricSinks>, seconds: number): SummaryRow[] {
  return Object.keys(metrics)
    .sort()
    .map((metric) => ({ metric, type: (metrics[metric] as MetricSink).type, values: summaryValues(metrics[metric] as MetricSink, seconds) }));
}

function summaryValues(sink: MetricSink, seconds: number): Record<string, number> {
  switch (sink.type) {
    case 'counter':
      return seconds > 0 ? { count: sink.sum, rate: sink.sum / seconds } : { count: sink.sum };
    case 'gauge':
      return { value: sink.last, min: sink.min, max: sink.max };
    case 'rate':
      return { rate: ratio(sink.nonzero, sink.total) ?? 0, passes: sink.nonzero, fails: sink.total - sink.nonzero };
    case 'trend': {
      const values: Record<string, number> = sink.count === 0 ? {} : { avg: sink.sum / sink.count, min: sink.min, max: sink.max };
      for (const [key, p] of [['med', 0.5], ['p(90)', 0.9], ['p(95)', 0.95], ['p(99)', 0.99]] as const) {
        const value = quantile(sink, p);
        if (value !== null) values[key] = value;
      }
      return values;
    }
  }
}
