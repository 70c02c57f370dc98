// A configuration file: YAML whose keys are the option names (as in config/relayd.yaml), each with a
// single value, or a list for list options. Everything wrong with a file is reported at once with the
// path of each bad key; an unknown key is an error, because a misspelt one would silently do nothing.
// Values are checked here for shape only; what they mean is checked by kind in config.ts. The shape
// is checked by hand, not with zod: every `relayd start` reads the embedded defaults through here,
// and zod would be ~2 MiB of a relayd's RSS at rest for a flat mapping of scalars.
import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import { ConfigError } from './config.js';
import { OPTIONS, type OptionKind } from './options.js';

export interface ConfigFile {
  readonly path: string;
  readonly values: Readonly<Record<string, unknown>>;
}

const KINDS = new Map<string, OptionKind>(OPTIONS.map(({ name, kind }) => [name, kind]));
const NOT_SINGLE = 'expected a single value (text, a number, true or false)';

function isSingle(value: unknown): boolean {
  return value === null || typeof value === 'string' || typeof value === 'boolean' || Number.isFinite(value);
}

/** The file's values (a list option's always as a list), or every problem with their shape. */
function checkShape(file: string, document: unknown): Record<string, unknown> {
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    throw new ConfigError([`${file}: expected a mapping of option names to values`]);
  }
  const values: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [key, value] of Object.entries(document)) {
    const kind = KINDS.get(key);
    if (kind === undefined) {
      problems.push(`${file}: unknown option "${key}"`);
    } else if (kind === 'list') {
      // One value or a list; a bad element is reported with its index.
      const items: unknown[] = Array.isArray(value) ? value : [value];
      items.forEach((item, index) => {
        if (!isSingle(item)) problems.push(`${file}: ${key}[${index}]: ${NOT_SINGLE}`);
      });
      values[key] = items;
    } else if (isSingle(value)) {
      values[key] = value;
    } else {
      problems.push(`${file}: ${key}: ${NOT_SINGLE}`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return values;
}

/** Reads and checks a configuration file, or throws ConfigError naming every problem. */
export function readConfigFile(path: string): ConfigFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError([`--config: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? String(err)})`]);
  }
  const document = parseDocument(text);
  if (document.errors.length > 0) {
    throw new ConfigError(
      document.errors.map((error) => {
        const at = error.linePos?.[0];
        const message = error.message.split('\n', 1)[0]!.replace(/ at line \d+, column \d+:?$/, '');
        return `${path}${at ? `:${at.line}:${at.col}` : ''}: ${message}`;
      }),
    );
  }
  return { path, values: checkShape(path, document.toJS() ?? {}) };
}
