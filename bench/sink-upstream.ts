// A k6 cloud stand-in that reads each request and answers 200 without decoding it: an upstream as
// fast as this machine can take bodies over HTTP. The memory scenario drains its 1 GiB backlog into
// it, so the drain measures relayd (its store reads, sends and deletes) rather than the strict
// emulator's decoding (the drain scenario measures relayd against the emulator). Listens on
// 127.0.0.1 only; `down()` resets every connection like an outage. It keeps its port while down: a
// closed one was taken by another process on the machine once, whose 404s dead-lettered pushes.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { preciseNow } from './load.js';

export interface SinkDelivery {
  /** preciseNow() once the body was read. */
  readonly at: number;
  readonly bytes: number;
}

export class SinkUpstream {
  /** Every metric push received, in order. */
  readonly deliveries: SinkDelivery[] = [];
  /** Bytes of all metric pushes received. */
  deliveredBytes = 0;
  readonly #server: Server;
  #nextRunId = 5000;
  #port = 0;
  #down = false;

  constructor() {
    this.#server = createServer((req, res) => {
      void readLength(req).then((bytes) => {
        if (req.url === '/v1/tests') {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ reference_id: String(this.#nextRunId++), config: {} }));
          return;
        }
        if (req.url?.includes('/metrics/')) {
          this.deliveries.push({ at: preciseNow(), bytes });
          this.deliveredBytes += bytes;
        }
        res.writeHead(200, { 'content-length': 0 });
        res.end();
      });
    });
    this.#server.prependListener('connection', (socket) => {
      if (this.#down) socket.destroy();
    });
  }

  get url(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.#server.listen(this.#port, '127.0.0.1', resolve));
    this.#port = (this.#server.address() as AddressInfo).port;
  }

  down(): void {
    this.#down = true;
    this.#server.closeAllConnections();
  }

  up(): void {
    this.#down = false;
  }

  /** Stops listening, for good. */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.down();
    await closed;
  }
}

async function readLength(req: IncomingMessage): Promise<number> {
  let bytes = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) bytes += chunk.length;
  return bytes;
}
