// The disk quota: data beyond it is refused with a 503-class error while creates and finishes still
// go in; nothing stored is deleted; once the backlog drains, compaction gives the space back and
// data is taken again, by itself. Real LevelDB, real file sizes.
import assert from 'node:assert/strict';
import { statfs } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isRelaydError } from '../../src/errors.js';
import { DurableQueue, resolveQuota, storeFileBytes, type QueueItem } from '../../src/queue/index.js';
import { eventually, tempDir } from '../helpers/relayd.js';
import { pushItem } from './store-fixtures.js';

class RecordedConditions {
  readonly events: string[] = [];
  readonly notReady = new Map<string, string>();
  setNotReady(condition: string, reason: string): void {
    this.events.push(`not ready: ${condition}`);
    this.notReady.set(condition, reason);
  }
  setReady(condition: string): void {
    this.events.push(`ready: ${condition}`);
    this.notReady.delete(condition);
  }
  addNotice(): void {}
}

const control = (kind: 'create' | 'finish'): QueueItem => ({ kind, headers: {}, body: Buffer.from('{}'), receivedAt: 0, samples: 0 });

describe('disk quota', () => {
  let base: Awaited<ReturnType<typeof tempDir>>;
  before(async () => {
    base = await tempDir('relayd-quota-');
  });
  after(async () => {
    await base.remove();
  });

  it('refuses data at the quota, keeps everything stored, takes creates and finishes, and recovers as the backlog drains', async () => {
    const dir = join(base.path, 'fill');
    const maxBytes = 512 * 1024;
    const conditions = new RecordedConditions();
    const queue = await DurableQueue.open(dir, { maxDiskBytes: maxBytes, conditions });
    const accepted: number[] = [];
    let refusal: unknown;
    for (let n = 0; n < 1000 && refusal === undefined; n++) {
      try {
        await queue.append('1', pushItem(n, 16 * 1024));
        accepted.push(n);
      } catch (err) {
        refusal = err;
      }
    }
    assert.ok(isRelaydError(refusal) && refusal.code === 'RELAYD_QUOTA_REACHED', `refused with the quota code: ${String(refusal)}`);
    assert.equal(refusal.status, 503);
    assert.equal(refusal.retryAfterSeconds, 5);
    assert.ok(accepted.length >= 20, `${accepted.length} items fit`);
    assert.ok((await storeFileBytes(dir)) <= maxBytes + 64 * 1024, 'the store stayed at its quota (plus LevelDB framing)');
    assert.match(conditions.notReady.get('disk-quota') ?? '', /of 524288 bytes \(--max-disk\)/, 'not ready at the first refusal');

    await assert.rejects(queue.append('1', pushItem(5000, 100)), /quota/, 'still full: even a small push waits');
    await queue.append('2', control('create'));
    await queue.append('2', control('finish'));
    assert.deepEqual((await queue.read('1', 0, 10_000)).map((item) => item.samples).length, accepted.length, 'nothing stored was dropped');

    for (const item of await queue.read('1', 0, 10_000)) await queue.remove(item);
    await eventually(() => !conditions.notReady.has('disk-quota'), 10_000, 'the quota to clear after the drain');
    assert.ok((await storeFileBytes(dir)) < 0.9 * maxBytes, 'compaction gave the space back');
    await queue.append('1', pushItem(6000, 16 * 1024));
    assert.deepEqual(conditions.events, ['not ready: disk-quota', 'ready: disk-quota']);
    await queue.close();
  });

  it('"auto" is the smaller of 10 GiB and 90% of the space the store can use', async () => {
    const dir = join(base.path, 'auto');
    const queue = await DurableQueue.open(dir);
    await queue.append('1', pushItem(1, 4096));
    await queue.close();
    const fs = await statfs(dir);
    const free = fs.bavail * fs.bsize;
    const quota = await resolveQuota('auto', dir);
    const expected = Math.min(10 * 1024 ** 3, 0.9 * (free + (await storeFileBytes(dir))));
    assert.ok(Math.abs(quota - expected) < 0.01 * expected, `${quota} ≈ ${expected}`);
    assert.equal(await resolveQuota(123_456, dir), 123_456);
  });
});
