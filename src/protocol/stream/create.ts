// create (client → relayd): opens a new test run. The fields are those of k6's create body (§3.1),
// plus the protocol relayd should aggregate the stream into.
//
//   {"type":"create","name":"offline run","vus":10,"duration":60,"thresholds":{},"protocol":"v2"}

import { decodeCreateBody, type CreateTestRun } from '../test-run.js';
import { badMessage } from './bad-message.js';
import { describe } from '../json.js';

export const CREATE = 'create';

export interface CreateMessage {
  type: typeof CREATE;
  /** The create body as k6 would send it (name, vus, duration, thresholds, project_id). */
  run: CreateTestRun;
  /** Upstream protocol of the aggregated samples; absent: relayd's --upstream-protocol (auto: v2). */
  protocol?: 'v1' | 'v2';
}

/** Throws RELAYD_BAD_STREAM_MESSAGE, or RELAYD_BAD_CREATE for the k6 fields. */
export function decodeCreateMessage(message: Record<string, unknown>): CreateMessage {
  const { type: _type, protocol, ...body } = message;
  if (protocol !== undefined && protocol !== 'v1' && protocol !== 'v2') {
    throw badMessage(CREATE, `protocol: expected "v1" or "v2", got ${describe(protocol)}`);
  }
  const run = decodeCreateBody(Buffer.from(JSON.stringify(body)));
  return protocol === undefined ? { type: CREATE, run } : { type: CREATE, run, protocol };
}

/** The create body relayd forwards upstream for the stream's run: the k6 fields only. */
export function createBodyOf(message: CreateMessage): Buffer {
  return Buffer.from(JSON.stringify(message.run));
}
