// The typed, frozen configuration of a running daemon, built once at the edge (the CLI) from raw
// option strings. Every bad value is reported at once, each naming its flag and environment twin.
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

export type RawOptions = Record<string, string | number | undefined>;

const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('; '));
    this.name = 'ConfigError';
  }
}

function envName(option: string): string {
  return `RELAYD_${option.toUpperCase().replaceAll('-', '_')}`;
}

/** Turns raw option strings (kebab-case keys) into a Config, or throws ConfigError listing every bad one. */
export function buildConfig(raw: RawOptions): Config {
  const problems: string[] = [];
  const text = (option: string): string => String(raw[option] ?? '');
  const bad = (option: string, expected: string): void => {
    problems.push(`--${option} (${envName(option)}): "${text(option)}" is not ${expected}`);
  };
  const duration = (option: string, min = 1): number => {
    const ms = parseDuration(text(option));
    if (ms === null || ms < min) bad(option, `a duration of at least ${min}ms (e.g. 500ms, 30s, 2m)`);
    return ms ?? 0;
  };
  const size = (option: string): number => {
    const bytes = parseByteSize(text(option));
    if (bytes === null || bytes < 1) bad(option, 'a size (e.g. 512KiB, 32MiB, 1GiB)');
    return bytes ?? 0;
  };
  const positiveInt = (option: string): number => {
    const value = Number(text(option));
    if (!Number.isInteger(value) || value < 1) bad(option, 'a positive integer');
    return value;
  };

  const listen = parseListenAddress(text('listen'));
  if (!listen) bad('listen', 'an address like 127.0.0.1:6580');

  let upstream = text('upstream');
  try {
    const url = new URL(upstream);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('scheme');
    upstream = upstream.replace(/\/+$/, '');
  } catch {
    bad('upstream', 'an http(s) URL like https://ingest.k6.io');
  }

  if (text('data-dir') === '') bad('data-dir', 'a directory path');
  const logLevel = text('log-level');
  if (!LOG_LEVELS.includes(logLevel)) bad('log-level', `one of ${LOG_LEVELS.join(', ')}`);

  const config: Config = {
    listen: listen ?? { host: '', port: 0 },
    upstream,
    dataDir: text('data-dir'),
    runTimeoutMs: duration('run-timeout'),
    createTimeoutMs: duration('create-timeout'),
    upstreamTimeoutMs: duration('upstream-timeout'),
    upstreamConnections: positiveInt('upstream-connections'),
    retry: {
      initialDelayMs: duration('retry-initial-delay'),
      maxDelayMs: duration('retry-max-delay'),
      multiplier: 2,
    },
    limits: { maxBodyBytes: size('max-body-size'), maxDecompressedBytes: size('max-decompressed-size') },
    logLevel,
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze(config);
}
