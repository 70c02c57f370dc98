// A k6 cloud ingest server for tests, benchmarks and `npm run emulator`: the four endpoints of
// §0 and the k6-operator's events call, every body decoded and validated with src/protocol,
// everything recorded, faults injectable.
//
//   POST /v1/tests          create  → 200 {"reference_id":"<n>","config":{…createConfig}}: JSON, or
//                           multipart/form-data with the test archive (k6 cloud run --local-execution)
//   POST /v1/metrics/:ref   v1 push → 200 (gzip or plain JSON)
//   POST /v2/metrics/:ref   v2 push → 200 (snappy protobuf; test_run_id must equal :ref)
//   POST /orchestrator/v1/testruns/:ref/events  events → 200 (a JSON array of events)
//   POST /v1/tests/:ref     finish  → 200 {}
//   /_emulator/…            admin API (admin.ts), never faulted
//
// A run created elsewhere (by a CI step or the k6-operator talking to the cloud directly, not
// through relayd) is made with createRunElsewhere(): the cloud knows it, relayd does not.
//
// Errors use k6's shape {"error":{"code","message","details"}} (§2): 400/413/415 for a bad body
// (code 2, "validation"), 401 for a missing or unknown token when `acceptTokens` is set, 404 for
// an unknown run or path, 405 for a method other than POST. Per request, in this order: an
// injected fault, the token check, then the endpoint. A create retried with the same
// K6-Idempotency-Key returns the run it created the first time, as an idempotent API should.

import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { isRelaydError } from '../../src/errors.js';
import {
  type CreateTestRun,
  type DecodeLimits,
  MultipartCreateScanner,
  decodeCreateBody,
  decodeEventsBody,
  isMultipartForm,
  decodeFinishBody,
  decodeV1Push,
  scanV2Push,
} from '../../src/protocol/index.js';
import { handleAdmin } from './admin.js';
import { type Fault, FaultSlot, requestKind } from './fault.js';
import { K6_CODE_GENERIC, K6_CODE_VALIDATION, type Reply, errorMessageOf, errorReply, writeReply } from './reply.js';
import { type Route, matchRoute } from './routes.js';
import { EmulatedRun, type RecordedRequest } from './run.js';

export type { Fault, RequestKind } from './fault.js';
export type { EmulatedRun, RecordedRequest, RequestSummary, RunState, RunSummary } from './run.js';

export interface EmulatorOptions {
  /** A run with no create or push for this long is marked timed out (§9.3). Default 120000. */
  runTimeoutMs?: number;
  /** When non-empty, requests must carry `Authorization: Token <one of these>`. */
  acceptTokens?: string[];
  /** Merged into every create response's `config` (§1.4). */
  createConfig?: Record<string, unknown>;
  /** The reference_id of the first run; later runs count up. Default 1234, as in the captures. */
  firstRunId?: number;
  /** Largest raw body accepted. Default 32 MiB. */
  maxBodyBytes?: number;
  /** Largest decompressed push body accepted. Default 128 MiB. */
  maxDecompressedBytes?: number;
  /** Clock for receivedAt and run timeouts. Default Date.now. */
  now?: () => number;
  /** Called once per k6 request after it was answered (or reset). */
  onRequest?: (request: RecordedRequest) => void;
}

const MiB = 1024 * 1024;
const WAIT_POLL_MS = 5;

class BodyTooLarge extends Error {}

export class CloudEmulator {
  readonly runs = new Map<string, EmulatedRun>();
  /** Every k6 request in arrival order, whatever the outcome. */
  readonly requests: RecordedRequest[] = [];
  createConfig: Record<string, unknown>;

  readonly #server: Server;
  readonly #faults = new FaultSlot();
  readonly #createKeys = new Map<string, EmulatedRun>();
  readonly #acceptTokens: ReadonlySet<string>;
  readonly #runTimeoutMs: number;
  readonly #maxBodyBytes: number;
  readonly #limits: DecodeLimits;
  readonly #now: () => number;
  readonly #onRequest: ((request: RecordedRequest) => void) | undefined;
  #nextRunId: number;
  #host = '127.0.0.1';
  #port: number | undefined;
  #upTimer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(options: EmulatorOptions = {}) {
    this.createConfig = { ...options.createConfig };
    this.#acceptTokens = new Set(options.acceptTokens);
    this.#runTimeoutMs = options.runTimeoutMs ?? 120_000;
    this.#maxBodyBytes = options.maxBodyBytes ?? 32 * MiB;
    this.#limits = { maxDecompressedBytes: options.maxDecompressedBytes ?? 128 * MiB };
    this.#now = options.now ?? Date.now;
    this.#onRequest = options.onRequest;
    this.#nextRunId = options.firstRunId ?? 1234;
    this.#server = createServer((req, res) => {
      this.#handle(req, res).catch((err: unknown) => {
        if (!res.headersSent) writeReply(res, errorReply(500, K6_CODE_GENERIC, String(err)));
        else res.destroy();
      });
    });
  }

  /** The base URL to give k6 as K6_CLOUD_HOST (no trailing slash). */
  get url(): string {
    if (this.#port === undefined) throw new Error('the emulator is not listening yet');
    return `http://${this.#host}:${this.#port}`;
  }

  get fault(): Fault | null {
    return this.#faults.current;
  }

  async listen(port = 0, host = '127.0.0.1'): Promise<string> {
    this.#host = host;
    await this.#listenOn(port);
    this.#port = (this.#server.address() as AddressInfo).port;
    return this.url;
  }

  setFault(fault: Fault | null): void {
    this.#faults.set(fault);
  }

  /** Stops listening and drops every open connection: new connects are refused. */
  async down(): Promise<void> {
    clearTimeout(this.#upTimer);
    if (!this.#server.listening) return;
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#server.closeAllConnections();
    await closed;
  }

  /** Listens again on the port it had before down(). */
  async up(): Promise<void> {
    clearTimeout(this.#upTimer);
    if (this.#server.listening) return;
    if (this.#port === undefined || this.#closed) throw new Error('up() before listen() or after close()');
    await this.#listenOn(this.#port);
  }

  /** down() now, up() after `ms`; for the admin API, which cannot call up() on a downed server. */
  downFor(ms: number): void {
    void this.down().then(() => {
      if (!this.#closed) this.#upTimer = setTimeout(() => void this.up(), ms);
    });
  }

  async waitFor(predicate: () => boolean, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
      if (Date.now() > deadline) throw new Error(`emulator: condition not met within ${timeoutMs} ms`);
      await sleep(WAIT_POLL_MS);
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.down();
  }

  #listenOn(port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(port, this.#host, () => {
        this.#server.off('error', reject);
        resolve();
      });
    });
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = req.url ?? '/';
    if (path.startsWith('/_emulator/')) {
      writeReply(res, handleAdmin(this, req.method ?? 'GET', path, await readBody(req, this.#maxBodyBytes)));
      return;
    }
    const route = matchRoute(path);
    const fault = this.#faults.take(requestKind(route));
    const headers = flattenHeaders(req);
    const recorded: RecordedRequest = {
      method: req.method ?? '',
      path,
      route,
      headers,
      body: Buffer.alloc(0),
      idempotencyKey: headers['k6-idempotency-key'],
      samples: 0,
      receivedAt: this.#now(),
      status: 0,
      duplicate: false,
    };
    this.requests.push(recorded);
    if (fault?.kind === 'reset' && !fault.afterProcessing) return this.#reset(req, recorded);

    let reply: Reply;
    try {
      recorded.body = await readBody(req, this.#maxBodyBytes);
      recorded.receivedAt = this.#now();
      if (fault?.kind === 'slow') await sleep(fault.delayMs);
      reply = fault?.kind === 'status' ? faultReply(fault) : await this.#process(route, recorded);
    } catch (err) {
      if (!(err instanceof BodyTooLarge)) throw err;
      reply = { ...errorReply(413, K6_CODE_VALIDATION, err.message), headers: { connection: 'close' } };
    }
    if (reply.status >= 400) recorded.error = errorMessageOf(reply);
    if (fault?.kind === 'reset') return this.#reset(req, recorded);
    recorded.status = reply.status;
    writeReply(res, reply);
    this.#onRequest?.(recorded);
  }

  #reset(req: IncomingMessage, recorded: RecordedRequest): void {
    req.socket.destroy();
    this.#onRequest?.(recorded);
  }

  async #process(route: Route | undefined, recorded: RecordedRequest): Promise<Reply> {
    if (route === undefined) return errorReply(404, K6_CODE_GENERIC, `no such endpoint: ${recorded.path}`);
    if (recorded.method !== 'POST') return errorReply(405, K6_CODE_GENERIC, `${recorded.method} not allowed`);
    if (!this.#authorised(recorded.headers.authorization)) {
      return errorReply(401, K6_CODE_GENERIC, 'invalid or missing token');
    }
    try {
      if (route.kind === 'create') return await this.#create(recorded);
      const run = this.runs.get(route.runId);
      if (run === undefined) return errorReply(404, K6_CODE_GENERIC, `unknown test run ${route.runId}`);
      const encoding = recorded.headers['content-encoding'];
      switch (route.kind) {
        case 'v1-push':
          recorded.samples = (await decodeV1Push(recorded.body, encoding, this.#limits)).samples;
          run.recordPush(recorded);
          return { status: 200 };
        case 'v2-push':
          recorded.samples = (await scanV2Push(recorded.body, encoding, run.id, this.#limits)).samples;
          run.recordPush(recorded);
          return { status: 200 };
        case 'events':
          decodeEventsBody(recorded.body);
          run.recordEvents(recorded);
          return { status: 200 };
        case 'finish':
          run.recordFinish(recorded, decodeFinishBody(recorded.body));
          return { status: 200, body: {} };
      }
    } catch (err) {
      if (!isRelaydError(err)) throw err;
      return errorReply(err.status, K6_CODE_VALIDATION, err.message, { relayd_code: [err.code] });
    }
  }

  /**
   * A run created the way a CI step or the k6-operator creates one straight at the cloud: the
   * cloud's create, answered to its creator and not seen by relayd. Not in `requests`.
   */
  createRunElsewhere(name = 'created elsewhere'): EmulatedRun {
    const body = Buffer.from(JSON.stringify({ name, vus: 1, duration: 60 }));
    const create: RecordedRequest = {
      method: 'POST',
      path: '/v1/tests',
      route: { kind: 'create' },
      headers: { 'content-type': 'application/json' },
      body,
      idempotencyKey: undefined,
      samples: 0,
      receivedAt: this.#now(),
      status: 200,
      duplicate: false,
    };
    const id = String(this.#nextRunId++);
    const run = new EmulatedRun({ id, create, createBody: decodeCreateBody(body), runTimeoutMs: this.#runTimeoutMs, now: this.#now });
    this.runs.set(id, run);
    return run;
  }

  async #create(recorded: RecordedRequest): Promise<Reply> {
    const key = recorded.idempotencyKey;
    let run = key === undefined ? undefined : this.#createKeys.get(key);
    if (run !== undefined) {
      run.recordCreateRetry(recorded);
    } else {
      const createBody = await decodeCreate(recorded);
      const id = String(this.#nextRunId++);
      run = new EmulatedRun({ id, create: recorded, createBody, runTimeoutMs: this.#runTimeoutMs, now: this.#now });
      this.runs.set(id, run);
      if (key !== undefined) this.#createKeys.set(key, run);
    }
    return { status: 200, body: { reference_id: run.id, config: this.createConfig } };
  }

  #authorised(authorization: string | undefined): boolean {
    if (this.#acceptTokens.size === 0) return true;
    const match = /^Token (.+)$/.exec(authorization ?? '');
    return match !== null && this.#acceptTokens.has(match[1]!);
  }
}

/** A JSON create, or a multipart one checked as the cloud would (boundary, parts, a tar archive). */
async function decodeCreate(recorded: RecordedRequest): Promise<CreateTestRun> {
  const contentType = recorded.headers['content-type'];
  if (!isMultipartForm(contentType)) return decodeCreateBody(recorded.body);
  const scanner = new MultipartCreateScanner(contentType!);
  scanner.write(recorded.body);
  return scanner.end();
}

function faultReply(fault: Extract<Fault, { kind: 'status' }>): Reply {
  const headers = fault.retryAfter === undefined ? undefined : { 'retry-after': String(fault.retryAfter) };
  if (fault.body !== undefined) return { status: fault.status, raw: fault.body, headers };
  if (fault.status < 400) return { status: fault.status, headers };
  const message = fault.message ?? `injected ${fault.status}`;
  return { ...errorReply(fault.status, fault.code ?? K6_CODE_GENERIC, message), headers };
}

function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let length = 0;
    req.on('data', (chunk: Buffer) => {
      length += chunk.length;
      if (length > maxBytes) {
        req.removeAllListeners('data');
        req.resume();
        reject(new BodyTooLarge(`body is larger than ${maxBytes} bytes`));
      } else {
        chunks.push(chunk);
      }
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function flattenHeaders(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}
