// The k6 cloud ingest API as k6 speaks it (§3–§7): create, v1 and v2 metric pushes, finish, and the
// k6-operator's events call. Every body is size-limited, decompressed with a hard limit, decoded and
// validated once (by the PushValidator: v1 on worker threads); then the original bytes and the
// forwarded headers are queued, and the 2xx goes back only after the synced write.
// A push, events call or finish for a cloud run id relayd does not know adopts a run created
// elsewhere (runs/run-ids.ts), once its body is known to be good.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isRelaydError, RelaydError } from '../errors.js';
import type { Logger, Metrics } from '../observe/index.js';
import { decodeCreateBody, decodeEventsBody, decodeFinishBody, isMultipartForm, type CreateTestRun } from '../protocol/index.js';
import type { BodyFiles, PushProtocol } from '../queue/index.js';
import { hasEnded, whyNotAdoptable, type Run, type RunRegistry } from '../runs/index.js';
import { readBody } from './body.js';
import { sendJson } from './error-response.js';
import { isOperatorCreate, withOperatorSettings } from './cloud-config.js';
import { forwardedHeaders } from './forwarded-headers.js';
import { spoolMultipartCreate } from './multipart-create.js';
import type { CreateRequest, RunCreation } from './run-creation.js';
import type { PushValidator } from './push-validator.js';
import type { UpstreamAuthorization } from './upstream-authorization.js';

/** Create and finish bodies are a few hundred bytes; thresholds make them grow, not to megabytes. */
const MAX_CONTROL_BODY_BYTES = 1024 * 1024;
/** The operator's events call carries one or a few error events of a few hundred bytes each. */
const MAX_EVENTS_BODY_BYTES = 64 * 1024;

export interface CloudApiOptions {
  readonly runs: RunRegistry;
  /** Creates runs (the cloud's create, provisional ids, processing plans), for streams too. */
  readonly creation: RunCreation;
  readonly limits: {
    readonly maxBodyBytes: number;
    readonly maxCreateBytes: number;
    readonly maxDecompressedBytes: number;
    readonly maxV2DecompressedBytes: number;
    readonly maxTags: number;
  };
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
    // The JSON create, when it is one: the k6-operator's needs settings in the answer (below).
    let json: CreateTestRun | undefined;
    if (isMultipartForm(req.headers['content-type'])) {
      const { create, file } = await spoolMultipartCreate(req, this.#options.bodyFiles, this.#options.limits.maxCreateBytes);
      request = { ...common, body: Buffer.alloc(0), bodyFile: file, name: create.name };
    } else {
      const body = await readBody(req, MAX_CONTROL_BODY_BYTES);
      json = decodeCreateBody(body);
      const { name, thresholds } = json;
      request = { ...common, body, name, ...(thresholds && { thresholds }) };
    }
    const outcome = await this.#options.creation.create(request);
    if (outcome.kind === 'refused') {
      // Passed back as it came, so k6 fails exactly as it would without relayd (bad token, validation).
      res.writeHead(outcome.status, { 'content-type': 'application/json', 'content-length': outcome.body.length });
      res.end(outcome.body);
      return;
    }
    const { answer } = outcome;
    sendJson(res, 200, json !== undefined && isOperatorCreate(json) ? { ...answer, config: withOperatorSettings(answer.config) } : answer);
  }

  async push(protocol: PushProtocol, runId: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    // Counted whatever the outcome, with what was known by then (samples once decoded).
    let samples = 0;
    let bytes = 0;
    try {
      this.#checkRun(runId);
      const { maxBodyBytes, maxDecompressedBytes, maxV2DecompressedBytes, maxTags } = this.#options.limits;
      // A v2 body is stored as it came (a v1 body goes to a validation thread whole, offset 0, and is
      // gzip'd ~10×): read behind room for its item's meta, it is stored without a copy.
      const read = await readBody(req, maxBodyBytes, { roomForMeta: protocol === 'v2' });
      bytes = read.byteLength;
      const encoding = req.headers['content-encoding'];
      const limits = { maxDecompressedBytes: protocol === 'v2' ? maxV2DecompressedBytes : maxDecompressedBytes, maxTags };
      const checked = await this.#options.validator.check({ protocol, runId, body: read, contentEncoding: encoding, limits }, { transferBody: true });
      samples = checked.samples;
      const run = await this.#runFor(runId);
      const body = Buffer.from(checked.body.buffer, checked.body.byteOffset, checked.body.byteLength);
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
    this.#checkRun(runId);
    const body = await readBody(req, MAX_CONTROL_BODY_BYTES);
    const finish = decodeFinishBody(body);
    const run = await this.#runFor(runId);
    const item = { kind: 'finish' as const, headers: this.#forwardedHeaders(req), body, receivedAt: Date.now(), samples: 0 };
    await this.#options.runs.acceptFinish(run, item, finish.run_status);
    const adopted = run.record.adopted === true;
    this.#log.info({ runId, runStatus: finish.run_status, resultStatus: finish.result_status, adopted }, 'run finished by the runner');
    res.writeHead(200, { 'content-length': 0 });
    res.end();
  }

  /**
   * The k6-operator's error and abort events (POST /orchestrator/v1/testruns/:ref/events): a JSON
   * array, queued and forwarded in order with the run's pushes and before its finish.
   */
  async events(runId: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.#checkRun(runId);
    const body = await readBody(req, MAX_EVENTS_BODY_BYTES);
    decodeEventsBody(body);
    const run = await this.#runFor(runId);
    const item = { kind: 'events' as const, headers: this.#forwardedHeaders(req), body, receivedAt: Date.now(), samples: 0 };
    await this.#options.runs.acceptEvents(run, item);
    res.writeHead(200, { 'content-length': 0 });
    res.end();
  }

  /** Refuses, before the body is read, a request no run can take: an ended run, an id no run can have. */
  #checkRun(runId: string): void {
    const run = this.#options.runs.get(runId);
    if (run) {
      if (hasEnded(run.record.state) && run.record.state !== 'closed') throw new RelaydError('RELAYD_RUN_ENDED', `${runId} is ${run.record.state}`);
      return;
    }
    const refusal = whyNotAdoptable(runId);
    if (refusal !== null) throw new RelaydError('RELAYD_UNKNOWN_RUN', refusal);
  }

  /**
   * The run a good request goes to, checked again once its body was read (a timeout may have hit
   * meanwhile): a run relayd knows, an adopted run closed at the timeout (opened again), or a run
   * created elsewhere, adopted now.
   */
  async #runFor(runId: string): Promise<Run> {
    this.#checkRun(runId);
    const { runs } = this.#options;
    const known = runs.get(runId);
    if (!known) {
      const { run, adoptedNow } = await runs.adopt(runId);
      if (adoptedNow) this.#log.info({ runId }, 'adopted a run created elsewhere: its requests go upstream as they came');
      return run;
    }
    if (known.record.state === 'closed') {
      await runs.reopen(known);
      this.#log.info({ runId }, 'adopted run opened again by a new request');
    }
    return known;
  }
}
