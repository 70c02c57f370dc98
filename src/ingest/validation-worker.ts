// The body of a validation thread (a piscina worker): validates one API v1 push per task. A
// RelaydError crosses the thread boundary as its code and detail (structured clone keeps neither
// the class nor `code`); anything else is rethrown as a bug.
import { type ErrorCode, isRelaydError } from '../errors.js';
import { decodeV1PushSync } from '../protocol/v1.js';
import { digestV1, type PushDigest } from '../results/digest.js';
import { type PushToValidate, v1Samples } from './push-validation.js';

/** `digest`: the push's values summed for the run's results (src/results), made here while it is parsed. */
export type ValidationOutcome =
  | { readonly samples: number; readonly digest: PushDigest }
  | { readonly code: ErrorCode; readonly detail: string | undefined };

// Synchronous on purpose: the thread has nothing else to do, and piscina parks a thread between
// tasks (Atomics.wait), which would also stall an async inflate still running.
export default function validate(push: PushToValidate): ValidationOutcome {
  try {
    const decoded = decodeV1PushSync(push.body, push.contentEncoding, push.limits);
    return { samples: v1Samples(decoded, push.limits.maxTags), digest: digestV1(decoded.envelopes) };
  } catch (err) {
    if (isRelaydError(err)) return { code: err.code, detail: err.detail };
    throw err;
  }
}
