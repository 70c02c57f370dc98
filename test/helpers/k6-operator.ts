// A stand-in for the k6-operator (v1.6.0) in cloud-output mode, making the calls it makes (flows doc
// §4) with K6_CLOUD_HOST pointed at relayd:
//   create   POST /v1/tests, JSON with process_thresholds and instances, User-Agent k6cloud/1.2.3,
//            retried like k6's cloudapi client (3 attempts, 500 ms apart, on 5xx and network errors)
//   runners  `instances` k6 processes with K6_CLOUD_PUSH_REF_ID=<ref>, pushing concurrently (the
//            real k6 v1.3.0 push-ref-id capture, each push with its own idempotency key)
//   events   POST /orchestrator/v1/testruns/<ref>/events, a JSON array, when a runner job failed
//   finish   POST /v1/tests/<ref> {"result_status":0,"run_status":3,"thresholds":{}}, once, never retried
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseDuration } from '../../src/config/index.js';
import { send, type SendResult } from '../emulator/send.js';
import { PUSH_REF_ID_CAPTURE, ScriptedRunner } from './runner.js';

const USER_AGENT = 'k6cloud/1.2.3';
export const OPERATOR_FINISH = Buffer.from('{"result_status":0,"run_status":3,"thresholds":{}}');

export interface OperatorCreateAnswer {
  reference_id: string;
  config: Record<string, unknown>;
}

/** The runner env the operator derives from the create answer (EncodeAggregationConfig, aggregation.go). */
export interface AggregationVars {
  aggregationPeriodMs: number;
  aggregationWaitPeriodMs: number;
  metricPushIntervalMs: number;
  metricPushConcurrency: number;
}

export class K6OperatorStandIn {
  readonly #url: string;
  readonly #token: string;
  readonly instances: number;
  runId = '';

  constructor(relaydUrl: string, options: { token: string; instances: number }) {
    this.#url = relaydUrl;
    this.#token = options.token;
    this.instances = options.instances;
  }

  #headers(): Record<string, string> {
    return { authorization: this.#token, 'user-agent': USER_AGENT, 'content-type': 'application/json', 'k6-idempotency-key': randomBytes(8).toString('hex') };
  }

  async create(name: string): Promise<OperatorCreateAnswer> {
    const body = Buffer.from(
      JSON.stringify({ name, vus: 10, thresholds: { http_req_duration: ['p(95)<500'] }, duration: 38, process_thresholds: true, instances: this.instances }),
    );
    const headers = this.#headers();
    let last: SendResult | Error | null = null;
    for (let attempt = 1; attempt <= 3; attempt++) {
      last = await send(`${this.#url}/v1/tests`, { headers, body }).catch((err: Error) => err);
      if (!(last instanceof Error) && last.status < 500 && last.status !== 429) break;
      await sleep(500);
    }
    if (last instanceof Error || last === null || last.status !== 200) throw new Error(`operator create failed: ${last instanceof Error ? last.message : last?.status}`);
    const answer = JSON.parse(last.body.toString()) as OperatorCreateAnswer;
    this.runId = answer.reference_id;
    return answer;
  }

  /** What the runners get as env; throws where the real operator panics or its runners fail. */
  static aggregationVars(answer: OperatorCreateAnswer): AggregationVars {
    const { config } = answer;
    const duration = (key: string): number => {
      const value = config[key];
      const ms = typeof value === 'number' ? value : typeof value === 'string' ? parseDuration(value) : null;
      if (ms === null || !(ms > 0)) throw new Error(`config.${key} is not a positive duration: ${JSON.stringify(value)}`);
      return ms;
    };
    const concurrency = config.metricPushConcurrency;
    if (!Number.isInteger(concurrency) || (concurrency as number) < 1) throw new Error(`config.metricPushConcurrency is not positive: ${JSON.stringify(concurrency)}`);
    return {
      aggregationPeriodMs: duration('aggregationPeriod'),
      aggregationWaitPeriodMs: duration('aggregationWaitPeriod'),
      metricPushIntervalMs: duration('metricPushInterval'),
      metricPushConcurrency: concurrency as number,
    };
  }

  /** The runner pods: k6 with K6_CLOUD_PUSH_REF_ID and the operator's token, no create, no finish. */
  runners(): ScriptedRunner[] {
    return Array.from({ length: this.instances }, () => new ScriptedRunner(this.#url, { runId: this.runId, token: this.#token, v2Push: PUSH_REF_ID_CAPTURE }));
  }

  /** Runs every runner to completion: `pushes` pushes each, all runners at once. */
  async runJobs(runners: readonly ScriptedRunner[], pushes: number): Promise<void> {
    await Promise.all(
      runners.map(async (runner) => {
        for (let i = 0; i < pushes; i++) {
          const response = await runner.push();
          if (response.status !== 200) throw new Error(`runner push refused: ${response.status} ${response.body.toString()}`);
        }
      }),
    );
  }

  async events(events: unknown[]): Promise<SendResult> {
    return send(`${this.#url}/orchestrator/v1/testruns/${this.runId}/events`, { headers: this.#headers(), body: Buffer.from(JSON.stringify(events)) });
  }

  /** Sent once: on failure the operator logs and does not requeue (testrun_controller.go:350-353). */
  async finish(): Promise<SendResult> {
    return send(`${this.#url}/v1/tests/${this.runId}`, { headers: this.#headers(), body: OPERATOR_FINISH });
  }
}
