// A run's ledger: the metric pushes relayd received for it, persisted (acknowledged to the runner),
// delivered upstream and dead-lettered, each in requests, samples and body bytes as received, with
// the times of its first and last data. Persisted as JSON under s!<runId> (queue/keys.ts) with the
// next batch after each change (DurableQueue.markStats), encoded when that batch is built:
//  - received and persisted go down in the same synced batch as the push they count;
//  - dead-lettered goes down in the same synced batch as the dead letter's move;
//  - delivered goes down, unsynced, right after the delivered item's removal (itself unsynced).
// So after a crash the ledger agrees with the queue, with two exceptions the at-least-once design
// allows: a delivery whose removal was lost is sent and counted again, and a crash between a removal
// and the next write undercounts that one delivery. After a failed write, the counts of the requests
// it refused stay on disk until the run's next write corrects them.
// For a run relayd aggregates, `delivered` counts the aggregated requests sent upstream.
import { bodyBytes, type BodyFileRef } from '../queue/index.js';

export interface Tally {
  requests: number;
  samples: number;
  bytes: number;
}

export interface RunLedger {
  /** Pushes that reached the run, whether or not they could be stored. */
  readonly received: Tally;
  /** Pushes synced to the queue and acknowledged. */
  readonly persisted: Tally;
  readonly delivered: Tally;
  readonly deadLettered: Tally;
  /** Wall-clock ms of the first and the last push received. */
  firstDataAt: number | null;
  lastDataAt: number | null;
}

/** What a ledger counts of one queue item. */
export interface Counted {
  readonly samples: number;
  readonly body: Uint8Array;
  readonly bodyFile?: BodyFileRef;
}

export function newLedger(): RunLedger {
  const zero = (): Tally => ({ requests: 0, samples: 0, bytes: 0 });
  return { received: zero(), persisted: zero(), delivered: zero(), deadLettered: zero(), firstDataAt: null, lastDataAt: null };
}

/** Adds one request (or takes it back with sign -1, when the write that counted it failed). */
export function count(tally: Tally, item: Counted, sign: 1 | -1 = 1): void {
  tally.requests += sign;
  tally.samples += sign * item.samples;
  tally.bytes += sign * bodyBytes(item);
}

export function encodeLedger(ledger: RunLedger): Uint8Array {
  return Buffer.from(JSON.stringify(ledger));
}

/** A stored ledger; fields a ledger of an older relayd lacks start at zero. */
export function decodeLedger(text: string): RunLedger {
  const stored = JSON.parse(text) as Partial<RunLedger>;
  const ledger = newLedger();
  for (const key of ['received', 'persisted', 'delivered', 'deadLettered'] as const) Object.assign(ledger[key], stored[key]);
  ledger.firstDataAt = stored.firstDataAt ?? null;
  ledger.lastDataAt = stored.lastDataAt ?? null;
  return ledger;
}
