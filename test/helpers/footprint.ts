// What Linux says a relayd takes, read independently of relayd: for tests of what it reports and
// of its bounds.
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** One field of /proc/<pid>/status in bytes (VmRSS, RssAnon) or as a count (Threads). */
export function procStatus(pid: number, field: 'VmRSS' | 'VmHWM' | 'RssAnon' | 'Threads'): number {
  const match = new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!match) throw new Error(`no ${field} in /proc/${pid}/status`);
  return field === 'Threads' ? Number(match[1]) : Number(match[1]) * 1024;
}

/** Resets the peak RSS (VmHWM) of a process to its current RSS (proc(5), clear_refs). */
export function resetPeakRss(pid: number): void {
  writeFileSync(`/proc/${pid}/clear_refs`, '5');
}

/** Bytes of the regular files directly in a directory (LevelDB keeps all of its files there). */
export function filesBytes(dir: string): number {
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isFile())
    .reduce((sum, entry) => sum + statSync(join(dir, entry.name)).size, 0);
}
