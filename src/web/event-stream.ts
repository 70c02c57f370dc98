// Server-sent events for the pages: one long GET per open page, fed by a Feed that says what
// changed since its last message. Each stream asks its feed at most once per interval (changes
// between two asks go out together), sends a comment as a heartbeat when idle so proxies and the
// browser keep the connection, skips a turn while the client has not read what it was sent, and
// stops asking once the client is gone. The number of open streams is bounded.
import type { ServerResponse } from 'node:http';
import type { Logger } from '../observe/index.js';
import { PAGE_HEADERS } from './assets.js';

export interface FeedMessage {
  readonly event: string;
  readonly data: unknown;
}

export interface Feed {
  /** How often to ask, ms. */
  readonly intervalMs: number;
  /** What changed since the last message (the first call: everything); null: nothing did. */
  next(): Promise<FeedMessage | null> | FeedMessage | null;
  /** The client left. */
  close(): void;
}

const HEARTBEAT_MS = 15_000;
/** How long the browser waits before it reconnects a dropped stream. */
const RECONNECT_MS = 3000;

export class EventStreams {
  readonly #max: number;
  readonly #log: Logger;
  #open = 0;

  constructor(max: number, logger: Logger) {
    this.#max = max;
    this.#log = logger;
  }

  /** Starts streaming `feed` to the client; false (nothing sent) when `max` streams are open already. */
  start(res: ServerResponse, feed: Feed): boolean {
    if (this.#open >= this.#max) return false;
    this.#open += 1;
    res.writeHead(200, { ...PAGE_HEADERS, 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', 'x-accel-buffering': 'no' });
    res.write(`retry: ${RECONNECT_MS}\n\n`);
    let lastWrite = Date.now();
    let asking = false;
    const turn = async (): Promise<void> => {
      if (asking || res.writableNeedDrain) return;
      asking = true;
      try {
        const message = await feed.next();
        if (res.destroyed) return;
        if (message !== null) {
          res.write(`event: ${message.event}\ndata: ${JSON.stringify(message.data)}\n\n`);
          lastWrite = Date.now();
        } else if (Date.now() - lastWrite >= HEARTBEAT_MS) {
          res.write(': heartbeat\n\n');
          lastWrite = Date.now();
        }
      } catch (err) {
        this.#log.warn({ err }, 'a page event stream failed; the browser reconnects');
        res.destroy();
      } finally {
        asking = false;
      }
    };
    const timer = setInterval(() => void turn(), feed.intervalMs);
    res.once('close', () => {
      clearInterval(timer);
      feed.close();
      this.#open -= 1;
    });
    void turn();
    return true;
  }
}
