// Option builders shared by commands. Flags come from the one option table (config/options.ts); each
// has an environment twin RELAYD_<NAME> (yargs .env) and its default from config/relayd.yaml.
import type { Argv } from 'yargs';
import { OPTIONS } from '../config/index.js';

export function withDaemonOptions<T>(yargs: Argv<T>, defaults: Record<string, string>): Argv<T> {
  let built = yargs;
  for (const { name, describe } of OPTIONS) {
    built = built.option(name, { type: 'string', describe, default: defaults[name], group: 'Daemon options:' });
  }
  return built;
}
