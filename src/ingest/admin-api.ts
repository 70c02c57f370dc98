// The admin API (read-only JSON, messages in admin-messages.ts), for `relayd status`, `relayd runs`
// and people with curl:
//   GET /api/v1/status     daemon, readiness, upstream, backlog, dead letters, runs (and adopted runs) by state
//   GET /api/v1/runs       every run with its ledger
//   GET /api/v1/runs/:id   one run (also served as /runs/:id: k6 prints that link for provisional runs)
// It shows no secrets: run records keep the runner's Authorization, and it is never part of a view.
import type { ServerResponse } from 'node:http';
import { RelaydError } from '../errors.js';
import type { Health, Metrics } from '../observe/index.js';
import type { DurableQueue } from '../queue/index.js';
import type { Run, RunRegistry } from '../runs/index.js';
import type { RunList, RunView, StatusView } from './admin-messages.js';
import { sendJson } from './error-response.js';

/** An attempt or probe older than this no longer tells whether the upstream answers now. */
const UPSTREAM_NEWS_TTL_MS = 15_000;
const PROBE_TIMEOUT_MS = 3000;

export interface AdminApiOptions {
  readonly runs: RunRegistry;
  readonly queue: DurableQueue;
  readonly health: Health;
  readonly metrics: Metrics;
  readonly upstream: { readonly url: string; probe(timeoutMs: number): Promise<void> };
  readonly version: string;
  readonly dataDir: string;
  /** The base URL runners use; known once the server listens. */
  readonly listenUrl: () => string;
  readonly now?: () => number;
}

function iso(ms: number): string;
function iso(ms: number | null): string | null;
function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

export class AdminApi {
  readonly #options: AdminApiOptions;
  readonly #now: () => number;
  readonly #startedAt: number;
  #probing: Promise<void> | null = null;

  constructor(options: AdminApiOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#startedAt = this.#now();
  }

  listRuns(res: ServerResponse): void {
    sendJson(res, 200, this.runList());
  }

  showRun(runId: string, res: ServerResponse): void {
    const view = this.runView(runId);
    if (!view) throw new RelaydError('RELAYD_UNKNOWN_RUN', runId);
    sendJson(res, 200, view);
  }

  async status(res: ServerResponse): Promise<void> {
    sendJson(res, 200, await this.statusView());
  }

  /** The views themselves, for the run pages (src/web) as for the JSON answers. */
  runList(): RunList {
    return { runs: this.#options.runs.list().map((run) => this.#view(run)) };
  }

  runView(runId: string): RunView | undefined {
    const run = this.#options.runs.get(runId);
    return run && this.#view(run);
  }

  async statusView(): Promise<StatusView> {
    const { queue, health, runs, metrics, upstream } = this.#options;
    const now = this.#now();
    const news = metrics.lastUpstreamContact();
    if (news === null || now - news.at > UPSTREAM_NEWS_TTL_MS) await this.#probe();
    const contact = metrics.lastUpstreamContact()!;
    const totals = queue.totals();
    const oldest = await queue.oldestReceivedAt();
    const readiness = health.readiness();
    const runsByState: Record<string, number> = {};
    const adoptedRunsByState: Record<string, number> = {};
    for (const { record } of runs.list()) {
      runsByState[record.state] = (runsByState[record.state] ?? 0) + 1;
      if (record.adopted) adoptedRunsByState[record.state] = (adoptedRunsByState[record.state] ?? 0) + 1;
    }
    const quota = queue.quotaState();
    return {
      version: this.#options.version,
      startedAt: iso(this.#startedAt),
      uptimeSeconds: (now - this.#startedAt) / 1000,
      listen: this.#options.listenUrl(),
      dataDir: this.#options.dataDir,
      ready: readiness.ready,
      conditions: readiness.conditions.map(({ condition, reason, since }) => ({ condition, reason, since: iso(since) })),
      notices: readiness.notices,
      upstream: { url: upstream.url, reachable: contact.reachable, checkedAt: iso(contact.at), detail: contact.detail },
      backlog: {
        requests: totals.items,
        bytes: totals.bytes,
        runs: totals.runs,
        oldestAgeSeconds: oldest === null ? null : Math.max(0, (now - oldest) / 1000),
      },
      disk: quota && { usedBytes: quota.usedBytes, maxBytes: quota.maxBytes, full: quota.full },
      deadLetters: totals.deadLetters,
      runsByState,
      footprint: { rssBytes: process.memoryUsage.rss(), storeBytes: queue.quotaState()?.usedBytes ?? null },
      adoptedRunsByState,
    };
  }

  /** One probe at a time, however many status calls wait for it. */
  #probe(): Promise<void> {
    this.#probing ??= this.#options.upstream.probe(PROBE_TIMEOUT_MS).finally(() => (this.#probing = null));
    return this.#probing;
  }

  #view(run: Run): RunView {
    const { record, ledger } = run;
    const backlog = this.#options.queue.backlog(record.id);
    return {
      id: record.id,
      upstreamId: record.upstreamId,
      name: record.name,
      state: record.state,
      provisional: record.provisional,
      adopted: record.adopted === true,
      createdAt: iso(record.createdAt),
      endedAt: iso(record.endedAt),
      firstDataAt: iso(ledger.firstDataAt),
      lastDataAt: iso(ledger.lastDataAt),
      received: { ...ledger.received },
      persisted: { ...ledger.persisted },
      delivered: { ...ledger.delivered },
      deadLettered: { ...ledger.deadLettered },
      pending: { requests: backlog.items, bytes: backlog.bytes },
      lastError: record.lastError,
    };
  }
}
