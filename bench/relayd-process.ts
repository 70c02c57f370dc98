// relayd under test runs as a child process of the built CLI (bin/relayd.js → dist), exactly as a
// user starts it, so the load generator and the emulator in the benchmark process never share its
// event loop or its CPU accounting. Each child gets its own data dir and an ephemeral port.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../src/config/index.js';
import type { MemoryCgroup } from '../test/helpers/memory-cgroup.js';
import { cpuSeconds, type RssParts, rssBytes, rssParts } from './proc.js';

const ROOT = packageRoot();
const BUILT_ENTRY = join(ROOT, 'dist', 'src', 'cli', 'main.js');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/**
 * The relayd entry point the benchmarks start: BENCH_RELAYD_BIN (another build, e.g. to compare a
 * change against a baseline), or this repository's bin/relayd.js, rebuilt first when src/ changed
 * after dist/ was built, so the benchmarks measure the tree as it is.
 */
export function relaydEntry(log: (line: string) => void): string {
  resolvedEntry ??= findEntry(log);
  return resolvedEntry;
}

let resolvedEntry: string | undefined;

/** The entry the children of this process ran, for the report; null when none was started. */
export function startedRelaydEntry(): string | null {
  return resolvedEntry ?? null;
}

function findEntry(log: (line: string) => void): string {
  const other = process.env.BENCH_RELAYD_BIN;
  if (other) {
    if (!existsSync(other)) throw new Error(`BENCH_RELAYD_BIN=${other} does not exist`);
    return other;
  }
  if (!existsSync(BUILT_ENTRY) || statSync(BUILT_ENTRY).mtimeMs < newestMtime(join(ROOT, 'src'))) {
    log('dist/ is older than src/: building (tsc -p tsconfig.build.json)');
    try {
      execFileSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });
    } catch {
      throw new Error('src/ does not build (see above): fix it, or point BENCH_RELAYD_BIN at another build of bin/relayd.js');
    }
  }
  return join(ROOT, 'bin', 'relayd.js');
}

export interface RelaydChild {
  readonly url: string;
  readonly pid: number;
  readonly dataDir: string;
  /** Resident set size now, bytes. */
  rss(): number;
  /** The RSS split into private (anonymous) and file-backed pages. */
  rssParts(): RssParts;
  /** CPU seconds (user + system, all threads) used so far. */
  cpu(): number;
  /** V8 heap and external memory from relayd's GET /metrics; undefined where the build has none. */
  heap(): Promise<HeapFigures | undefined>;
  /** SIGTERM, wait for the graceful stop (which also writes a --cpu-prof profile), remove the data dir. */
  stop(options?: { keepData?: boolean }): Promise<void>;
}

export interface HeapFigures {
  readonly heapUsedBytes: number;
  readonly heapTotalBytes: number;
  /** Buffers and other memory V8 tracks outside its heap (request bodies, store values). */
  readonly externalBytes: number;
}

/** Reads Node's process metrics from relayd's Prometheus endpoint (prom-client default metrics). */
async function scrapeHeap(url: string): Promise<HeapFigures | undefined> {
  const response = await fetch(`${url}/metrics`).catch(() => undefined);
  if (!response?.ok) return undefined;
  const text = await response.text();
  const gauge = (name: string): number | undefined => {
    const match = new RegExp(`^relayd_${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text);
    return match ? Number(match[1]) : undefined;
  };
  const heapUsedBytes = gauge('nodejs_heap_size_used_bytes');
  const heapTotalBytes = gauge('nodejs_heap_size_total_bytes');
  const externalBytes = gauge('nodejs_external_memory_bytes');
  if (heapUsedBytes === undefined || heapTotalBytes === undefined || externalBytes === undefined) return undefined;
  return { heapUsedBytes, heapTotalBytes, externalBytes };
}

export interface RelaydChildOptions {
  readonly upstream: string;
  /** Extra or overriding `relayd start` flags, without the leading dashes. */
  readonly flags?: Readonly<Record<string, string>>;
  /** Write a V8 CPU profile of the child here when it stops (node --cpu-prof). */
  readonly cpuProfileDir?: string;
  /** Starts the child inside this memory cgroup. */
  readonly cgroup?: Pick<MemoryCgroup, 'wrap'>;
}

/** Children still running, with their data dirs: what an interrupted benchmark must not leave behind. */
const live = new Map<ChildProcess, string>();

/** Kills every relayd child still running (SIGKILL) and removes its data dir; for an interrupted run. */
export function abandonRelaydChildren(): void {
  for (const [child, dataDir] of live) {
    child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  }
  live.clear();
}

/** relayd's exit code when a second signal cut its graceful stop short. */
const SECOND_SIGNAL_EXIT = 130;

/**
 * Flags every benchmark uses: runs never time out while a backlog is built and drained, and an
 * upstream that comes back is retried within half a second, so a drain starts promptly.
 */
const BENCH_FLAGS = { 'run-timeout': '1h', 'retry-max-delay': '500ms', 'log-level': 'info' };

export async function startRelaydChild(options: RelaydChildOptions, log: (line: string) => void): Promise<RelaydChild> {
  const entry = relaydEntry(log);
  const dataDir = mkdtempSync(join(tmpdir(), 'relayd-bench-'));
  const flags: Record<string, string> = {
    listen: '127.0.0.1:0',
    upstream: options.upstream,
    'data-dir': dataDir,
    ...BENCH_FLAGS,
    ...options.flags,
  };
  const nodeArgs = options.cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfileDir}`] : [];
  const args = [...nodeArgs, entry, 'start', ...Object.entries(flags).flatMap(([name, value]) => [`--${name}`, value])];
  // BENCH_RELAYD_NODE_OPTIONS: V8/Node flags for the children only (e.g. heap sizes to compare).
  const nodeOptions = process.env.BENCH_RELAYD_NODE_OPTIONS;
  const env = nodeOptions === undefined ? process.env : { ...process.env, NODE_OPTIONS: nodeOptions };
  const command = options.cgroup ? options.cgroup.wrap(process.execPath, args) : { file: process.execPath, args };
  const child = spawn(command.file, command.args, { stdio: ['ignore', 'pipe', 'pipe'], env });
  live.set(child, dataDir);
  let output = '';
  // Keep only the tail of the logs: enough to explain a failure, bounded however long the run is.
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString()).slice(-64 * 1024);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => {
      live.delete(child);
      resolve(code ?? signal ?? -1);
    }),
  );
  const url = await waitForReady(child, exited, () => output);
  const pid = child.pid!;
  return {
    url,
    pid,
    dataDir,
    rss: () => rssBytes(pid),
    rssParts: () => rssParts(pid),
    cpu: () => cpuSeconds(pid),
    heap: () => scrapeHeap(url),
    async stop({ keepData = false } = {}) {
      // relayd may keep forwarding its backlog for a grace period after the first signal; the
      // second makes it leave at once (everything acknowledged is already on disk).
      child.kill('SIGTERM');
      let secondSent = false;
      const second = setTimeout(() => {
        secondSent = true;
        child.kill('SIGTERM');
      }, 1000);
      const code = await exited;
      clearTimeout(second);
      if (!keepData) rmSync(dataDir, { recursive: true, force: true });
      // A second signal that lands while Node tears down (after relayd stopped; slow on a busy
      // machine with a big heap) kills it by the signal: that is a stop too.
      const stopped = code === 0 || code === SECOND_SIGNAL_EXIT || (secondSent && code === 'SIGTERM');
      if (!stopped) throw new Error(`relayd exited with ${code} on SIGTERM:\n${output}`);
    },
  };
}

function waitForReady(child: ChildProcess, exited: Promise<number | string>, output: () => string): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`relayd did not start within 20 s:\n${output()}`)), 20_000);
    const onData = (): void => {
      const ready = /"listen":"(http:\/\/[^"]+)"/.exec(output());
      if (!ready) return;
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      resolve(ready[1]!);
    };
    child.stdout!.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`relayd exited (${code}) before it was ready:\n${output()}`));
    });
  });
}
