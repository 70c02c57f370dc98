// A configuration file: YAML whose keys are the option names (as in config/relayd.yaml), each with a
// single value, or a list for list options. Everything wrong with a file is reported at once with the
// path of each bad key; an unknown key is an error, because a misspelt one would silently do nothing.
// Values are checked here for shape only; what they mean is checked by kind in config.ts.
import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { ConfigError } from './config.js';
import { OPTIONS } from './options.js';

export interface ConfigFile {
  readonly path: string;
  readonly values: Readonly<Record<string, unknown>>;
}

const scalar = z.union([z.string(), z.number(), z.boolean(), z.null()], {
  error: 'expected a single value (text, a number, true or false)',
});
/** A list option takes one value or a list; a bad element is reported with its index. */
const list = z.preprocess((value) => (Array.isArray(value) ? value : [value]), z.array(scalar));

const FILE_SCHEMA = z.strictObject(
  Object.fromEntries(OPTIONS.map(({ name, kind }) => [name, (kind === 'list' ? list : scalar).optional()])),
  { error: (issue) => (issue.code === 'invalid_type' ? 'expected a mapping of option names to values' : undefined) },
);

function keyPath(path: readonly PropertyKey[]): string {
  return path.map((part) => (typeof part === 'number' ? `[${part}]` : String(part))).join('');
}

function describe(file: string, issue: z.core.$ZodIssue): string[] {
  if (issue.code === 'unrecognized_keys') return issue.keys.map((key) => `${file}: unknown option "${key}"`);
  const at = keyPath(issue.path);
  return [at === '' ? `${file}: ${issue.message}` : `${file}: ${at}: ${issue.message}`];
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
  const parsed = FILE_SCHEMA.safeParse(document.toJS() ?? {});
  if (!parsed.success) throw new ConfigError(parsed.error.issues.flatMap((issue) => describe(path, issue)));
  return { path, values: parsed.data };
}
