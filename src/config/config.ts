// The typed, frozen configuration of a running daemon, built once at the edge (the CLI) from raw
// option strings. Every bad value is reported at once, each naming its flag and environment twin.
import { existsSync } from 'node:fs';
import { isIP } from 'node:net';
import { envName, OPTIONS, type OptionKind } from './options.js';
import { parseByteSize, parseDuration, parseK6Duration, parseListenAddress } from './units.js';

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
  readonly limits: {
    readonly maxBodyBytes: number;
    /** A multipart create: the test archive k6 cloud run --local-execution uploads. */
    readonly maxCreateBytes: number;
    readonly maxDecompressedBytes: number;
    /** An API v2 push: its snappy block is decompressed whole, so this bounds memory, not only CPU. */
    readonly maxV2DecompressedBytes: number;
    readonly maxHeaderBytes: number;
    /** Tags of one v1 sample, labels of one v2 time series, tags of one streamed sample. */
    readonly maxTags: number;
    readonly maxWsMessageBytes: number;
  };
  /** Threads that validate push bodies; 0: the event loop does. */
  readonly validationThreads: number | 'auto';
  readonly logLevel: string;
  /** Disk quota of the store in bytes, or 'auto': min(10 GiB, 90% of the free space when the daemon starts). */
  readonly maxDisk: number | 'auto';
  readonly shutdownGraceMs: number;
  /** Tokens runners must present; empty: no check (only allowed on loopback or when insecure). */
  readonly acceptTokens: readonly string[];
  /** What RunnerAuth checks: the tokens a runner must present, empty for no check (see runnerTokensFor). */
  readonly runnerTokens: readonly string[];
  readonly insecureAllowAnyRunner: boolean;
  /** PEM file of extra CAs trusted for the upstream's certificate, or null. */
  readonly upstreamCa: string | null;
  /** relayd's own cloud token, for runners that send no Authorization header; null: none. Never logged. */
  readonly token: string | null;
  readonly aggregation: AggregationSettings;
  /** Protocol of metric pushes upstream; `auto`: the one the runner used (streams: v2). */
  readonly upstreamProtocol: UpstreamProtocol;
}

/** The aggregation settings of src/process, in k6's terms (§5, §6.5 of the protocol). */
export interface AggregationSettings {
  /** 0: relayd does not aggregate (runs pass through as received). Otherwise whole seconds. */
  readonly periodMs: number;
  readonly calcIntervalMs: number;
  readonly waitPeriodMs: number;
  readonly minSamples: number;
  readonly iqrRadius: number;
  readonly iqrCoefLower: number;
  readonly iqrCoefUpper: number;
  readonly pushIntervalMs: number;
}

export type UpstreamProtocol = 'auto' | 'v1' | 'v2';

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
  threads: (text) => result(text === 'auto' ? 'auto' : /^\d+$/.test(text) ? Number(text) : null, '"auto" or a number of threads (0: none)'),
  level: (text) => result(LOG_LEVELS.includes(text) ? text : null, `one of ${LOG_LEVELS.join(', ')}`),
  // A repeated flag arrives as an array (joined with commas by parseOptions), the environment as a
  // comma-separated string.
  list: (text) => ({ ok: true, value: text.split(',').map((item) => item.trim()).filter((item) => item !== '') }),
  boolean: (text) => result(text === 'true' ? true : text === 'false' ? false : null, 'true or false'),
  file: (text) => (text === '' ? { ok: true, value: null } : result(existsSync(text) ? text : null, 'an existing file')),
  quota: (text) => result(text === 'auto' ? 'auto' : positive(parseByteSize(text)), '"auto" or a size (e.g. 2GiB)'),
  text: (text) => ({ ok: true, value: text === '' ? null : text }),
  'k6-duration': (text) => result(positive(parseK6Duration(text)), 'a duration (e.g. 500ms, 3s; a bare number is milliseconds, as in k6)'),
  // The API v2 wire carries the period in whole seconds.
  'k6-period': (text) => result(wholeSecondsOrZero(parseK6Duration(text)), '0 (off) or a whole number of seconds (e.g. 3s)'),
  number: (text) => result(/^\d+(\.\d+)?$/.test(text) ? Number(text) : null, 'a non-negative number (e.g. 1.5)'),
  protocol: (text) => result(['auto', 'v1', 'v2'].includes(text) ? text : null, 'one of auto, v1, v2'),
};

function wholeSecondsOrZero(ms: number | null): number | null {
  return ms !== null && ms >= 0 && ms % 1000 === 0 ? ms : null;
}

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

/**
 * Parses every option of the table from raw text (kebab-case keys), or throws ConfigError listing
 * every bad one. `origins` names where each value came from (a flag, a variable, a file and key), so
 * the message points at the place to fix; without it, the flag and its environment twin are named.
 * A secret's value is never repeated in a message.
 */
export function parseOptions(raw: RawOptions, origins: Readonly<Record<string, string>> = {}): Record<string, unknown> {
  const problems: string[] = [];
  const values: Record<string, unknown> = {};
  for (const { name, kind, secret } of OPTIONS) {
    const text = String(raw[name] ?? '').trim();
    const parsed = PARSERS[kind](text);
    if (parsed.ok) values[name] = parsed.value;
    else problems.push(`${origins[name] ?? `--${name} (${envName(name)})`}: ${secret ? 'the value' : `"${text}"`} is not ${parsed.expected}`);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return values;
}

/**
 * The tokens a runner must present (none: no check). With --accept-token, those and relayd's own
 * cloud token. Without, on loopback nobody is checked (only this machine can connect), and beyond
 * loopback relayd's own cloud token is the one to present, or --insecure-allow-any-runner lets
 * anyone in. Null: beyond loopback with no token at all, which relayd refuses to start with.
 */
function runnerTokensFor(host: string, acceptTokens: readonly string[], ownToken: string | null, insecure: boolean): string[] | null {
  const tokens = ownToken === null ? [...acceptTokens] : [...acceptTokens, ownToken];
  if (acceptTokens.length > 0) return tokens;
  if (isLoopback(host) || insecure) return [];
  return tokens.length > 0 ? tokens : null;
}

/** Loopback hosts: only processes on this machine can reach them. */
function isLoopback(host: string): boolean {
  if (host === 'localhost' || host === '::1') return true;
  return isIP(host) === 4 && host.startsWith('127.');
}

export function buildConfig(raw: RawOptions, origins?: Readonly<Record<string, string>>): Config {
  const v = parseOptions(raw, origins);
  const acceptTokens = v['accept-token'] as string[];
  const listen = v.listen as Config['listen'];
  const runnerTokens = runnerTokensFor(listen.host, acceptTokens, v.token as string | null, v['insecure-allow-any-runner'] === true);
  if (runnerTokens === null) {
    // A sidecar listening on 0.0.0.0 without a token would relay anyone's data with the cloud token.
    throw new ConfigError([
      `--listen (${envName('listen')}): ${listen.host} is not a loopback address, so runners must present a token: ` +
        `give --accept-token (${envName('accept-token')}), relayd a cloud token of its own (--token), or --insecure-allow-any-runner`,
    ]);
  }
  const config: Config = {
    listen,
    upstream: v.upstream as string,
    dataDir: v['data-dir'] as string,
    runTimeoutMs: v['run-timeout'] as number,
    createTimeoutMs: v['create-timeout'] as number,
    upstreamTimeoutMs: v['upstream-timeout'] as number,
    upstreamConnections: v['upstream-connections'] as number,
    retry: { initialDelayMs: v['retry-initial-delay'] as number, maxDelayMs: v['retry-max-delay'] as number, multiplier: 2 },
    limits: {
      maxBodyBytes: v['max-body-size'] as number,
      maxCreateBytes: v['max-create-size'] as number,
      maxDecompressedBytes: v['max-decompressed-size'] as number,
      maxV2DecompressedBytes: v['max-v2-decompressed-size'] as number,
      maxHeaderBytes: v['max-header-size'] as number,
      maxTags: v['max-tags'] as number,
      maxWsMessageBytes: v['max-ws-message-size'] as number,
    },
    validationThreads: v['validation-threads'] as number | 'auto',
    logLevel: v['log-level'] as string,
    maxDisk: v['max-disk'] as number | 'auto',
    shutdownGraceMs: v['shutdown-grace'] as number,
    acceptTokens: Object.freeze(acceptTokens),
    runnerTokens: Object.freeze(runnerTokens),
    insecureAllowAnyRunner: v['insecure-allow-any-runner'] as boolean,
    upstreamCa: v['upstream-ca'] as string | null,
    token: v.token as string | null,
    aggregation: {
      periodMs: v['aggregation-period'] as number,
      calcIntervalMs: v['aggregation-calc-interval'] as number,
      waitPeriodMs: v['aggregation-wait-period'] as number,
      minSamples: v['aggregation-min-samples'] as number,
      iqrRadius: v['aggregation-outlier-iqr-radius'] as number,
      iqrCoefLower: v['aggregation-outlier-iqr-coef-lower'] as number,
      iqrCoefUpper: v['aggregation-outlier-iqr-coef-upper'] as number,
      pushIntervalMs: v['metric-push-interval'] as number,
    },
    upstreamProtocol: v['upstream-protocol'] as UpstreamProtocol,
  };
  return Object.freeze(config);
}
