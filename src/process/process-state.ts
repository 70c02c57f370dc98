// What a processed run persists under a!<runId> with every commit (JSON), and reads back after a
// restart: together with the inbox items not yet consumed, it is everything needed to go on exactly
// where the last commit left off.
import type { OutputState } from './output-state.js';

export interface ProcessState {
  /** Outbox requests made so far: the next one's idempotency key derives from this number. */
  requests: number;
  /** Idempotency keys of the latest runner pushes taken, oldest first (a retry of one is dropped). */
  recentKeys: string[];
  output: OutputState;
}

export function encodeProcessState(state: ProcessState): Uint8Array {
  return Buffer.from(JSON.stringify(state));
}

export function decodeProcessState(bytes: Uint8Array): ProcessState {
  return JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8')) as ProcessState;
}
