// A results engine on a real store: the queue (LevelDB in a temporary directory), the run registry
// and the engine, wired as the daemon wires them, and the k6 v0.48.0 captures fed through the
// registry as ingest would (each push stored, then handed to the engine).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeCreateBody, decodeFinishBody } from '../../src/protocol/index.js';
import { DurableQueue, type QueueItem } from '../../src/queue/index.js';
import { ResultsEngine, type PushDigest } from '../../src/results/index.js';
import { RunRegistry, type Run } from '../../src/runs/index.js';
import { loadFixture, type FixtureFolder } from '../emulator/fixtures.js';

export interface ResultsStack {
  readonly dir: string;
  readonly queue: DurableQueue;
  readonly runs: RunRegistry;
  readonly engine: ResultsEngine;
}

export async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'relayd-results-'));
}

/** Opens (or reopens) the stack on `dir`; `now` is the engine's clock. */
export async function openStack(dir: string, now?: () => number): Promise<ResultsStack> {
  const queue = await DurableQueue.open(dir);
  const runs = await RunRegistry.load(queue, { runTimeoutMs: 3_600_000, onBacklog: () => undefined });
  const engine = await ResultsEngine.load({ queue, runs, ...(now && { now }) });
  runs.observe(engine);
  return { dir, queue, runs, engine };
}

export async function closeStack(stack: ResultsStack): Promise<void> {
  await stack.engine.close();
  await stack.queue.close();
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

/** A run created the way ingest creates one, with the thresholds of `createBody`. */
export async function createRun(stack: ResultsStack, runId: string, createBody: Uint8Array): Promise<Run> {
  const { name, thresholds } = decodeCreateBody(createBody);
  return stack.runs.createConfirmed(runId, { name, authorization: null, userAgent: null, ...(thresholds && { thresholds }) });
}

export function pushItem(protocol: 'v1' | 'v2' | 'stream', body: Uint8Array, headers: Record<string, string> = {}, receivedAt = Date.now()): QueueItem {
  return { kind: 'push', protocol, headers, body, receivedAt, samples: 1 };
}

/** Feeds a capture (create, pushes, finish) into run `runId`; `digestOf` supplies a validation digest. */
export async function feedCapture(
  stack: ResultsStack,
  folder: FixtureFolder,
  runId: string,
  digestOf?: (item: QueueItem) => PushDigest | undefined,
): Promise<Run> {
  const requests = loadFixture(folder);
  let run: Run | undefined;
  for (const request of requests) {
    if (request.route.kind === 'create') run = await createRun(stack, runId, request.body);
    else if (run === undefined) throw new Error(`${folder}: a request before the create`);
    else if (request.route.kind === 'finish') {
      const item: QueueItem = { kind: 'finish', headers: {}, body: request.body, receivedAt: Date.now(), samples: 0 };
      await stack.runs.acceptFinish(run, item, decodeFinishBody(request.body).run_status);
    } else {
      const item = pushItem(request.route.kind === 'v1-push' ? 'v1' : 'v2', request.body, request.headers);
      await stack.runs.acceptPush(run, item, digestOf?.(item));
    }
  }
  if (run === undefined) throw new Error(`${folder}: no create`);
  return run;
}
