// What a run's page receives over its event stream: first a snapshot (the run's view and all its
// results), then updates carrying the view and only the buckets and delivery points that are new or
// changed since the last message (a long run holds thousands of buckets; the page merges by time).
import type { RunView } from '../ingest/admin-messages.js';
import type { DeliveryPoint, ResultBucket, ResultsSource, RunResults } from '../results/types.js';
import type { Feed, FeedMessage } from './event-stream.js';
import { pageRun, type PageRun } from './run-kind.js';

export interface RunSnapshot {
  /** The server's clock, so the page counts a running run's duration from it. */
  readonly now: string;
  readonly run: PageRun;
  readonly results: RunResults | null;
}

export interface RunUpdate {
  readonly now: string;
  readonly run: PageRun;
  /** Absent: the results did not change. */
  readonly results?: Omit<RunResults, 'buckets' | 'delivery'> & {
    /** New or changed points; the page replaces its points at the same `t`. */
    readonly buckets: readonly ResultBucket[];
    readonly delivery: readonly DeliveryPoint[];
    /** Time of the oldest point held: the page drops the older ones it has. */
    readonly bucketsFrom: number | null;
    readonly deliveryFrom: number | null;
  };
}

const INTERVAL_MS = 1000;

/** The points whose JSON differs from what `sent` remembers; `sent` then remembers them all. */
function changedPoints<P extends { readonly t: number }>(points: readonly P[], sent: Map<number, string>): P[] {
  const changed: P[] = [];
  const held = new Set<number>();
  for (const point of points) {
    const text = JSON.stringify(point);
    held.add(point.t);
    if (sent.get(point.t) === text) continue;
    sent.set(point.t, text);
    changed.push(point);
  }
  for (const t of sent.keys()) if (!held.has(t)) sent.delete(t);
  return changed;
}

export class RunFeed implements Feed {
  readonly intervalMs = INTERVAL_MS;
  readonly #runId: string;
  readonly #view: (runId: string) => RunView | undefined;
  readonly #results: ResultsSource;
  readonly #unsubscribe: () => void;
  readonly #sentBuckets = new Map<number, string>();
  readonly #sentDelivery = new Map<number, string>();
  #sentView = '';
  #resultsChanged = false;
  #started = false;

  constructor(runId: string, view: (runId: string) => RunView | undefined, results: ResultsSource) {
    this.#runId = runId;
    this.#view = view;
    this.#results = results;
    this.#unsubscribe = results.subscribe(runId, () => (this.#resultsChanged = true));
  }

  next(): FeedMessage | null {
    const view = this.#view(this.#runId);
    if (view === undefined) return null;
    const run = pageRun(view);
    const now = new Date().toISOString();
    const viewText = JSON.stringify(run);
    const viewChanged = viewText !== this.#sentView;
    this.#sentView = viewText;
    if (!this.#started) {
      this.#started = true;
      const results = this.#results.get(this.#runId) ?? null;
      if (results !== null) this.#remember(results);
      return { event: 'snapshot', data: { now, run, results } satisfies RunSnapshot };
    }
    const resultsChanged = this.#resultsChanged;
    this.#resultsChanged = false;
    if (!viewChanged && !resultsChanged) return null;
    const results = resultsChanged ? this.#results.get(this.#runId) : undefined;
    const update: RunUpdate = results === undefined ? { now, run } : { now, run, results: this.#delta(results) };
    return { event: 'update', data: update };
  }

  close(): void {
    this.#unsubscribe();
  }

  #remember(results: RunResults): void {
    changedPoints(results.buckets, this.#sentBuckets);
    changedPoints(results.delivery, this.#sentDelivery);
  }

  #delta(results: RunResults): NonNullable<RunUpdate['results']> {
    const { buckets, delivery, ...rest } = results;
    return {
      ...rest,
      buckets: changedPoints(buckets, this.#sentBuckets),
      delivery: changedPoints(delivery, this.#sentDelivery),
      bucketsFrom: buckets[0]?.t ?? null,
      deliveryFrom: delivery[0]?.t ?? null,
    };
  }
}
