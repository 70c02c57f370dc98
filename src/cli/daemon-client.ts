// How the commands that talk to a running daemon (status, runs, health) reach it, and their exit
// codes. The daemon's URL is --url, or else derived from the listen option resolved like the daemon
// resolves it (defaults, --config, RELAYD_LISTEN, --listen), so on a host configured for relayd
// `relayd status` needs no arguments. Answers are checked against the admin API's schemas.
import type { z } from 'zod';
import { ConfigError, parseListenAddress, resolvedOrigins } from '../config/index.js';
import { resolveArgv } from './effective-config.js';

export const CLIENT_EXIT = {
  /** Done; for status and health: the daemon is up and ready (status: and the upstream answers). */
  ok: 0,
  /** The daemon answered something this relayd cannot read (another version?). */
  failure: 1,
  usage: 2,
  /** No daemon answered at the URL. */
  unreachable: 3,
  /** The daemon answered but is not ready (quota, disk, shutdown), or (status) the upstream does not answer. */
  degraded: 4,
  /** `relayd runs ID`: no such run. */
  notFound: 5,
} as const;

export const CLIENT_EXIT_HELP =
  'Exit codes: 0 ok; 1 unreadable answer; 2 bad command line; 3 no daemon answered; ' +
  '4 the daemon is not ready or (status) cannot reach the upstream; 5 no such run.';

const REQUEST_TIMEOUT_MS = 10_000;

export class DaemonUnreachable extends Error {
  constructor(url: string, cause: unknown) {
    const { cause: why } = cause as { cause?: { code?: string; message?: string } };
    const reason = why?.code ?? why?.message ?? (cause as Error).message;
    super(`no relayd answered at ${url} (${reason}); is it running? (--url to point elsewhere)`, { cause });
    this.name = 'DaemonUnreachable';
  }
}

export class UnexpectedAnswer extends Error {
  constructor(url: string, detail: string) {
    super(`unexpected answer from ${url}: ${detail}`);
    this.name = 'UnexpectedAnswer';
  }
}

/** The daemon's base URL: --url, or the listen address with a wildcard host turned into loopback. */
export function daemonUrl(argv: Readonly<Record<string, unknown>>): string {
  if (typeof argv.url === 'string') return argv.url.replace(/\/+$/, '');
  const resolved = resolveArgv(argv);
  const address = parseListenAddress(resolved.listen!.text);
  if (!address) throw new ConfigError([`${resolvedOrigins(resolved).listen}: "${resolved.listen!.text}" is not an address (or give --url)`]);
  const host = address.host === '0.0.0.0' ? '127.0.0.1' : address.host === '::' ? '::1' : address.host;
  return `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`;
}

/** GETs a path and checks the JSON body against `schema`; statuses listed in `accept` are answers too. */
export async function getJson<T>(base: string, path: string, schema: z.ZodType<T>, accept: readonly number[] = [200]): Promise<{ status: number; body: T }> {
  const url = base + path;
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  } catch (err) {
    throw new DaemonUnreachable(base, err);
  }
  const text = await response.text();
  if (!accept.includes(response.status)) throw new UnexpectedAnswer(url, `HTTP ${response.status} ${text.slice(0, 200)}`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new UnexpectedAnswer(url, `not JSON: ${text.slice(0, 200)}`);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw new UnexpectedAnswer(url, parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; '));
  return { status: response.status, body: parsed.data };
}

/** Runs a client command, turning "no daemon" and "unreadable answer" into their exit codes and one line. */
export async function asClient(work: () => Promise<number>): Promise<number> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof DaemonUnreachable || err instanceof UnexpectedAnswer) {
      process.stderr.write(`relayd: ${err.message}\n`);
      return err instanceof DaemonUnreachable ? CLIENT_EXIT.unreachable : CLIENT_EXIT.failure;
    }
    throw err;
  }
}
