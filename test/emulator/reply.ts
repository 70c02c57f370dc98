// HTTP replies of the emulator, k6 endpoints and admin API alike. Error bodies have k6's shape
// (§2): {"error":{"code":<k6 code>,"message":"…","details":{…}}}.

import type { ServerResponse } from 'node:http';

export interface Reply {
  status: number;
  /** Sent as JSON. */
  body?: unknown;
  /** Sent verbatim (as application/json) instead of `body`. */
  raw?: string;
  headers?: Record<string, string>;
  /** Runs once the reply has been handed to the OS (e.g. going down without cutting it off). */
  afterSent?: () => void;
}

/** k6 error codes the emulator answers with; only 4 means anything to k6 (§2, §9.2). */
export const K6_CODE_GENERIC = 0;
export const K6_CODE_VALIDATION = 2;

export function errorReply(status: number, code: number, message: string, details?: Record<string, string[]>): Reply {
  return { status, body: { error: details === undefined ? { code, message } : { code, message, details } } };
}

export function errorMessageOf(reply: Reply): string | undefined {
  return (reply.body as { error?: { message?: string } } | undefined)?.error?.message ?? reply.raw;
}

export function writeReply(res: ServerResponse, reply: Reply): void {
  const headers: Record<string, string> = { ...reply.headers };
  const payload = reply.raw ?? (reply.body === undefined ? undefined : JSON.stringify(reply.body));
  if (payload !== undefined) headers['content-type'] = 'application/json';
  if (reply.afterSent !== undefined) res.once('finish', reply.afterSent);
  res.writeHead(reply.status, headers).end(payload ?? '');
}
