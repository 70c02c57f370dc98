// The k6 cloud ingest API as k6 speaks it (§3–§7): create, v1 and v2 metric pushes, finish.
// Every body is size-limited, decompressed with a hard limit, decoded and validated once (by the
// PushValidator: v1 on worker threads); then the original bytes and the forwarded headers are queued,
// and the 2xx goes back only after the synced write.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isRelaydError, RelaydError } from '../errors.js';
import type { Logger, Metrics } from '../observe/index.js';
import { decodeCreateBody, decodeFinishBody, isMultipartForm } from '../protocol/index.js';
import type { BodyFiles, PushProtocol } from '../queue/index.js';
import { hasEnded, type Run, type RunRegistry } from '../runs/index.js';
import { readBody } from './body.js';
import { sendJson } from './error-response.js';
import { forwardedHeaders } from './forwarded-headers.js';
import { spoolMultipartCreate } from './multipart-create.js';
import type { CreateRequest, RunCreation } from './run-creation.js';
import type { PushValidator } from './push-validator.js';
import type { UpstreamAuthorization } from './upstream-authorization.js';

/** Create and finish bodies are a few hundred bytes; thresholds make them grow, not to megabytes. */
const MAX_CONTROL_BODY_BYTES = 1024 * 1024;

export interface CloudApiOptions {
  readonly runs: RunRegistry;
  /** Creates runs (the cloud's create, provisional ids, processing plans), for streams too. */
  readonly creation: RunCreation;
  readonly limits: { readonly maxBodyBytes: number; readonly maxCreateBytes: number; readonly maxDecompressedBytes: number; readonly maxTags: number };
  /** Decodes and checks push bodies (on worker threads unless configured with none). */
  readonly validator: PushValidator;
  readonly logger: Logger;
  readonly authorization: UpstreamAuthorization;
  readonly metrics: Metrics;
  /** Where a multipart create's archive is spooled (the queue's). */
  readonly bodyFiles: BodyFiles;
}

export class CloudApi {
  readonly #options: CloudApiOptions;
  readonly #log: Logger;

  constructor(options: CloudApiOptions) {
    this.#options = options;
    this.#log = options.logger;
  }

  /** POST /v1/tests: JSON (k6 run --out cloud), or multipart with the test archive (k6 cloud run --local-execution). */
  async create(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const key = req.headers['k6-idempotency-key'];
    const common = {
      headers: this.#forwardedHeaders(req),
      source: { kind: 'k6' } as const,
      pageBase: `http://${req.headers.host ?? 'relayd'}`,
      ...(typeof key === 'string' && key !== '' && { idempotencyKey: key }),
    };
    let request: CreateRequest;
    if (isMultipartForm(req.headers['content-type'])) {
      const { create, file } = await spoolMultipartCreate(req, this.#options.bodyFiles, this.#options.limits.maxCreateBytes);
      request = { ...common, body: Buffer.alloc(0), bodyFile: file, name: create.name };
    } else {
      const body = await readBody(req, MAX_CONTROL_BODY_BYTES);
      const { name, thresholds } = decodeCreateBody(body);
      request = { ...common, body, name, ...(thresholds && { thresholds }) };
    }
    const outcome = await this.#options.creation.create(request);
    if (outcome.kind === 'refused') {
      // Passed back as it came, so k6 fails exactly as it would without relayd (bad token, validation).
      res.writeHead(outcome.status, { 'content-type': 'application/json', 'content-length': outcome.body.length });
      res.end(outcome.body);
      return;
    }
    sendJson(res, 200, outcome.answer);
  }

  async push(protocol: PushProtocol, runId: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    // Counted whatever the outcome, with what was known by then (samples once decoded).
    let samples = 0;
    let bytes = 0;
    try {
      const run = this.#openRun(runId);
      const { limits } = this.#options;
      const body = await readBody(req, limits.maxBodyBytes);
      bytes = body.byteLength;
      const encoding = req.headers['content-encoding'];
      const checked = await this.#options.validator.check({ protocol, runId, body, contentEncoding: encoding, limits });
      samples = checked.samples;
      this.#openRun(runId);
      const item = { kind: 'push' as const, protocol, headers: this.#forwardedHeaders(req), body, receivedAt: Date.now(), samples };
      await this.#options.runs.acceptPush(run, item, checked.digest);
      res.writeHead(200, { 'content-length': 0 });
      res.end();
      this.#options.metrics.ingestPush(protocol, 200, samples, bytes);
    } catch (err) {
      this.#options.metrics.ingestPush(protocol, isRelaydError(err) ? err.status : 500, samples, bytes);
      throw err;
    }
  }

  #forwardedHeaders(req: IncomingMessage): Record<string, string> {
    return forwardedHeaders(req.headers, this.#options.authorization.for(req.headers.authorization));
  }

  async finish(runId: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const run = this.#openRun(runId);
    const body = await readBody(req, MAX_CONTROL_BODY_BYTES);
    const finish = decodeFinishBody(body);
    this.#openRun(runId);
    const item = { kind: 'finish' as const, headers: this.#forwardedHeaders(req), body, receivedAt: Date.now(), samples: 0 };
    await this.#options.runs.acceptFinish(run, item, finish.run_status);
    this.#log.info({ runId, runStatus: finish.run_status, resultStatus: finish.result_status }, 'run finished by the runner');
    res.writeHead(200, { 'content-length': 0 });
    res.end();
  }

  /** The run, if it exists and still takes data (checked again after decoding: a timeout may have hit). */
  #openRun(runId: string): Run {
    const run = this.#options.runs.get(runId);
    if (!run) throw new RelaydError('RELAYD_UNKNOWN_RUN', runId);
    if (hasEnded(run.record.state)) throw new RelaydError('RELAYD_RUN_ENDED', `${runId} is ${run.record.state}`);
    return run;
  }
}
