// What Linux says about a process and a directory: resident memory, CPU time (all threads, so
// LevelDB's compaction thread and libuv's pool count too) and the bytes of a store on disk.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Linux's USER_HZ: /proc/<pid>/stat counts CPU time in these ticks (100 on every mainstream kernel). */
const TICKS_PER_SECOND = 100;
const PAGE_BYTES = 4096;

/** Resident set size in bytes (/proc/<pid>/statm, second field, in pages). */
export function rssBytes(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ');
  return Number(fields[1]) * PAGE_BYTES;
}

export interface RssParts {
  /** Private memory: heaps, buffers, LevelDB's caches. What the process really holds. */
  readonly anonBytes: number;
  /**
   * Pages of files mapped into the process: the code, and LevelDB's table files, which it reads
   * through mmap. Shared with the page cache, which the kernel may reclaim under memory pressure.
   */
  readonly fileBytes: number;
}

/** The two halves of the RSS (/proc/<pid>/status RssAnon and RssFile). */
export function rssParts(pid: number): RssParts {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN) * 1024;
  return { anonBytes: kb('RssAnon'), fileBytes: kb('RssFile') };
}

/** User + system CPU seconds the process used so far, every thread included. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) is in parentheses and may contain spaces: count from after it.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return (utime + stime) / TICKS_PER_SECOND;
}

/** Bytes of the files in a directory, recursively (a LevelDB store is flat, but be safe). */
export function directoryBytes(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    try {
      total += entry.isDirectory() ? directoryBytes(path) : statSync(path).size;
    } catch {
      // LevelDB deletes obsolete table files while we look; a vanished file holds no bytes.
    }
  }
  return total;
}

export interface MachineInfo {
  readonly cpuModel: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly node: string;
  readonly kernel: string;
}

export function machineInfo(): MachineInfo {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  const model = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1] ?? 'unknown';
  const cores = cpuinfo.match(/^processor\s*:/gm)?.length ?? 0;
  const memKb = Number(/^MemTotal:\s+(\d+)/m.exec(readFileSync('/proc/meminfo', 'utf8'))?.[1] ?? 0);
  return {
    cpuModel: model.trim(),
    cores,
    memoryGiB: Math.round(memKb / 1024 / 1024),
    node: process.version,
    kernel: readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim(),
  };
}

/** The highest value `read` gave, sampled every `everyMs` until stop() (which returns it). */
export function sampleMax(read: () => number, everyMs = 100): { stop(): number } {
  let max = read();
  const timer = setInterval(() => {
    max = Math.max(max, read());
  }, everyMs);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(max, read());
    },
  };
}
