// Where each option's value comes from. Layers, lowest first:
//   default   config/relayd.yaml, embedded in the package
//   login     the token saved by `relayd login` (the token option only)
//   file      --config FILE
//   env       RELAYD_<NAME>, then the option's aliases (k6's own K6_CLOUD_* names)
//   flag      the command line
// The highest layer that sets an option wins. Values stay text here (config.ts parses them by kind);
// the layer and the exact place are kept for `relayd config print` and for error messages that point
// at what to fix. An empty environment variable counts as unset, as with k6 (compose files and CI
// templates often pass `K6_CLOUD_TOKEN=${K6_CLOUD_TOKEN}` through empty).
import type { ConfigFile } from './config-file.js';
import type { SavedToken } from './credentials.js';
import { envNames, OPTIONS, type OptionSpec } from './options.js';

export type Source = 'default' | 'login' | 'file' | 'env' | 'flag';

export interface SourcedValue {
  /** The value as text; a list is comma-separated. */
  readonly text: string;
  readonly source: Source;
  /** The flag, the variable or the file that set it. */
  readonly where: string;
}

export type ResolvedOptions = Readonly<Record<string, SourcedValue>>;

export interface OptionLayers {
  readonly defaults: ConfigFile;
  readonly login?: SavedToken | null;
  readonly file?: ConfigFile | null;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly flags: Readonly<Record<string, unknown>>;
}

/** The text of one value from YAML or yargs: lists joined with commas, a repeated single flag's last value. */
export function optionText(option: Pick<OptionSpec, 'kind'>, value: unknown): string {
  if (value === null || value === undefined) return '';
  if (Array.isArray(value)) return option.kind === 'list' ? value.map(String).join(',') : optionText(option, value.at(-1));
  return String(value);
}

export function resolveOptions(layers: OptionLayers): ResolvedOptions {
  const resolved: Record<string, SourcedValue> = {};
  for (const option of OPTIONS) {
    const { name } = option;
    let value: SourcedValue = { text: optionText(option, layers.defaults.values[name]), source: 'default', where: layers.defaults.path };
    if (name === 'token' && layers.login) value = { text: layers.login.token, source: 'login', where: layers.login.path };
    if (layers.file && layers.file.values[name] !== undefined) {
      value = { text: optionText(option, layers.file.values[name]), source: 'file', where: layers.file.path };
    }
    const variable = envNames(option).find((candidate) => (layers.env[candidate] ?? '') !== '');
    if (variable) value = { text: layers.env[variable]!, source: 'env', where: variable };
    if (layers.flags[name] !== undefined) value = { text: optionText(option, layers.flags[name]), source: 'flag', where: `--${name}` };
    resolved[name] = value;
  }
  return resolved;
}

/** The text of every option, as buildConfig takes it. */
export function resolvedTexts(resolved: ResolvedOptions): Record<string, string> {
  return Object.fromEntries(Object.entries(resolved).map(([name, value]) => [name, value.text]));
}

/** Where each value came from, as error messages name it: the flag, the variable, or the file and key. */
export function resolvedOrigins(resolved: ResolvedOptions): Record<string, string> {
  return Object.fromEntries(
    Object.entries(resolved).map(([name, { source, where }]) => [name, source === 'file' || source === 'default' ? `${where}: ${name}` : where]),
  );
}
