// Error answers to runners, built from the error catalogue only. The body has k6's error shape (§2),
// so k6 prints "(<status>/E<code>) <message>" with relayd's stable code in the details.
import type { ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { RelaydError, isRelaydError } from '../errors.js';
import type { Logger } from '../observe/index.js';

export function sendJson(res: ServerResponse, status: number, body: unknown, extraHeaders: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...extraHeaders });
  res.end(text);
}

export function sendError(res: ServerResponse, err: unknown, logger: Logger): void {
  let error: RelaydError;
  if (isRelaydError(err)) {
    error = err;
  } else {
    const errorId = randomUUID();
    logger.error({ err, errorId }, 'unexpected error while handling a request');
    error = new RelaydError('RELAYD_INTERNAL', `error id ${errorId}`);
  }
  if (res.headersSent) {
    res.destroy();
    return;
  }
  // An oversized body was not read to its end: close rather than drain it.
  const headers: Record<string, string> = error.code === 'RELAYD_BODY_TOO_LARGE' ? { connection: 'close' } : {};
  if (error.retryAfterSeconds !== undefined) headers['retry-after'] = String(error.retryAfterSeconds);
  sendJson(res, error.status, errorBody(error), headers);
}

/** k6's error shape (§2) with relayd's stable code in the details. */
export function errorBody(error: RelaydError): { error: { code: number; message: string; details: { relayd_code: string[] } } } {
  return { error: { code: error.status, message: error.message, details: { relayd_code: [error.code] } } };
}
