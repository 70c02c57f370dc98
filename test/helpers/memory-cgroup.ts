// A memory cgroup with a hard limit, for running relayd as a container with `--memory 256m` would:
// the kernel charges the process's pages to it (anonymous memory and the page cache of the files it
// writes and maps, which it reclaims under pressure) and OOM-kills it when it cannot reclaim enough.
// cgroup v2 (memory.max, memory.peak, memory.events) or v1 (memory.limit_in_bytes,
// memory.max_usage_in_bytes, memory.oom_control); creating one needs root and a writable
// /sys/fs/cgroup. A process is started inside it (wrap()): pages a process touched before it moved
// would stay charged where they were.
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface MemoryCgroup {
  readonly path: string;
  readonly version: 1 | 2;
  readonly limitBytes: number;
  /** The command line that starts `file` with `args` inside this cgroup (a shell joins it, then execs). */
  wrap(file: string, args: readonly string[]): { file: string; args: string[] };
  /** The most memory charged at once since creation (v2 without memory.peak: the current charge). */
  peakBytes(): number;
  /** Processes the kernel killed for want of memory in this cgroup. */
  oomKills(): number;
  /** Removes the cgroup; every process in it must have exited. */
  remove(): void;
}

const ROOT = '/sys/fs/cgroup';

function read(path: string): string {
  return readFileSync(path, 'utf8').trim();
}

function field(text: string, name: string): number {
  return Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
}

/** Where this process's memory cgroup lives in the v1 hierarchy. */
function ownV1Path(): string {
  const line = read('/proc/self/cgroup')
    .split('\n')
    .find((entry) => entry.split(':')[1]?.split(',').includes('memory'));
  if (!line) throw new Error('no memory controller in /proc/self/cgroup');
  return join(ROOT, 'memory', line.split(':')[2]!);
}

function wrap(cgroup: string, file: string, args: readonly string[]): { file: string; args: string[] } {
  return { file: '/bin/sh', args: ['-c', 'echo $$ > "$0/cgroup.procs" && exec "$@"', cgroup, file, ...args] };
}

function create(dir: string, limitFile: string, limitBytes: number): void {
  mkdirSync(dir);
  try {
    writeFileSync(join(dir, limitFile), String(limitBytes));
  } catch (err) {
    rmdirSync(dir);
    throw err;
  }
}

/** Creates a memory cgroup limited to `limitBytes`; throws (with the reason) where this machine does not allow it. */
export function createMemoryCgroup(name: string, limitBytes: number): MemoryCgroup {
  const unique = `${name}-${process.pid}-${Date.now()}`;
  if (existsSync(join(ROOT, 'cgroup.controllers'))) {
    if (!read(join(ROOT, 'cgroup.controllers')).split(' ').includes('memory')) throw new Error('cgroup v2 without the memory controller');
    // Under the root: a non-root cgroup with processes of its own cannot have children that limit memory.
    const path = join(ROOT, unique);
    create(path, 'memory.max', limitBytes);
    if (existsSync(join(path, 'memory.swap.max'))) writeFileSync(join(path, 'memory.swap.max'), '0');
    return {
      path,
      version: 2,
      limitBytes,
      wrap: (file, args) => wrap(path, file, args),
      peakBytes: () => Number(read(join(path, existsSync(join(path, 'memory.peak')) ? 'memory.peak' : 'memory.current'))),
      oomKills: () => field(read(join(path, 'memory.events')), 'oom_kill'),
      remove: () => rmdirSync(path),
    };
  }
  const path = join(ownV1Path(), unique);
  create(path, 'memory.limit_in_bytes', limitBytes);
  return {
    path,
    version: 1,
    limitBytes,
    wrap: (file, args) => wrap(path, file, args),
    peakBytes: () => Number(read(join(path, 'memory.max_usage_in_bytes'))),
    oomKills: () => field(read(join(path, 'memory.oom_control')), 'oom_kill'),
    remove: () => rmdirSync(path),
  };
}

/** A cgroup where the machine allows one, or the reason it does not (for a skipped test or a report). */
export function tryMemoryCgroup(name: string, limitBytes: number): MemoryCgroup | string {
  try {
    return createMemoryCgroup(name, limitBytes);
  } catch (err) {
    return `no memory cgroup here: ${err instanceof Error ? err.message : String(err)}`;
  }
}
