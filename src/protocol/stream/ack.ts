// ack (relayd → client): the batch with this seq is durable (synced to disk), or was already.
//
//   {"type":"ack","seq":7}

export const ACK = 'ack';

export interface AckMessage {
  type: typeof ACK;
  seq: number;
}

export function isAckMessage(value: Record<string, unknown>): value is AckMessage & Record<string, unknown> {
  return value.type === ACK && Number.isSafeInteger(value.seq);
}
