// resumed (relayd → client): the run was found; every batch up to lastSeq is in, re-send the rest.
//
//   {"type":"resumed","runId":"1234","lastSeq":41}

export const RESUMED = 'resumed';

export interface ResumedMessage {
  type: typeof RESUMED;
  runId: string;
  lastSeq: number;
}

export function isResumedMessage(value: Record<string, unknown>): value is ResumedMessage & Record<string, unknown> {
  return value.type === RESUMED && typeof value.runId === 'string' && Number.isSafeInteger(value.lastSeq);
}
