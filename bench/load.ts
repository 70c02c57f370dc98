// The load generator: k6-like runners pushing metric bodies to a k6 cloud endpoint (relayd, or the
// emulator for a baseline) over keep-alive HTTP connections (undici Pool), on 127.0.0.1 only. Each
// push carries the headers k6 sends and a fresh K6-Idempotency-Key.
import { randomBytes } from 'node:crypto';
import { Pool } from 'undici';
import { type Arrivals, drive, type LoadResult, LoadRecorder } from './arrivals.js';
import { type PushBody, V1_HEADERS, V2_HEADERS } from './payloads.js';

export interface PushTarget {
  readonly runId: string;
  readonly protocol: 'v1' | 'v2';
  /** Cycled through in order. */
  readonly bodies: readonly PushBody[];
}

export interface Ack {
  readonly idempotencyKey: string;
  /** preciseNow() when the 2xx had been read. */
  readonly ackedAt: number;
  readonly latencyMs: number;
  readonly body: PushBody;
}

/** Wall-clock ms with sub-ms precision, comparable with the emulator's `now` in the same process. */
export function preciseNow(): number {
  return performance.timeOrigin + performance.now();
}

const AUTHORIZATION = 'Token bench-token';

export class PushClient {
  readonly #pool: Pool;

  constructor(baseUrl: string, connections: number) {
    this.#pool = new Pool(baseUrl, { connections, pipelining: 1, keepAliveTimeout: 60_000 });
  }

  /** Creates a run the way k6 does; resolves with its reference_id. */
  async createRun(createBody: Uint8Array): Promise<string> {
    const response = await this.#pool.request({
      method: 'POST',
      path: '/v1/tests',
      headers: { 'content-type': 'application/json', authorization: AUTHORIZATION, 'k6-idempotency-key': newKey() },
      body: createBody,
    });
    const text = await response.body.text();
    if (response.statusCode !== 200) throw new Error(`create: HTTP ${response.statusCode} ${text}`);
    return (JSON.parse(text) as { reference_id: string }).reference_id;
  }

  /** One push; resolves with its idempotency key, or an error text for a non-2xx or a network error. */
  async push(target: PushTarget, body: PushBody): Promise<{ key: string; error?: string }> {
    const key = newKey();
    const headers: Record<string, string> = {
      ...(target.protocol === 'v2' ? V2_HEADERS : V1_HEADERS),
      authorization: AUTHORIZATION,
      'k6-idempotency-key': key,
    };
    if (target.protocol === 'v1') {
      headers['x-payload-byte-count'] = String(body.rawBytes);
      headers['x-payload-sample-count'] = String(body.samples);
    }
    try {
      const path = `/${target.protocol}/metrics/${target.runId}`;
      const response = await this.#pool.request({ method: 'POST', path, headers, body: body.body });
      const text = await response.body.text();
      if (response.statusCode >= 200 && response.statusCode < 300) return { key };
      return { key, error: `HTTP ${response.statusCode} ${text.slice(0, 300)}` };
    } catch (err) {
      return { key, error: (err as Error).message };
    }
  }

  close(): Promise<void> {
    return this.#pool.close();
  }
}

function newKey(): string {
  return randomBytes(8).toString('hex');
}

/**
 * Pushes to the targets as `arrivals` says: a worker (closed-loop client, k6 instance, or each
 * Poisson arrival) pushes to target worker mod targets, cycling through its bodies. `onAck` sees
 * every acknowledged push, e.g. to match it with its delivery upstream.
 */
export async function pushLoad(
  client: PushClient,
  targets: readonly PushTarget[],
  arrivals: Arrivals,
  onAck?: (ack: Ack) => void,
): Promise<LoadResult> {
  const recorder = new LoadRecorder();
  const seconds = await drive(arrivals, async (n, scheduledAt, worker) => {
    const target = targets[worker % targets.length]!;
    const body = target.bodies[Math.floor(n / targets.length) % target.bodies.length]!;
    const result = await client.push(target, body);
    if (result.error !== undefined) {
      recorder.failed(result.error);
      return;
    }
    const latencyMs = recorder.done(body, scheduledAt);
    onAck?.({ idempotencyKey: result.key, ackedAt: preciseNow(), latencyMs, body });
  });
  return recorder.result(seconds);
}
