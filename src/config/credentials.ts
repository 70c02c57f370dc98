// The cloud token saved by `relayd login`: $XDG_CONFIG_HOME/relayd/token (~/.config/relayd/token when
// XDG_CONFIG_HOME is unset), the token alone, mode 0600 in a directory created 0700. It is written to a
// temporary file and renamed over the old one, so a reader never sees half a token and the file never
// exists with wider permissions.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

export interface SavedToken {
  readonly path: string;
  readonly token: string;
}

type Env = Readonly<Record<string, string | undefined>>;

export function tokenPath(env: Env): string {
  const configHome = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config');
  return join(configHome, 'relayd', 'token');
}

/** The saved token, or null when there is none (no file, or an empty one). */
export function readSavedToken(env: Env): SavedToken | null {
  const path = tokenPath(env);
  try {
    const token = readFileSync(path, 'utf8').trim();
    return token === '' ? null : { path, token };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/** Saves the token (mode 0600) and returns where. */
export async function saveToken(env: Env, token: string): Promise<string> {
  const path = tokenPath(env);
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const temporary = `${path}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(temporary, `${token}\n`, { mode: 0o600, flag: 'wx' });
    await rename(temporary, path);
  } finally {
    await rm(temporary, { force: true });
  }
  return path;
}
