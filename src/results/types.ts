// The run's own results as relayd computes them from what it received (issue 12): one point per
// time bucket, thresholds at the finish, and an end-of-test summary. Small and plain JSON, so they
// persist durably (one point per bucket, never the samples) and go to the page as they are.
// This file is the contract between the results engine (src/results) and the pages (src/web).

/** One time bucket of a run, as the page charts it. Times are Unix ms; durations ms. */
export interface ResultBucket {
  /** Start of the bucket. */
  readonly t: number;
  readonly requests: number;
  readonly requestsPerSec: number;
  /** http_req_duration percentiles and max in this bucket (null: no request in it). */
  readonly duration: { readonly p50: number; readonly p90: number; readonly p95: number; readonly p99: number; readonly max: number } | null;
  /** http_req_failed: failed requests and their share of the bucket's requests (null: no request). */
  readonly failed: number;
  readonly failureRate: number | null;
  /** vus gauge: the last value seen in the bucket (null: none). */
  readonly vus: number | null;
  readonly iterationsPerSec: number;
  /** Bytes (data_sent, data_received) in the bucket. */
  readonly dataSent: number;
  readonly dataReceived: number;
  readonly checksPassed: number;
  readonly checksFailed: number;
}

/** One row of the end-of-test summary, like k6's own (trends: avg, min, med, max, p(90), p(95), p(99)). */
export interface SummaryRow {
  readonly metric: string;
  readonly type: 'counter' | 'gauge' | 'rate' | 'trend';
  /** Counter: count, rate (/s). Gauge: value, min, max. Rate: rate, passes, fails. Trend: avg, min, med, max, p(90), p(95), p(99). */
  readonly values: Readonly<Record<string, number>>;
}

export interface ThresholdResult {
  readonly metric: string;
  /** The threshold expression, e.g. `p(95)<500`. */
  readonly source: string;
  /** Whether it passed, from the runner's finish; null while the run has not finished. */
  readonly passed: boolean | null;
}

/** The run's journey to the cloud at one moment: samples acknowledged to runners and delivered upstream, cumulative. */
export interface DeliveryPoint {
  readonly t: number;
  readonly acknowledged: number;
  readonly delivered: number;
}

export interface RunResults {
  readonly runId: string;
  /** Width of every bucket, ms. */
  readonly bucketMs: number;
  /** Oldest first; at most the retention bound of buckets (the oldest dropped first). */
  readonly buckets: readonly ResultBucket[];
  /** Sampled from the run's ledger about once per bucket while it changes; oldest first, bounded like buckets. */
  readonly delivery: readonly DeliveryPoint[];
  readonly thresholds: readonly ThresholdResult[];
  /** Whole-run figures, for the list page and the summary table. */
  readonly totals: {
    readonly requests: number;
    readonly failed: number;
    readonly failureRate: number | null;
    /** http_req_duration p95 over the whole run, ms (null: no request). */
    readonly p95: number | null;
  };
  readonly summary: readonly SummaryRow[];
}

/** What the pages read; the engine implements it. */
export interface ResultsSource {
  /** The run's results so far (undefined: relayd holds none for it). */
  get(runId: string): RunResults | undefined;
  /** Called (at most every second or so per run) after a run's results changed; returns an unsubscribe. */
  subscribe(runId: string, listener: (results: RunResults) => void): () => void;
}
