// Option builders shared by commands. Daemon flags come from the one option table
// (config/options.ts). yargs is given no defaults, so a key in argv means the flag was on the command
// line; the defaults are shown in --help and applied, with the file and the environment, by
// config/sources.ts, which keeps track of where each value came from.
import type { Argv } from 'yargs';
import { OPTIONS } from '../config/index.js';

export function withDaemonOptions<T>(yargs: Argv<T>, defaults: Record<string, string>): Argv<T> {
  let built = yargs.option('config', {
    type: 'string',
    describe: 'YAML file of options (same keys as config/relayd.yaml); the environment and flags override it',
    group: 'Daemon options:',
  });
  for (const { name, kind, describe, secret } of OPTIONS) {
    // A boolean is a bare flag (--insecure-allow-any-runner); everything else is text parsed by kind.
    const shown = secret && defaults[name] !== '' ? '(hidden)' : JSON.stringify(kind === 'boolean' ? defaults[name] === 'true' : defaults[name]);
    built = built.option(name, { type: kind === 'boolean' ? 'boolean' : 'string', describe, defaultDescription: shown, group: 'Daemon options:' });
  }
  return built;
}

/** Commands that talk to a running daemon: its URL (by default from the listen option) and JSON output. */
export function withClientOptions<T>(yargs: Argv<T>): Argv<T> {
  return yargs
    .option('url', { type: 'string', describe: 'Base URL of the daemon (default: from the listen option, e.g. http://127.0.0.1:6580)' })
    .option('json', { type: 'boolean', describe: 'Print JSON instead of a table' });
}
