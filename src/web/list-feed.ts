// What the run list receives over its event stream: relayd's health and every run with its
// headline figures, whenever any of it changed (the list is small: sent whole).
import type { RunView, StatusView } from '../ingest/admin-messages.js';
import type { ResultsSource, RunResults } from '../results/types.js';
import type { Feed, FeedMessage } from './event-stream.js';
import { pageRun, type PageRun } from './run-kind.js';

export interface ListedRun extends PageRun {
  /** The run's whole-run figures; null while relayd holds no results for it. */
  readonly totals: RunResults['totals'] | null;
}

export interface RunListSnapshot {
  readonly now: string;
  readonly status: StatusView;
  /** Newest first. */
  readonly runs: readonly ListedRun[];
}

export interface ListSources {
  readonly status: () => Promise<StatusView>;
  readonly runs: () => readonly RunView[];
  readonly results: ResultsSource;
}

/** The list changes with every push; a slower beat than a run's page keeps the status probe cheap. */
const INTERVAL_MS = 2000;

export class ListFeed implements Feed {
  readonly intervalMs = INTERVAL_MS;
  readonly #sources: ListSources;
  #sent = '';

  constructor(sources: ListSources) {
    this.#sources = sources;
  }

  async next(): Promise<FeedMessage | null> {
    const { status, runs, results } = this.#sources;
    const listed = runs()
      .map((view): ListedRun => ({ ...pageRun(view), totals: results.get(view.id)?.totals ?? null }))
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt));
    const { uptimeSeconds, upstream, ...steady } = await status();
    // Uptime and the probe's time change every call: alone they are no news.
    const text = JSON.stringify([listed, steady, upstream.reachable, upstream.detail]);
    if (text === this.#sent) return null;
    this.#sent = text;
    const snapshot: RunListSnapshot = { now: new Date().toISOString(), status: { uptimeSeconds, upstream, ...steady }, runs: listed };
    return { event: 'snapshot', data: snapshot };
  }

  close(): void {}
}
