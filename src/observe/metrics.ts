// Everything relayd reports to Prometheus (GET /metrics), declared in this one file: the names,
// labels and help texts are the contract with dashboards and alerts. Other modules call the narrow
// methods of Metrics; none of them builds a metric name or a label value of its own.
//
// Counters are incremented where the event happens. Gauges that mirror state (queue, runs,
// readiness) are read from their owner at scrape time through `watch`, so they can never drift from
// what the queue and the registry hold. Each Metrics has its own registry (several daemons can run in
// one test process) with Node's process metrics under the same relayd_ prefix: among them
// relayd_process_resident_memory_bytes, the RSS a pod is sized and killed by.
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';

export type IngestEndpoint = 'create' | 'push' | 'events' | 'finish' | 'stream';
/** accepted: 2xx; rejected: the runner's request was refused (4xx); failed: relayd could not take it (5xx). */
export type IngestOutcome = 'accepted' | 'rejected' | 'failed';
export type StatusClass = '2xx' | '3xx' | '4xx' | '5xx' | 'network';

export function ingestOutcome(status: number): IngestOutcome {
  if (status < 400) return 'accepted';
  return status < 500 ? 'rejected' : 'failed';
}

/** The class of an upstream answer; null is no answer at all (refused, reset, timed out). */
export function statusClass(status: number | null | undefined): StatusClass {
  if (status === null || status === undefined) return 'network';
  return `${Math.min(5, Math.max(2, Math.floor(status / 100)))}xx` as StatusClass;
}

interface WatchedRun {
  readonly record: { readonly state: string; readonly adopted?: boolean };
}

/** What the gauges read at scrape time. */
export interface WatchedState {
  readonly queue: {
    totals(): { readonly items: number; readonly bytes: number; readonly deadLetters: number };
    /** Wall-clock ms at which the oldest item still queued was received; null when nothing is queued. */
    oldestReceivedAt(): Promise<number | null>;
    /** The store's bytes on disk as the disk quota last measured them (every second); null without a quota. */
    quotaState(): { readonly usedBytes: number } | null;
  };
  readonly runs: { list(): readonly WatchedRun[] };
  readonly validator: { readonly runningThreads: number };
  readonly ready: () => boolean;
}

export interface UpstreamContact {
  /** The upstream answered (any status below 500) at the last attempt or probe. */
  readonly reachable: boolean;
  /** Wall-clock ms of that attempt. */
  readonly at: number;
  /** "HTTP 200", "HTTP 503", or the network error. */
  readonly detail: string;
}

export class Metrics {
  readonly registry = new Registry();
  #watched: WatchedState | null = null;
  #upstream: UpstreamContact | null = null;

  readonly #ingestRequests = new Counter({
    name: 'relayd_ingest_requests_total',
    help: 'Runner requests to the cloud ingest API, by endpoint, wire protocol and outcome (accepted 2xx, rejected 4xx, failed 5xx)',
    labelNames: ['endpoint', 'protocol', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly #ingestSamples = new Counter({
    name: 'relayd_ingest_samples_total',
    help: 'Samples in metric pushes (v1 entries, v2 series values), by protocol and outcome',
    labelNames: ['protocol', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly #ingestBytes = new Counter({
    name: 'relayd_ingest_bytes_total',
    help: 'Bytes of metric push bodies as received (compressed), by protocol and outcome',
    labelNames: ['protocol', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly #forwardAttempts = new Counter({
    name: 'relayd_forward_attempts_total',
    help: 'Requests sent to the upstream (creates, pushes, finishes, retries included), by the class of its answer',
    labelNames: ['status_class'] as const,
    registers: [this.registry],
  });
  readonly #forwardRetries = new Counter({
    name: 'relayd_forward_retries_total',
    help: 'Upstream attempts that failed and will be retried (network errors, 408, 429, 5xx), by status class',
    labelNames: ['status_class'] as const,
    registers: [this.registry],
  });
  readonly #forwardFailures = new Counter({
    name: 'relayd_forward_failures_total',
    help: 'Requests the upstream refused for good (moved to the dead letters), by status class',
    labelNames: ['status_class'] as const,
    registers: [this.registry],
  });

  constructor() {
    const metrics = this;
    new Gauge({
      name: 'relayd_upstream_up',
      help: '1 if the upstream answered the last attempt or probe (any status below 500), 0 if not; absent before the first',
      registers: [this.registry],
      collect() {
        this.reset();
        if (metrics.#upstream) this.set(metrics.#upstream.reachable ? 1 : 0);
      },
    });
    new Gauge({
      name: 'relayd_queue_items',
      help: 'Requests in the queue not yet delivered upstream (the backlog)',
      registers: [this.registry],
      collect() {
        if (metrics.#watched) this.set(metrics.#watched.queue.totals().items);
      },
    });
    new Gauge({
      name: 'relayd_queue_bytes',
      help: 'Bytes of the backlog as stored',
      registers: [this.registry],
      collect() {
        if (metrics.#watched) this.set(metrics.#watched.queue.totals().bytes);
      },
    });
    new Gauge({
      name: 'relayd_queue_oldest_item_age_seconds',
      help: 'Age of the oldest request still queued: how far forwarding lags behind ingest (0 when the queue is empty)',
      registers: [this.registry],
      async collect() {
        if (!metrics.#watched) return;
        const oldest = await metrics.#watched.queue.oldestReceivedAt();
        this.set(oldest === null ? 0 : Math.max(0, (Date.now() - oldest) / 1000));
      },
    });
    new Gauge({
      name: 'relayd_store_bytes',
      help: 'Bytes of the store on disk (LevelDB files and body files in the data dir), measured every second: the backlog, dead letters and run records, before LevelDB compacts what was delivered',
      registers: [this.registry],
      collect() {
        const quota = metrics.#watched?.queue.quotaState();
        if (quota) this.set(quota.usedBytes);
      },
    });
    new Gauge({
      name: 'relayd_dead_letters',
      help: 'Requests the upstream refused for good, kept in the dead-letter store',
      registers: [this.registry],
      collect() {
        if (metrics.#watched) this.set(metrics.#watched.queue.totals().deadLetters);
      },
    });
    const runsGauge = (name: string, help: string, counted: (run: WatchedRun) => boolean): void => {
      new Gauge({
        name,
        help,
        labelNames: ['state'] as const,
        registers: [this.registry],
        collect() {
          if (!metrics.#watched) return;
          this.reset();
          const counts = new Map<string, number>();
          for (const { record } of metrics.#watched.runs.list().filter(counted)) counts.set(record.state, (counts.get(record.state) ?? 0) + 1);
          for (const [state, count] of counts) this.set({ state }, count);
        },
      });
    };
    runsGauge('relayd_runs', 'Test runs known to relayd, by state', () => true);
    runsGauge(
      'relayd_adopted_runs',
      'Of relayd_runs, the runs created elsewhere (K6_CLOUD_PUSH_REF_ID, k6-operator, a lost store) that relayd adopted, by state',
      (run) => run.record.adopted === true,
    );
    new Gauge({
      name: 'relayd_validation_threads',
      help: 'Validation threads running: started by pushes (up to --validation-threads), each stopped after 2 s without one; each holds a V8 heap of its own',
      registers: [this.registry],
      collect() {
        if (metrics.#watched) this.set(metrics.#watched.validator.runningThreads);
      },
    });
    new Gauge({
      name: 'relayd_ready',
      help: '1 while relayd can take data (/readyz answers 200), 0 while not (quota, disk, shutdown)',
      registers: [this.registry],
      collect() {
        if (metrics.#watched) this.set(metrics.#watched.ready() ? 1 : 0);
      },
    });
    collectDefaultMetrics({ register: this.registry, prefix: 'relayd_' });
  }

  /** Points the state gauges at the parts that own the state. */
  watch(state: WatchedState): void {
    this.#watched = state;
  }

  ingestRequest(endpoint: IngestEndpoint, protocol: string, status: number): void {
    this.#ingestRequests.inc({ endpoint, protocol, outcome: ingestOutcome(status) });
  }

  ingestPush(protocol: string, status: number, samples: number, bytes: number): void {
    const labels = { protocol, outcome: ingestOutcome(status) };
    this.#ingestSamples.inc(labels, samples);
    this.#ingestBytes.inc(labels, bytes);
  }

  /** One request sent upstream and what came of it: an HTTP status, or null for no answer. */
  upstreamAttempt(status: number | null, detail: string, at = Date.now()): void {
    this.#forwardAttempts.inc({ status_class: statusClass(status) });
    this.upstreamContact(status !== null && status < 500, detail, at);
  }

  /** The latest word on the upstream, from an attempt or a probe. */
  upstreamContact(reachable: boolean, detail: string, at = Date.now()): void {
    this.#upstream = { reachable, at, detail };
  }

  lastUpstreamContact(): UpstreamContact | null {
    return this.#upstream;
  }

  forwardRetry(status: number | null | undefined): void {
    this.#forwardRetries.inc({ status_class: statusClass(status) });
  }

  forwardFailure(status: number | null | undefined): void {
    this.#forwardFailures.inc({ status_class: statusClass(status) });
  }

  /** The text exposition format, for GET /metrics. */
  async exposition(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
