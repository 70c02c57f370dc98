// The runner-facing HTTP server: routes requests to the cloud API, the health check and the run page.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { RelaydError } from '../errors.js';
import type { Logger } from '../observe/index.js';
import { RUN_ID_PATTERN } from '../queue/index.js';
import type { CloudApi } from './cloud-api.js';
import { sendError, sendJson } from './error-response.js';
import type { RunPage } from './run-page.js';

type Handler = (req: IncomingMessage, res: ServerResponse, runId: string) => Promise<void> | void;

interface Route {
  readonly method: string;
  readonly pattern: RegExp;
  readonly handler: Handler;
}

const RUN_ID = RUN_ID_PATTERN.source.slice(1, -1);

export interface IngestServerOptions {
  readonly api: CloudApi;
  readonly runPage: RunPage;
  readonly logger: Logger;
}

export class IngestServer {
  readonly #server: Server;
  readonly #routes: Route[];
  readonly #log: Logger;
  #accepting = true;

  constructor(options: IngestServerOptions) {
    const { api, runPage } = options;
    this.#log = options.logger;
    this.#routes = [
      { method: 'POST', pattern: /^\/v1\/tests$/, handler: (req, res) => api.create(req, res) },
      { method: 'POST', pattern: new RegExp(`^/v1/tests/(${RUN_ID})$`), handler: (req, res, id) => api.finish(id, req, res) },
      { method: 'POST', pattern: new RegExp(`^/v1/metrics/(${RUN_ID})$`), handler: (req, res, id) => api.push('v1', id, req, res) },
      { method: 'POST', pattern: new RegExp(`^/v2/metrics/(${RUN_ID})$`), handler: (req, res, id) => api.push('v2', id, req, res) },
      { method: 'GET', pattern: /^\/healthz$/, handler: (_req, res) => sendJson(res, 200, { status: 'ok' }) },
      { method: 'GET', pattern: /^\/runs$/, handler: (_req, res) => runPage.list(res) },
      { method: 'GET', pattern: new RegExp(`^/runs/(${RUN_ID})$`), handler: (_req, res, id) => runPage.show(id, res) },
    ];
    this.#server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => void this.#handle(req, res));
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
    try {
      const path = (req.url ?? '/').split('?', 1)[0]!;
      let pathMatched = false;
      for (const route of this.#routes) {
        const match = route.pattern.exec(path);
        if (!match) continue;
        pathMatched = true;
        if (route.method !== req.method) continue;
        if (route.method === 'POST' && !this.#accepting) throw new RelaydError('RELAYD_SHUTTING_DOWN');
        await route.handler(req, res, match[1] ?? '');
        return;
      }
      throw new RelaydError(pathMatched ? 'RELAYD_METHOD_NOT_ALLOWED' : 'RELAYD_NOT_FOUND', `${req.method} ${path}`);
    } catch (err) {
      sendError(res, err, this.#log);
    }
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
