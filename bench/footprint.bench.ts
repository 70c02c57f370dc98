// Scenario: relayd's footprint. RSS at rest right after `relayd start` on an empty data dir, next to a
// bare Node.js process (the floor); then how much one request raises it: bombs and malformed bodies
// that must stop at their limits, the largest bodies the limits let through, and real pushes.
// A rise is the peak RSS while relayd handles the request (VmHWM, reset just before, read when the
// answer came) minus the RSS before it, read once the requests before it were forwarded; for a
// request relayd queues, a second figure reads the peak once it was forwarded too. Every request but
// k6's first push is measured on a fresh relayd (default limits: 16 MiB body, 64 MiB decompressed)
// that took one v1 push, so that no rise depends on what the requests before it left behind. The
// figures are the medians of BENCH_RUNS runs.
//
// `npm run bench -- footprint` or `tsx bench/footprint.bench.ts`; BENCH_FOOTPRINT_ONLY=<words> measures
// only the requests whose name contains them (e.g. `v2 push`), besides the rest figures.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { gzipSync } from 'node:zlib';
import { snappyCompress } from '../src/protocol/index.js';
import { send } from '../test/emulator/send.js';
import { procStatus, resetPeakRss } from '../test/helpers/footprint.js';
import { densestV2Body, v1Body } from './payloads.js';
import { figure, type Figure, type ScenarioResult } from './report.js';
import { type BenchSettings, runIfEntryPoint, type Scenario } from './scenario.js';
import { CREATE_BODY, startEmulator } from './stack.js';
import { MiB, median } from './stats.js';
import { type RelaydChild, startRelaydChild } from './relayd-process.js';

/** How long a process settles after it is ready before its RSS at rest is read. */
const SETTLE_MS = 3000;
const REST_TARGET_MIB = 70;
const REQUEST_TARGET_MIB = 64;

interface Request {
  readonly name: string;
  readonly protocol: 'v1' | 'v2';
  /** A function of the run's id for a body that must carry it (a valid v2 push). */
  readonly body: Buffer | ((runId: string) => Buffer);
  /** The status relayd must answer: a figure of a request that went another way would mislead. */
  readonly status: number;
}

const V1_HEADERS = { 'content-type': 'application/json', 'content-encoding': 'gzip' };
const V2_HEADERS = { 'content-type': 'application/x-protobuf', 'content-encoding': 'snappy', 'k6-metrics-protocol-version': '2.0' };

/** k6's first push: also starts the validation threads, measured on its own from rest. */
function firstPush(): Request {
  const body = v1Body({ requests: 2000, seed: 8, startMicros: Date.UTC(2026, 0, 1) * 1000 }).body;
  return { name: 'first v1 push, 2,000 requests (1.6 MiB JSON)', protocol: 'v1', body, status: 200 };
}

/** Each measured on a relayd of its own that has taken one v1 push (as after k6's first). */
function requests(): Request[] {
  // The largest real v1 push: k6 sends at most 100,000 entries; 40,000 requests of the bench's
  // heavy mix make ~100,000 (33 MB of JSON, 2.3 MB gzip'd).
  const fullV1 = v1Body({ requests: 40_000, seed: 7, startMicros: Date.UTC(2026, 0, 1) * 1000 });
  // The largest valid v1 push the default limit lets through (more entries than k6 puts in one):
  // v1 is walked envelope by envelope, so its rise must not follow the size.
  const limitV1 = v1Body({ requests: 74_000, seed: 9, startMicros: Date.UTC(2026, 0, 1) * 1000 });
  return [
    { name: '1 GiB gzip bomb (1024 members of 1 MiB of zeros)', protocol: 'v1', body: Buffer.concat(Array<Buffer>(1024).fill(gzipSync(Buffer.alloc(MiB), { level: 9 }))), status: 413 },
    { name: 'snappy block just under the v2 limit (16 MiB of zeros, not protobuf)', protocol: 'v2', body: snappyCompress(Buffer.alloc(16 * MiB - 1024)), status: 400 },
    { name: 'largest real v2 push (1000 dense trend series, 3 buckets)', protocol: 'v2', body: (runId) => densestV2Body(runId).body, status: 200 },
    { name: 'snappy header declaring 1 GiB', protocol: 'v2', body: Buffer.from([0x80, 0x80, 0x80, 0x80, 0x04, 0x00]), status: 413 },
    { name: 'max-size body (16 MiB, not gzip)', protocol: 'v1', body: randomBytes(16 * MiB - 1024), status: 400 },
    { name: 'JSON of 63 MiB that is not v1 (one long string)', protocol: 'v1', body: gzipSync(`["${'x'.repeat(63 * MiB)}"]`), status: 400 },
    { name: `largest real v1 push (${fullV1.samples} entries, ${(fullV1.rawBytes / MiB).toFixed(0)} MiB JSON)`, protocol: 'v1', body: fullV1.body, status: 200 },
    { name: `v1 push at the limit (${limitV1.samples} entries, ${(limitV1.rawBytes / MiB).toFixed(0)} MiB JSON)`, protocol: 'v1', body: limitV1.body, status: 200 },
  ];
}

/** RSS of a bare `node` process at rest, in bytes: the floor relayd is compared with. */
async function bareNodeRss(): Promise<number> {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1 << 30)'], { stdio: 'ignore' });
  await sleep(SETTLE_MS);
  const rss = procStatus(child.pid!, 'VmRSS');
  child.kill();
  return rss;
}

/** Creates a run in `relayd` (which forwards the create upstream); returns its id. */
async function createRun(relayd: RelaydChild): Promise<string> {
  const created = await send(`${relayd.url}/v1/tests`, { headers: { authorization: 'Token bench', 'content-type': 'application/json' }, body: CREATE_BODY });
  return (JSON.parse(created.body.toString()) as { reference_id: string }).reference_id;
}

/** Resolves once relayd forwarded everything it queued (its backlog gauge reads 0). */
async function forwarded(relayd: RelaydChild): Promise<void> {
  for (let polls = 0; polls < 1500; polls++) {
    const text = await (await fetch(`${relayd.url}/metrics`)).text();
    if (/^relayd_queue_items 0$/m.test(text)) return;
    await sleep(20);
  }
  throw new Error('relayd did not forward its queue within 30 s');
}

interface Rise {
  /** Until relayd answered, MiB. */
  readonly answered: number;
  /** Until it also forwarded what the request queued, MiB. */
  readonly forwarded: number;
}

/** Sends one request; returns by how much it raised relayd's peak RSS. */
async function rise(relayd: RelaydChild, runId: string, request: Request): Promise<Rise> {
  const body = typeof request.body === 'function' ? request.body(runId) : request.body;
  await forwarded(relayd);
  resetPeakRss(relayd.pid);
  const before = procStatus(relayd.pid, 'VmRSS');
  const response = await send(`${relayd.url}/${request.protocol}/metrics/${runId}`, {
    headers: { authorization: 'Token bench', 'user-agent': 'k6cloud/0.48.0', ...(request.protocol === 'v1' ? V1_HEADERS : V2_HEADERS) },
    body,
    framing: 'chunked',
  });
  if (response.status !== request.status) throw new Error(`${request.name}: HTTP ${response.status}, expected ${request.status}: ${response.body.toString()}`);
  const answered = (procStatus(relayd.pid, 'VmHWM') - before) / MiB;
  await forwarded(relayd);
  return { answered, forwarded: (procStatus(relayd.pid, 'VmHWM') - before) / MiB };
}

interface RunFigures {
  readonly bareMiB: number;
  readonly restMiB: number;
  readonly restAnonMiB: number;
  readonly restThreads: number;
  readonly firstPushMiB: number;
  readonly rises: readonly Rise[];
}

async function oneRun(settings: BenchSettings, upstream: string, first: Request, cases: readonly Request[]): Promise<RunFigures> {
  const bareMiB = (await bareNodeRss()) / MiB;
  const atRest = await startRelaydChild({ upstream }, settings.log);
  let rest: Omit<RunFigures, 'bareMiB' | 'rises'>;
  try {
    await sleep(SETTLE_MS);
    const figures = { restMiB: procStatus(atRest.pid, 'VmRSS') / MiB, restAnonMiB: procStatus(atRest.pid, 'RssAnon') / MiB, restThreads: procStatus(atRest.pid, 'Threads') };
    rest = { ...figures, firstPushMiB: (await rise(atRest, await createRun(atRest), first)).answered };
  } finally {
    await atRest.stop();
  }
  const rises: Rise[] = [];
  for (const request of cases) {
    const relayd = await startRelaydChild({ upstream }, settings.log);
    try {
      const runId = await createRun(relayd);
      await rise(relayd, runId, first);
      rises.push(await rise(relayd, runId, request));
    } finally {
      await relayd.stop();
    }
  }
  return { bareMiB, ...rest, rises };
}

async function runFootprint(settings: BenchSettings): Promise<ScenarioResult> {
  const first = firstPush();
  const only = process.env.BENCH_FOOTPRINT_ONLY;
  const cases = requests().filter((request) => only === undefined || request.name.includes(only));
  const emulator = await startEmulator();
  const runs: RunFigures[] = [];
  try {
    for (let run = 0; run < settings.runs; run++) {
      settings.log(`footprint run ${run + 1}/${settings.runs}`);
      runs.push(await oneRun(settings, emulator.url, first, cases));
    }
  } finally {
    await emulator.close();
  }
  const bare = { name: 'bare node process at rest', runs: runs.map((r) => r.bareMiB) };
  const limit = { name: '--max-decompressed-size', runs: runs.map(() => 64) };
  const figures: Figure[] = [
    figure('RSS at rest, empty data dir', 'MiB', runs.map((r) => r.restMiB), bare),
    figure('private RSS (RssAnon) at rest', 'MiB', runs.map((r) => r.restAnonMiB)),
    figure('threads at rest', 'threads', runs.map((r) => r.restThreads)),
    figure(`RSS rise: ${first.name}, from rest -> 200`, 'MiB', runs.map((r) => r.firstPushMiB), limit),
    ...cases.flatMap((request, i) => [
      figure(`RSS rise: ${request.name} -> ${request.status}`, 'MiB', runs.map((r) => r.rises[i]!.answered), limit),
      ...(request.status === 200 ? [figure(`RSS rise: ${request.name}, until forwarded`, 'MiB', runs.map((r) => r.rises[i]!.forwarded), limit)] : []),
    ]),
  ];
  const rest = figures[0]!;
  const spread = (values: readonly number[]): number => Math.max(...values) - Math.min(...values);
  const rises = figures.slice(3);
  return {
    scenario: 'footprint',
    title: 'RSS at rest and the rise one request causes',
    setup: `${settings.runs} runs, each a fresh bare node and fresh relayd children (node bin/relayd.js start, default limits): one at rest (RSS read ${SETTLE_MS / 1000} s after ready), then taking k6's first v1 push; one per other request, after such a push. A rise is VmHWM (reset before) once relayd forwarded what the request queued, minus VmRSS before it (read with the queue empty).`,
    figures,
    targets: [
      { target: `RSS at rest <= ${REST_TARGET_MIB} MiB`, measured: `${rest.value.toFixed(1)} MiB`, pass: rest.value <= REST_TARGET_MIB },
      ...rises.map((rise) => ({
        target: `${rise.name.replace(/^RSS rise: /, '')}: rise <= ${REQUEST_TARGET_MIB} MiB`,
        measured: `${rise.value.toFixed(1)} MiB`,
        pass: rise.value <= REQUEST_TARGET_MIB,
      })),
    ],
    notes: [
      `run-to-run spread (max - min): RSS at rest ${spread(rest.runs).toFixed(1)} MiB, bare node ${spread(bare.runs).toFixed(1)} MiB; largest spread of a rise ${Math.max(...rises.map((r) => spread(r.runs))).toFixed(1)} MiB`,
      `median bare node ${median(bare.runs).toFixed(1)} MiB`,
    ],
  };
}

export const scenario: Scenario = { name: 'footprint', run: runFootprint };

runIfEntryPoint(import.meta.url, scenario);
