// The configuration a command runs with, from every source: the embedded defaults, the token saved by
// `relayd login`, --config FILE, the environment and the flags (see config/sources.ts). The CLI edge
// is the one place that reads process.env.
import {
  buildConfig,
  defaultsFile,
  optionText,
  readConfigFile,
  readSavedToken,
  resolvedOrigins,
  resolvedTexts,
  resolveOptions,
  type Config,
  type ResolvedOptions,
} from '../config/index.js';

type Env = Readonly<Record<string, string | undefined>>;

export function resolveArgv(argv: Readonly<Record<string, unknown>>, env: Env = process.env): ResolvedOptions {
  // A repeated --config (an array from yargs) reads the last, as a repeated option flag takes the last value.
  const file = argv.config === undefined ? null : readConfigFile(optionText({ kind: 'file' }, argv.config));
  return resolveOptions({ defaults: defaultsFile(), login: readSavedToken(env), file, env, flags: argv });
}

export function configFromArgv(argv: Readonly<Record<string, unknown>>, env: Env = process.env): Config {
  const resolved = resolveArgv(argv, env);
  return buildConfig(resolvedTexts(resolved), resolvedOrigins(resolved));
}
