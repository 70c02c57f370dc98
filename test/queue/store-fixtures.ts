// Stores with known content for the queue tests: a run record and numbered pushes whose
// idempotency keys tell which ones survived.
import { DurableQueue, type QueueItem } from '../../src/queue/index.js';

export const RUN_RECORD = '{"id":"1234","state":"running"}';

export function pushItem(n: number, bodyBytes = 0): QueueItem {
  const body = bodyBytes > 0 ? Buffer.alloc(bodyBytes, n % 251) : Buffer.from(`body-${n}`);
  return {
    kind: 'push',
    protocol: 'v2',
    headers: { 'k6-idempotency-key': `key-${n}`, 'content-encoding': 'snappy', authorization: 'Token secret' },
    body,
    receivedAt: 1_700_000_000_000 + n,
    samples: 1,
  };
}

/**
 * A store of run 1234 with `count` pushes, written over two lives of the store so that it holds
 * both a table and a log. Returns the idempotency keys in order.
 */
export async function fillStore(dir: string, count: number): Promise<string[]> {
  const keys: string[] = [];
  const half = Math.floor(count / 2);
  for (const [from, to] of [
    [0, half],
    [half, count],
  ] as const) {
    const queue = await DurableQueue.open(dir);
    if (from === 0) await queue.saveRun('1234', Buffer.from(RUN_RECORD));
    for (let n = from; n < to; n++) {
      await queue.append('1234', pushItem(n, 1500));
      keys.push(`key-${n}`);
    }
    await queue.close();
  }
  return keys;
}
