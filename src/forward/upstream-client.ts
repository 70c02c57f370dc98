// The HTTP client to the cloud: one undici Pool to the upstream origin. It only sends; what a response
// means is decided in outcome.ts, and retries happen in delivery.ts.
import { Pool } from 'undici';
import { classifyError, classifyResponse, type Outcome } from './outcome.js';

export interface UpstreamRequest {
  /** Path below the upstream base URL, e.g. /v2/metrics/1234. */
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Uint8Array;
}

export interface UpstreamClientOptions {
  readonly connections: number;
  readonly timeoutMs: number;
}

export class UpstreamClient {
  readonly #pool: Pool;
  readonly #basePath: string;
  readonly #timeoutMs: number;

  constructor(baseUrl: string, options: UpstreamClientOptions) {
    const url = new URL(baseUrl);
    // K6_CLOUD_HOST keeps its path prefix: k6 appends /v1/... to it verbatim.
    this.#basePath = url.pathname.replace(/\/+$/, '');
    this.#timeoutMs = options.timeoutMs;
    this.#pool = new Pool(url.origin, {
      connections: options.connections,
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
      connectTimeout: Math.min(options.timeoutMs, 10_000),
    });
  }

  /** One attempt. Never throws: every result, network errors included, is an Outcome. */
  async send(request: UpstreamRequest, signal: AbortSignal, timeoutMs = this.#timeoutMs): Promise<Outcome> {
    try {
      const response = await this.#pool.request({
        method: 'POST',
        path: this.#basePath + request.path,
        headers: request.headers,
        body: request.body,
        signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]),
      });
      const body = Buffer.from(await response.body.arrayBuffer());
      return classifyResponse({ status: response.statusCode, headers: response.headers, body }, Date.now());
    } catch (err) {
      return classifyError(err);
    }
  }

  async close(): Promise<void> {
    await this.#pool.close();
  }
}
