// The runner-facing HTTP server: routes requests to the cloud API, the health checks, the metrics,
// the admin API and the run pages (src/web). /runs and /runs/:id answer a browser with the page and
// every other client with the admin API's JSON, as they always did.
import { EventEmitter, once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { RelaydError } from '../errors.js';
import type { Health, IngestEndpoint, Logger, Metrics } from '../observe/index.js';
import { RUN_ID_PATTERN } from '../queue/index.js';
import type { AdminApi } from './admin-api.js';
import { ADMIN_API_PREFIX } from './admin-path.js';
import type { CloudApi } from './cloud-api.js';
import { errorBody, sendError, sendJson } from './error-response.js';
import type { RunnerAuth } from './runner-auth.js';
import { ASSET_PATH, prefersHtml, type WebPages } from '../web/index.js';

type Handler = (req: IncomingMessage, res: ServerResponse, runId: string) => Promise<void> | void;

interface Route {
  readonly method: string;
  readonly pattern: RegExp;
  readonly handler: Handler;
  /** Cloud API routes: counted in relayd_ingest_requests_total with their answer's outcome. */
  readonly metric?: { readonly endpoint: IngestEndpoint; readonly protocol: string };
}

const RUN_ID = RUN_ID_PATTERN.source.slice(1, -1);

/** Whether a browser asked (HTML); the answer varies with Accept, which caches must know. */
function negotiated(req: IncomingMessage, res: ServerResponse): boolean {
  res.setHeader('vary', 'Accept');
  return prefersHtml(req.headers.accept);
}

export interface IngestServerOptions {
  readonly api: CloudApi;
  readonly admin: AdminApi;
  readonly pages: WebPages;
  readonly metrics: Metrics;
  readonly logger: Logger;
  readonly health: Health;
  /** Checked on every request that sends data (POST). */
  readonly auth: RunnerAuth;
  /** Total size of a request's headers (--max-header-size); Node answers above it, see #onClientError. */
  readonly maxHeaderBytes: number;
  /** Takes WebSocket upgrades (the stream, ws-stream.ts); without it they are dropped. */
  readonly upgrade?: (req: IncomingMessage, socket: Duplex, head: Buffer) => void;
}

export class IngestServer {
  readonly #server: Server;
  readonly #routes: Route[];
  readonly #log: Logger;
  readonly #auth: RunnerAuth;
  readonly #metrics: Metrics;
  #accepting = true;
  #inFlight = 0;
  /** Emits 'idle' when the last request in flight is done. */
  readonly #events = new EventEmitter();

  constructor(options: IngestServerOptions) {
    const { api, admin, pages, health, metrics } = options;
    this.#log = options.logger;
    this.#auth = options.auth;
    this.#metrics = metrics;
    const runPath = (prefix: string): RegExp => new RegExp(`^${prefix}/(${RUN_ID})$`);
    this.#routes = [
      { method: 'POST', pattern: /^\/v1\/tests$/, handler: (req, res) => api.create(req, res), metric: { endpoint: 'create', protocol: 'v1' } },
      { method: 'POST', pattern: runPath('/v1/tests'), handler: (req, res, id) => api.finish(id, req, res), metric: { endpoint: 'finish', protocol: 'v1' } },
      { method: 'POST', pattern: runPath('/v1/metrics'), handler: (req, res, id) => api.push('v1', id, req, res), metric: { endpoint: 'push', protocol: 'v1' } },
      { method: 'POST', pattern: runPath('/v2/metrics'), handler: (req, res, id) => api.push('v2', id, req, res), metric: { endpoint: 'push', protocol: 'v2' } },
      {
        method: 'POST',
        pattern: new RegExp(`^/orchestrator/v1/testruns/(${RUN_ID})/events$`),
        handler: (req, res, id) => api.events(id, req, res),
        metric: { endpoint: 'events', protocol: 'v1' },
      },
      { method: 'GET', pattern: /^\/healthz$/, handler: (_req, res) => sendJson(res, 200, { status: 'ok' }) },
      {
        method: 'GET',
        pattern: /^\/readyz$/,
        handler: (_req, res) => {
          const readiness = health.readiness();
          sendJson(res, readiness.ready ? 200 : 503, { status: readiness.ready ? 'ready' : 'not ready', ...readiness });
        },
      },
      {
        method: 'GET',
        pattern: /^\/metrics$/,
        handler: async (_req, res) => {
          const { contentType, body } = await metrics.exposition();
          res.writeHead(200, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) });
          res.end(body);
        },
      },
      { method: 'GET', pattern: new RegExp(`^${ADMIN_API_PREFIX}/status$`), handler: (_req, res) => admin.status(res) },
      { method: 'GET', pattern: new RegExp(`^${ADMIN_API_PREFIX}/runs$`), handler: (_req, res) => admin.listRuns(res) },
      { method: 'GET', pattern: runPath(`${ADMIN_API_PREFIX}/runs`), handler: (_req, res, id) => admin.showRun(id, res) },
      { method: 'GET', pattern: /^\/$/, handler: (req, res) => pages.listPage(req, res) },
      {
        method: 'GET',
        pattern: /^\/runs$/,
        handler: (req, res) => (negotiated(req, res) ? pages.listPage(req, res) : admin.listRuns(res)),
      },
      {
        method: 'GET',
        pattern: runPath('/runs'),
        handler: (req, res, id) => (negotiated(req, res) ? pages.runPage(req, res, id) : admin.showRun(id, res)),
      },
      { method: 'GET', pattern: /^\/events$/, handler: (req, res) => pages.listEvents(req, res) },
      { method: 'GET', pattern: new RegExp(`^/runs/(${RUN_ID})/events$`), handler: (req, res, id) => pages.runEvents(req, res, id) },
      { method: 'GET', pattern: ASSET_PATH, handler: (req, res, name) => pages.asset(req, res, name) },
    ];
    this.#server = createServer({ keepAliveTimeout: 65_000, maxHeaderSize: options.maxHeaderBytes }, (req, res) => void this.#handle(req, res));
    this.#server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => this.#onClientError(err, socket));
    const { upgrade } = options;
    if (upgrade !== undefined) this.#server.on('upgrade', upgrade);
  }

  /** Requests Node refuses before they reach a handler (oversized headers, malformed HTTP) get the JSON error too. */
  #onClientError(err: NodeJS.ErrnoException, socket: Socket): void {
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const error =
      err.code === 'HPE_HEADER_OVERFLOW'
        ? new RelaydError('RELAYD_HEADERS_TOO_LARGE')
        : new RelaydError('RELAYD_BAD_REQUEST', err.code ?? err.message);
    const body = JSON.stringify(errorBody(error));
    const head = `HTTP/1.1 ${error.status} ${error.code}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n`;
    socket.end(head + body);
  }

  async listen(host: string, port: number): Promise<AddressInfo> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(port, host, () => {
        this.#server.off('error', reject);
        resolve();
      });
    });
    return this.#server.address() as AddressInfo;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.#inFlight += 1;
    let counted: Route['metric'];
    try {
      const path = (req.url ?? '/').split('?', 1)[0]!;
      let pathMatched = false;
      for (const route of this.#routes) {
        const match = route.pattern.exec(path);
        if (!match) continue;
        pathMatched = true;
        if (route.method !== req.method) continue;
        counted = route.metric;
        if (route.method === 'POST') {
          this.#auth.check(req.headers.authorization);
          if (!this.#accepting) throw new RelaydError('RELAYD_SHUTTING_DOWN');
        }
        await route.handler(req, res, match[1] ?? '');
        return;
      }
      throw new RelaydError(pathMatched ? 'RELAYD_METHOD_NOT_ALLOWED' : 'RELAYD_NOT_FOUND', `${req.method} ${path}`);
    } catch (err) {
      sendError(res, err, this.#log);
    } finally {
      if (counted) this.#metrics.ingestRequest(counted.endpoint, counted.protocol, res.statusCode);
      this.#inFlight -= 1;
      if (this.#inFlight === 0) this.#events.emit('idle');
    }
  }

  /** From now on every request that sends data gets 503 RELAYD_SHUTTING_DOWN; the port stays open. */
  stopAccepting(): void {
    this.#accepting = false;
  }

  /** Resolves once no request is being handled (their synced writes and answers are done), or on abort. */
  async idle(signal: AbortSignal): Promise<void> {
    if (this.#inFlight === 0) return;
    await once(this.#events, 'idle', { signal }).catch(() => undefined);
  }

  /**
   * Stops taking data (503) and new connections. Requests in flight get `graceMs` to finish their
   * synced writes and answers; then every connection left is closed.
   */
  async close(graceMs = 3000): Promise<void> {
    this.#accepting = false;
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#server.closeIdleConnections();
    const timer = setTimeout(() => this.#server.closeAllConnections(), graceMs);
    await closed;
    clearTimeout(timer);
  }
}
