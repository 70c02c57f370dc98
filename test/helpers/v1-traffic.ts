// Generated k6 API v1 traffic, raw as k6 sends it when relayd aggregates (§4.2): every HTTP request
// a `Points` http_req_li_all, plus `vus` gauges and `checks` rates, one push per second of run time.
// Durations come from a seeded distribution with a slow tail, so IQR outlier detection has work to
// do; tag sets vary (three URLs, some 500s), so groups differ.
import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import type { V1Envelope } from '../../src/aggregate/index.js';
import { sequence } from '../aggregate/builders.js';
import { send, type SendResult } from '../emulator/send.js';

export interface V1TrafficOptions {
  /** HTTP requests in the whole run. */
  readonly requests: number;
  /** Seconds of run time the requests are spread over (one push each). */
  readonly seconds: number;
  /** Unix µs of the run's first second. */
  readonly startUs: number;
  readonly seed?: number;
}

/** relayd options that aggregate in 1 s buckets and hand over every 100 ms, so tests finish quickly. */
export const AGGREGATING_OPTIONS = {
  'aggregation-period': '1s',
  'aggregation-wait-period': '1s',
  'aggregation-calc-interval': '100ms',
  'metric-push-interval': '100ms',
  'aggregation-min-samples': '20',
};

const URLS = ['https://test.k6.io/', 'https://test.k6.io/news.php', 'https://test.k6.io/contacts.php'];

/** The bodies of the run's pushes, in order: each an array of envelopes. */
export function generateV1Pushes(options: V1TrafficOptions): V1Envelope[][] {
  const random = sequence(options.seed ?? 42);
  const pushes: V1Envelope[][] = [];
  let made = 0;
  for (let second = 0; second < options.seconds; second++) {
    const due = Math.round(((second + 1) * options.requests) / options.seconds) - made;
    const envelopes: V1Envelope[] = [];
    const secondUs = options.startUs + second * 1_000_000;
    for (let i = 0; i < due; i++) {
      const time = String(secondUs + Math.floor((i * 1_000_000) / due));
      const url = URLS[Math.floor(random() * URLS.length)]!;
      const failed = random() < 0.03;
      const tags = { method: 'GET', name: url, status: failed ? '500' : '200', url, group: '', scenario: 'default' };
      const waiting = 20 + random() * 30 + (random() < 0.05 ? 400 * random() : 0);
      const connecting = random() < 0.1 ? 1 + random() * 3 : 0;
      // k6 measures whole nanoseconds and writes them as ms (§4.2): ns / 1e6.
      const ms = (value: number): number => Math.round(value * 1e6) / 1e6;
      const values = {
        http_reqs: 1,
        http_req_duration: ms(waiting + 0.2),
        http_req_blocked: ms(connecting === 0 ? 0.003 : connecting + 0.5),
        http_req_connecting: ms(connecting),
        http_req_tls_handshaking: 0,
        http_req_sending: 0.05,
        http_req_waiting: ms(waiting),
        http_req_receiving: 0.15,
        http_req_failed: failed ? 1 : 0,
      };
      envelopes.push({ type: 'Points', metric: 'http_req_li_all', data: { time, type: 'counter', tags, values } });
      envelopes.push({ type: 'Point', metric: 'checks', data: { time, type: 'rate', tags: { check: 'status is 200', group: '', scenario: 'default' }, value: failed ? 0 : 1 } });
    }
    envelopes.push({ type: 'Point', metric: 'vus', data: { time: String(secondUs), type: 'gauge', tags: {}, value: 10 } });
    made += due;
    pushes.push(envelopes);
  }
  return pushes;
}

export function v1PushBody(envelopes: readonly V1Envelope[]): Buffer {
  return gzipSync(JSON.stringify(envelopes));
}

/**
 * A k6 that retries: each push keeps its K6-Idempotency-Key across attempts (§2) and is retried
 * until relayd answers 2xx, through relayd restarts, so every generated push is acknowledged once.
 */
export class RetryingV1Runner {
  #url: () => string;
  readonly #userAgent: string;
  runId = '';

  constructor(url: () => string, userAgent = 'k6cloud/0.47.0') {
    this.#url = url;
    this.#userAgent = userAgent;
  }

  async create(): Promise<SendResult> {
    const body = Buffer.from(JSON.stringify({ name: 'generated.js', vus: 10, thresholds: {}, duration: 60 }));
    const response = await this.#retry('/v1/tests', { 'content-type': 'application/json' }, body);
    this.runId = (JSON.parse(response.body.toString()) as { reference_id: string }).reference_id;
    return response;
  }

  async push(envelopes: readonly V1Envelope[]): Promise<SendResult> {
    const headers = { 'content-type': 'application/json', 'content-encoding': 'gzip', 'x-payload-sample-count': String(envelopes.length) };
    return this.#retry(`/v1/metrics/${this.runId}`, headers, v1PushBody(envelopes));
  }

  async finish(runStatus = 3): Promise<SendResult> {
    const body = Buffer.from(JSON.stringify({ result_status: 0, run_status: runStatus, thresholds: {} }));
    return this.#retry(`/v1/tests/${this.runId}`, { 'content-type': 'application/json' }, body);
  }

  async #retry(path: string, extra: Record<string, string>, body: Buffer): Promise<SendResult> {
    const headers = { authorization: 'Token testtoken', 'user-agent': this.#userAgent, 'k6-idempotency-key': randomBytes(8).toString('hex'), ...extra };
    for (let attempt = 0; ; attempt++) {
      try {
        const response = await send(this.#url() + path, { headers, body, framing: 'chunked' });
        if (response.status >= 200 && response.status < 300) return response;
        if (response.status < 500) throw new Error(`relayd refused ${path}: ${response.status} ${response.body.toString()}`);
      } catch (err) {
        if (err instanceof Error && err.message.startsWith('relayd refused')) throw err;
      }
      if (attempt > 400) throw new Error(`no answer for ${path} after ${attempt} attempts`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}
