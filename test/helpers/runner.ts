// A scripted k6 for tests: creates a run, pushes real captured bodies (each push with a fresh
// idempotency key, as k6 does) and finishes, keeping a ledger of every push relayd acknowledged.
// Given a run id instead, it is a k6 with K6_CLOUD_PUSH_REF_ID: no create, pushes to that run.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { loadFixture, withRunId, type FixtureRequest } from '../emulator/fixtures.js';
import { send, type SendResult } from '../emulator/send.js';

const v2Capture = loadFixture('v2');
const v1Capture = loadFixture('v1');

function capture(list: FixtureRequest[], kind: string): FixtureRequest {
  const found = list.find((c) => c.route.kind === kind);
  if (!found) throw new Error(`no ${kind} capture`);
  return found;
}

export const CREATE_BODY = capture(v2Capture, 'create').body;

/** The push of a real k6 v1.3.0 run with K6_CLOUD_PUSH_REF_ID=1234 (no create, no finish). */
export const PUSH_REF_ID_CAPTURE = capture(loadFixture('push-ref-id'), 'v2-push');

export interface RunnerOptions {
  token?: string;
  protocol?: 'v1' | 'v2';
  /** A run created elsewhere: pushes go there without a create (K6_CLOUD_PUSH_REF_ID). */
  runId?: string;
  /** The v2 push to send (its test_run_id set to the run's); default the k6 v0.48.0 capture. */
  v2Push?: FixtureRequest;
}

export class ScriptedRunner {
  /** Idempotency keys of pushes relayd answered 2xx. */
  readonly acked: string[] = [];
  runId = '';
  #url: string;
  readonly #token: string;
  readonly #protocol: 'v1' | 'v2';
  readonly #v2Push: FixtureRequest;
  #v2Body: Buffer | null = null;

  constructor(url: string, options: RunnerOptions = {}) {
    this.#url = url;
    this.#token = options.token ?? 'Token testtoken';
    this.#protocol = options.protocol ?? 'v2';
    this.#v2Push = options.v2Push ?? capture(v2Capture, 'v2-push');
    this.runId = options.runId ?? '';
  }

  /** Points the runner at a restarted relayd. */
  retarget(url: string): void {
    this.#url = url;
  }

  #headers(extra: Record<string, string>): Record<string, string> {
    const userAgent = this.#v2Push.headers['user-agent'] ?? 'k6cloud/0.48.0';
    return { authorization: this.#token, 'user-agent': userAgent, 'k6-idempotency-key': randomBytes(8).toString('hex'), ...extra };
  }

  async create(): Promise<SendResult> {
    const response = await send(`${this.#url}/v1/tests`, { headers: this.#headers({ 'content-type': 'application/json' }), body: CREATE_BODY });
    if (response.status === 200) this.runId = (JSON.parse(response.body.toString()) as { reference_id: string }).reference_id;
    return response;
  }

  /** One push of a real captured body; resolves with the response (or throws on a network error). */
  async push(key = randomBytes(8).toString('hex')): Promise<SendResult> {
    const { path, headers, body } = this.#protocol === 'v2' ? this.#v2() : this.#v1();
    const sent = this.#headers({ ...headers, 'k6-idempotency-key': key });
    const response = await send(this.#url + path, { headers: sent, body, framing: 'chunked' });
    if (response.status >= 200 && response.status < 300) this.acked.push(key);
    return response;
  }

  /**
   * One push retried with the same idempotency key, as k6 retries one, until relayd takes it: through
   * a relayd that is down or restarting (network errors, 5xx). Any 4xx fails.
   */
  async pushUntilTaken(): Promise<void> {
    const key = randomBytes(8).toString('hex');
    for (;;) {
      const response = await this.push(key).catch(() => null);
      if (response !== null && response.status < 300) return;
      if (response !== null && response.status < 500) throw new Error(`push refused: ${response.status} ${response.body.toString()}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  #v2(): { path: string; headers: Record<string, string>; body: Buffer } {
    // The captured bytes themselves when the run has the capture's id.
    this.#v2Body ??= withRunId(this.#v2Push.body, this.runId);
    const headers = { 'content-type': 'application/x-protobuf', 'content-encoding': 'snappy', 'k6-metrics-protocol-version': '2.0' };
    return { path: `/v2/metrics/${this.runId}`, headers, body: this.#v2Body };
  }

  #v1(): { path: string; headers: Record<string, string>; body: Buffer } {
    const push = capture(v1Capture, 'v1-push');
    const headers = { 'content-type': 'application/json', 'content-encoding': 'gzip', 'x-payload-sample-count': push.headers['x-payload-sample-count']! };
    return { path: `/v1/metrics/${this.runId}`, headers, body: push.body };
  }

  async finish(runStatus = 3): Promise<SendResult> {
    const body = Buffer.from(JSON.stringify({ result_status: 0, run_status: runStatus, thresholds: {} }));
    return send(`${this.#url}/v1/tests/${this.runId}`, { headers: this.#headers({ 'content-type': 'application/json' }), body });
  }
}
