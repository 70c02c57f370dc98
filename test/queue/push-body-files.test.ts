// Large push bodies are kept in body files (durable-queue.ts PUSH_BODY_FILE_BYTES), on a real LevelDB
// and a real data dir: the store value holds no body bytes, the file survives a reopen, readers that
// decode get the bytes back, the backlog and the disk quota count the file, and the file goes with
// the last item that names it (a delivery, or a processing commit that consumed it).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DurableQueue, PUSH_BODY_FILE_BYTES, storeFileBytes, type QueueItem } from '../../src/queue/index.js';

function push(body: Buffer, protocol: 'v1' | 'v2' = 'v2'): QueueItem {
  return { kind: 'push', protocol, headers: { 'content-encoding': protocol === 'v2' ? 'snappy' : 'gzip' }, body, receivedAt: Date.now(), samples: 3 };
}

const bodyFilesIn = async (dir: string): Promise<string[]> => readdir(join(dir, 'bodies')).catch(() => []);

describe('push bodies kept in files', () => {
  let root: string;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'relayd-push-files-'));
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('keeps a large body in a file across a reopen, and deletes it with the delivered item', async () => {
    const dir = join(root, 'deliver');
    const large = randomBytes(PUSH_BODY_FILE_BYTES);
    const small = randomBytes(PUSH_BODY_FILE_BYTES - 1);
    const queue = await DurableQueue.open(dir);
    await queue.append('7', push(large));
    await queue.append('7', push(small));
    assert.equal((await bodyFilesIn(dir)).length, 1, 'one file: the body just under the bound stays in the store');
    await queue.close();

    const reopened = await DurableQueue.open(dir);
    const [inFile, inStore] = await reopened.read('7', 0, 10);
    assert.equal(inFile!.body.byteLength, 0, 'the store value holds no body bytes');
    assert.equal(inFile!.bodyFile?.bytes, large.length);
    assert.ok(inFile!.size > large.length && inFile!.size < large.length + 1024, `size counts the file: ${inFile!.size}`);
    assert.equal(inStore!.bodyFile, undefined);
    assert.ok(Buffer.from(inStore!.body).equals(small));
    assert.equal(reopened.backlog('7').bytes, inFile!.size + inStore!.size, 'the backlog counts the file');
    const loaded = await reopened.readInMemory('7', 0, 10, inFile!.size);
    assert.equal(loaded.length, 1, 'no more once the files read back hold maxBytes');
    assert.ok(Buffer.from(loaded[0]!.body).equals(large), 'readInMemory reads the file back');
    assert.equal((await reopened.readInMemory('7', 0, 10, Infinity)).length, 2);

    await reopened.remove(inFile!);
    assert.deepEqual(await bodyFilesIn(dir), [], 'the file went with its item');
    assert.equal(reopened.backlog('7').bytes, inStore!.size);
    await reopened.close();
  });

  it('moves a passed-through body file to the outbox item, and deletes a consumed one after the commit', async () => {
    const dir = join(root, 'process');
    const queue = await DurableQueue.open(dir);
    const passed = randomBytes(PUSH_BODY_FILE_BYTES + 10);
    await queue.append('8', push(passed, 'v2'));
    await queue.append('8', push(randomBytes(PUSH_BODY_FILE_BYTES + 20), 'v1'));
    const [v2, v1] = await queue.readInMemory('8', 0, 10, Infinity);
    const { runId: _runId, seq: _seq, size: _size, ...outboxItem } = v2!;
    await queue.commitProcessed('8', { consumed: [v2!, v1!], outbox: [outboxItem], deadLetters: [], state: null });

    assert.deepEqual(await bodyFilesIn(dir), [v2!.bodyFile!.name], "only the consumed v1 push's file is gone");
    const [sent] = await queue.read('8', 0, 10, 'outbox');
    assert.equal(sent!.bodyFile?.name, v2!.bodyFile!.name);
    assert.equal(sent!.body.byteLength, 0, 'a body read back from its file is not stored again');
    assert.equal(queue.backlog('8').bytes, sent!.size);
    await queue.remove(sent!);
    assert.deepEqual(await bodyFilesIn(dir), []);
    await queue.close();
  });

  it('counts body files against the disk quota', async () => {
    const dir = join(root, 'quota');
    const queue = await DurableQueue.open(dir, { maxDiskBytes: 4 * PUSH_BODY_FILE_BYTES });
    await queue.append('9', push(randomBytes(2 * PUSH_BODY_FILE_BYTES)));
    assert.ok((await storeFileBytes(dir)) >= 2 * PUSH_BODY_FILE_BYTES, 'the store measures its body files');
    await assert.rejects(queue.append('9', push(randomBytes(2 * PUSH_BODY_FILE_BYTES))), { code: 'RELAYD_QUOTA_REACHED' });
    assert.equal((await bodyFilesIn(dir)).length, 1, 'no file is written for a refused push');
    await queue.close();
  });
});
