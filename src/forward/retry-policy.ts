// When to try again. Pure: the policy, the attempt number, the server's Retry-After and a random
// number in [0, 1) go in, a wait in milliseconds comes out.
import type { RetryPolicy } from '../config/index.js';

/** A Retry-After longer than this is treated as this: the cloud asking for hours is a bug, not a plan. */
export const MAX_RETRY_AFTER_MS = 10 * 60_000;

/**
 * Exponential backoff with full jitter (a uniform draw from [0, bound)), where the bound starts at
 * `initialDelayMs` and doubles up to `maxDelayMs`. A Retry-After from the server is a floor: the wait
 * is never shorter than what the server asked for.
 */
export function backoffDelay(policy: RetryPolicy, attempt: number, retryAfterMs: number | undefined, random: number): number {
  const bound = Math.min(policy.maxDelayMs, policy.initialDelayMs * policy.multiplier ** Math.max(0, attempt - 1));
  const jittered = Math.floor(random * bound);
  if (retryAfterMs === undefined) return jittered;
  return Math.max(jittered, Math.min(retryAfterMs, MAX_RETRY_AFTER_MS));
}

/** Parses a Retry-After header: delta-seconds or an HTTP date. Undefined when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}
