// finished (relayd → client): the finish is durable; relayd sends it upstream after all the run's data.
//
//   {"type":"finished","runId":"1234"}

export const FINISHED = 'finished';

export interface FinishedMessage {
  type: typeof FINISHED;
  runId: string;
}

export function isFinishedMessage(value: Record<string, unknown>): value is FinishedMessage & Record<string, unknown> {
  return value.type === FINISHED && typeof value.runId === 'string';
}
