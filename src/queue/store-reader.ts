// A read-only view of a store for offline commands (relayd check, relayd export): opened without
// creating, repairing or moving anything (openExistingStore), and only read. The daemon must not be
// running on the same directory: LevelDB's lock lets one process in, and the other gets "in use".
import type { ClassicLevel } from 'classic-level';
import { takeCensus, type StoreCensus } from './census.js';
import type { DeadLetter } from './durable-queue.js';
import { decodeItem, diskBytes, type ItemBox, type StoredItem } from './item.js';
import { BOX_PREFIX, parseEntryKey, prefixRange, runKey } from './keys.js';
import { openExistingStore } from './store-open.js';

type Db = ClassicLevel<string, Uint8Array>;

export class StoreReader {
  readonly #db: Db;

  private constructor(db: Db) {
    this.#db = db;
  }

  static async open(dir: string): Promise<StoreReader> {
    return new StoreReader(await openExistingStore(dir));
  }

  census(): Promise<StoreCensus> {
    return takeCensus(this.#db);
  }

  /** The run's record as stored (JSON text), or undefined. */
  async runRecord(runId: string): Promise<string | undefined> {
    const value = await this.#db.get(runKey(runId));
    return value === undefined ? undefined : Buffer.from(value).toString('utf8');
  }

  /** Pending items of one run's box, in arrival order. */
  async *pending(runId: string, box: ItemBox): AsyncGenerator<StoredItem> {
    for await (const [key, value] of this.#db.iterator(prefixRange(`${BOX_PREFIX[box]}${runId}!`))) {
      const item = decodeItem(value);
      yield { ...item, runId, seq: parseEntryKey(key).seq, size: diskBytes(value.byteLength, item), box };
    }
  }

  /** Dead letters of one run, or of every run (by run, then arrival). */
  async *deadLetters(runId?: string): AsyncGenerator<DeadLetter> {
    const range = prefixRange(runId === undefined ? 'd!' : `d!${runId}!`);
    for await (const [key, value] of this.#db.iterator(range)) {
      yield { ...(decodeItem(value) as Omit<DeadLetter, 'runId' | 'seq'>), ...parseEntryKey(key) };
    }
  }

  close(): Promise<void> {
    return this.#db.close();
  }
}
