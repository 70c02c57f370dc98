// Option builders shared by commands. Daemon flags come from the one option table
// (config/options.ts). yargs is given no defaults, so a key in argv means the flag was on the command
// line; the defaults are shown in --help and applied, with the file and the environment, by
// config/sources.ts, which keeps track of where each value came from.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { Argv } from 'yargs';
import { OPTIONS, type OptionKind } from '../config/index.js';

const CONFIG_FLAG = {
  name: 'config',
  describe: 'YAML file of options (same keys as config/relayd.yaml); the environment and flags override it',
} as const;

/** A boolean is a bare flag (--insecure-allow-any-runner); everything else is text parsed by kind. */
function flagType(kind: OptionKind): 'boolean' | 'string' {
  return kind === 'boolean' ? 'boolean' : 'string';
}

export function withDaemonOptions<T>(yargs: Argv<T>, defaults: Record<string, string>): Argv<T> {
  let built = yargs.option(CONFIG_FLAG.name, { type: 'string', describe: CONFIG_FLAG.describe, group: 'Daemon options:' });
  for (const { name, kind, describe, secret } of OPTIONS) {
    const shown = secret && defaults[name] !== '' ? '(hidden)' : JSON.stringify(kind === 'boolean' ? defaults[name] === 'true' : defaults[name]);
    built = built.option(name, { type: flagType(kind), describe, defaultDescription: shown, group: 'Daemon options:' });
  }
  return built;
}

const DAEMON_FLAGS: NonNullable<ParseArgsConfig['options']> = {
  [CONFIG_FLAG.name]: { type: 'string' },
  ...Object.fromEntries(OPTIONS.map(({ name, kind }) => [name, { type: flagType(kind), multiple: kind === 'list' }])),
};

/**
 * The daemon flags of a command line parsed with node:util's parseArgs, as yargs would give them,
 * or null when parseArgs does not take it whole (an unknown or malformed flag, an argument, --help):
 * yargs parses those, and its answers stay the reference. `relayd start` is run so without yargs,
 * which (with cliui, string-width and wrap-ansi, loaded for the help text) is ~2 MiB of RSS at rest.
 */
export function parseDaemonFlags(args: readonly string[]): Record<string, unknown> | null {
  try {
    return parseArgs({ args: [...args], options: DAEMON_FLAGS, strict: true, allowPositionals: false }).values;
  } catch {
    return null;
  }
}

/** Commands that talk to a running daemon: its URL (by default from the listen option) and JSON output. */
export function withClientOptions<T>(yargs: Argv<T>): Argv<T> {
  return yargs
    .option('url', { type: 'string', describe: 'Base URL of the daemon (default: from the listen option, e.g. http://127.0.0.1:6580)' })
    .option('json', { type: 'boolean', describe: 'Print JSON instead of a table' });
}
