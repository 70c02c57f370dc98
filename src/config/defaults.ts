// The embedded default configuration: config/relayd.yaml at the package root, which also documents
// every option. Found by walking up from this module, so it works from src/ (tsx) and dist/src/. It is
// read like any --config file, so an unknown or malformed key in it fails the same way.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readConfigFile, type ConfigFile } from './config-file.js';
import { OPTIONS } from './options.js';
import { optionText } from './sources.js';

export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('relayd: cannot find its package root');
    dir = parent;
  }
  return dir;
}

export function packageVersion(): string {
  return (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
}

export function defaultsFile(): ConfigFile {
  return readConfigFile(join(packageRoot(), 'config', 'relayd.yaml'));
}

/** Every option's default as text, as buildConfig takes it. */
export function loadDefaults(): Record<string, string> {
  const { values } = defaultsFile();
  return Object.fromEntries(OPTIONS.map((option) => [option.name, optionText(option, values[option.name])]));
}
