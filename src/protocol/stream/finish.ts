// finish (client → relayd): ends the run, as k6's test-finished call (§7) does.
//
//   {"type":"finish","runStatus":3,"resultStatus":0,"thresholds":{}}   → finished, once durable

import { decodeFinishBody, type FinishTestRun } from '../test-run.js';

export const FINISH = 'finish';

export interface FinishMessage {
  type: typeof FINISH;
  /** The finish body as k6 would send it. */
  finish: FinishTestRun;
}

/** Throws RELAYD_BAD_FINISH: runStatus must be one of 3..9; resultStatus (default 0) 0 or 1. */
export function decodeFinishMessage(message: Record<string, unknown>): FinishMessage {
  const { runStatus, resultStatus = 0, thresholds = {} } = message;
  const body = { result_status: resultStatus, run_status: runStatus, thresholds };
  return { type: FINISH, finish: decodeFinishBody(Buffer.from(JSON.stringify(body))) };
}

/** The finish body relayd forwards upstream. */
export function finishBodyOf(message: FinishMessage): Buffer {
  return Buffer.from(JSON.stringify(message.finish));
}
