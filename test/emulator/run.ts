// One emulated test run and the requests it recorded.
//
// State machine (§7, §9.3), evaluated lazily against the injected clock, so no timers run:
//
//   running ──finish run_status 3──▶ finished
//      │    ──finish run_status 5..9─▶ aborted
//      └── no create/push for runTimeoutMs ──▶ timed_out (runStatus 4; sticky)
//
// Requests arriving after the run left `running` are still recorded; their `runState` says what
// the run was when they arrived. Deduplication is by K6-Idempotency-Key within the run: a
// repeated key counts in `duplicates` and its samples are not added to `samples` again.

import type { CreateTestRun, FinishTestRun } from '../../src/protocol/index.js';
import { RunStatus } from '../../src/protocol/index.js';
import type { Route } from './routes.js';

export type RunState = 'running' | 'finished' | 'aborted' | 'timed_out';

export interface RecordedRequest {
  method: string;
  /** The request target as received, query included. */
  path: string;
  route: Route | undefined;
  /** Lower-cased names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  /** The raw body exactly as received (still compressed). */
  body: Buffer;
  idempotencyKey: string | undefined;
  /** Samples in the body: v1 envelopes or v2 values; 0 for anything else or when rejected. */
  samples: number;
  /** Clock time (ms) when the body had been read. */
  receivedAt: number;
  /** The status answered; 0 when the connection was reset instead. */
  status: number;
  /** The run's state when the request arrived, for requests accepted into a run. */
  runState?: RunState;
  /** The run had already seen this idempotency key. */
  duplicate: boolean;
  /** Why the request was rejected. */
  error?: string;
}

export interface RunOptions {
  id: string;
  create: RecordedRequest;
  createBody: CreateTestRun;
  runTimeoutMs: number;
  now: () => number;
}

export class EmulatedRun {
  readonly id: string;
  readonly createBody: CreateTestRun;
  /** The create as received (raw body, multipart included, and headers). */
  readonly create: RecordedRequest;
  readonly createHeaders: Record<string, string>;
  readonly createdAt: number;
  readonly pushes: RecordedRequest[] = [];
  /** The k6-operator's events calls, in arrival order. */
  readonly events: RecordedRequest[] = [];
  /** The first accepted finish call. */
  finish?: RecordedRequest;
  finishBody?: FinishTestRun;
  /** Absent while running; the finish call's run_status, or 4 once timed out. */
  runStatus?: number;
  /** Samples of all pushes, each idempotency key counted once. */
  samples = 0;
  /** Requests (create retries, pushes, finishes) repeating an idempotency key already seen. */
  duplicates = 0;

  readonly #keys = new Set<string>();
  readonly #runTimeoutMs: number;
  readonly #now: () => number;
  #lastDataAt: number;
  #ended: 'finished' | 'aborted' | 'timed_out' | undefined;

  constructor(options: RunOptions) {
    this.id = options.id;
    this.createBody = options.createBody;
    this.create = options.create;
    this.createHeaders = options.create.headers;
    this.createdAt = options.create.receivedAt;
    this.#runTimeoutMs = options.runTimeoutMs;
    this.#now = options.now;
    this.#lastDataAt = options.create.receivedAt;
    this.#seen(options.create.idempotencyKey);
  }

  get state(): RunState {
    if (this.#ended === undefined && this.#now() - this.#lastDataAt > this.#runTimeoutMs) {
      this.#ended = 'timed_out';
      this.runStatus = RunStatus.TimedOut;
    }
    return this.#ended ?? 'running';
  }

  /** A create retried with this run's idempotency key. */
  recordCreateRetry(request: RecordedRequest): void {
    request.duplicate = this.#seen(request.idempotencyKey);
  }

  recordPush(request: RecordedRequest): void {
    request.runState = this.state;
    request.duplicate = this.#seen(request.idempotencyKey);
    if (!request.duplicate) this.samples += request.samples;
    this.pushes.push(request);
    this.#lastDataAt = request.receivedAt;
  }

  recordEvents(request: RecordedRequest): void {
    request.runState = this.state;
    request.duplicate = this.#seen(request.idempotencyKey);
    this.events.push(request);
  }

  recordFinish(request: RecordedRequest, body: FinishTestRun): void {
    request.runState = this.state;
    request.duplicate = this.#seen(request.idempotencyKey);
    if (this.finish !== undefined) return;
    this.finish = request;
    this.finishBody = body;
    if (this.#ended === undefined) {
      this.#ended = body.run_status === RunStatus.Finished ? 'finished' : 'aborted';
      this.runStatus = body.run_status;
    }
  }

  /** Whether the key was seen before; records it. Requests without a key are never duplicates. */
  #seen(key: string | undefined): boolean {
    if (key === undefined) return false;
    if (this.#keys.has(key)) {
      this.duplicates++;
      return true;
    }
    this.#keys.add(key);
    return false;
  }

  summary(): RunSummary {
    return {
      id: this.id,
      name: this.createBody.name,
      state: this.state,
      runStatus: this.runStatus ?? null,
      createdAt: this.createdAt,
      pushes: this.pushes.length,
      events: this.events.length,
      samples: this.samples,
      duplicates: this.duplicates,
      finished: this.finish !== undefined,
    };
  }
}

export interface RunSummary {
  id: string;
  name: string;
  state: RunState;
  runStatus: number | null;
  createdAt: number;
  pushes: number;
  events: number;
  samples: number;
  duplicates: number;
  finished: boolean;
}

export type RequestSummary = Omit<RecordedRequest, 'body' | 'headers'> & { bytes: number; contentEncoding?: string };

/** A recorded request without its body, for the admin API and logs. */
export function summariseRequest(request: RecordedRequest): RequestSummary {
  const { body, headers, ...rest } = request;
  return { ...rest, bytes: body.length, contentEncoding: headers['content-encoding'] };
}
