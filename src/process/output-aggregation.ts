// The two ways a processed run's raw input goes upstream (v1-output.ts, v2-output.ts): one
// interface the pipeline drives, and what both keep alike: the open buckets, the watermark of the
// buckets already emitted, the event clock, and what a flush produced until it is taken.
import type { V1Envelope, V2Sample } from '../aggregate/index.js';
import type { QueueItem } from '../queue/index.js';
import { EventClock } from './event-clock.js';
import type { RequestOrigin } from './outbox-requests.js';
import { raisedWatermark, type OutputState } from './output-state.js';

export interface OutputAggregation {
  readonly clock: EventClock;
  /** Samples that arrived for a bucket already emitted (counted all the same; see each output). */
  readonly lateSamples: number;
  readonly hasPendingBuckets: boolean;
  /** The envelopes of one API v1 push. */
  addV1(envelopes: readonly V1Envelope[]): void;
  /** The samples of one stream batch (times in µs). */
  addSamples(samples: readonly V2Sample[]): void;
  /** Aggregates the buckets due at the event clock, or every bucket (`all`: finish, idle run). */
  flush(all: boolean): void;
  /** Upstream requests for everything produced since the last call, numbered from `firstNumber`. */
  takeRequests(origin: RequestOrigin, firstNumber: number, now: number): Promise<QueueItem[]>;
  /** API v1 envelopes this output cannot send, taken since the last call. */
  takeUnsendable(): V1Envelope[];
  snapshot(): OutputState;
}

/** The part of an output that does not depend on the protocol. `Out` is what a flush produces. */
export abstract class BucketedOutput<State extends OutputState['aggregator'], Out> {
  readonly clock: EventClock;
  lateSamples = 0;
  protected readonly aggregator: State;
  #watermark: number | null;
  #produced: Out[] = [];

  constructor(saved: OutputState | undefined, fresh: () => State) {
    this.aggregator = (saved?.aggregator as State | undefined) ?? fresh();
    this.#watermark = saved?.watermark ?? null;
    this.clock = new EventClock(saved?.clockUs ?? 0);
  }

  get hasPendingBuckets(): boolean {
    return Object.keys(this.aggregator.buckets).length > 0;
  }

  flush(all: boolean): void {
    const before = Object.keys(this.aggregator.buckets);
    const out = this.aggregate(all);
    this.#watermark = raisedWatermark(this.#watermark, before, this.aggregator.buckets);
    for (const entry of out) this.#produced.push(entry);
  }

  /** Runs the protocol's flush (due buckets, or all) and returns what it made. */
  protected abstract aggregate(all: boolean): Out[];

  /** Whether a bucket was emitted already. */
  protected isClosed(bucket: number): boolean {
    return this.#watermark !== null && bucket <= this.#watermark;
  }

  protected produce(entry: Out): void {
    this.#produced.push(entry);
  }

  protected takeProduced(): Out[] {
    const produced = this.#produced;
    this.#produced = [];
    return produced;
  }

  snapshot(): OutputState {
    return { watermark: this.#watermark, clockUs: this.clock.timeUs, aggregator: this.aggregator };
  }
}
