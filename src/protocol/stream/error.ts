// error (relayd → client): why a message was refused. relayd closes the connection after it.
//
//   {"type":"error","code":"RELAYD_BAD_STREAM_MESSAGE","status":400,"message":"batch: seq: …","retryable":false}
//
// `code` is relayd's stable error code (src/errors.ts), `status` the HTTP status the same error
// gets on the HTTP API. `retryable`: the refusal is temporary (503: shutting down, disk quota),
// so the client should reconnect and re-send; otherwise re-sending the same message cannot succeed.

export const ERROR = 'error';

export interface ErrorMessage {
  type: typeof ERROR;
  code: string;
  status: number;
  message: string;
  retryable: boolean;
}

export function isErrorMessage(value: Record<string, unknown>): value is ErrorMessage & Record<string, unknown> {
  return (
    value.type === ERROR &&
    typeof value.code === 'string' &&
    typeof value.status === 'number' &&
    typeof value.message === 'string' &&
    typeof value.retryable === 'boolean'
  );
}
