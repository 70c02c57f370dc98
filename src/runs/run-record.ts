// A run as persisted under r!<id> (JSON). `id` is the reference id the runner uses; `upstreamId` is
// the cloud's id for it: equal to `id` when the cloud answered the create at once, null while a
// provisional run waits for its queued create to be answered.
import type { FinalState, RunState } from './run-state.js';

export interface RunRecord {
  readonly id: string;
  upstreamId: string | null;
  readonly provisional: boolean;
  readonly name: string;
  state: RunState;
  /** While finishing: the state the run takes once its finish is delivered. */
  outcome: FinalState | null;
  runStatus: number | null;
  readonly createdAt: number;
  endedAt: number | null;
  /** The runner's Authorization, needed to send a finish on its behalf after a timeout. Never logged. */
  readonly authorization: string | null;
  readonly userAgent: string | null;
  lastError: string | null;
}

/** Counters kept in memory for the run page and the logs (not persisted). */
export interface RunLedger {
  pushesReceived: number;
  samplesReceived: number;
  bytesReceived: number;
  itemsDelivered: number;
  samplesDelivered: number;
  deadLettered: number;
  lastDataAt: number;
}

export function encodeRecord(record: RunRecord): Uint8Array {
  return Buffer.from(JSON.stringify(record));
}

export function decodeRecord(text: string): RunRecord {
  return JSON.parse(text) as RunRecord;
}
