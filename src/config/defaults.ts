// The embedded default configuration: config/relayd.yaml at the package root, which also documents
// every option. Found by walking up from this module, so it works from src/ (tsx) and dist/src/.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('relayd: cannot find its package root');
    dir = parent;
  }
  return dir;
}

export function loadDefaults(): Record<string, string> {
  const raw: unknown = parse(readFileSync(join(packageRoot(), 'config', 'relayd.yaml'), 'utf8'));
  if (!raw || typeof raw !== 'object') throw new Error('relayd: config/relayd.yaml is not a mapping');
  return Object.fromEntries(Object.entries(raw).map(([key, value]) => [key, String(value)]));
}
