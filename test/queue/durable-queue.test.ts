import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Level } from 'level';
import { DurableQueue, GroupCommitter, type BatchOp, type QueueItem } from '../../src/queue/index.js';

function push(n: number): QueueItem {
  return {
    kind: 'push',
    protocol: 'v2',
    headers: { 'k6-idempotency-key': `key-${n}`, 'content-encoding': 'snappy' },
    body: Buffer.from(`body-${n}`),
    receivedAt: 1700000000000 + n,
    samples: n,
  };
}

describe('durable queue', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'relayd-queue-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('shares one synced batch among concurrent appends (group commit)', async () => {
    const db = new Level<string, Uint8Array>(join(dir, 'group'), { valueEncoding: 'view' });
    await db.open();
    const batches: number[] = [];
    const committer = new GroupCommitter(async (ops: BatchOp[]) => {
      batches.push(ops.length);
      await db.batch(ops, { sync: true });
    });
    const writes = Array.from({ length: 200 }, (_, i) =>
      committer.commit([{ type: 'put', key: `k${String(i).padStart(3, '0')}`, value: Buffer.from([i % 256]) }]),
    );
    await Promise.all(writes);
    assert.equal(batches.reduce((a, b) => a + b, 0), 200, 'every operation written exactly once');
    assert.ok(batches.length < 200, `200 concurrent commits took ${batches.length} batches`);
    assert.equal(batches[0], 1, 'a lone first writer is not delayed');
    assert.equal((await db.keys().all()).length, 200);
    await db.close();
  });

  it('replays every unacknowledged item in arrival order after a reopen', async () => {
    const path = join(dir, 'replay');
    const queue = await DurableQueue.open(path);
    const seqs = await Promise.all([1, 2, 3, 4, 5].map((n) => queue.append('1234', push(n))));
    await queue.append('99', push(100));
    assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b));
    await queue.close();

    const reopened = await DurableQueue.open(path);
    const items = await reopened.read('1234', 0, 100);
    assert.deepEqual(items.map((item) => Buffer.from(item.body).toString()), ['body-1', 'body-2', 'body-3', 'body-4', 'body-5']);
    assert.deepEqual(items[0]!.headers, push(1).headers);
    assert.equal(items[4]!.samples, 5);
    assert.deepEqual(reopened.backlog('1234').items, 5);
    assert.deepEqual(reopened.totals().items, 6);
    const next = await reopened.append('1234', push(6));
    assert.ok(next > items[4]!.seq, 'sequence numbers keep growing across restarts');
    await reopened.close();
  });

  it('removes delivered items in order and keeps the rest', async () => {
    const queue = await DurableQueue.open(join(dir, 'remove'));
    for (const n of [1, 2, 3, 4]) await queue.append('7', push(n));
    const items = await queue.read('7', 0, 10);
    await queue.remove(items[0]!);
    await queue.remove(items[1]!);
    const rest = await queue.read('7', 0, 10);
    assert.deepEqual(rest.map((item) => item.samples), [3, 4]);
    assert.equal(queue.backlog('7').items, 2);
    const afterCursor = await queue.read('7', rest[0]!.seq, 10);
    assert.deepEqual(afterCursor.map((item) => item.samples), [4]);
    await queue.close();
  });

  it('stops a read once it holds maxBytes, and always reads the first item', async () => {
    const queue = await DurableQueue.open(join(dir, 'read-bytes'));
    for (const n of [1, 2, 3, 4]) await queue.append('8', push(n));
    const [one] = await queue.read('8', 0, 1);
    const size = one!.size;
    assert.deepEqual((await queue.read('8', 0, 10, 'inbox', 2 * size)).map((item) => item.samples), [1, 2]);
    assert.deepEqual((await queue.read('8', 0, 10, 'inbox', 1)).map((item) => item.samples), [1], 'the first item even when it alone is over the bound');
    assert.equal((await queue.read('8', 0, 3, 'inbox', 100 * size)).length, 3, 'the item limit still holds');
    await queue.close();
  });

  it('moves a refused item to the dead letters with its reason, kept across restarts', async () => {
    const path = join(dir, 'dead');
    const queue = await DurableQueue.open(path);
    await queue.append('5', push(1));
    await queue.append('5', push(2));
    const [first] = await queue.read('5', 0, 1);
    await queue.deadLetter(first!, 'HTTP 400: bad');
    assert.deepEqual((await queue.read('5', 0, 10)).map((item) => item.samples), [2]);
    await queue.close();

    const reopened = await DurableQueue.open(path);
    const letters = [];
    for await (const letter of reopened.deadLetters()) letters.push(letter);
    assert.equal(letters.length, 1);
    assert.equal(letters[0]!.reason, 'HTTP 400: bad');
    assert.equal(letters[0]!.runId, '5');
    assert.equal(Buffer.from(letters[0]!.body).toString(), 'body-1');
    assert.equal(reopened.totals().deadLetters, 1);
    await reopened.close();
  });

  it('persists run records together with items', async () => {
    const path = join(dir, 'runs');
    const queue = await DurableQueue.open(path);
    await queue.append('42', push(1), Buffer.from('{"id":"42"}'));
    await queue.saveRun('43', Buffer.from('{"id":"43"}'));
    await queue.close();
    const reopened = await DurableQueue.open(path);
    assert.deepEqual((await reopened.loadRuns()).sort(), ['{"id":"42"}', '{"id":"43"}']);
    await reopened.close();
  });
});
