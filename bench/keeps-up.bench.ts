// Scenario: does forwarding keep up? One run, CLIENTS closed-loop clients push small v1 bodies
// (about 57 KB of JSON, ~4.5 KB gzip'd: a k6 instance at ~65 requests/s) as fast as relayd takes
// them, while the upstream is a fast local sink (sink-upstream.ts) that is up the whole time. If
// relayd delivers slower than it accepts, the backlog grows for as long as the load lasts and takes
// that much longer to drain afterwards. Figures: accepted pushes/s against delivered pushes/s over
// the load window, the backlog (pushes acknowledged, not yet delivered) at its end, and the time
// from the end of the load to the last delivery.
//
// `npm run bench -- keeps-up` or `tsx bench/keeps-up.bench.ts`.
import { setTimeout as sleep } from 'node:timers/promises';
import { type PushTarget, preciseNow, pushLoad } from './load.js';
import { v1Bodies } from './payloads.js';
import { figure, type ScenarioResult, type SeriesPoint } from './report.js';
import { type BenchSettings, runIfEntryPoint, type Scenario } from './scenario.js';
import { SinkUpstream } from './sink-upstream.js';
import { startRelaydUnderTest } from './stack.js';
import { MiB, median } from './stats.js';

const CLIENTS = 8;
const DISTINCT_BODIES = 16;
/** HTTP requests per v1 push: ~57 KB of JSON, ~4.5 KB gzip'd. */
const V1_REQUESTS_PER_PUSH = 65;
const LOAD_SECONDS = 10;
const SAMPLE_EVERY_MS = 250;
/** The backlog may hold what is in flight and read ahead at the end of the load, not more. */
const BACKLOG_SLACK_PUSHES = 64;

interface RunFigures {
  acceptedPerSecond: number;
  deliveredPerSecond: number;
  backlogAtEnd: number;
  catchUpSeconds: number;
  peakRssMiB: number;
  /** Pushes acknowledged and not yet delivered, every SAMPLE_EVERY_MS (x: seconds since the load began). */
  backlog: SeriesPoint[];
}

async function measureOnce(settings: BenchSettings, bodies: ReturnType<typeof v1Bodies>): Promise<RunFigures> {
  const sink = new SinkUpstream();
  await sink.listen();
  const stack = await startRelaydUnderTest(settings, 'keeps-up', { upstream: sink.url, runs: 1, connections: CLIENTS });
  try {
    const target: PushTarget = { runId: stack.runIds[0]!, protocol: 'v1', bodies };
    // Warm-up: connections, JIT, the first LevelDB tables; then wait until it was all delivered.
    const warm = await pushLoad(stack.client, [target], { kind: 'closed', concurrency: CLIENTS, seconds: 1 });
    while (sink.deliveries.length < warm.operations) await sleep(20);
    const deliveredBefore = sink.deliveries.length;
    let acked = 0;
    let peakRss = stack.relayd.rss();
    const backlog: SeriesPoint[] = [];
    const start = preciseNow();
    const sampler = setInterval(() => {
      peakRss = Math.max(peakRss, stack.relayd.rss());
      backlog.push({ x: (preciseNow() - start) / 1000, y: acked - (sink.deliveries.length - deliveredBefore) });
    }, SAMPLE_EVERY_MS);
    const load = await pushLoad(stack.client, [target], { kind: 'closed', concurrency: CLIENTS, seconds: LOAD_SECONDS * settings.scale }, () => (acked += 1));
    const end = preciseNow();
    if (load.errors > 0) throw new Error(`keeps-up: ${load.errors} pushes failed, first: ${load.firstError}`);
    const deliveredInWindow = sink.deliveries.slice(deliveredBefore).filter((delivery) => delivery.at <= end).length;
    const deadline = Date.now() + 600_000;
    while (sink.deliveries.length - deliveredBefore < load.operations) {
      if (Date.now() > deadline) throw new Error(`keeps-up: ${sink.deliveries.length - deliveredBefore} of ${load.operations} delivered after 10 min`);
      await sleep(20);
    }
    clearInterval(sampler);
    const seconds = (end - start) / 1000;
    return {
      acceptedPerSecond: load.operations / seconds,
      deliveredPerSecond: deliveredInWindow / seconds,
      backlogAtEnd: load.operations - deliveredInWindow,
      catchUpSeconds: Math.max(0, (sink.deliveries.at(-1)!.at - end) / 1000),
      peakRssMiB: peakRss / MiB,
      backlog,
    };
  } finally {
    await stack.stop();
    await sink.close();
  }
}

async function runKeepsUp(settings: BenchSettings): Promise<ScenarioResult> {
  const bodies = v1Bodies(DISTINCT_BODIES, V1_REQUESTS_PER_PUSH, 401);
  const runs: RunFigures[] = [];
  for (let run = 0; run < settings.runs; run++) {
    settings.log(`keeps-up: run ${run + 1}/${settings.runs}`);
    runs.push(await measureOnce(settings, bodies));
  }
  const each = (of: (run: RunFigures) => number): number[] => runs.map(of);
  const figures = [
    figure('delivered pushes/s during max ingest', 'pushes/s', each((r) => r.deliveredPerSecond), {
      name: 'accepted pushes/s',
      runs: each((r) => r.acceptedPerSecond),
    }),
    figure('backlog at the end of the load', 'pushes', each((r) => r.backlogAtEnd), { name: 'pushes accepted', runs: each((r) => r.acceptedPerSecond * LOAD_SECONDS * settings.scale) }),
    figure('end of the load → last delivery', 's', each((r) => r.catchUpSeconds), { name: 'load window', runs: each(() => LOAD_SECONDS * settings.scale) }),
    figure('RSS peak', 'MiB', each((r) => r.peakRssMiB)),
  ];
  const ratio = figures[0]!.ratio!;
  const backlogAtEnd = median(each((r) => r.backlogAtEnd));
  const wire = bodies.reduce((sum, body) => sum + body.body.length, 0) / bodies.length / 1024;
  const raw = bodies.reduce((sum, body) => sum + body.rawBytes, 0) / bodies.length / 1024;
  return {
    scenario: 'keeps-up',
    title: `forwarding keeps up with ${CLIENTS} clients at the maximum ingest rate`,
    setup: [
      `relayd: child process; one run; ${CLIENTS} closed-loop clients push v1 bodies of ${raw.toFixed(0)} KiB JSON, ${wire.toFixed(1)} KiB gzip'd, for ${LOAD_SECONDS * settings.scale} s after a 1 s warm-up.`,
      `upstream: a bare sink (reads, discards, 200), up the whole time. ${settings.runs} runs, medians.`,
    ].join('\n'),
    figures,
    targets: [
      {
        target: `forwarding keeps up: delivered ≥ accepted pushes/s, the backlog at the end of the load ≤ ${BACKLOG_SLACK_PUSHES} pushes`,
        measured: `${(ratio * 100).toFixed(0)}% of accepted, backlog ${backlogAtEnd.toFixed(0)} pushes`,
        pass: backlogAtEnd <= BACKLOG_SLACK_PUSHES,
      },
    ],
    chart: { backlog: { 'backlog (pushes)': runs[0]!.backlog } },
  };
}

export const scenario: Scenario = { name: 'keeps-up', run: runKeepsUp };

runIfEntryPoint(import.meta.url, scenario);
