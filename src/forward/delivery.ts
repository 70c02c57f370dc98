// Delivery of one request: attempts until the upstream gives a final answer (delivered or refused),
// however long that takes. p-retry drives the attempts and the abort signal; the wait between them is
// ours (full jitter, Retry-After as a floor, see retry-policy.ts), because p-retry's `randomize` is
// not full jitter and knows nothing of Retry-After. Every wait is cancelled by `signal` (shutdown).
import { setTimeout as sleep } from 'node:timers/promises';
import pRetry from 'p-retry';
import type { RetryPolicy } from '../config/index.js';
import type { Outcome } from './outcome.js';
import { backoffDelay } from './retry-policy.js';
import type { UpstreamClient, UpstreamRequest } from './upstream-client.js';

export type FinalOutcome = Exclude<Outcome, { kind: 'retry' }>;
type RetryOutcome = Extract<Outcome, { kind: 'retry' }>;

class RetryableFailure extends Error {
  constructor(readonly outcome: RetryOutcome) {
    super(outcome.reason);
    this.name = 'RetryableFailure';
  }
}

export interface RetryNotice {
  readonly attempt: number;
  readonly reason: string;
  /** The HTTP status that failed the attempt; absent when there was no answer. */
  readonly status: number | undefined;
  readonly waitMs: number;
}

export async function deliver(
  client: UpstreamClient,
  request: UpstreamRequest,
  policy: RetryPolicy,
  signal: AbortSignal,
  onRetry: (notice: RetryNotice) => void,
): Promise<FinalOutcome> {
  return pRetry(
    async () => {
      const outcome = await client.send(request, signal);
      if (outcome.kind === 'retry') throw new RetryableFailure(outcome);
      return outcome;
    },
    {
      retries: Number.POSITIVE_INFINITY,
      minTimeout: 0,
      maxTimeout: 0,
      signal,
      onFailedAttempt: async ({ error, attemptNumber }) => {
        if (!(error instanceof RetryableFailure)) throw error;
        const waitMs = backoffDelay(policy, attemptNumber, error.outcome.retryAfterMs, Math.random());
        onRetry({ attempt: attemptNumber, reason: error.outcome.reason, status: error.outcome.status, waitMs });
        await sleep(waitMs, undefined, { signal });
      },
    },
  );
}
