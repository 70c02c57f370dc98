// The one place that sorts what the upstream said into what relayd does next (like Vector's
// RetryLogic and the OTel Collector's permanent/throttle errors). Everything else reads the Outcome.
import { parseRetryAfter } from './retry-policy.js';

export type Outcome =
  | { readonly kind: 'delivered'; readonly status: number; readonly body: Buffer }
  | { readonly kind: 'retry'; readonly reason: string; readonly retryAfterMs?: number; /** Absent: no answer at all. */ readonly status?: number }
  | { readonly kind: 'reject'; readonly reason: string; readonly status: number; readonly body: Buffer };

export interface UpstreamResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Buffer;
}

function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** 2xx delivered; 408, 429 and 5xx retried (honouring Retry-After); any other status refused for good. */
export function classifyResponse(response: UpstreamResponse, nowMs: number): Outcome {
  const { status, body } = response;
  if (status >= 200 && status < 300) return { kind: 'delivered', status, body };
  const summary = `HTTP ${status}${body.length > 0 ? `: ${body.subarray(0, 200).toString('utf8')}` : ''}`;
  if (status === 408 || status === 429 || status >= 500) {
    const retryAfterMs = parseRetryAfter(firstHeader(response.headers['retry-after']), nowMs);
    return retryAfterMs === undefined ? { kind: 'retry', reason: summary, status } : { kind: 'retry', reason: summary, status, retryAfterMs };
  }
  return { kind: 'reject', reason: summary, status, body };
}

/** No response at all (refused, reset, timed out, DNS): always worth another try. */
export function classifyError(err: unknown): Extract<Outcome, { kind: 'retry' }> {
  const error = err as { code?: string; message?: string; cause?: { code?: string } };
  const code = error.code ?? error.cause?.code;
  return { kind: 'retry', reason: code ? `${code}: ${error.message ?? ''}`.trim() : String(error.message ?? err) };
}
