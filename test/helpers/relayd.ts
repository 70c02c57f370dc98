// Running relayd for tests: in-process (fast, logs captured in memory) or as a real child process of
// the built CLI (for SIGKILL and CLI tests). Both listen on 127.0.0.1 port 0 and use a temp data dir.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before } from 'node:test';
import { buildConfig, loadDefaults, packageRoot } from '../../src/config/index.js';
import { startDaemon, type Daemon } from '../../src/daemon.js';
import { runViewSchema, type RunView } from '../../src/ingest/admin-messages.js';
import { createLogger } from '../../src/observe/index.js';
import { CloudEmulator, type EmulatorOptions } from '../emulator/emulator.js';

export type Options = Record<string, string>;

/** Test-friendly option overrides: ephemeral port, short retries so outages heal quickly. */
export function testOptions(upstream: string, dataDir: string, overrides: Options = {}): Options {
  return {
    ...loadDefaults(),
    listen: '127.0.0.1:0',
    upstream,
    'data-dir': dataDir,
    'retry-max-delay': '1s',
    'create-timeout': '2s',
    'upstream-timeout': '5s',
    'log-level': 'debug',
    ...overrides,
  };
}

export async function tempDir(prefix = 'relayd-test-'): Promise<{ path: string; remove: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

export interface InProcessRelayd {
  readonly daemon: Daemon;
  readonly url: string;
  readonly dataDir: string;
  /** Every log line written so far. */
  logs(): string;
  close(): Promise<void>;
}

export async function startInProcess(options: Options): Promise<InProcessRelayd> {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(chunk.toString('utf8'));
      callback();
    },
  });
  const config = buildConfig(options);
  const daemon = await startDaemon(config, createLogger(config.logLevel, sink));
  return { daemon, url: daemon.url, dataDir: config.dataDir, logs: () => lines.join(''), close: () => daemon.close() };
}

export interface ChildRelayd {
  readonly child: ChildProcess;
  readonly url: string;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (or signal name) once the process is gone. */
  readonly exited: Promise<number | string>;
}

export const RELAYD_BIN = join(packageRoot(), 'bin', 'relayd.js');

/** Spawns `relayd start` with the options as flags; resolves once it logged its ready line. */
export async function spawnRelayd(options: Options, env: NodeJS.ProcessEnv = {}): Promise<ChildRelayd> {
  const args = ['start', ...Object.entries(options).flatMap(([name, value]) => [`--${name}`, value])];
  const child = spawn(process.execPath, [RELAYD_BIN, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      // Not left running: a test whose start hook failed has no handle to stop it, and would hang.
      child.kill('SIGKILL');
      reject(new Error(`relayd did not start within 15 s:\n${out}\n${err}`));
    }, 15_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const ready = /"listen":"(http:\/\/[^"]+)"/.exec(out);
      if (ready) {
        clearTimeout(timer);
        resolve(ready[1]!);
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`relayd exited (${code}) before it was ready:\n${out}\n${err}`));
    });
  });
  return { child, url, stdout: () => out, stderr: () => err, exited };
}

/** One run as the admin API shows it (GET /api/v1/runs/:id), checked against its schema. */
export async function runView(url: string, id: string): Promise<RunView> {
  const response = await fetch(`${url}/api/v1/runs/${id}`);
  assert.equal(response.status, 200);
  return runViewSchema.parse(await response.json());
}

/** Polls until `predicate` holds; fails with `what` after `timeoutMs`. */
export async function eventually(predicate: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

export interface Stack {
  emulator: CloudEmulator;
  relayd: InProcessRelayd;
}

type Hook = (fn: () => Promise<void>) => void;

/**
 * Registers hooks that start a cloud emulator and an in-process relayd forwarding to it (on a temp
 * data dir) and tear both down. The returned object is filled in when the start hook has run.
 */
export function useRelaydStack(
  overrides: Options = {},
  emulatorOptions: EmulatorOptions = {},
  hooks: { start: Hook; stop: Hook } = { start: before, stop: after },
): Stack {
  const stack = {} as Stack;
  let data: Awaited<ReturnType<typeof tempDir>>;
  hooks.start(async () => {
    stack.emulator = new CloudEmulator(emulatorOptions);
    await stack.emulator.listen();
    data = await tempDir();
    stack.relayd = await startInProcess(testOptions(stack.emulator.url, data.path, overrides));
  });
  hooks.stop(async () => {
    await stack.relayd.close();
    await stack.emulator.close();
    await data.remove();
  });
  return stack;
}
