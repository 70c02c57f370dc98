// The HTTP client to the cloud: one undici Pool to the upstream origin. It only sends; what a response
// means is decided in outcome.ts, and retries happen in delivery.ts. undici is loaded with the first
// request (~9 MiB of RSS): a relayd with nothing to forward needs none of it.
import { createReadStream } from 'node:fs';
import { rootCertificates } from 'node:tls';
import type { Pool } from 'undici';
import type { Metrics } from '../observe/index.js';
import { classifyError, classifyResponse, type Outcome } from './outcome.js';

export interface UpstreamRequest {
  /** Path below the upstream base URL, e.g. /v2/metrics/1234. */
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  /** The bytes, or a file to stream them from (a multipart create's archive, queue/body-files.ts). */
  readonly body: Uint8Array | FileBody;
}

export interface FileBody {
  readonly path: string;
  readonly bytes: number;
}

/**
 * A file body (a test archive of up to --max-create-size) gets this upload rate on top of the
 * per-attempt timeout, in bytes per ms (1 MiB/s): an attempt that must carry 200 MiB is not cut off
 * at 30 s on every try and retried for ever.
 */
export const SLOWEST_UPLOAD_BYTES_PER_MS = 1024 * 1024 / 1000;

function uploadAllowanceMs(body: Uint8Array | FileBody): number {
  return body instanceof Uint8Array ? 0 : Math.ceil(body.bytes / SLOWEST_UPLOAD_BYTES_PER_MS);
}

export interface UpstreamClientOptions {
  readonly connections: number;
  readonly timeoutMs: number;
  /** Counts every attempt and keeps the latest word on whether the upstream answers. */
  readonly metrics: Metrics;
  /** PEM of extra CAs (--upstream-ca), trusted besides the system's. Certificates are always verified. */
  readonly extraCa?: string;
}

async function connectPool(origin: string, options: UpstreamClientOptions): Promise<Pool> {
  const { Pool } = await import('undici');
  return new Pool(origin, {
    connections: options.connections,
    headersTimeout: options.timeoutMs,
    bodyTimeout: options.timeoutMs,
    connectTimeout: Math.min(options.timeoutMs, 10_000),
    // Node's `ca` replaces the default roots; a private CA is added to them instead.
    ...(options.extraCa === undefined ? {} : { connect: { ca: [...rootCertificates, options.extraCa], rejectUnauthorized: true } }),
  });
}

export class UpstreamClient {
  readonly #origin: string;
  readonly #options: UpstreamClientOptions;
  readonly #basePath: string;
  readonly #timeoutMs: number;
  readonly #metrics: Metrics;
  #pool: Promise<Pool> | null = null;

  constructor(baseUrl: string, options: UpstreamClientOptions) {
    const url = new URL(baseUrl);
    this.#origin = url.origin;
    this.#options = options;
    // K6_CLOUD_HOST keeps its path prefix: k6 appends /v1/... to it verbatim.
    this.#basePath = url.pathname.replace(/\/+$/, '');
    this.#timeoutMs = options.timeoutMs;
    this.#metrics = options.metrics;
  }

  #connection(): Promise<Pool> {
    this.#pool ??= connectPool(this.#origin, this.#options);
    return this.#pool;
  }

  /**
   * One attempt. Never throws: every result, network errors included, is an Outcome. Without an
   * explicit timeout (the create's, which a runner waits for), a file body adds its upload time.
   */
  async send(request: UpstreamRequest, signal: AbortSignal, timeoutMs = this.#timeoutMs + uploadAllowanceMs(request.body)): Promise<Outcome> {
    try {
      const payload = request.body;
      const fromFile = !(payload instanceof Uint8Array);
      const response = await (await this.#connection()).request({
        method: 'POST',
        path: this.#basePath + request.path,
        // A stream is sent chunked unless told its length; the runner sent this body with one.
        headers: fromFile ? { ...request.headers, 'content-length': String(payload.bytes) } : request.headers,
        body: fromFile ? createReadStream(payload.path) : payload,
        // The pool's headers timeout would otherwise end a long upload before the answer can come.
        headersTimeout: timeoutMs,
        signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]),
      });
      const body = Buffer.from(await response.body.arrayBuffer());
      this.#metrics.upstreamAttempt(response.statusCode, `HTTP ${response.statusCode}`);
      return classifyResponse({ status: response.statusCode, headers: response.headers, body }, Date.now());
    } catch (err) {
      const outcome = classifyError(err);
      // Cancelled by relayd itself (stopping): that says nothing about the upstream.
      if (!signal.aborted) this.#metrics.upstreamAttempt(null, outcome.reason);
      return outcome;
    }
  }

  /**
   * Whether the upstream answers, for `relayd status` when no request went there lately: a GET of
   * the base URL, where any HTTP answer below 500 counts. Never throws; the answer goes to metrics.
   */
  async probe(timeoutMs: number): Promise<void> {
    try {
      const response = await (await this.#connection()).request({ method: 'GET', path: `${this.#basePath}/`, signal: AbortSignal.timeout(timeoutMs) });
      await response.body.dump();
      this.#metrics.upstreamContact(response.statusCode < 500, `HTTP ${response.statusCode}`);
    } catch (err) {
      this.#metrics.upstreamContact(false, classifyError(err).reason);
    }
  }

  async close(): Promise<void> {
    await (await this.#pool)?.close();
  }
}
