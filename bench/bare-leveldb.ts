// The storage limit, measured by a plain script: the same bytes relayd would store, written to a
// bare LevelDB (classic-level, opened as relayd opens it) under the same arrivals as relayd's load,
// each write acknowledged only once synced. Writes that arrive while a synced batch is on its way to
// disk go down together in the next one (group commit, one fsync per batch), the best any durable
// store on this disk can do. No HTTP, no decoding, no relayd code: relayd can only be slower.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Level } from 'level';
import { type Arrivals, drive, type LoadResult, LoadRecorder } from './arrivals.js';
import type { PushBody } from './payloads.js';

interface Waiting {
  readonly key: string;
  readonly value: Uint8Array;
  readonly synced: () => void;
}

export async function bareLevelDbWrite(bodies: readonly PushBody[], arrivals: Arrivals): Promise<LoadResult> {
  const dir = mkdtempSync(join(tmpdir(), 'bare-leveldb-'));
  const db = new Level<string, Uint8Array>(dir, { keyEncoding: 'utf8', valueEncoding: 'view' });
  await db.open();
  let waiting: Waiting[] = [];
  let writing: Promise<void> | null = null;
  const writeWaiting = async (): Promise<void> => {
    while (waiting.length > 0) {
      const batch = waiting;
      waiting = [];
      await db.batch(
        batch.map(({ key, value }) => ({ type: 'put' as const, key, value })),
        { sync: true },
      );
      for (const write of batch) write.synced();
    }
    writing = null;
  };
  const put = (key: string, value: Uint8Array): Promise<void> =>
    new Promise((synced) => {
      waiting.push({ key, value, synced });
      writing ??= writeWaiting();
    });

  const recorder = new LoadRecorder();
  try {
    const seconds = await drive(arrivals, async (n, scheduledAt) => {
      const body = bodies[n % bodies.length]!;
      await put(`i!bench!${n.toString(16).padStart(16, '0')}`, body.body);
      recorder.done(body, scheduledAt);
    });
    return recorder.result(seconds);
  } finally {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
