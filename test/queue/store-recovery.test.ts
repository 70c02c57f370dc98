// A store that cannot be opened is repaired, or moved aside and kept; never deleted, never silently
// emptied. Real LevelDB files on disk, damaged the way crashes and bad disks damage them.
import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ClassicLevel } from 'classic-level';
import { DurableQueue, StoreOpenError } from '../../src/queue/index.js';
import { tempDir } from '../helpers/relayd.js';
import { mountTmpfs, unmount } from '../helpers/tmpfs.js';
import { fillStore, pushItem, RUN_RECORD } from './store-fixtures.js';

async function fileOf(dir: string, pattern: RegExp): Promise<string> {
  const name = (await readdir(dir)).find((file) => pattern.test(file));
  assert.ok(name, `a file matching ${pattern} in ${dir}`);
  return join(dir, name);
}

async function keysOf(queue: DurableQueue, runId: string): Promise<string[]> {
  return (await queue.read(runId, 0, 100_000)).map((item) => item.headers['k6-idempotency-key']!);
}

describe('opening a damaged store', () => {
  let base: Awaited<ReturnType<typeof tempDir>>;
  before(async () => {
    base = await tempDir('relayd-recovery-');
  });
  after(async () => {
    await base.remove();
  });

  it('repairs a store whose MANIFEST was torn and keeps every entry', async () => {
    const dir = join(base.path, 'torn-manifest');
    const keys = await fillStore(dir, 300);
    await truncate(await fileOf(dir, /^MANIFEST-/), 10);

    const queue = await DurableQueue.open(dir);
    assert.equal(queue.recovery?.kind, 'repaired');
    assert.match(queue.recovery!.damage, /LEVEL_CORRUPTION/);
    assert.deepEqual(await keysOf(queue, '1234'), keys);
    assert.equal((await queue.loadRuns()).length, 1);
    await queue.close();
  });

  it('treats LevelDB files without CURRENT as damage, not as an empty directory (create_if_missing would delete them)', async () => {
    const dir = join(base.path, 'no-current');
    const keys = await fillStore(dir, 300);
    await rm(join(dir, 'CURRENT'));

    const queue = await DurableQueue.open(dir);
    assert.equal(queue.recovery?.kind, 'repaired');
    assert.deepEqual(await keysOf(queue, '1234'), keys, 'nothing was thrown away');
    await queue.close();
  });

  it('repairs a store whose table fails only when read, and archives the bad table in lost/', async () => {
    const dir = join(base.path, 'bad-table');
    await fillStore(dir, 300);
    const table = await fileOf(dir, /\.ldb$/);
    const bytes = await readFile(table);
    bytes.fill(0xab, 1000, 5000);
    await writeFile(table, bytes);

    const queue = await DurableQueue.open(dir);
    assert.equal(queue.recovery?.kind, 'repaired');
    assert.match(queue.recovery!.damage, /Corruption/);
    assert.ok(queue.recovery!.kind === 'repaired' && queue.recovery!.archived.length > 0, 'the damaged files are kept in lost/');
    const items = await queue.read('1234', 0, 100_000);
    assert.ok(items.length > 0, 'what repair could read is still queued');
    for (const item of items) {
      const n = Number(item.headers['k6-idempotency-key']!.slice('key-'.length));
      assert.deepEqual(Buffer.from(item.body), pushItem(n, 1500).body, 'every surviving item is intact');
    }
    assert.ok((await queue.append('1234', pushItem(9999))) > 0, 'the repaired store takes writes');
    await queue.close();
  });

  it('moves a store that repair cannot open aside, every byte kept, and starts with an empty one', async () => {
    const dir = join(base.path, 'beyond-repair');
    await fillStore(dir, 50);
    // A LOCK that is a directory: LevelDB cannot open the store, and repair cannot fix that.
    await rm(join(dir, 'LOCK'));
    await mkdir(join(dir, 'LOCK'));
    const data = new Map<string, Buffer>();
    for (const name of await readdir(dir)) if (/\.(ldb|log)$|^MANIFEST/.test(name)) data.set(name, await readFile(join(dir, name)));

    const queue = await DurableQueue.open(dir);
    const recovery = queue.recovery;
    assert.ok(recovery?.kind === 'moved-aside');
    assert.match(recovery.repairFailure, /LOCK/);
    assert.equal(recovery.movedTo, `${dir}.damaged-${recovery.movedTo.split('.damaged-')[1]}`);
    // Repair archived what it replaced in lost/ before giving up: each table, log and manifest is
    // in the moved store, unchanged, at the top or in lost/.
    for (const [name, bytes] of data) {
      const kept: Buffer = await readFile(join(recovery.movedTo, name)).catch(() => readFile(join(recovery.movedTo, 'lost', name)));
      assert.deepEqual(kept, bytes, `${name} is kept byte for byte`);
    }
    assert.equal(queue.totals().items, 0, 'a fresh, empty store');
    await queue.append('77', pushItem(1));
    await queue.close();
  });

  it('moves the content into a subfolder when the data dir is a mount point that cannot be renamed', async (t) => {
    const dir = join(base.path, 'mount-point');
    await mkdir(dir);
    if (!mountTmpfs(dir, '16m')) {
      t.skip('needs root to mount a tmpfs (the container volume case)');
      return;
    }
    try {
      await fillStore(dir, 20);
      await rm(join(dir, 'LOCK'));
      await mkdir(join(dir, 'LOCK'));
      const queue = await DurableQueue.open(dir);
      const recovery = queue.recovery;
      assert.ok(recovery?.kind === 'moved-aside');
      assert.match(recovery.movedTo, new RegExp(`^${dir}/damaged-`));
      assert.ok((await readdir(recovery.movedTo)).includes('CURRENT'));
      await queue.append('77', pushItem(1));
      await queue.close();
    } finally {
      unmount(dir);
    }
  });

  it('leaves a store in use by another process alone', async () => {
    const dir = join(base.path, 'in-use');
    await fillStore(dir, 10);
    const holder = new ClassicLevel(dir);
    await holder.open();
    const before = (await readdir(dir)).sort();
    await assert.rejects(DurableQueue.open(dir), (err: unknown) => err instanceof StoreOpenError && err.reason === 'in-use');
    assert.deepEqual((await readdir(dir)).sort(), before, 'nothing repaired, nothing moved');
    await holder.close();
  });

  it('quarantines entries that do not decode and forwards the rest', async () => {
    const dir = join(base.path, 'bad-values');
    const keys = await fillStore(dir, 5);
    const raw = new ClassicLevel<string, Uint8Array>(dir, { valueEncoding: 'view' });
    await raw.open();
    await raw.put('i!1234!00000000000000ff', Buffer.from([0xff, 0xff, 0xff, 0xff, 1, 2]));
    await raw.put('r!555', Buffer.from('{"id": 5'));
    await raw.close();

    const notices: string[] = [];
    const conditions = { setNotReady: () => undefined, setReady: () => undefined, addNotice: (notice: string) => notices.push(notice) };
    const queue = await DurableQueue.open(dir, { conditions });
    assert.deepEqual(await keysOf(queue, '1234'), keys, 'readers see only what decodes');
    assert.deepEqual(await queue.loadRuns(), [RUN_RECORD]);
    assert.match(notices.join('\n'), /2 unreadable store entries were quarantined/);
    await queue.close();

    const check = new ClassicLevel<string, Uint8Array>(dir, { valueEncoding: 'view' });
    await check.open();
    assert.deepEqual(await check.keys({ gt: 'q!', lt: 'q!~' }).all(), ['q!i!1234!00000000000000ff', 'q!r!555'], 'kept, raw');
    await check.close();
  });
});
