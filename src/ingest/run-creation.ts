// Creating a run, for the k6 API (POST /v1/tests) and the stream (create message) alike. The create
// goes to the cloud at once (bounded by --create-timeout), and then:
//   created      the cloud's id is the run's id; the cloud's answer is passed on, sanitised
//   refused      the cloud's 4xx goes back as it came, so k6 fails as it would without relayd
//   provisional  the cloud could not be reached: a local numeric id, the create queued for later,
//                and relayd's own run page as the link
// The run's processing plan is fixed here too (src/process/plan.ts); when relayd aggregates a k6
// run, the answer tells k6 to send raw requests (cloud-config.ts).
import type { CloudCreator } from '../forward/index.js';
import type { Logger } from '../observe/index.js';
import type { RunSource } from '../process/index.js';
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
}

export interface CreateRequest {
  /** The k6 create body, forwarded as it is. */
  readonly body: Buffer;
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

  constructor(options: RunCreationOptions) {
    this.#options = options;
    this.#log = options.logger;
  }

  async create(request: CreateRequest): Promise<CreateOutcome> {
    const { runs, creator, signal } = this.#options;
    const { body, headers, name } = request;
    const userAgent = headers['user-agent'];
    const processing = this.#options.planFor(request.source);
    const meta = {
      name,
      authorization: headers.authorization ?? null,
      userAgent: userAgent ?? null,
      ...(processing && { processing }),
      ...(request.thresholds && { thresholds: request.thresholds }),
    };
    // A k6 run relayd processes must arrive raw: it aggregates (or transcodes) the requests itself.
    const forRunner = (config: Record<string, unknown>): Record<string, unknown> =>
      processing !== undefined && request.source.kind === 'k6' ? withRelayAggregation(config, userAgent) : config;
    const result = await creator.create({ path: '/v1/tests', headers, body }, signal);
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
        const item = { kind: 'create' as const, headers, body, receivedAt: Date.now(), samples: 0 };
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
