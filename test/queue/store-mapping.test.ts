// LevelDB maps the table files it reads and keeps them mapped (in relayd's RSS) while they sit in its
// table cache: the store is opened with a small cache, so that reading a large store (a drain, the
// census at start) maps a bounded number of tables, not all of them (store-open.ts).
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { encodeItem, openStore } from '../../src/queue/index.js';
import { itemKey } from '../../src/queue/keys.js';
import { tempDir } from '../helpers/relayd.js';
import { pushItem } from './store-fixtures.js';

/** LevelDB keeps max_open_files - 10 tables open; relayd opens with LevelDB's floor of 74. */
const TABLE_CACHE = 64;
const TABLES = 90;

/** Table files of `dir` mapped into this process now. */
async function mappedTables(dir: string): Promise<number> {
  const maps = await readFile('/proc/self/maps', 'utf8');
  return new Set(maps.split('\n').filter((line) => line.includes(`${dir}/`) && line.endsWith('.ldb')).map((line) => line.slice(line.indexOf('/')))).size;
}

describe('the store maps a bounded number of table files', { skip: process.platform !== 'linux' && 'reads /proc/self/maps' }, () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  before(async () => {
    dir = await tempDir('relayd-mapping-');
  });
  after(async () => {
    await dir.remove();
  });

  it(`maps at most ${TABLE_CACHE} of ${TABLES} tables while every entry is read`, async () => {
    const writer = await openStore(dir.path);
    for (let n = 0; n < TABLES; n++) {
      const key = itemKey('1234', n + 1);
      await writer.db.put(key, encodeItem(pushItem(n, 1024)));
      // A manual compaction of one key writes it to a table of its own (LevelDB 1.20 does not move
      // files trivially in manual compactions), and keys written in order never overlap.
      await writer.db.compactRange(key, key);
    }
    await writer.db.close();
    const tables = (await readdir(dir.path)).filter((name) => name.endsWith('.ldb')).length;
    assert.ok(tables >= TABLES, `the store holds ${tables} tables`);

    // Opening takes a census of every entry (census.ts), reading every table.
    const { db, census } = await openStore(dir.path);
    try {
      assert.equal(census.unreadable.length, 0);
      let read = 0;
      for await (const _ of db.keys()) read++;
      assert.equal(read, TABLES);
      const mapped = await mappedTables(dir.path);
      assert.ok(mapped > 0, 'LevelDB reads its tables through mmap');
      assert.ok(mapped <= TABLE_CACHE, `${mapped} of ${tables} tables mapped`);
    } finally {
      await db.close();
    }
  });
});
