// The body of a validation thread (a piscina worker): validates one push per task. A RelaydError
// crosses the thread boundary as its code and detail (structured clone keeps neither the class nor
// `code`); anything else is rethrown as a bug. A v1 body comes transferred, not copied
// (push-validator.ts), and goes back the same way with the outcome: relayd stores it. A v2 task
// carries the decompressed MetricSet, transferred too; it stays here (relayd stores the body as sent).
import { move, transferableSymbol, valueSymbol } from 'piscina';
import { type ErrorCode, isRelaydError } from '../errors.js';
import { gunzipBoundedSync } from '../protocol/compression.js';
import type { PushDigest } from '../results/digest.js';
import { type MetricSetToValidate, type PushToValidate, validateMetricSet, validateV1Push } from './push-validation.js';

/** `digest`: the push's values summed for the run's results (src/results), made here while it is parsed. */
export type ValidationOutcome =
  | { readonly samples: number; readonly digest: PushDigest | undefined; readonly body?: Uint8Array }
  | { readonly code: ErrorCode; readonly detail: string | undefined };

// A body parsed whole is inflated synchronously: the thread has nothing else to do. A large one is
// inflated in chunks on libuv's pool: the task awaits it to the end, as piscina parks a thread
// between tasks (Atomics.wait), which would stall anything still running.
export default async function validate(push: PushToValidate | MetricSetToValidate): Promise<ValidationOutcome> {
  try {
    if ('metricSet' in push) return validateMetricSet(push);
    const { samples, digest } = await validateV1Push(push, gunzipBoundedSync);
    const answer = { samples, digest, body: push.body };
    // piscina hands back the value, transferring what the other key lists.
    return move({ [transferableSymbol]: [push.body.buffer], [valueSymbol]: answer }) as unknown as ValidationOutcome;
  } catch (err) {
    if (isRelaydError(err)) return { code: err.code, detail: err.detail };
    throw err;
  }
}
