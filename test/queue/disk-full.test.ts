// A real ENOSPC: the store on a small tmpfs that fills up. Every append that resolved is still there
// after the store was reopened; after the first failed write nothing is acknowledged until the
// store was reopened (LevelDB's log can lose a write that "succeeds" after an ENOSPC, see the header
// of durable-queue.ts); the store reopens by itself once space is free.
import assert from 'node:assert/strict';
import { statfsSync } from 'node:fs';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isRelaydError } from '../../src/errors.js';
import { DurableQueue, PUSH_BODY_FILE_BYTES } from '../../src/queue/index.js';
import { eventually, tempDir } from '../helpers/relayd.js';
import { mountTmpfs, unmount } from '../helpers/tmpfs.js';
import { pushItem } from './store-fixtures.js';

describe('a full disk under the store', () => {
  let base: Awaited<ReturnType<typeof tempDir>>;
  let mount: string;
  let mounted = false;
  before(async () => {
    base = await tempDir('relayd-enospc-');
    mount = join(base.path, 'disk');
    await mkdir(mount);
    mounted = mountTmpfs(mount, '6m');
  });
  after(async () => {
    if (mounted) unmount(mount);
    await base.remove();
  });

  it('refuses writes from the first ENOSPC until reopened, loses no acknowledged append, and recovers when space is freed', async (t) => {
    if (!mounted) {
      t.skip('needs root to mount a small tmpfs');
      return;
    }
    const ballast = join(mount, 'ballast');
    await writeFile(ballast, Buffer.alloc(3 * 1024 * 1024));
    const notReady = new Map<string, string>();
    const conditions = {
      setNotReady: (condition: string, reason: string) => void notReady.set(condition, reason),
      setReady: (condition: string) => void notReady.delete(condition),
      addNotice: () => undefined,
    };
    const dir = join(mount, 'store');
    const queue = await DurableQueue.open(dir, { conditions });
    const acked: number[] = [];
    let failure: unknown;
    for (let n = 0; n < 2000 && failure === undefined; n++) {
      try {
        await queue.append('1', pushItem(n, 7000));
        acked.push(n);
      } catch (err) {
        failure = err;
      }
    }
    assert.ok(isRelaydError(failure) && failure.code === 'RELAYD_DISK_FULL', `a disk-full refusal: ${String(failure)}`);
    assert.equal(failure.status, 503);
    assert.match(notReady.get('store') ?? '', /No space left on device/);

    await rm(ballast);
    // Space is free, but the store was not reopened yet: refused, not "acknowledged" into a broken log.
    await assert.rejects(queue.append('1', pushItem(90_000, 10)), (err: unknown) => isRelaydError(err) && err.code === 'RELAYD_DISK_FULL');
    await eventually(() => !notReady.has('store'), 15_000, 'the store to reopen once space was free');
    await queue.append('1', pushItem(90_001, 10));
    acked.push(90_001);
    await queue.close();

    const reopened = await DurableQueue.open(dir);
    const keys = (await reopened.read('1', 0, 100_000)).map((item) => item.headers['k6-idempotency-key']);
    const missing = acked.filter((n) => !keys.includes(`key-${n}`));
    assert.deepEqual(missing, [], `every acknowledged append survived (${acked.length})`);
    await reopened.close();
  });

  it("refuses a push whose body file does not fit with a 503, leaves no file, and keeps taking what fits", async (t) => {
    if (!mounted) {
      t.skip('needs root to mount a small tmpfs');
      return;
    }
    const dir = join(mount, 'files');
    const queue = await DurableQueue.open(dir);
    const ballast = join(mount, 'ballast-files');
    // What the earlier test left on the tmpfs, plus this, leaves less than one large body free.
    await writeFile(ballast, Buffer.alloc(5 * 1024 * 1024));
    const free = statfsSync(mount).bavail * statfsSync(mount).bsize;
    assert.ok(free < PUSH_BODY_FILE_BYTES && free > 64 * 1024, `${free} bytes free`);
    const large = { ...pushItem(1, 10), body: Buffer.alloc(PUSH_BODY_FILE_BYTES) };
    await assert.rejects(queue.append('2', large), (err: unknown) => isRelaydError(err) && err.code === 'RELAYD_DISK_FULL' && err.status === 503);
    assert.deepEqual(await readdir(join(dir, 'bodies')), [], 'the partial file is gone');
    await queue.append('2', pushItem(2, 10));
    assert.equal((await queue.read('2', 0, 10)).length, 1, 'the store still takes what fits');
    await queue.close();
    await rm(ballast);
  });
});
