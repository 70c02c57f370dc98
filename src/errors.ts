// The one catalogue of relayd's errors. Every error a runner or an operator can see has a stable
// `code` (callers branch on it, never on the message), a default message and the HTTP status the
// ingest layer answers with. The error body a runner receives is k6's error shape (§2 of the spec):
// {"error": {"code": <number>, "message": "...", "details": {"relayd_code": ["RELAYD_..."]}}}

export const ERRORS = {
  RELAYD_BODY_TOO_LARGE: { status: 413, message: 'request body is larger than the limit' },
  RELAYD_DECOMPRESSED_TOO_LARGE: { status: 413, message: 'decompressed body is larger than the limit' },
  RELAYD_UNSUPPORTED_ENCODING: { status: 415, message: 'unsupported Content-Encoding' },
  RELAYD_BAD_GZIP: { status: 400, message: 'body is not valid gzip' },
  RELAYD_BAD_SNAPPY: { status: 400, message: 'body is not valid snappy (block format)' },
  RELAYD_BAD_JSON: { status: 400, message: 'body is not valid JSON' },
  RELAYD_BAD_PROTOBUF: { status: 400, message: 'body is not a valid protobuf MetricSet' },
  RELAYD_BAD_V1_PAYLOAD: { status: 400, message: 'body is not a valid API v1 metrics payload' },
  RELAYD_BAD_V2_PAYLOAD: { status: 400, message: 'body is not a valid API v2 MetricSet' },
  RELAYD_BAD_CREATE: { status: 400, message: 'body is not a valid create-test-run request' },
  RELAYD_BAD_FINISH: { status: 400, message: 'body is not a valid test-finished request' },
  RELAYD_BAD_EVENTS: { status: 400, message: 'body is not a valid test-run events request' },
  RELAYD_UNKNOWN_RUN: { status: 404, message: 'unknown test run id' },
  RELAYD_RUN_ENDED: { status: 409, message: 'test run has already ended' },
  RELAYD_NOT_FOUND: { status: 404, message: 'no such endpoint' },
  RELAYD_METHOD_NOT_ALLOWED: { status: 405, message: 'method not allowed' },
  RELAYD_SHUTTING_DOWN: { status: 503, message: 'relayd is shutting down', retryAfterSeconds: 5 },
  RELAYD_QUOTA_REACHED: { status: 503, message: 'the store reached its disk quota (--max-disk); retry once the backlog drained', retryAfterSeconds: 5 },
  RELAYD_DISK_FULL: { status: 503, message: 'the disk under the store is full; retry once space is free', retryAfterSeconds: 5 },
  RELAYD_STORE_UNAVAILABLE: { status: 503, message: 'the store cannot take writes right now; retry shortly', retryAfterSeconds: 5 },
  RELAYD_UNAUTHORIZED: { status: 401, message: 'runner token missing or not accepted (--accept-token)' },
  RELAYD_BAD_REQUEST: { status: 400, message: 'malformed HTTP request' },
  RELAYD_HEADERS_TOO_LARGE: { status: 431, message: 'request headers are larger than the limit (--max-header-size)' },
  RELAYD_TOO_MANY_TAGS: { status: 400, message: 'a sample carries more tags than the limit (--max-tags)' },
  RELAYD_BAD_STREAM_MESSAGE: { status: 400, message: 'not a valid stream message' },
  RELAYD_CREATE_REFUSED: { status: 400, message: 'the cloud refused the create (its own status and answer follow)' },
  RELAYD_STREAM_NO_RUN: { status: 409, message: 'no run on this stream yet: send create or resume first' },
  RELAYD_TOO_MANY_VIEWERS: { status: 503, message: 'too many open run pages are following live updates; close one and reload', retryAfterSeconds: 5 },
  RELAYD_INTERNAL: { status: 500, message: 'internal error' },
} as const satisfies Record<string, { status: number; message: string; retryAfterSeconds?: number }>;

export type ErrorCode = keyof typeof ERRORS;

export class RelaydError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  /** For a temporary refusal (503): when the runner should try again, sent as Retry-After. */
  readonly retryAfterSeconds: number | undefined;
  /** What this occurrence adds to the catalogue's message (rebuilds the error across a thread). */
  readonly detail: string | undefined;

  constructor(code: ErrorCode, detail?: string, options?: { cause?: unknown }) {
    const entry: { status: number; message: string; retryAfterSeconds?: number } = ERRORS[code];
    super(detail ? `${entry.message}: ${detail}` : entry.message, options);
    this.name = 'RelaydError';
    this.code = code;
    this.status = entry.status;
    this.retryAfterSeconds = entry.retryAfterSeconds;
    this.detail = detail;
  }
}

export function isRelaydError(err: unknown): err is RelaydError {
  return err instanceof RelaydError;
}
