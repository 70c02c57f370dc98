// What the offline commands on a data dir (check, export, replay-dead-letters) share: the --data-dir
// option, and how a store that cannot be opened is reported. Their exit codes:
//   0  done (check: the store is readable and nothing in it is wrong)
//   1  check: the store opened but holds problems (unreadable, quarantined or orphaned entries);
//      export: the run is not in the store
//   2  bad command line
//   3  no store in the directory, or one that cannot be opened or read (relayd start repairs it, or
//      moves it aside, keeping it)
//   4  the store is in use: a relayd is running on this data dir (stop it first)
import type { Argv } from 'yargs';
import { StoreOpenError } from '../queue/index.js';

export const EXIT = { ok: 0, problems: 1, cannotOpen: 3, inUse: 4 } as const;

export const EXIT_CODES_HELP =
  'Exit codes: 0 done; 1 problems found (check) or no such run (export); 2 bad command line; ' +
  '3 no store, or one that cannot be opened or read; 4 the store is in use by a running relayd.';

export function withDataDir<T>(yargs: Argv<T>, defaults: Record<string, string>): Argv<T & { 'data-dir': string }> {
  return yargs.option('data-dir', {
    type: 'string',
    describe: 'Directory of the store (relayd must not be running on it)',
    default: defaults['data-dir'] ?? './relayd-data',
  }) as Argv<T & { 'data-dir': string }>;
}

/** The exit code and one line for an error opening or reading a store; null for anything else. */
export function storeFailure(err: unknown): { code: number; message: string } | null {
  if (err instanceof StoreOpenError) return { code: err.reason === 'in-use' ? EXIT.inUse : EXIT.cannotOpen, message: err.message };
  const code = (err as { code?: string }).code;
  if (code === 'LEVEL_CORRUPTION' || code === 'LEVEL_IO_ERROR' || code === 'LEVEL_ITERATOR_NOT_OPEN') {
    return { code: EXIT.cannotOpen, message: `the store cannot be read: ${(err as Error).message} (relayd start repairs it)` };
  }
  return null;
}

/** Runs `work`, turning a store that cannot be opened or read into its exit code and message. */
export async function onStore(work: () => Promise<number>): Promise<number> {
  try {
    return await work();
  } catch (err) {
    const failure = storeFailure(err);
    if (failure === null) throw err;
    process.stderr.write(`relayd: ${failure.message}\n`);
    return failure.code;
  }
}
