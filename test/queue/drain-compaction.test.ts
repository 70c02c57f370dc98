// Delivered items give their disk space back while a backlog drains, without a quota: the queue
// compacts the key ranges it removed, in the background. Real LevelDB on disk, real file sizes; what
// LevelDB was asked to compact is read from the LOG it keeps in the store.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ClassicLevel } from 'classic-level';
import { DrainCompactor } from '../../src/queue/drain-compactor.js';
import { DurableQueue, storeFileBytes, type QueueItem } from '../../src/queue/index.js';
import { eventually, tempDir } from '../helpers/relayd.js';
import { pushItem } from './store-fixtures.js';

const MiB = 1024 ** 2;
const BODY_BYTES = 256 * 1024;

/** Random bodies: LevelDB compresses its tables with snappy, and a body of one repeated byte would take no room. */
function incompressible(n: number, bytes = BODY_BYTES): QueueItem {
  return { ...pushItem(n), body: randomBytes(bytes) };
}

async function fill(queue: DurableQueue, runIds: readonly string[], bytes: number, first = 0): Promise<void> {
  for (let n = 0; n * BODY_BYTES < bytes; n++) await queue.append(runIds[n % runIds.length]!, incompressible(first + n));
}

/** Delivers every item of the run in order, the way the forwarder removes them. */
async function deliverAll(queue: DurableQueue, runId: string): Promise<void> {
  for (let items = await queue.read(runId, 0, 16); items.length > 0; items = await queue.read(runId, items.at(-1)!.seq, 16)) {
    for (const item of items) await queue.remove(item);
  }
}

/** The key ranges LevelDB compacted by hand (compactRange), one line per level and step, from its LOG. */
async function manualCompactions(dir: string): Promise<{ from: string; to: string }[]> {
  const log = await readFile(join(dir, 'LOG'), 'utf8');
  return [...log.matchAll(/Manual compaction at level-\d+ from '([^']*)' @ [^.]* \.\. '([^']*)' @/g)].map(([, from, to]) => ({ from: from!, to: to! }));
}

describe('compaction of delivered items', () => {
  let base: Awaited<ReturnType<typeof tempDir>>;
  before(async () => {
    base = await tempDir('relayd-drain-compaction-');
  });
  after(async () => {
    await base.remove();
  });

  it('gives the disk space of a delivered 80 MiB backlog back, without a quota', async () => {
    const dir = join(base.path, 'drained');
    const queue = await DurableQueue.open(dir);
    const runIds = ['run-a', 'run-b', 'run-c', 'run-d'];
    await fill(queue, runIds, 80 * MiB);
    const full = await storeFileBytes(dir);
    assert.ok(full >= 80 * MiB, `the store holds the backlog: ${(full / MiB).toFixed(1)} MiB`);

    for (const runId of runIds) await deliverAll(queue, runId);
    assert.equal(queue.totals().items, 0);
    // Without the compaction of delivered ranges the store stays at 80 MiB (LevelDB writes only
    // tombstones while a queue drains, too few to set off its own compactions).
    await eventually(async () => (await storeFileBytes(dir)) < 2 * MiB, 10_000, 'the delivered bytes to leave the disk');
    await queue.close();
  });

  it('compacts only the delivered ranges, and leaves a live backlog as it is', async () => {
    const dir = join(base.path, 'live');
    const queue = await DurableQueue.open(dir);
    await fill(queue, ['held'], 16 * MiB);
    await fill(queue, ['sent'], 64 * MiB, 10_000);
    const full = await storeFileBytes(dir);

    // 64 MiB and their keys' bytes removed: enough for a round while the queue is not empty.
    await deliverAll(queue, 'sent');
    await eventually(async () => (await storeFileBytes(dir)) < full - 60 * MiB, 10_000, 'the delivered bytes to leave the disk');
    const ranges = await manualCompactions(dir);
    assert.ok(ranges.length > 0, 'LevelDB compacted by hand');
    const flush = (range: { from: string; to: string }): boolean => range.from === '~' && range.to === '~';
    const delivered = (range: { from: string; to: string }): boolean => range.from >= 'i!sent!' && range.to <= 'i!sent!~';
    assert.deepEqual(
      ranges.filter((range) => !flush(range) && !delivered(range)),
      [],
      'every range LevelDB compacted is in the delivered run, or is the flush above every key',
    );
    assert.equal((await queue.read('held', 0, 100)).length, 64, 'the live backlog is all there');
    await queue.close();
  });

  it('does not compact after every delivery while the queue keeps up', async () => {
    const dir = join(base.path, 'keeping-up');
    const queue = await DurableQueue.open(dir);
    // 3 MiB in all, one item at a time: the queue is empty after each delivery.
    for (let n = 0; n < 96; n++) {
      await queue.append('steady', incompressible(n, 32 * 1024));
      const [item] = await queue.read('steady', 0, 1);
      await queue.remove(item!);
      assert.equal(queue.totals().items, 0);
    }
    await queue.close();
    assert.deepEqual(await manualCompactions(dir), [], 'no compaction for less than a memtable of deliveries');
  });

  it('deletes the tables a compaction replaced while a read held them, once the read ended', async () => {
    const dir = join(base.path, 'held-read');
    const db = new ClassicLevel<string, Uint8Array>(dir, { keyEncoding: 'utf8', valueEncoding: 'view' });
    await db.open();
    const key = (n: number): string => `i!gone!${String(n).padStart(16, '0')}`;
    for (let n = 0; n < 256; n++) await db.put(key(n), randomBytes(BODY_BYTES));
    await db.clear({ gt: 'i!gone!', lte: key(255) });
    // An open iterator holds the version of the store it started on, table files included.
    const read = db.iterator();
    await read.next();
    let rounds = 0;
    const compactor = new DrainCompactor({
      compact: (start, end) => db.compactRange(start, end),
      flush: () => db.compactRange('~', '~'),
      compactAfterBytes: 1,
      compactWhenEmptyAfterBytes: 1,
      onCompacted: async () => void rounds++,
      onError: (err) => assert.fail(String(err)),
    });
    compactor.removed('i!gone!', key(255), 64 * MiB);
    await eventually(() => rounds === 1, 10_000, 'the round to end');
    assert.ok((await storeFileBytes(dir)) > 60 * MiB, 'the tables the read holds are still on disk');
    await read.close();
    await eventually(async () => (await storeFileBytes(dir)) < 2 * MiB, 5_000, 'the flush after the round to delete the replaced tables');
    await compactor.stop();
    await db.close();
  });
});
