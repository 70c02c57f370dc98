// The native WebSocket stream (ws://127.0.0.1:6580/v1/stream): one JSON object per text message,
// each with a `type`. One file per message, with its type, its `type` constant, and its decoder
// (client → relayd: validates and explains what is wrong) or guard (relayd → client).
//
//   client                                   relayd
//   create {name, vus, …, protocol?}  ──▶    ◀── created {runId, url, provisional}
//   resume {runId}   (after a reconnect) ──▶  ◀── resumed {runId, lastSeq}
//   batch {seq, samples[]}  (seq 1, 2, …) ──▶  ◀── ack {seq}   once durable (or already taken)
//   finish {runStatus, resultStatus?}   ──▶   ◀── finished {runId}   once durable
//                                           ◀── error {code, status, message, retryable}, then close

import { describe, isJsonObject, parseJson } from '../json.js';
import { isAckMessage, type AckMessage } from './ack.js';
import { badMessage } from './bad-message.js';
import { BATCH, decodeBatchMessage, type BatchMessage } from './batch.js';
import { CREATE, decodeCreateMessage, type CreateMessage } from './create.js';
import { isCreatedMessage, type CreatedMessage } from './created.js';
import { isErrorMessage, type ErrorMessage } from './error.js';
import { decodeFinishMessage, FINISH, type FinishMessage } from './finish.js';
import { isFinishedMessage, type FinishedMessage } from './finished.js';
import { decodeResumeMessage, RESUME, type ResumeMessage } from './resume.js';
import { isResumedMessage, type ResumedMessage } from './resumed.js';

export { ACK, type AckMessage } from './ack.js';
export { BATCH, type BatchMessage } from './batch.js';
export { CREATE, createBodyOf, type CreateMessage } from './create.js';
export { CREATED, type CreatedMessage } from './created.js';
export { ERROR, type ErrorMessage } from './error.js';
export { FINISH, finishBodyOf, type FinishMessage } from './finish.js';
export { FINISHED, type FinishedMessage } from './finished.js';
export { RESUME, type ResumeMessage } from './resume.js';
export { RESUMED, type ResumedMessage } from './resumed.js';
export type { StreamMetricType, StreamSample } from './stream-sample.js';

export const STREAM_PATH = '/v1/stream';

export type ClientMessage = CreateMessage | ResumeMessage | BatchMessage | FinishMessage;
export type ServerMessage = CreatedMessage | ResumedMessage | AckMessage | FinishedMessage | ErrorMessage;

/**
 * Decodes and validates one client message. Throws RelaydError: RELAYD_BAD_JSON,
 * RELAYD_BAD_STREAM_MESSAGE, RELAYD_BAD_CREATE or RELAYD_BAD_FINISH, each saying what is wrong.
 */
export function decodeClientMessage(data: Uint8Array, maxTags: number): ClientMessage {
  const message = parseJson(data);
  if (!isJsonObject(message)) throw badMessage('message', `expected a JSON object, got ${describe(message)}`);
  switch (message.type) {
    case CREATE:
      return decodeCreateMessage(message);
    case RESUME:
      return decodeResumeMessage(message);
    case BATCH:
      return decodeBatchMessage(message, maxTags);
    case FINISH:
      return decodeFinishMessage(message);
    default:
      throw badMessage('message', `type: expected "create", "resume", "batch" or "finish", got ${describe(message.type)}`);
  }
}

const SERVER_GUARDS = [isCreatedMessage, isResumedMessage, isAckMessage, isFinishedMessage, isErrorMessage];

/** A relayd message, or undefined for anything else (the client treats that as a protocol error). */
export function decodeServerMessage(text: string): ServerMessage | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isJsonObject(value)) return undefined;
  return SERVER_GUARDS.some((guard) => guard(value)) ? (value as unknown as ServerMessage) : undefined;
}
