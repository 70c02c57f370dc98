// Opening the store, whatever the last life of the process left behind. Invariants:
//  - Acknowledged data is never deleted here. A damaged store is first given to LevelDB's repair,
//    which rebuilds the store from every readable table and log and archives what it cannot use in
//    <dir>/lost/; if the store still does not open, the whole directory is moved aside (renamed,
//    or moved into <dir>/damaged-<time>/ when <dir> is a mount point) and a fresh store starts.
//  - A directory with LevelDB files but no CURRENT is damaged, not empty: LevelDB's
//    create_if_missing would start a new store there and delete the old tables and logs as
//    obsolete. So an existing store is opened with createIfMissing: false.
//  - Being in use (another relayd holds the LOCK), lacking permission and a full disk are not
//    damage: they fail the open as they are, and nothing is repaired or moved.
// "Opens" means LevelDB opened it and the census read every entry (census.ts): a corrupt table
// often opens fine and fails only when read.
import { mkdir, readdir, rename } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { ClassicLevel } from 'classic-level';
import { takeCensus, type StoreCensus } from './census.js';

type Db = ClassicLevel<string, Uint8Array>;

/**
 * LevelDB 1.20 (classic-level's) reads table files through mmap, up to 1000 of them, and keeps the
 * pages it read mapped, so counted in relayd's RSS, while a table sits in its table cache
 * (max_open_files - 10 tables). With the default 1000 a 1 GiB backlog's drain mapped 525-790 MiB of
 * tables (RSS peak 962-1196 MiB); at 74, LevelDB's floor, the cache holds 64 tables of at most
 * 2 MiB: ~60-70 MiB mapped whatever the backlog (peak 475-513 MiB). Cost: an evicted table is
 * reopened (open, mmap, read its index) when read again: +11% CPU per GiB drained (2 pairs), drain
 * 169 against 195 MiB/s (medians of 3 pairs on a busy machine; bench/README.md, issue 11).
 * Tables of 1 MiB instead of LevelDB's 2 halve what those 64 tables can map: the 1 GiB drain's
 * file-backed RSS (mapped tables, and the node binary's ~45 MiB) 87-89 against 104-123 MiB, its
 * RSS peak 287 against 311 (3 pairs), for ~4% more CPU per GiB drained; ingest and the drain's rate
 * unchanged within their noise.
 */
const STORE_OPTIONS = { keyEncoding: 'utf8', valueEncoding: 'view', maxOpenFiles: 74, maxFileSize: 1024 * 1024 } as const;

export type StoreRecovery =
  | { readonly kind: 'repaired'; readonly damage: string; readonly archived: string[] }
  | { readonly kind: 'moved-aside'; readonly damage: string; readonly repairFailure: string; readonly movedTo: string };

export interface OpenedStore {
  readonly db: Db;
  readonly census: StoreCensus;
  /** What had to be done to open it; null when it opened as it was. */
  readonly recovery: StoreRecovery | null;
}

/**
 * The store cannot be opened: for the daemon, a reason repair would not fix (in use, permission,
 * disk full); for offline commands, which never repair, also missing or damaged.
 */
export class StoreOpenError extends Error {
  constructor(
    readonly reason: 'in-use' | 'permission' | 'disk-full' | 'missing' | 'damaged',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'StoreOpenError';
  }
}

const LEVELDB_FILE = /^(CURRENT|MANIFEST-\d+|\d+\.(log|ldb|sst))$/;

function describeError(err: unknown): string {
  const error = err as { code?: string; message?: string; cause?: { code?: string; message?: string } };
  const inner = error.cause?.message ?? error.message ?? String(err);
  return error.cause?.code ? `${error.cause.code}: ${inner}` : `${error.code ?? 'error'}: ${inner}`;
}

/** A full disk as LevelDB reports it (an IO error carrying the strerror text). */
export function isDiskFull(err: unknown): boolean {
  return /No space left on device|ENOSPC/i.test(describeError(err));
}

/** Errors that say nothing about the store's bytes; repair must not touch the store for them. */
function notDamage(err: unknown, dir: string): StoreOpenError | null {
  const error = err as { code?: string; cause?: { code?: string } };
  const text = describeError(err);
  if (error.code === 'LEVEL_LOCKED' || error.cause?.code === 'LEVEL_LOCKED') {
    return new StoreOpenError('in-use', `the store ${dir} is in use by another process (is relayd already running?)`, { cause: err });
  }
  if (/Permission denied|EACCES|EPERM/i.test(text)) {
    return new StoreOpenError('permission', `no permission to open the store ${dir}: ${text}`, { cause: err });
  }
  if (isDiskFull(err)) return new StoreOpenError('disk-full', `the disk under ${dir} is full: ${text}`, { cause: err });
  return null;
}

async function entries(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

async function openAndCount(dir: string, createIfMissing: boolean): Promise<{ db: Db; census: StoreCensus }> {
  const db: Db = new ClassicLevel(dir, { ...STORE_OPTIONS, createIfMissing });
  await db.open();
  try {
    return { db, census: await takeCensus(db) };
  } catch (err) {
    await db.close().catch(() => undefined);
    throw err;
  }
}

async function tryOpen(dir: string): Promise<{ ok: true; db: Db; census: StoreCensus } | { ok: false; error: unknown }> {
  const names = await entries(dir);
  const isStore = names.some((name) => LEVELDB_FILE.test(name));
  try {
    return { ok: true, ...(await openAndCount(dir, !isStore)) };
  } catch (error) {
    const fatal = notDamage(error, dir);
    if (fatal) throw fatal;
    return { ok: false, error };
  }
}

/** Moves the damaged store out of the way, keeping every byte; returns where it went. */
async function moveAside(dir: string, now: Date): Promise<string> {
  const stamp = now.toISOString().replaceAll(':', '-');
  const sibling = join(dirname(dir), `${basename(dir)}.damaged-${stamp}`);
  try {
    await rename(dir, sibling);
    return sibling;
  } catch (err) {
    // A mount point (a container volume) cannot be renamed: move its content into a subfolder.
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EBUSY' && code !== 'EXDEV' && code !== 'EPERM' && code !== 'EACCES') throw err;
    const inside = join(dir, `damaged-${stamp}`);
    const names = await entries(dir);
    await mkdir(inside, { mode: 0o700 });
    for (const name of names) await rename(join(dir, name), join(inside, name));
    return inside;
  }
}

export async function openStore(dir: string, now: () => Date = () => new Date()): Promise<OpenedStore> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const first = await tryOpen(dir);
  if (first.ok) return { db: first.db, census: first.census, recovery: null };
  const damage = describeError(first.error);

  const lostBefore = new Set(await entries(join(dir, 'lost')));
  let repairFailure: string;
  try {
    await ClassicLevel.repair(dir);
    const repaired = await tryOpen(dir);
    if (repaired.ok) {
      const archived = (await entries(join(dir, 'lost'))).filter((name) => !lostBefore.has(name)).map((name) => join('lost', name));
      return { db: repaired.db, census: repaired.census, recovery: { kind: 'repaired', damage, archived } };
    }
    repairFailure = describeError(repaired.error);
  } catch (err) {
    if (err instanceof StoreOpenError) throw err;
    repairFailure = describeError(err);
  }

  const movedTo = await moveAside(dir, now());
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const fresh = await tryOpen(dir);
  if (!fresh.ok) throw new Error(`a fresh store in ${dir} does not open either: ${describeError(fresh.error)}`, { cause: fresh.error });
  return { db: fresh.db, census: fresh.census, recovery: { kind: 'moved-aside', damage, repairFailure, movedTo } };
}

/**
 * Opens an existing store for an offline command (check, export): never creates, repairs or moves
 * anything. LevelDB has no read-only mode; opening replays its log into a table, which keeps every
 * entry as it was.
 */
export async function openExistingStore(dir: string): Promise<Db> {
  const names = await entries(dir);
  if (!names.some((name) => LEVELDB_FILE.test(name))) throw new StoreOpenError('missing', `no store in ${dir}`);
  const db: Db = new ClassicLevel(dir, { ...STORE_OPTIONS, createIfMissing: false });
  try {
    await db.open();
  } catch (err) {
    throw notDamage(err, dir) ?? new StoreOpenError('damaged', `the store ${dir} cannot be opened: ${describeError(err)}`, { cause: err });
  }
  return db;
}
