// Scenario 2, end to end: heavy k6 runs push through relayd (a child process) to the cloud emulator
// (in this process, so the runner's 2xx and the emulator's receipt are read on one clock).
// Figures: latency from the runner's 2xx to the emulator's receipt of the same push (matched by
// K6-Idempotency-Key), and relayd's CPU (all its threads, from /proc) per 1000 sample values.
// Baselines in the same run: the same bodies in the same rhythm pushed straight to the emulator
// (one hop, send → receipt), and the bare decode of the same bodies on one core.
//
// `npm run bench -- end-to-end` or `tsx bench/end-to-end.bench.ts`.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Arrivals } from './arrivals.js';
import { bareV2Decode } from './bare-decode.js';
import { HEAVY_K6 } from './heavy-k6.js';
import { type Ack, PushClient, type PushTarget, pushLoad } from './load.js';
import { v2Bodies, v2BodiesFor } from './payloads.js';
import { figure, formatNumber, type ScenarioResult } from './report.js';
import { type BenchSettings, runIfEntryPoint, type Scenario } from './scenario.js';
import { CREATE_BODY, startEmulator, startRelaydUnderTest } from './stack.js';
import { median, summarise } from './stats.js';

/** Heavy k6 runs pushing at the same time. */
const RUNNERS = 2;
const DISTINCT_BODIES = 16;

interface RunFigures {
  relaydLatenciesMs: number[];
  directLatenciesMs: number[];
  relaydCpuMsPer1000: number;
  decodeCpuMsPer1000: number;
  pushes: number;
}

/** Waits until the emulator received every acknowledged push; resolves with receipt − ack for each. */
async function deliveryLatencies(acks: readonly Ack[], receipts: ReadonlyMap<string, number>, since: (ack: Ack) => number): Promise<number[]> {
  const deadline = Date.now() + 60_000;
  while (acks.some((ack) => !receipts.has(ack.idempotencyKey))) {
    if (Date.now() > deadline) throw new Error('end-to-end: acknowledged pushes not delivered within 60 s');
    await sleep(20);
  }
  return acks.map((ack) => receipts.get(ack.idempotencyKey)! - since(ack));
}

async function measureOnce(settings: BenchSettings, base: ReturnType<typeof v2Bodies>): Promise<RunFigures> {
  const receipts = new Map<string, number>();
  const emulator = await startEmulator({
    onRequest: (request) => {
      if (request.route?.kind === 'v2-push' && request.idempotencyKey && request.status === 200) {
        receipts.set(request.idempotencyKey, request.receivedAt);
      }
    },
  });
  const arrivals: Arrivals = { kind: 'bursts', workers: RUNNERS, everySeconds: HEAVY_K6.flushEverySeconds, burst: HEAVY_K6.pushesPerFlush, seconds: 12 * settings.scale };
  try {
    const stack = await startRelaydUnderTest(settings, 'end-to-end', { upstream: emulator.url, runs: RUNNERS, connections: RUNNERS });
    const acks: Ack[] = [];
    let relaydCpuMsPer1000: number;
    try {
      const targets: PushTarget[] = stack.runIds.map((runId) => ({ runId, protocol: 'v2', bodies: v2BodiesFor(runId, base) }));
      // One flush per runner first, delivered before the measurement: relayd's JIT is warm.
      const warmUp: Ack[] = [];
      await pushLoad(stack.client, targets, { ...arrivals, seconds: HEAVY_K6.flushEverySeconds }, (ack) => warmUp.push(ack));
      await deliveryLatencies(warmUp, receipts, (ack) => ack.ackedAt);
      const cpuBefore = stack.relayd.cpu();
      const load = await pushLoad(stack.client, targets, arrivals, (ack) => acks.push(ack));
      if (load.errors > 0) throw new Error(`end-to-end: ${load.errors} pushes failed, first: ${load.firstError}`);
      await deliveryLatencies(acks, receipts, (ack) => ack.ackedAt);
      relaydCpuMsPer1000 = ((stack.relayd.cpu() - cpuBefore) * 1000 * 1000) / load.values;
    } finally {
      await stack.stop();
    }
    const relaydLatenciesMs = acks.map((ack) => receipts.get(ack.idempotencyKey)! - ack.ackedAt);

    const direct = new PushClient(emulator.url, RUNNERS);
    const directAcks: Ack[] = [];
    try {
      const runIds = [];
      for (let run = 0; run < RUNNERS; run++) runIds.push(await direct.createRun(CREATE_BODY));
      const targets: PushTarget[] = runIds.map((runId) => ({ runId, protocol: 'v2', bodies: v2BodiesFor(runId, base) }));
      await pushLoad(direct, targets, { ...arrivals, seconds: arrivals.seconds / 2 }, (ack) => directAcks.push(ack));
    } finally {
      await direct.close();
    }
    const directLatenciesMs = await deliveryLatencies(directAcks, receipts, (ack) => ack.ackedAt - ack.latencyMs);

    const cpuBefore = process.cpuUsage();
    const decode = bareV2Decode(base, 2 * settings.scale);
    const cpu = process.cpuUsage(cpuBefore);
    const decodeCpuMsPer1000 = ((cpu.user + cpu.system) / 1000 / decode.values) * 1000;
    return { relaydLatenciesMs, directLatenciesMs, relaydCpuMsPer1000, decodeCpuMsPer1000, pushes: acks.length };
  } finally {
    await emulator.close();
  }
}

async function runEndToEnd(settings: BenchSettings): Promise<ScenarioResult> {
  const base = v2Bodies('0', DISTINCT_BODIES, 101);
  const runs: RunFigures[] = [];
  for (let run = 0; run < settings.runs; run++) {
    settings.log(`end-to-end: run ${run + 1}/${settings.runs}`);
    runs.push(await measureOnce(settings, base));
  }
  const each = (f: (run: RunFigures) => number): number[] => runs.map(f);
  const q = (values: number[], p: 'p50' | 'p90' | 'p99'): number => summarise(values)[p];
  const figures = [
    figure('2xx → emulator receipt p50', 'ms', each((r) => q(r.relaydLatenciesMs, 'p50')), {
      name: 'direct push to the emulator p50',
      runs: each((r) => q(r.directLatenciesMs, 'p50')),
    }),
    figure('2xx → emulator receipt p99', 'ms', each((r) => q(r.relaydLatenciesMs, 'p99')), {
      name: 'direct push to the emulator p99',
      runs: each((r) => q(r.directLatenciesMs, 'p99')),
    }),
    figure('relayd CPU per 1000 sample values', 'ms', each((r) => r.relaydCpuMsPer1000), {
      name: 'bare snappy + protobuf decode, 1 core',
      runs: each((r) => r.decodeCpuMsPer1000),
    }),
  ];
  const p99 = figures[1]!;
  return {
    scenario: 'end-to-end',
    title: `${RUNNERS} heavy k6 runs through relayd to the emulator`,
    setup: [
      `relayd: child process, upstream = the emulator in the bench process (strict: decodes and validates every body).`,
      `load: ${RUNNERS} k6-like runners, each flushing ${HEAVY_K6.pushesPerFlush} v2 pushes (mostly 1000 series) one after the other every ${HEAVY_K6.flushEverySeconds} s, out of phase (${HEAVY_K6.description}); ${formatNumber(12 * settings.scale)} s per run, ${settings.runs} runs, medians.`,
      `latency: the emulator's receipt (body read) minus the runner's 2xx, matched by K6-Idempotency-Key, after one delivered warm-up flush; baseline: send → receipt of the same bodies pushed straight to the emulator.`,
      `pushes per run: ${each((r) => r.pushes).join(' / ')}.`,
    ].join('\n'),
    figures,
    targets: [{ target: 'end-to-end p99 < push interval (1 s) + 100 ms', measured: `${p99.value.toFixed(1)} ms`, pass: p99.value < 1100 }],
    chart: {
      latency: {
        'end to end': {
          p50: median(each((r) => q(r.relaydLatenciesMs, 'p50'))),
          p90: median(each((r) => q(r.relaydLatenciesMs, 'p90'))),
          p99: p99.value,
        },
      },
    },
  };
}

export const scenario: Scenario = { name: 'end-to-end', run: runEndToEnd };

runIfEntryPoint(import.meta.url, scenario);
