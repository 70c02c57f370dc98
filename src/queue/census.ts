// A census of the store: one pass over every key, counting what the store holds and finding what
// cannot be read. The daemon takes it when it opens the store (its counters come from it, and a
// table LevelDB cannot read fails the pass, which sends the store to repair); `relayd check` prints
// it. Read-only: it never changes the store.
import type { ClassicLevel } from 'classic-level';
import { decodeItem, diskBytes, type QueueItem } from './item.js';
import { parseEntryKey, SEQ_KEY } from './keys.js';

export interface Backlog {
  items: number;
  bytes: number;
}

export interface UnreadableEntry {
  readonly key: string;
  readonly reason: string;
}

export interface StoreCensus {
  /** Pending items per run: its inbox (i!) and outbox (o!). */
  readonly backlog: Map<string, Backlog>;
  readonly deadLetters: Backlog;
  /** Entries moved out of the way earlier because they could not be read (q!). */
  readonly quarantined: Backlog;
  /** Readable run records (r!). */
  readonly runs: number;
  /** Run records per state (running, finishing, finished, …). */
  readonly runStates: Map<string, number>;
  /** Entries of the keyspaces the queue keeps for other rooms (a! aggregator states, s! run ledgers, x! results), per prefix. */
  readonly auxiliary: Map<string, number>;
  /** The counter persisted under m!seq, or null when absent. */
  readonly storedSeq: number | null;
  /** The highest seq of any item, dead letter or quarantined entry. */
  readonly highestSeq: number;
  /** Values under a known prefix that do not decode (items, dead letters, run records). */
  readonly unreadable: UnreadableEntry[];
  /** Keys under no prefix relayd knows, counted per first segment (e.g. "x!"). */
  readonly unknownKeys: Map<string, number>;
  /** Pending items whose run has no record: nothing will forward them. */
  readonly orphanItems: number;
  /** Body files (body-files.ts) named by an item or a dead letter: every other one is left over. */
  readonly bodyFiles: Set<string>;
}

type Db = ClassicLevel<string, Uint8Array>;

/** Keyspaces whose values belong to other rooms (aggregate state, run ledgers, results): counted, not decoded. */
const AUXILIARY_PREFIXES: ReadonlySet<string> = new Set(['a!', 's!', 'x!']);

function grow(backlog: Backlog, bytes: number): void {
  backlog.items += 1;
  backlog.bytes += bytes;
}

/** The item, or why its value cannot be read. */
function readItem(value: Uint8Array): QueueItem | { problem: string } {
  try {
    const item = decodeItem(value);
    return typeof item.kind === 'string' && typeof item.headers === 'object' ? item : { problem: 'item meta lacks kind or headers' };
  } catch (err) {
    return { problem: `item does not decode: ${err instanceof Error ? err.message : String(err)}` };
  }
}

/** The state of a readable run record, or the problem that makes it unreadable. */
function readRecord(value: Uint8Array): { state: string } | { problem: string } {
  try {
    const record = JSON.parse(Buffer.from(value).toString('utf8')) as { id?: unknown; state?: unknown };
    if (typeof record.id !== 'string') return { problem: 'run record has no id' };
    return { state: typeof record.state === 'string' ? record.state : 'unknown' };
  } catch (err) {
    return { problem: `run record is not JSON: ${err instanceof Error ? err.message : String(err)}` };
  }
}

/** Reads every entry once. Throws what LevelDB throws for a table it cannot read (LEVEL_CORRUPTION). */
export async function takeCensus(db: Db): Promise<StoreCensus> {
  const census = {
    backlog: new Map<string, Backlog>(),
    deadLetters: { items: 0, bytes: 0 },
    quarantined: { items: 0, bytes: 0 },
    runs: 0,
    runStates: new Map<string, number>(),
    auxiliary: new Map<string, number>(),
    storedSeq: null as number | null,
    highestSeq: 0,
    unreadable: [] as UnreadableEntry[],
    unknownKeys: new Map<string, number>(),
    orphanItems: 0,
    bodyFiles: new Set<string>(),
  };
  const runIds = new Set<string>();
  for await (const [key, value] of db.iterator()) {
    const prefix = key.slice(0, 2);
    if (prefix === 'i!' || prefix === 'o!' || prefix === 'd!') {
      const { runId, seq } = parseEntryKey(key);
      census.highestSeq = Math.max(census.highestSeq, Number.isFinite(seq) ? seq : 0);
      const item = readItem(value);
      if ('problem' in item) {
        census.unreadable.push({ key, reason: item.problem });
        continue;
      }
      if (item.bodyFile !== undefined) census.bodyFiles.add(item.bodyFile.name);
      const bytes = diskBytes(value.byteLength, item);
      if (prefix === 'd!') grow(census.deadLetters, bytes);
      else {
        const backlog = census.backlog.get(runId) ?? { items: 0, bytes: 0 };
        grow(backlog, bytes);
        census.backlog.set(runId, backlog);
      }
    } else if (prefix === 'q!') {
      grow(census.quarantined, value.byteLength);
      const seq = parseEntryKey(key.slice(2)).seq;
      census.highestSeq = Math.max(census.highestSeq, Number.isFinite(seq) ? seq : 0);
    } else if (AUXILIARY_PREFIXES.has(prefix)) {
      census.auxiliary.set(prefix, (census.auxiliary.get(prefix) ?? 0) + 1);
    } else if (prefix === 's!') {
      // A run's ledger: counters only, rewritten whole with the run's next change.
    } else if (prefix === 'r!') {
      const record = readRecord(value);
      if ('problem' in record) census.unreadable.push({ key, reason: record.problem });
      else {
        census.runs += 1;
        census.runStates.set(record.state, (census.runStates.get(record.state) ?? 0) + 1);
        runIds.add(key.slice(2));
      }
    } else if (key === SEQ_KEY) {
      const seq = Number(Buffer.from(value).toString('utf8'));
      if (Number.isSafeInteger(seq) && seq >= 0) census.storedSeq = seq;
      else census.unreadable.push({ key, reason: 'seq counter is not an integer' });
    } else {
      const segment = key.includes('!') ? `${key.split('!', 1)[0]}!` : key.slice(0, 8);
      census.unknownKeys.set(segment, (census.unknownKeys.get(segment) ?? 0) + 1);
    }
  }
  for (const [runId, backlog] of census.backlog) if (!runIds.has(runId)) census.orphanItems += backlog.items;
  return census;
}
