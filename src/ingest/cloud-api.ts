// The k6 cloud ingest API as k6 speaks it (§3–§7): create, v1 and v2 metric pushes, finish.
// Every body is size-limited, decompressed with a hard limit, decoded and validated once; then the
// original bytes and the forwarded headers are queued, and the 2xx goes back only after the synced
// write.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { RelaydError } from '../errors.js';
import type { CloudCreator } from '../forward/index.js';
import type { Logger } from '../observe/index.js';
import { decodeCreateBody, decodeFinishBody, decodeV1Push, decodeV2Push } from '../protocol/index.js';
import type { PushProtocol } from '../queue/index.js';
import { hasEnded, type Run, type RunRegistry } from '../runs/index.js';
import { readBody } from './body.js';
import { provisionalCloudConfig, sanitizeCloudConfig } from './cloud-config.js';
import { sendJson } from './error-response.js';
import { forwardedHeaders } from './forwarded-headers.js';

/** Create and finish bodies are a few hundred bytes; thresholds make them grow, not to megabytes. */
const MAX_CONTROL_BODY_BYTES = 1024 * 1024;

export interface CloudApiOptions {
  readonly runs: RunRegistry;
  readonly creator: CloudCreator;
  readonly limits: { readonly maxBodyBytes: number; readonly maxDecompressedBytes: number };
  readonly logger: Logger;
  /** Aborted when relayd stops: pending create calls to the cloud give up at once. */
  readonly signal: AbortSignal;
}

export class CloudApi {
  readonly #options: CloudApiOptions;
  readonly #log: Logger;

  constructor(options: CloudApiOptions) {
    this.#options = options;
    this.#log = options.logger;
  }

  async create(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req, MAX_CONTROL_BODY_BYTES);
    const create = decodeCreateBody(body);
    const headers = forwardedHeaders(req.headers);
    const userAgent = req.headers['user-agent'];
    const meta = { name: create.name, authorization: headers.authorization ?? null, userAgent: userAgent ?? null };
    const result = await this.#options.creator.create({ path: '/v1/tests', headers, body }, this.#options.signal);
    switch (result.kind) {
      case 'refused':
        // Passed back as it came, so k6 fails exactly as it would without relayd (bad token, validation).
        this.#log.warn({ status: result.status }, 'cloud refused a create; passing its answer to the runner');
        res.writeHead(result.status, { 'content-type': 'application/json', 'content-length': result.body.length });
        res.end(result.body);
        return;
      case 'created': {
        const run = await this.#options.runs.createConfirmed(result.referenceId, meta);
        this.#log.info({ runId: run.record.id, name: create.name }, 'run created in the cloud');
        const answer: Record<string, unknown> = { reference_id: run.record.id, config: sanitizeCloudConfig(result.config, userAgent) };
        if (result.logs) answer.logs = result.logs;
        sendJson(res, 200, answer);
        return;
      }
      case 'unreachable': {
        const item = { kind: 'create' as const, headers, body, receivedAt: Date.now(), samples: 0 };
        const run = await this.#options.runs.createProvisional(meta, item);
        const page = `http://${req.headers.host ?? 'relayd'}/runs/${run.record.id}`;
        this.#log.warn({ runId: run.record.id, reason: result.reason }, 'cloud unreachable at create; run is provisional');
        sendJson(res, 200, {
          reference_id: run.record.id,
          config: provisionalCloudConfig(page),
          logs: [
            {
              level: 'warning',
              message: `relayd: the cloud could not be reached (${result.reason}). The run is kept locally as ${run.record.id} and will be created in the cloud, with all its data, once it is back. Status: ${page}`,
            },
          ],
        });
        return;
      }
    }
  }

  async push(protocol: PushProtocol, runId: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const run = this.#openRun(runId);
    const { limits } = this.#options;
    const body = await readBody(req, limits.maxBodyBytes);
    const encoding = req.headers['content-encoding'];
    const { samples } =
      protocol === 'v1' ? await decodeV1Push(body, encoding, limits) : decodeV2Push(body, encoding, runId, limits);
    this.#openRun(runId);
    const item = { kind: 'push' as const, protocol, headers: forwardedHeaders(req.headers), body, receivedAt: Date.now(), samples };
    await this.#options.runs.acceptPush(run, item);
    res.writeHead(200, { 'content-length': 0 });
    res.end();
  }

  async finish(runId: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const run = this.#openRun(runId);
    const body = await readBody(req, MAX_CONTROL_BODY_BYTES);
    const finish = decodeFinishBody(body);
    this.#openRun(runId);
    const item = { kind: 'finish' as const, headers: forwardedHeaders(req.headers), body, receivedAt: Date.now(), samples: 0 };
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
