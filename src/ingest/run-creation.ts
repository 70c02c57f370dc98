// Creating a run, for the k6 API (POST /v1/tests) and the stream (create message) alike. The create
// goes to the cloud at once (bounded by --create-timeout), and then:
//   created      the cloud's id is the run's id; the cloud's answer is passed on, sanitised
//   refused      the cloud's 4xx goes back as it came, so k6 fails as it would without relayd
//   provisional  the cloud could not be reached: a local numeric id, the create queued for later,
//                and relayd's own run page as the link
// The run's processing plan is fixed here too (src/process/plan.ts); when relayd aggregates a k6
// run, the answer tells k6 to send raw requests (cloud-config.ts).
//
// One create, one run: k6 sends a create up to 3 times with the same K6-Idempotency-Key and bytes
// (on a 5xx, a 429 or a lost answer, 500 ms apart, flows §1.4), and an attempt may come while the
// first is still waiting for the cloud. Every attempt with a key seen in the last IDEMPOTENCY_MS gets
// the first attempt's outcome (awaited if need be) instead of a second run; a refusal is not kept,
// so that a retry asks the cloud again. The key is also kept in the run's record: a retry that comes
// after a restart of relayd gets that run's id, with relayd's run page as the link (the cloud's
// config of the first answer is not kept).
import type { CloudCreator } from '../forward/index.js';
import type { Logger } from '../observe/index.js';
import type { RunSource } from '../process/index.js';
import type { BodyFileRef, BodyFiles } from '../queue/index.js';
import type { ProcessingPlan, Run, RunRegistry } from '../runs/index.js';
import { provisionalCloudConfig, sanitizeCloudConfig, withRelayAggregation } from './cloud-config.js';

export interface RunCreationOptions {
  readonly runs: RunRegistry;
  readonly creator: CloudCreator;
  readonly logger: Logger;
  /** Chooses how relayd processes a new run (none: passed through as received). */
  readonly planFor: (source: RunSource) => ProcessingPlan | undefined;
  /** Aborted when relayd stops: pending create calls to the cloud give up at once. */
  readonly signal: AbortSignal;
  /** Where a multipart create's archive was spooled (the queue's). */
  readonly bodyFiles: BodyFiles;
  readonly now?: () => number;
}

/** How long a create's idempotency key is remembered: k6's three attempts of up to a minute each fit. */
export const IDEMPOTENCY_MS = 10 * 60_000;

export interface CreateRequest {
  /** The k6 create body, forwarded as it is; empty when it is in `bodyFile`. */
  readonly body: Buffer;
  /**
   * A multipart create's body, spooled to a file (multipart-create.ts). The run creation owns it from
   * here: it becomes the queued create's body, or is deleted.
   */
  readonly bodyFile?: BodyFileRef;
  /** The runner's own K6-Idempotency-Key, when it sent one: attempts with the same key are one create. */
  readonly idempotencyKey?: string;
  readonly name: string;
  /** The create's thresholds (`{metric: [source]}`), for the run's results. */
  readonly thresholds?: Readonly<Record<string, readonly string[]>>;
  /** The headers forwarded upstream (forwarded-headers.ts). */
  readonly headers: Readonly<Record<string, string>>;
  readonly source: RunSource;
  /** Base URL of relayd's own pages, for the link of a provisional run. */
  readonly pageBase: string;
}

/** The create answer k6 gets (§3.2). */
export interface CreateAnswerBody {
  readonly reference_id: string;
  readonly config: Record<string, unknown>;
  readonly logs?: unknown[];
}

export type CreateOutcome =
  | { readonly kind: 'refused'; readonly status: number; readonly body: Buffer }
  | { readonly kind: 'created' | 'provisional'; readonly run: Run; readonly answer: CreateAnswerBody };

export class RunCreation {
  readonly #options: RunCreationOptions;
  readonly #log: Logger;
  readonly #now: () => number;
  /** Creates by the runner's idempotency key, in flight or done, oldest first. */
  readonly #byKey = new Map<string, { readonly at: number; readonly outcome: Promise<CreateOutcome> }>();

  constructor(options: RunCreationOptions) {
    this.#options = options;
    this.#log = options.logger;
    this.#now = options.now ?? Date.now;
  }

  async create(request: CreateRequest): Promise<CreateOutcome> {
    const key = request.idempotencyKey;
    if (key === undefined) return this.#settleFile(request, this.#create(request));
    this.#forgetOldKeys();
    const first = this.#byKey.get(key)?.outcome ?? this.#fromRecord(key, request);
    if (first !== undefined) {
      this.#log.info({ idempotencyKey: key }, 'create retried with a known idempotency key: answering with the first attempt\'s run');
      await this.#discardFile(request);
      return first;
    }
    const outcome = this.#settleFile(request, this.#create(request));
    this.#byKey.set(key, { at: this.#now(), outcome });
    outcome.then(
      (settled) => settled.kind === 'refused' && this.#byKey.delete(key),
      () => this.#byKey.delete(key),
    );
    return outcome;
  }

  /** The answer again for a run created with this key before relayd restarted, if there is one. */
  #fromRecord(key: string, request: CreateRequest): Promise<CreateOutcome> | undefined {
    const oldest = this.#now() - IDEMPOTENCY_MS;
    const run = this.#options.runs.list().find(({ record }) => record.createKey === key && record.createdAt >= oldest);
    if (run === undefined) return undefined;
    const { record } = run;
    const config = this.#forRunner(provisionalCloudConfig(`${request.pageBase}/runs/${record.id}`), record.processing, request);
    return Promise.resolve({ kind: record.provisional ? 'provisional' : 'created', run, answer: { reference_id: record.id, config } });
  }

  /** A k6 run relayd processes must arrive raw: it aggregates (or transcodes) the requests itself. */
  #forRunner(config: Record<string, unknown>, processing: ProcessingPlan | undefined, request: CreateRequest): Record<string, unknown> {
    return processing !== undefined && request.source.kind === 'k6' ? withRelayAggregation(config, request.headers['user-agent']) : config;
  }

  #forgetOldKeys(): void {
    const oldest = this.#now() - IDEMPOTENCY_MS;
    for (const [key, entry] of this.#byKey) {
      if (entry.at >= oldest) break;
      this.#byKey.delete(key);
    }
  }

  /** A spooled body stays only as a provisional run's queued create; otherwise it goes. */
  async #settleFile(request: CreateRequest, outcome: Promise<CreateOutcome>): Promise<CreateOutcome> {
    try {
      const settled = await outcome;
      if (settled.kind !== 'provisional') await this.#discardFile(request);
      return settled;
    } catch (err) {
      await this.#discardFile(request);
      throw err;
    }
  }

  async #discardFile(request: CreateRequest): Promise<void> {
    if (request.bodyFile !== undefined) await this.#options.bodyFiles.remove(request.bodyFile.name);
  }

  async #create(request: CreateRequest): Promise<CreateOutcome> {
    const { runs, creator, signal, bodyFiles } = this.#options;
    const { body, bodyFile, headers, name } = request;
    const userAgent = headers['user-agent'];
    const processing = this.#options.planFor(request.source);
    const meta = {
      name,
      authorization: headers.authorization ?? null,
      userAgent: userAgent ?? null,
      ...(processing && { processing }),
      ...(request.idempotencyKey !== undefined && { createKey: request.idempotencyKey }),
      ...(request.thresholds && { thresholds: request.thresholds }),
    };
    const forRunner = (config: Record<string, unknown>): Record<string, unknown> => this.#forRunner(config, processing, request);
    const upstreamBody = bodyFile === undefined ? body : bodyFiles.upstreamBody(bodyFile);
    const result = await creator.create({ path: '/v1/tests', headers, body: upstreamBody }, signal);
    switch (result.kind) {
      case 'refused':
        this.#log.warn({ status: result.status }, 'cloud refused a create; passing its answer to the runner');
        return result;
      case 'created': {
        const run = await runs.createConfirmed(result.referenceId, meta);
        this.#log.info({ runId: run.record.id, name, processing: processing?.output ?? 'none' }, 'run created in the cloud');
        const config = forRunner(sanitizeCloudConfig(result.config, userAgent));
        const answer = { reference_id: run.record.id, config, ...(result.logs && { logs: result.logs }) };
        return { kind: 'created', run, answer };
      }
      case 'unreachable': {
        const item = { kind: 'create' as const, headers, body, ...(bodyFile && { bodyFile }), receivedAt: Date.now(), samples: 0 };
        const run = await runs.createProvisional(meta, item);
        const page = `${request.pageBase}/runs/${run.record.id}`;
        this.#log.warn({ runId: run.record.id, reason: result.reason }, 'cloud unreachable at create; run is provisional');
        const logs = [
          {
            level: 'warning',
            message: `relayd: the cloud could not be reached (${result.reason}). The run is kept locally as ${run.record.id} and will be created in the cloud, with all its data, once it is back. Status: ${page}`,
          },
        ];
        return { kind: 'provisional', run, answer: { reference_id: run.record.id, config: forRunner(provisionalCloudConfig(page)), logs } };
      }
    }
  }
}

/** The link a runner prints for the run (§3.4): testRunDetails, or webAppURL + /runs/<id>. */
export function runLink(answer: CreateAnswerBody): string | null {
  const { testRunDetails, webAppURL } = answer.config;
  if (typeof testRunDetails === 'string' && testRunDetails !== '') return testRunDetails;
  return typeof webAppURL === 'string' && webAppURL !== '' ? `${webAppURL.replace(/\/+$/, '')}/runs/${answer.reference_id}` : null;
}
