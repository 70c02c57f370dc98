// One WebSocket connection of the native stream (protocol in src/protocol/stream/index.ts).
//
// Messages are handled one at a time, in arrival order. While one is being handled (its synced
// write), the socket is paused: relayd reads nothing more from it, TCP's window fills and the
// client's sends wait. Memory per connection is therefore bounded by one message (--max-ws-message-size)
// plus the frames of the last socket read, whatever the client does.
//
// A batch is acknowledged only after its synced write, which also persists the run's highest
// sequence number (RunRegistry.acceptStreamBatch); a batch at or below it was taken before and is
// acknowledged again without being stored. Any refusal is an error message, then the connection
// closes: a client must not go on streaming past data relayd did not take.
import type { IncomingMessage } from 'node:http';
import type { RawData, WebSocket } from 'ws';
import { isRelaydError, RelaydError } from '../errors.js';
import type { Logger, Metrics } from '../observe/index.js';
import {
  ACK,
  CREATED,
  ERROR,
  FINISHED,
  RESUMED,
  createBodyOf,
  decodeClientMessage,
  finishBodyOf,
  type BatchMessage,
  type CreateMessage,
  type FinishMessage,
  type ServerMessage,
} from '../protocol/index.js';
import type { QueueItem } from '../queue/index.js';
import { hasEnded, type Run, type RunRegistry } from '../runs/index.js';
import { runLink, type RunCreation } from './run-creation.js';

export interface StreamContext {
  readonly runs: RunRegistry;
  readonly creation: RunCreation;
  readonly maxTags: number;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** The headers relayd forwards upstream for this connection's requests (auth, User-Agent). */
  readonly headersFor: (req: IncomingMessage) => Record<string, string>;
  /** Runs `write` after every earlier write of the same run, from any connection, has settled. */
  readonly serialise: <T>(runId: string, write: () => Promise<T>) => Promise<T>;
  /** False once relayd is stopping: every message is refused as retryable. */
  readonly accepting: () => boolean;
}

/** WebSocket close codes (RFC 6455 §7.4.1): policy violation, going away, internal error. */
const CLOSE_REFUSED = 1008;
const CLOSE_GOING_AWAY = 1001;
const CLOSE_INTERNAL = 1011;

export class StreamSession {
  readonly #ws: WebSocket;
  readonly #req: IncomingMessage;
  readonly #context: StreamContext;
  readonly #pending: Buffer[] = [];
  #handling: Promise<void> | null = null;
  #run: Run | null = null;
  #closed = false;

  constructor(ws: WebSocket, req: IncomingMessage, context: StreamContext) {
    this.#ws = ws;
    this.#req = req;
    this.#context = context;
    ws.on('message', (data: RawData) => {
      ws.pause();
      this.#pending.push(asBuffer(data));
      this.#handling ??= this.#handleAll();
    });
    ws.on('close', () => {
      this.#closed = true;
    });
    ws.on('error', (err) => context.logger.debug({ err }, 'stream connection error'));
  }

  /** Resolves once the message being handled (if any) has had its answer. */
  async idle(): Promise<void> {
    while (this.#handling !== null) await this.#handling;
  }

  /** Refuses the connection as relayd stops: the client reconnects to the next relayd and resumes. */
  goAway(): void {
    this.#refuse(new RelaydError('RELAYD_SHUTTING_DOWN'), CLOSE_GOING_AWAY);
  }

  terminate(): void {
    this.#ws.terminate();
  }

  async #handleAll(): Promise<void> {
    while (this.#pending.length > 0 && !this.#closed) {
      const data = this.#pending.shift() as Buffer;
      try {
        await this.#handle(data);
        this.#context.metrics.ingestRequest('stream', 'stream', 200);
      } catch (err) {
        this.#context.metrics.ingestRequest('stream', 'stream', isRelaydError(err) ? err.status : 500);
        this.#fail(err);
      }
    }
    this.#handling = null;
    if (!this.#closed) this.#ws.resume();
  }

  async #handle(data: Buffer): Promise<void> {
    if (!this.#context.accepting()) throw new RelaydError('RELAYD_SHUTTING_DOWN');
    const message = decodeClientMessage(data, this.#context.maxTags);
    switch (message.type) {
      case 'create':
        return this.#create(message);
      case 'resume':
        return this.#resume(message.runId);
      case 'batch':
        return this.#batch(message, data);
      case 'finish':
        return this.#finish(message);
    }
  }

  async #create(message: CreateMessage): Promise<void> {
    if (this.#run !== null) throw new RelaydError('RELAYD_BAD_STREAM_MESSAGE', `create: this stream already has run ${this.#run.record.id}`);
    const headers = { ...this.#context.headersFor(this.#req), 'content-type': 'application/json' };
    const pageBase = `http://${this.#req.headers.host ?? 'relayd'}`;
    const source = { kind: 'stream' as const, ...(message.protocol && { protocol: message.protocol }) };
    const { name, thresholds } = message.run;
    const outcome = await this.#context.creation.create({ body: createBodyOf(message), name, headers, source, pageBase, ...(thresholds && { thresholds }) });
    if (outcome.kind === 'refused') {
      // As on the k6 API, the cloud's status and answer go back as they came (bad token, validation).
      const refused = new RelaydError('RELAYD_CREATE_REFUSED', outcome.body.toString('utf8').slice(0, 512));
      this.#send({ type: ERROR, code: refused.code, status: outcome.status, message: refused.message, retryable: false });
      this.#ws.close(CLOSE_REFUSED);
      return;
    }
    this.#run = outcome.run;
    this.#send({ type: CREATED, runId: outcome.run.record.id, url: runLink(outcome.answer), provisional: outcome.kind === 'provisional' });
  }

  async #resume(runId: string): Promise<void> {
    const run = this.#context.runs.get(runId);
    if (run === undefined) throw new RelaydError('RELAYD_UNKNOWN_RUN', runId);
    if (run.record.processing === undefined) throw new RelaydError('RELAYD_BAD_STREAM_MESSAGE', `resume: run ${runId} was not created by a stream`);
    // Settled writes only: a batch of this run still being written on a dead connection counts once done.
    const lastSeq = await this.#context.serialise(runId, async () => run.record.streamSeq ?? 0);
    this.#run = run;
    this.#send({ type: RESUMED, runId, lastSeq });
  }

  async #batch(message: BatchMessage, data: Buffer): Promise<void> {
    const run = this.#requireRun();
    await this.#context.serialise(run.record.id, async () => {
      if (message.seq > (run.record.streamSeq ?? 0)) {
        if (hasEnded(run.record.state)) throw new RelaydError('RELAYD_RUN_ENDED', `${run.record.id} is ${run.record.state}`);
        const item: QueueItem = { kind: 'push', protocol: 'stream', headers: {}, body: data, receivedAt: Date.now(), samples: message.samples.length };
        await this.#context.runs.acceptStreamBatch(run, item, message.seq);
        this.#context.metrics.ingestPush('stream', 200, item.samples, data.byteLength);
      }
    });
    this.#send({ type: ACK, seq: message.seq });
  }

  async #finish(message: FinishMessage): Promise<void> {
    const run = this.#requireRun();
    await this.#context.serialise(run.record.id, async () => {
      // A finish re-sent after a reconnect, or one after the run timed out: the run is ending anyway.
      if (hasEnded(run.record.state)) return;
      const headers = { ...this.#context.headersFor(this.#req), 'content-type': 'application/json' };
      const item: QueueItem = { kind: 'finish', headers, body: finishBodyOf(message), receivedAt: Date.now(), samples: 0 };
      await this.#context.runs.acceptFinish(run, item, message.finish.run_status);
      this.#context.logger.info({ runId: run.record.id, runStatus: message.finish.run_status }, 'run finished by the stream');
    });
    this.#send({ type: FINISHED, runId: run.record.id });
  }

  #requireRun(): Run {
    if (this.#run === null) throw new RelaydError('RELAYD_STREAM_NO_RUN');
    return this.#run;
  }

  #fail(err: unknown): void {
    if (isRelaydError(err)) {
      this.#refuse(err, err.status >= 500 ? CLOSE_GOING_AWAY : CLOSE_REFUSED);
      return;
    }
    this.#context.logger.error({ err, runId: this.#run?.record.id }, 'unexpected error on a stream');
    this.#refuse(new RelaydError('RELAYD_INTERNAL'), CLOSE_INTERNAL);
  }

  #refuse(error: RelaydError, closeCode: number): void {
    this.#pending.length = 0;
    this.#send({ type: ERROR, code: error.code, status: error.status, message: error.message, retryable: error.status === 503 });
    this.#ws.close(closeCode);
  }

  #send(message: ServerMessage): void {
    if (!this.#closed) this.#ws.send(JSON.stringify(message));
  }
}

function asBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  return Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
}
