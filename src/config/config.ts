// The typed, frozen configuration of a running daemon, built once at the edge (the CLI) from raw
// option strings. Every bad value is reported at once, each naming its flag and environment twin.
import { envName, OPTIONS, type OptionKind } from './options.js';
import { parseByteSize, parseDuration, parseListenAddress } from './units.js';

export interface RetryPolicy {
  /** Upper bound of the first retry's wait (full jitter draws from [0, bound)). */
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  readonly multiplier: number;
}

export interface Config {
  readonly listen: { readonly host: string; readonly port: number };
  readonly upstream: string;
  readonly dataDir: string;
  readonly runTimeoutMs: number;
  readonly createTimeoutMs: number;
  readonly upstreamTimeoutMs: number;
  readonly upstreamConnections: number;
  readonly retry: RetryPolicy;
  readonly limits: { readonly maxBodyBytes: number; readonly maxDecompressedBytes: number };
  readonly logLevel: string;
}

export type RawOptions = Record<string, unknown>;

const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

type Parsed = { ok: true; value: unknown } | { ok: false; expected: string };

const PARSERS: Record<OptionKind, (text: string) => Parsed> = {
  address: (text) => result(parseListenAddress(text), 'an address like 127.0.0.1:6580'),
  url: (text) => result(httpUrl(text), 'an http(s) URL like https://ingest.k6.io'),
  path: (text) => result(text === '' ? null : text, 'a directory path'),
  duration: (text) => result(positive(parseDuration(text)), 'a duration (e.g. 500ms, 30s, 2m)'),
  size: (text) => result(positive(parseByteSize(text)), 'a size (e.g. 512KiB, 32MiB, 1GiB)'),
  count: (text) => result(/^\d+$/.test(text) ? positive(Number(text)) : null, 'a positive integer'),
  level: (text) => result(LOG_LEVELS.includes(text) ? text : null, `one of ${LOG_LEVELS.join(', ')}`),
};

function result(value: unknown, expected: string): Parsed {
  return value === null ? { ok: false, expected } : { ok: true, value };
}

function positive(value: number | null): number | null {
  return value !== null && value > 0 ? value : null;
}

/** An http(s) URL without a trailing slash (k6 appends /v1/... verbatim and would double it). */
function httpUrl(text: string): string | null {
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:' ? text.replace(/\/+$/, '') : null;
  } catch {
    return null;
  }
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('; '));
    this.name = 'ConfigError';
  }
}

/** Parses every option of the table from raw text (kebab-case keys), or throws ConfigError listing every bad one. */
export function parseOptions(raw: RawOptions): Record<string, unknown> {
  const problems: string[] = [];
  const values: Record<string, unknown> = {};
  for (const { name, kind } of OPTIONS) {
    const text = String(raw[name] ?? '').trim();
    const parsed = PARSERS[kind](text);
    if (parsed.ok) values[name] = parsed.value;
    else problems.push(`--${name} (${envName(name)}): "${text}" is not ${parsed.expected}`);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return values;
}

export function buildConfig(raw: RawOptions): Config {
  const v = parseOptions(raw);
  const config: Config = {
    listen: v.listen as Config['listen'],
    upstream: v.upstream as string,
    dataDir: v['data-dir'] as string,
    runTimeoutMs: v['run-timeout'] as number,
    createTimeoutMs: v['create-timeout'] as number,
    upstreamTimeoutMs: v['upstream-timeout'] as number,
    upstreamConnections: v['upstream-connections'] as number,
    retry: { initialDelayMs: v['retry-initial-delay'] as number, maxDelayMs: v['retry-max-delay'] as number, multiplier: 2 },
    limits: { maxBodyBytes: v['max-body-size'] as number, maxDecompressedBytes: v['max-decompressed-size'] as number },
    logLevel: v['log-level'] as string,
  };
  return Object.freeze(config);
}
