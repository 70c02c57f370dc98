// A typed client of relayd's WebSocket stream (protocol: src/protocol/stream/index.ts), exported by
// the package: `import { RelaydClient } from 'relayd'`.
//
//   const client = await RelaydClient.create({ url: 'http://127.0.0.1:6580', token }, { name: 'my run' });
//   await client.send(samples);   // one batch; waits while maxInFlight batches are unacknowledged
//   await client.finish();        // every batch acknowledged, then the finish
//
// Delivery: every batch is numbered and kept until relayd acknowledges it (which it does once the
// batch is on disk). If the connection drops, the client reconnects with backoff, resumes the run,
// learns the last batch relayd has, and re-sends the rest in order; relayd drops any batch it
// already had. So a batch is neither lost nor counted twice, across reconnects and relayd restarts.
import WebSocket from 'ws';
import { STREAM_PATH, decodeServerMessage, type CreateMessage, type ErrorMessage, type ServerMessage, type StreamSample } from '../protocol/index.js';

export interface RelaydClientOptions {
  /** relayd's address: http://127.0.0.1:6580 or ws://127.0.0.1:6580 (the stream path is added). */
  readonly url: string;
  /** Sent as `Authorization: Token <token>`: the cloud token, or a runner token relayd accepts. */
  readonly token?: string;
  /** Batches sent and not yet acknowledged, at most; send() waits beyond. Default 8. */
  readonly maxInFlight?: number;
  /** Reconnect backoff: doubling from the initial delay up to the maximum. Defaults 100 ms, 5 s. */
  readonly reconnectDelayMs?: { readonly initial: number; readonly max: number };
  /** Consecutive failed connection attempts before the client gives up. Default 20. */
  readonly maxReconnectAttempts?: number;
  /** Called for every batch relayd acknowledged. */
  readonly onAck?: (ack: { readonly seq: number; readonly samples: number }) => void;
}

/** The run fields of k6's create body (§3.1), and the upstream protocol relayd should aggregate into. */
export type NewRun = Omit<CreateMessage['run'], 'name'> & { readonly name: string; readonly protocol?: 'v1' | 'v2' };

export interface RunEnd {
  /** k6's run_status (§7): 3 finished (default), 5 aborted by user, 6 aborted by system, … */
  readonly runStatus?: number;
  /** 0 passed (default), 1 failed. */
  readonly resultStatus?: 0 | 1;
  readonly thresholds?: Record<string, Record<string, boolean>>;
}

/** relayd refused something for good (the code is relayd's, from its error catalogue). */
export class RelaydClientError extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'RelaydClientError';
  }
}

interface PendingBatch {
  readonly seq: number;
  readonly text: string;
  readonly samples: number;
}

interface Waiter {
  readonly type: string;
  readonly resolve: (message: ServerMessage) => void;
  readonly reject: (err: Error) => void;
}

type RunGreeting = { readonly kind: 'create'; readonly run: NewRun } | { readonly kind: 'resume'; readonly runId: string };

const DEFAULT_MAX_IN_FLIGHT = 8;
const DEFAULT_RECONNECT = { initial: 100, max: 5000 };
const DEFAULT_MAX_RECONNECT_ATTEMPTS = 20;

export class RelaydClient {
  readonly #options: RelaydClientOptions;
  readonly #url: string;
  #runId = '';
  #link: string | null = null;
  #provisional = false;
  #ws: WebSocket | null = null;
  #nextSeq = 1;
  readonly #unacked: PendingBatch[] = [];
  #waiters: Waiter[] = [];
  #space: (() => void)[] = [];
  #failure: Error | null = null;
  #closing = false;
  #reconnecting: Promise<void> | null = null;
  #reconnects = 0;
  #samplesAcked = 0;

  private constructor(options: RelaydClientOptions) {
    this.#options = options;
    this.#url = streamUrl(options.url);
  }

  /** Connects and creates a new run. */
  static async create(options: RelaydClientOptions, run: NewRun): Promise<RelaydClient> {
    const client = new RelaydClient(options);
    await client.#connect({ kind: 'create', run });
    return client;
  }

  /** Connects to a run created earlier (by this or another process) and goes on after its last batch. */
  static async resume(options: RelaydClientOptions, runId: string): Promise<RelaydClient> {
    const client = new RelaydClient(options);
    await client.#connect({ kind: 'resume', runId });
    return client;
  }

  get runId(): string {
    return this.#runId;
  }

  /** The run's page: the cloud's link, or relayd's own page while the run is provisional. */
  get link(): string | null {
    return this.#link;
  }

  get provisional(): boolean {
    return this.#provisional;
  }

  /** The sequence number the next batch gets; after resume(), one above the last batch relayd has. */
  get nextSeq(): number {
    return this.#nextSeq;
  }

  get stats(): { readonly samplesAcked: number; readonly unacked: number; readonly reconnects: number } {
    return { samplesAcked: this.#samplesAcked, unacked: this.#unacked.length, reconnects: this.#reconnects };
  }

  /**
   * Sends one batch. Resolves once it is on its way and fewer than maxInFlight batches wait for
   * their acknowledgement; rejects if the client failed for good. Keep an HTTP request's samples in
   * one batch when the run goes upstream as v1 (they are packed into one request there).
   */
  async send(samples: readonly StreamSample[]): Promise<void> {
    this.#throwIfFailed();
    if (samples.length === 0) return;
    const seq = this.#nextSeq++;
    const batch = { seq, text: JSON.stringify({ type: 'batch', seq, samples }), samples: samples.length };
    this.#unacked.push(batch);
    this.#ws?.send(batch.text);
    while (this.#unacked.length >= (this.#options.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT)) {
      await new Promise<void>((resolve) => this.#space.push(resolve));
      this.#throwIfFailed();
    }
  }

  /** Resolves once relayd acknowledged every batch sent. */
  async flush(): Promise<void> {
    while (this.#unacked.length > 0) {
      this.#throwIfFailed();
      await new Promise<void>((resolve) => this.#space.push(resolve));
    }
    this.#throwIfFailed();
  }

  /** Flushes, finishes the run (relayd sends the finish upstream after all its data) and closes. */
  async finish(end: RunEnd = {}): Promise<void> {
    await this.flush();
    const message = { type: 'finish', runStatus: end.runStatus ?? 3, resultStatus: end.resultStatus ?? 0, thresholds: end.thresholds ?? {} };
    for (;;) {
      const finished = this.#expect('finished');
      this.#ws?.send(JSON.stringify(message));
      try {
        await finished;
        break;
      } catch (err) {
        // The connection dropped before the answer: a finish is idempotent, so send it again.
        if (this.#failure !== null || !(err instanceof ConnectionLost)) throw err;
        await this.#reconnecting;
      }
    }
    this.close();
  }

  /** Closes the connection; batches not acknowledged yet are not re-sent by this client. */
  close(): void {
    this.#closing = true;
    this.#ws?.close(1000);
    this.#ws = null;
  }

  async #connect(greeting: RunGreeting): Promise<void> {
    const ws = new WebSocket(this.#url, {
      headers: this.#options.token === undefined ? {} : { authorization: `Token ${this.#options.token}` },
      perMessageDeflate: false,
    });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString()));
        res.on('end', () => reject(new RelaydClientError(`HTTP_${res.statusCode ?? 0}`, res.statusCode ?? 0, `relayd refused the connection: ${body}`)));
      });
    });
    ws.on('message', (data: WebSocket.RawData) => this.#onMessage(String(data)));
    ws.on('close', () => this.#onClose(ws));
    ws.on('error', () => undefined); // 'close' follows and handles it
    this.#ws = ws;
    if (greeting.kind === 'create') {
      const created = this.#expect('created');
      ws.send(JSON.stringify({ type: 'create', ...greeting.run }));
      const answer = await created;
      this.#runId = answer.runId;
      this.#link = answer.url;
      this.#provisional = answer.provisional;
      return;
    }
    const resumed = this.#expect('resumed');
    ws.send(JSON.stringify({ type: 'resume', runId: greeting.runId }));
    const answer = await resumed;
    this.#runId = answer.runId;
    this.#acknowledge(answer.lastSeq);
    this.#nextSeq = Math.max(this.#nextSeq, answer.lastSeq + 1);
    for (const batch of this.#unacked) ws.send(batch.text);
  }

  /** The next message of this type (created, resumed, finished); rejected if the connection drops first. */
  #expect<T extends ServerMessage['type']>(type: T): Promise<Extract<ServerMessage, { type: T }>> {
    return new Promise((resolve, reject) => {
      this.#waiters.push({ type, resolve: (message) => resolve(message as Extract<ServerMessage, { type: T }>), reject });
    });
  }

  #onMessage(text: string): void {
    const message = decodeServerMessage(text);
    if (message === undefined) {
      this.#fail(new RelaydClientError('PROTOCOL', 0, `not a relayd stream message: ${text.slice(0, 200)}`));
      return;
    }
    if (message.type === 'ack') {
      this.#acknowledge(message.seq);
      return;
    }
    if (message.type === 'error') {
      this.#onError(message);
      return;
    }
    const index = this.#waiters.findIndex((waiter) => waiter.type === message.type);
    const [waiter] = index >= 0 ? this.#waiters.splice(index, 1) : [];
    waiter?.resolve(message);
  }

  /** Every batch up to `seq` is durable in relayd. */
  #acknowledge(seq: number): void {
    while (this.#unacked.length > 0 && (this.#unacked[0] as PendingBatch).seq <= seq) {
      const batch = this.#unacked.shift() as PendingBatch;
      this.#samplesAcked += batch.samples;
      this.#options.onAck?.({ seq: batch.seq, samples: batch.samples });
    }
    this.#wakeSenders();
  }

  #onError(message: ErrorMessage): void {
    const error = new RelaydClientError(message.code, message.status, message.message);
    // Temporary (relayd stopping, disk full): the close that follows makes the client reconnect.
    if (!message.retryable) this.#fail(error);
  }

  #onClose(ws: WebSocket): void {
    if (this.#ws !== ws) return;
    this.#ws = null;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const waiter of waiters) waiter.reject(this.#failure ?? new ConnectionLost());
    if (this.#closing || this.#failure !== null || this.#runId === '') return;
    this.#reconnecting ??= this.#reconnect().finally(() => {
      this.#reconnecting = null;
    });
  }

  async #reconnect(): Promise<void> {
    const { initial, max } = this.#options.reconnectDelayMs ?? DEFAULT_RECONNECT;
    const attempts = this.#options.maxReconnectAttempts ?? DEFAULT_MAX_RECONNECT_ATTEMPTS;
    for (let attempt = 0; attempt < attempts && !this.#closing; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, Math.min(max, initial * 2 ** attempt)));
      try {
        await this.#connect({ kind: 'resume', runId: this.#runId });
        this.#reconnects++;
        return;
      } catch (err) {
        if (err instanceof RelaydClientError && err.status !== 503 && !err.code.startsWith('HTTP_5')) {
          this.#fail(err);
          return;
        }
      }
    }
    if (!this.#closing) this.#fail(new RelaydClientError('UNREACHABLE', 0, `relayd could not be reached again after ${attempts} attempts`));
  }

  #fail(err: Error): void {
    this.#failure ??= err;
    for (const waiter of this.#waiters) waiter.reject(err);
    this.#waiters = [];
    this.#wakeSenders();
    this.#ws?.close(1000);
  }

  #wakeSenders(): void {
    const waiting = this.#space;
    this.#space = [];
    for (const wake of waiting) wake();
  }

  #throwIfFailed(): void {
    if (this.#failure !== null) throw this.#failure;
  }
}

/** The connection dropped while an answer was awaited; the client reconnects. */
class ConnectionLost extends Error {
  constructor() {
    super('the connection to relayd was lost');
    this.name = 'ConnectionLost';
  }
}

function streamUrl(base: string): string {
  const url = new URL(base);
  if (url.protocol === 'http:') url.protocol = 'ws:';
  if (url.protocol === 'https:') url.protocol = 'wss:';
  if (url.pathname === '/' || url.pathname === '') url.pathname = STREAM_PATH;
  return url.toString();
}
