// resume (client → relayd): continues a run created earlier, after a reconnect.
//
//   {"type":"resume","runId":"1234"}      → resumed {lastSeq}: re-send every batch after lastSeq

import { describe } from '../json.js';
import { badMessage } from './bad-message.js';

export const RESUME = 'resume';

export interface ResumeMessage {
  type: typeof RESUME;
  runId: string;
}

export function decodeResumeMessage(message: Record<string, unknown>): ResumeMessage {
  const { runId } = message;
  if (typeof runId !== 'string' || runId === '') {
    throw badMessage(RESUME, `runId: expected a non-empty string, got ${describe(runId)}`);
  }
  return { type: RESUME, runId };
}
