// A run as persisted under r!<id> (JSON). `id` is the reference id the runner uses; `upstreamId` is
// the cloud's id for it: equal to `id` when the cloud answered the create at once, null while a
// provisional run waits for its queued create to be answered. An adopted run was created elsewhere
// (run-ids.ts): its id is the cloud's, relayd sent no create for it and never finishes it itself.
import type { FinalState, RunState } from './run-state.js';

/**
 * How the processing stage (src/process) turns a run's raw input into upstream requests. Fixed when
 * the run is created, so a config change across a restart never switches a run half way.
 */
export interface ProcessingPlan {
  /** The protocol raw input (API v1 pushes, stream batches) goes upstream in; API v2 pushes stay v2. */
  readonly output: 'v1' | 'v2';
  /** Bucket width; 0 only with output v1, meaning no aggregation: every request goes individually. */
  readonly periodMs: number;
  readonly waitPeriodMs: number;
  readonly minSamples: number;
  readonly iqrRadius: number;
  readonly iqrCoefLower: number;
  readonly iqrCoefUpper: number;
}

export interface RunRecord {
  readonly id: string;
  upstreamId: string | null;
  readonly provisional: boolean;
  /** Created elsewhere; absent in records of runs relayd created (and of older relayd versions). */
  readonly adopted?: true;
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
  /** Absent: pass-through, every item goes upstream as received. */
  readonly processing?: ProcessingPlan;
  /** The runner's K6-Idempotency-Key on the create: a retry of it finds this run (ingest/run-creation.ts). */
  readonly createKey?: string;
  /** Stream runs: the highest batch sequence number acknowledged, persisted with that batch. */
  streamSeq?: number;
}

export function encodeRecord(record: RunRecord): Uint8Array {
  return Buffer.from(JSON.stringify(record));
}

export function decodeRecord(text: string): RunRecord {
  return JSON.parse(text) as RunRecord;
}
