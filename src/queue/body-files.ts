// Request bodies too large for a store value: the multipart create of `k6 cloud run
// --local-execution`, whose test archive may be hundreds of MiB, and a push of a MiB or more
// (durable-queue.ts PUSH_BODY_FILE_BYTES). A LevelDB value is written, read and sent whole, so such a
// body would cost its size in memory several times over (encoding, the log, the memtable, a table
// block, the read back); instead it is written to a file of <data dir>/bodies and the queue item
// names it (QueueItem.bodyFile), so it is sent to the cloud as a stream too. Invariants:
//  - A file is synced, and its directory entry too, before the item naming it is appended: after an
//    acknowledged create, both survive kill -9.
//  - A file lives as long as an item (pending or dead letter) names it: the queue deletes it once the
//    item was delivered and that removal is synced. Whatever a crash left behind (a half-written
//    file, a file whose item never made it into the store or left it) is named by no item when the
//    store opens again, and is deleted then (sweep).
import { randomUUID } from 'node:crypto';
import { mkdir, open, readdir, readFile, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';

/** What a queue item says of its body file. */
export interface BodyFileRef {
  /** File name under <data dir>/bodies. */
  readonly name: string;
  readonly bytes: number;
}

/** A file being written: append, then `keep` (synced) or `discard`. */
export interface BodyFileWriter {
  write(chunk: Uint8Array): Promise<void>;
  keep(): Promise<BodyFileRef>;
  discard(): Promise<void>;
}

/** The folder of the data dir that holds them. */
export const BODY_FILES_DIR = 'bodies';

export class BodyFiles {
  readonly dir: string;

  constructor(dataDir: string) {
    this.dir = join(dataDir, BODY_FILES_DIR);
  }

  /** Deletes every file no item names (see the header). */
  async sweep(named: ReadonlySet<string>): Promise<string[]> {
    const orphans = (await readdir(this.dir).catch(ifMissing([]))).filter((name) => !named.has(name));
    await Promise.all(orphans.map((name) => this.remove(name)));
    return orphans;
  }

  async create(): Promise<BodyFileWriter> {
    const name = `${randomUUID()}.body`;
    const path = join(this.dir, name);
    // Made on first use: a data dir that never took such a body has no such folder.
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const handle = await open(path, 'wx', 0o600);
    let bytes = 0;
    let closed = false;
    const close = async (): Promise<void> => {
      if (closed) return;
      closed = true;
      await handle.close();
    };
    return {
      write: async (chunk) => {
        // writeFile goes on after a short write (a disk filling up), where write() would return it.
        await handle.writeFile(chunk);
        bytes += chunk.byteLength;
      },
      keep: async () => {
        await handle.sync();
        await close();
        await syncDir(this.dir);
        return { name, bytes };
      },
      discard: async () => {
        await close().catch(() => undefined);
        await this.remove(name);
      },
    };
  }

  /** A body held in memory, kept in a new file (synced, as `keep`). */
  async write(body: Uint8Array): Promise<BodyFileRef> {
    const writer = await this.create();
    try {
      await writer.write(body);
      return await writer.keep();
    } catch (err) {
      await writer.discard().catch(() => undefined);
      throw err;
    }
  }

  /** A body back in memory, for a reader that decodes it. */
  read(ref: BodyFileRef): Promise<Buffer> {
    return readFile(this.path(ref));
  }

  path(ref: BodyFileRef): string {
    return join(this.dir, ref.name);
  }

  /** The body as the upstream client sends it: streamed from its file, with its length. */
  upstreamBody(ref: BodyFileRef): { readonly path: string; readonly bytes: number } {
    return { path: this.path(ref), bytes: ref.bytes };
  }

  async remove(name: string): Promise<void> {
    await rm(join(this.dir, name), { force: true });
  }
}

function ifMissing<T>(value: T): (err: NodeJS.ErrnoException) => T {
  return (err) => {
    if (err.code === 'ENOENT') return value;
    throw err;
  };
}

/** Makes a new directory entry durable (a synced file can still vanish from a directory not synced). */
async function syncDir(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } finally {
    await handle?.close();
  }
}
