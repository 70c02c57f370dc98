// The disk quota of the store (--max-disk). What counts is what the store occupies on disk: the
// size of LevelDB's files in the data dir and of the body files (body-files.ts), measured every
// second, plus every byte appended since the last measurement (so a burst between two measurements
// cannot overshoot). Invariants:
//  - Only new data is refused (admit() throws RELAYD_QUOTA_REACHED, a 503 with Retry-After);
//    nothing stored is ever deleted to make room.
//  - Full at the quota; ready again only below the low-water mark (90%), so a store hovering at
//    the limit does not flap between refusing and accepting on every request.
//  - Delivered items leave the disk only when LevelDB compacts their tombstones away; the queue
//    compacts the delivered ranges as it drains (drain-compactor.ts, every tenth of a small quota),
//    which is how a full store recovers by itself.
// Files the store does not own (LevelDB's lost/ archive, a damaged store moved aside into the
// data dir) are not counted: they are for a person to look at, and relayd never deletes them.
import { readdir, stat, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import { RelaydError } from '../errors.js';
import { BODY_FILES_DIR } from './body-files.js';

const GiB = 1024 ** 3;
/** The "auto" quota is at most 10 GiB, and at most 90% of the space the store can use (free space plus its own files). */
export const AUTO_QUOTA_CAP_BYTES = 10 * GiB;
export const AUTO_QUOTA_SHARE = 0.9;
const LOW_WATER = 0.9;

export interface QuotaState {
  readonly maxBytes: number;
  readonly usedBytes: number;
  readonly full: boolean;
}

/**
 * Bytes of the store's files: the regular files directly in `dir` (LevelDB keeps all of its files at
 * the top level) and the body files (body-files.ts).
 */
export async function storeFileBytes(dir: string): Promise<number> {
  return (await regularFileBytes(dir)) + (await regularFileBytes(join(dir, BODY_FILES_DIR)));
}

async function regularFileBytes(dir: string): Promise<number> {
  let total = 0;
  // A folder that is not there holds nothing (no body file was ever kept).
  const entries = await readdir(dir, { withFileTypes: true }).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [];
    throw err;
  });
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    try {
      total += (await stat(join(dir, entry.name))).size;
    } catch {
      // Deleted between readdir and stat (an obsolete log or table, a delivered body): it takes no space.
    }
  }
  return total;
}

/** The quota in bytes for a --max-disk setting, resolved once at start. */
export async function resolveQuota(setting: number | 'auto', dir: string): Promise<number> {
  if (setting !== 'auto') return setting;
  const fs = await statfs(dir);
  const usable = fs.bavail * fs.bsize + (await storeFileBytes(dir));
  return Math.floor(Math.min(AUTO_QUOTA_CAP_BYTES, AUTO_QUOTA_SHARE * usable));
}

export class DiskQuota {
  readonly maxBytes: number;
  readonly #dir: string;
  #measured = 0;
  #appendedSinceMeasure = 0;
  #full = false;

  constructor(maxBytes: number, dir: string) {
    this.maxBytes = maxBytes;
    this.#dir = dir;
  }

  get full(): boolean {
    return this.#full;
  }

  usedBytes(): number {
    return this.#measured + this.#appendedSinceMeasure;
  }

  state(): QuotaState {
    return { maxBytes: this.maxBytes, usedBytes: this.usedBytes(), full: this.#full };
  }

  /** Throws RELAYD_QUOTA_REACHED unless `bytes` more fit under the quota. */
  admit(bytes: number): void {
    if (!this.#full && this.usedBytes() + bytes <= this.maxBytes) return;
    this.#full = true;
    throw new RelaydError('RELAYD_QUOTA_REACHED', `the store uses ${this.usedBytes()} of ${this.maxBytes} bytes`);
  }

  /** Bytes just written (synced), before the next measurement sees them. */
  added(bytes: number): void {
    this.#appendedSinceMeasure += bytes;
  }

  /** Measures the store's files; returns whether `full` changed. */
  async measure(): Promise<boolean> {
    // Bytes appended while measuring may or may not be in the measurement: keep counting them.
    const counted = this.#appendedSinceMeasure;
    const measured = await storeFileBytes(this.#dir);
    this.#measured = measured;
    this.#appendedSinceMeasure -= counted;
    const wasFull = this.#full;
    if (measured >= this.maxBytes) this.#full = true;
    else if (measured <= LOW_WATER * this.maxBytes) this.#full = false;
    return wasFull !== this.#full;
  }
}
