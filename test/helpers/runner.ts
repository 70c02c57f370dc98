// A scripted k6 for tests: creates a run, pushes real captured bodies (each push with a fresh
// idempotency key, as k6 does) and finishes, keeping a ledger of every push relayd acknowledged.
import { randomBytes } from 'node:crypto';
import { loadFixture, type FixtureRequest } from '../emulator/fixtures.js';
import { send, type SendResult } from '../emulator/send.js';
import { rewriteTestRunId, snappyCompress, snappyUncompressBounded } from '../../src/protocol/index.js';

const v2Capture = loadFixture('v2');
const v1Capture = loadFixture('v1');

function capture(list: FixtureRequest[], kind: string): FixtureRequest {
  const found = list.find((c) => c.route.kind === kind);
  if (!found) throw new Error(`no ${kind} capture`);
  return found;
}

export const CREATE_BODY = capture(v2Capture, 'create').body;

export class ScriptedRunner {
  /** Idempotency keys of pushes relayd answered 2xx. */
  readonly acked: string[] = [];
  runId = '';
  #url: string;
  readonly #token: string;
  readonly #protocol: 'v1' | 'v2';
  #v2Body: Buffer | null = null;

  constructor(url: string, options: { token?: string; protocol?: 'v1' | 'v2' } = {}) {
    this.#url = url;
    this.#token = options.token ?? 'Token testtoken';
    this.#protocol = options.protocol ?? 'v2';
  }

  /** Points the runner at a restarted relayd. */
  retarget(url: string): void {
    this.#url = url;
  }

  #headers(extra: Record<string, string>): Record<string, string> {
    return { authorization: this.#token, 'user-agent': 'k6cloud/0.48.0', 'k6-idempotency-key': randomBytes(8).toString('hex'), ...extra };
  }

  async create(): Promise<SendResult> {
    const response = await send(`${this.#url}/v1/tests`, { headers: this.#headers({ 'content-type': 'application/json' }), body: CREATE_BODY });
    if (response.status === 200) this.runId = (JSON.parse(response.body.toString()) as { reference_id: string }).reference_id;
    return response;
  }

  /** One push of a real captured body; resolves with the response (or throws on a network error). */
  async push(): Promise<SendResult> {
    const { path, headers, body } = this.#protocol === 'v2' ? this.#v2() : this.#v1();
    const sent = this.#headers(headers);
    const response = await send(this.#url + path, { headers: sent, body, framing: 'chunked' });
    if (response.status >= 200 && response.status < 300) this.acked.push(sent['k6-idempotency-key']!);
    return response;
  }

  #v2(): { path: string; headers: Record<string, string>; body: Buffer } {
    const push = capture(v2Capture, 'v2-push');
    this.#v2Body ??= snappyCompress(rewriteTestRunId(snappyUncompressBounded(push.body, 1 << 24), this.runId));
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
