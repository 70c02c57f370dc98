// The WebSocket endpoint of the native stream, ws://<listen>/v1/stream (protocol in
// src/protocol/stream/index.ts, one StreamSession per connection).
//
// The upgrade is refused with k6's JSON error shape for another path, a runner token that is not
// accepted (--accept-token) or a relayd that is stopping. Messages are at most
// --max-ws-message-size (ws closes the connection with 1009 above it). Writes of one run are
// serialised across connections, so that a client reconnecting while its old connection still
// writes cannot get a batch stored twice.
import type { IncomingMessage } from 'node:http';
import { createRequire } from 'node:module';
import type { Duplex } from 'node:stream';
import type { WebSocketServer } from 'ws';
import { isRelaydError, RelaydError } from '../errors.js';
import type { Logger, Metrics } from '../observe/index.js';
import { STREAM_PATH } from '../protocol/index.js';
import type { RunRegistry } from '../runs/index.js';
import { errorBody } from './error-response.js';
import { forwardedHeaders } from './forwarded-headers.js';
import type { RunCreation } from './run-creation.js';
import type { RunnerAuth } from './runner-auth.js';
import { StreamSession } from './stream-session.js';
import type { UpstreamAuthorization } from './upstream-authorization.js';

// ws is loaded with the first upgrade: a relayd fed over HTTP only never needs it (~3 MiB of RSS at
// rest). It is required, not imported: synchronously, so that the upgrade is taken in the same tick
// (the HTTP server leaves the socket without an 'error' listener until ws adds its own).
const require = createRequire(import.meta.url);

export interface WsStreamOptions {
  readonly runs: RunRegistry;
  readonly creation: RunCreation;
  readonly auth: RunnerAuth;
  readonly authorization: UpstreamAuthorization;
  readonly limits: { readonly maxWsMessageBytes: number; readonly maxTags: number };
  readonly logger: Logger;
  readonly metrics: Metrics;
}

export class WsStream {
  readonly #options: WsStreamOptions;
  #server: WebSocketServer | undefined;
  readonly #sessions = new Set<StreamSession>();
  readonly #writes = new Map<string, Promise<unknown>>();
  #accepting = true;

  constructor(options: WsStreamOptions) {
    this.#options = options;
  }

  #webSocketServer(): WebSocketServer {
    if (this.#server === undefined) {
      const ws = require('ws') as typeof import('ws');
      // No compression: a decompressed message could exceed the limit the client was held to.
      this.#server = new ws.WebSocketServer({ noServer: true, maxPayload: this.#options.limits.maxWsMessageBytes, perMessageDeflate: false });
    }
    return this.#server;
  }

  /** For the HTTP server's 'upgrade' event. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    try {
      const path = (req.url ?? '/').split('?', 1)[0];
      if (path !== STREAM_PATH) throw new RelaydError('RELAYD_NOT_FOUND', `no WebSocket endpoint at ${path}`);
      if (!this.#accepting) throw new RelaydError('RELAYD_SHUTTING_DOWN');
      this.#options.auth.check(req.headers.authorization);
    } catch (err) {
      refuseUpgrade(socket, isRelaydError(err) ? err : new RelaydError('RELAYD_INTERNAL'));
      return;
    }
    this.#webSocketServer().handleUpgrade(req, socket, head, (ws) => {
      const session = new StreamSession(ws, req, {
        runs: this.#options.runs,
        creation: this.#options.creation,
        maxTags: this.#options.limits.maxTags,
        logger: this.#options.logger,
        metrics: this.#options.metrics,
        headersFor: (request) => forwardedHeaders(request.headers, this.#options.authorization.for(request.headers.authorization)),
        serialise: (runId, write) => this.#serialise(runId, write),
        accepting: () => this.#accepting,
      });
      this.#sessions.add(session);
      ws.once('close', () => this.#sessions.delete(session));
    });
  }

  #serialise<T>(runId: string, write: () => Promise<T>): Promise<T> {
    const previous = this.#writes.get(runId) ?? Promise.resolve();
    const next = previous.then(write, write);
    const settled = next.catch(() => undefined);
    this.#writes.set(runId, settled);
    void settled.then(() => {
      if (this.#writes.get(runId) === settled) this.#writes.delete(runId);
    });
    return next;
  }

  /** New connections and messages are refused (503, retryable); idle connections are told to go away. */
  stopAccepting(): void {
    this.#accepting = false;
    for (const session of this.#sessions) void session.idle().then(() => session.goAway());
  }

  /** Waits (up to `graceMs`) for the messages being handled, then drops every connection. */
  async close(graceMs: number): Promise<void> {
    this.stopAccepting();
    const idle = Promise.all([...this.#sessions].map((session) => session.idle()));
    await Promise.race([idle, new Promise((resolve) => setTimeout(resolve, graceMs).unref())]);
    for (const session of this.#sessions) session.terminate();
    const server = this.#server;
    if (server !== undefined) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** An HTTP error answer on the raw socket of a refused upgrade, in k6's error shape. */
function refuseUpgrade(socket: Duplex, error: RelaydError): void {
  const body = JSON.stringify(errorBody(error));
  socket.end(
    `HTTP/1.1 ${error.status} ${error.code}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}
