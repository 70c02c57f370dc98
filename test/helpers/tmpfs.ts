// A small tmpfs for tests that need a disk that really fills up (ENOSPC) or a data dir that is a
// mount point. Mounting needs root; callers skip, saying so, when it is refused.
import { execFileSync } from 'node:child_process';

/** Mounts a tmpfs of `size` (e.g. "6m") at the existing directory `dir`; false when not allowed. */
export function mountTmpfs(dir: string, size: string): boolean {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export function unmount(dir: string): void {
  execFileSync('umount', [dir], { stdio: 'ignore' });
}
