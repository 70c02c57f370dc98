// Scenario 3, drain: the cloud is down while a heavy k6 run pushes for 2 minutes (built faster than
// real time: the same pushes, back to back), then it comes back. relayd (a child process) must send
// the backlog in order, one request at a time per run, to the strict emulator (in this process).
// Figures: drain time (first delivery → last), MiB/s and pushes/s, next to the rate relayd took the
// backlog in, the rate a heavy k6 run produces it (HEAVY_K6), and, measured in the same run, the
// rate the emulator accepts the same bodies sent in order on one connection straight from here.
// Then again with the cloud CLOUD_RTT_MS away (the emulator holds every request that long before it
// answers): on loopback the round trip costs nothing, against the real cloud it bounds how many
// pushes of a run one connection delivers per second.
//
// `npm run bench -- drain` or `tsx bench/drain.bench.ts`.
import { setTimeout as sleep } from 'node:timers/promises';
import type { LoadResult } from './arrivals.js';
import { HEAVY_K6, HEAVY_K6_PUSHES_PER_SECOND } from './heavy-k6.js';
import { PushClient, type PushTarget, preciseNow, pushLoad } from './load.js';
import { v2Bodies, v2BodiesFor, type PushBody } from './payloads.js';
import { figure, formatNumber, type ScenarioResult, type SeriesPoint } from './report.js';
import { type BenchSettings, runIfEntryPoint, type Scenario } from './scenario.js';
import { CREATE_BODY, startEmulator, startRelaydUnderTest } from './stack.js';
import { MiB, median } from './stats.js';

/** Seconds of heavy k6 traffic in the backlog. */
const BACKLOG_SECONDS = 120;
const DISTINCT_BODIES = 16;
/** Pushes of the direct baseline: enough for a steady rate, few enough to keep the run short. */
const DIRECT_PUSHES = 60;
/** Clients building the backlog: faster than one k6, which sends one push at a time. */
const FILL_CLIENTS = 4;
/** A cloud region away from the runner: the emulator's answer is held this long. */
const CLOUD_RTT_MS = 50;

interface RunFigures {
  fill: LoadResult;
  drainSeconds: number;
  /** From the emulator's return to its first delivered push. */
  firstDeliveryMs: number;
  drainedBytes: number;
  drainedPushes: number;
  direct: LoadResult;
  /** Delivered MiB per half second since the emulator came back. */
  timeline: SeriesPoint[];
}

async function measureOnce(settings: BenchSettings, base: readonly PushBody[], backlogPushes: number, rttMs = 0): Promise<RunFigures> {
  const deliveries: Array<{ at: number; bytes: number }> = [];
  const emulator = await startEmulator({
    onRequest: (request) => {
      if (request.route?.kind === 'v2-push' && request.status === 200) deliveries.push({ at: request.receivedAt, bytes: request.body.length });
    },
  });
  try {
    const stack = await startRelaydUnderTest(settings, 'drain', { upstream: emulator.url, runs: 1, connections: FILL_CLIENTS });
    let fill: LoadResult;
    let upAt: number;
    try {
      const target: PushTarget = { runId: stack.runIds[0]!, protocol: 'v2', bodies: v2BodiesFor(stack.runIds[0]!, base) };
      await emulator.down();
      let acked = 0;
      fill = await pushLoad(
        stack.client,
        [target],
        { kind: 'closed', concurrency: FILL_CLIENTS, seconds: 600, stop: () => acked >= backlogPushes },
        () => (acked += 1),
      );
      if (fill.errors > 0) throw new Error(`drain: ${fill.errors} pushes failed while building the backlog, first: ${fill.firstError}`);
      upAt = preciseNow();
      if (rttMs > 0) emulator.setFault({ kind: 'slow', delayMs: rttMs });
      await emulator.up();
      const deadline = Date.now() + 600_000;
      while (deliveries.length < fill.operations) {
        if (Date.now() > deadline) throw new Error(`drain: ${deliveries.length} of ${fill.operations} pushes delivered after 10 min`);
        await sleep(20);
      }
    } finally {
      await stack.stop();
    }
    // The direct baseline below pushes to the same emulator: keep the drain's deliveries apart.
    const drained = deliveries.splice(0);
    const first = drained[0]!.at;
    const last = drained[drained.length - 1]!.at;
    const drainedBytes = drained.reduce((sum, delivery) => sum + delivery.bytes, 0);
    const timeline: SeriesPoint[] = [];
    for (const delivery of drained) {
      const slot = Math.floor((delivery.at - upAt) / 500);
      while (timeline.length <= slot) timeline.push({ x: (timeline.length + 1) * 0.5, y: 0 });
      timeline[slot] = { x: timeline[slot]!.x, y: timeline[slot]!.y + delivery.bytes / MiB / 0.5 };
    }
    const direct = await directInOrder(emulator.url, base, Math.min(fill.operations, DIRECT_PUSHES));
    return {
      fill,
      drainSeconds: (last - first) / 1000,
      firstDeliveryMs: first - upAt,
      drainedBytes,
      drainedPushes: drained.length,
      direct,
      timeline,
    };
  } finally {
    await emulator.close();
  }
}

/** The same bodies pushed straight to the emulator, in order, one at a time: the upstream's own limit. */
async function directInOrder(url: string, base: readonly PushBody[], pushes: number): Promise<LoadResult> {
  const client = new PushClient(url, 1);
  try {
    const runId = await client.createRun(CREATE_BODY);
    let sent = 0;
    const target: PushTarget = { runId, protocol: 'v2', bodies: v2BodiesFor(runId, base) };
    return await pushLoad(client, [target], { kind: 'closed', concurrency: 1, seconds: 600, stop: () => sent++ >= pushes });
  } finally {
    await client.close();
  }
}

async function runDrain(settings: BenchSettings): Promise<ScenarioResult> {
  const base = v2Bodies('0', DISTINCT_BODIES, 201);
  const backlogSeconds = BACKLOG_SECONDS * settings.scale;
  const backlogPushes = Math.round(backlogSeconds * HEAVY_K6_PUSHES_PER_SECOND);
  const meanBodyBytes = base.reduce((sum, body) => sum + body.body.length, 0) / base.length;
  const heavyMiBPerSecond = (HEAVY_K6_PUSHES_PER_SECOND * meanBodyBytes) / MiB;
  const runs: RunFigures[] = [];
  const remote: RunFigures[] = [];
  for (let run = 0; run < settings.runs; run++) {
    settings.log(`drain: run ${run + 1}/${settings.runs} (${backlogPushes} pushes), loopback then the cloud ${CLOUD_RTT_MS} ms away`);
    runs.push(await measureOnce(settings, base, backlogPushes));
    remote.push(await measureOnce(settings, base, backlogPushes, CLOUD_RTT_MS));
  }
  const each = (f: (run: RunFigures) => number): number[] => runs.map(f);
  const eachRemote = (f: (run: RunFigures) => number): number[] => remote.map(f);
  const remoteMiB = eachRemote((r) => r.drainedBytes / MiB / r.drainSeconds);
  const drainMiB = each((r) => r.drainedBytes / MiB / r.drainSeconds);
  const figures = [
    figure('drain MiB/s', 'MiB/s', drainMiB, { name: `heavy k6 production (${HEAVY_K6_PUSHES_PER_SECOND.toFixed(2)} pushes/s)`, runs: each(() => heavyMiBPerSecond) }),
    figure('drain MiB/s, against ingest', 'MiB/s', drainMiB, { name: 'relayd ingest while the backlog was built', runs: each((r) => r.fill.bytes / MiB / r.fill.seconds) }),
    figure('drain pushes/s', 'pushes/s', each((r) => r.drainedPushes / r.drainSeconds), {
      name: 'in-order direct push to the emulator',
      runs: each((r) => r.direct.operations / r.direct.seconds),
    }),
    figure(`drain time of ${formatNumber(backlogSeconds)} s of heavy traffic`, 's', each((r) => r.drainSeconds), { name: 'time the run took to produce it', runs: each(() => backlogSeconds) }),
    figure('emulator back → first delivery', 'ms', each((r) => r.firstDeliveryMs)),
    figure(`drain MiB/s, cloud ${CLOUD_RTT_MS} ms away`, 'MiB/s', remoteMiB, {
      name: `heavy k6 production (${HEAVY_K6_PUSHES_PER_SECOND.toFixed(2)} pushes/s)`,
      runs: eachRemote(() => heavyMiBPerSecond),
    }),
    figure(`drain pushes/s, cloud ${CLOUD_RTT_MS} ms away`, 'pushes/s', eachRemote((r) => r.drainedPushes / r.drainSeconds), {
      name: `in-order direct push, one at a time, ${CLOUD_RTT_MS} ms away`,
      runs: eachRemote((r) => r.direct.operations / r.direct.seconds),
    }),
  ];
  const speedup = figures[0]!.ratio!;
  const remoteSpeedup = figures[5]!.ratio!;
  const backlogMiB = median(each((r) => r.drainedBytes / MiB));
  return {
    scenario: 'drain',
    title: `drain ${formatNumber(backlogSeconds)} s of a heavy k6 run to the emulator`,
    setup: [
      `relayd: child process, --retry-max-delay 500ms (so its next attempt follows the emulator's return within 0.5 s); the emulator (in the bench process) decodes and validates every body.`,
      `heavy k6 assumption: ${HEAVY_K6.description} (${heavyMiBPerSecond.toFixed(2)} MiB/s with these bodies): see bench/heavy-k6.ts for why.`,
      `backlog: ${backlogPushes} v2 pushes (${backlogMiB.toFixed(1)} MiB) of one run, built with ${FILL_CLIENTS} clients while the emulator was down; drain = first → last delivery; ${settings.runs} runs, medians.`,
      `cloud ${CLOUD_RTT_MS} ms away: the same, with the emulator holding every request ${CLOUD_RTT_MS} ms before it answers (a cloud region away); the direct baseline then sends one push at a time.`,
    ].join('\n'),
    figures,
    targets: [
      { target: 'drain ≥ 10× a heavy k6 run’s production rate', measured: `${speedup.toFixed(1)}×`, pass: speedup >= 10 },
      {
        target: `drain ≥ 10× a heavy k6 run’s production rate, cloud ${CLOUD_RTT_MS} ms away`,
        measured: `${remoteSpeedup.toFixed(1)}×`,
        pass: remoteSpeedup >= 10,
      },
    ],
    chart: { throughput: { 'drain to the emulator': runs[0]!.timeline, [`drain, cloud ${CLOUD_RTT_MS} ms away`]: remote[0]!.timeline } },
  };
}

export const scenario: Scenario = { name: 'drain', run: runDrain };

runIfEntryPoint(import.meta.url, scenario);
