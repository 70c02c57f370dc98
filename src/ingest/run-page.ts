// relayd's own run page (GET /runs/:id): where k6's console link points while a run is provisional,
// and a quick look at any run's state and backlog. JSON for now.
import type { ServerResponse } from 'node:http';
import { RelaydError } from '../errors.js';
import type { DurableQueue } from '../queue/index.js';
import type { Run, RunRegistry } from '../runs/index.js';
import { sendJson } from './error-response.js';

export class RunPage {
  readonly #runs: RunRegistry;
  readonly #queue: DurableQueue;

  constructor(runs: RunRegistry, queue: DurableQueue) {
    this.#runs = runs;
    this.#queue = queue;
  }

  list(res: ServerResponse): void {
    sendJson(res, 200, { runs: this.#runs.list().map((run) => this.#summary(run)) });
  }

  show(runId: string, res: ServerResponse): void {
    const run = this.#runs.get(runId);
    if (!run) throw new RelaydError('RELAYD_UNKNOWN_RUN', runId);
    sendJson(res, 200, this.#summary(run));
  }

  #summary(run: Run): Record<string, unknown> {
    const { authorization: _secret, ...record } = run.record;
    return { ...record, ledger: run.ledger, backlog: this.#queue.backlog(run.record.id) };
  }
}
