// Scenario: relayd as a sidecar with a 256 MiB container limit. relayd runs in a memory cgroup with
// that hard limit (test/helpers/memory-cgroup.ts: v2 memory.max or v1 memory.limit_in_bytes, as
// `docker run --memory 256m` sets) and goes through the heaviest load the benchmarks make, with the
// upstream down: the maximum v1 ingest (32 clients, 1.7 MiB JSON pushes), then the maximum v2 ingest,
// then v1 pushes until it holds a backlog of BENCH_BACKLOG_MIB (1 GiB); then the upstream (a bare
// sink) comes back and relayd drains it all. It must come through alive, every push acknowledged
// and delivered. The kernel charges the cgroup for the page cache of the store too, and reclaims it
// under the limit: the cgroup's peak charge reaches the limit by design; what matters is that
// nothing was OOM-killed. Where no cgroup can be made, the scenario runs unlimited and reports the
// peak RSS (/proc) against the limit instead.
//
// `npm run bench -- memory-limit` or `tsx bench/memory-limit.bench.ts`.
import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { type MemoryCgroup, tryMemoryCgroup } from '../test/helpers/memory-cgroup.js';
import type { LoadResult } from './arrivals.js';
import { type PushTarget, pushLoad } from './load.js';
import { v1Bodies, v2Bodies, v2BodiesFor } from './payloads.js';
import { figure, type ScenarioResult } from './report.js';
import { type BenchSettings, runIfEntryPoint, type Scenario } from './scenario.js';
import { SinkUpstream } from './sink-upstream.js';
import { startRelaydUnderTest } from './stack.js';
import { MiB } from './stats.js';

const LIMIT_MIB = 256;
const RUNS = 8;
const CLIENTS = 32;
const CONNECTIONS = 64;
const MAX_LOAD_SECONDS = 10;
const SAMPLE_EVERY_MS = 250;

interface Peaks {
  rss: number;
  anon: number;
}

async function runMemoryLimit(settings: BenchSettings): Promise<ScenarioResult> {
  const cgroup = tryMemoryCgroup('relayd-bench', LIMIT_MIB * MiB);
  const limited = typeof cgroup !== 'string';
  if (!limited) settings.log(`memory-limit: ${cgroup}; running unlimited, peak RSS against ${LIMIT_MIB} MiB`);
  const v1 = v1Bodies(16, 2000, 501);
  const v2 = v2Bodies('0', 16, 601);
  const sink = new SinkUpstream();
  await sink.listen();
  const stack = await startRelaydUnderTest(settings, 'memory-limit', {
    upstream: sink.url,
    runs: RUNS,
    connections: CONNECTIONS,
    ...(limited ? { cgroup } : {}),
  });
  const { relayd } = stack;
  const peaks: Peaks = { rss: 0, anon: 0 };
  const sampler = setInterval(() => {
    try {
      peaks.rss = Math.max(peaks.rss, relayd.rss() / MiB);
      peaks.anon = Math.max(peaks.anon, relayd.rssParts().anonBytes / MiB);
    } catch {
      // Gone (killed): the report says so.
    }
  }, SAMPLE_EVERY_MS);
  const loads: Record<'v1' | 'v2' | 'fill', LoadResult | undefined> = { v1: undefined, v2: undefined, fill: undefined };
  let acked = 0;
  let ackedBytes = 0;
  let drainSeconds = Number.NaN;
  let failure: string | null = null;
  const onAck = (ack: { body: { body: Uint8Array } }): void => {
    acked += 1;
    ackedBytes += ack.body.body.length;
  };
  try {
    sink.down();
    const v1Targets: PushTarget[] = stack.runIds.map((runId) => ({ runId, protocol: 'v1', bodies: v1 }));
    const v2Targets: PushTarget[] = stack.runIds.map((runId) => ({ runId, protocol: 'v2', bodies: v2BodiesFor(runId, v2) }));
    const seconds = MAX_LOAD_SECONDS * settings.scale;
    settings.log(`memory-limit: maximum v1 load, ${seconds} s`);
    loads.v1 = await pushLoad(stack.client, v1Targets, { kind: 'closed', concurrency: CLIENTS, seconds }, onAck);
    settings.log(`memory-limit: maximum v2 load, ${seconds} s`);
    loads.v2 = await pushLoad(stack.client, v2Targets, { kind: 'closed', concurrency: CLIENTS, seconds }, onAck);
    settings.log(`memory-limit: v1 pushes up to a ${settings.backlogMiB} MiB backlog`);
    const target = settings.backlogMiB * MiB;
    // A relayd the kernel killed acknowledges nothing more: stop filling then, not after an hour.
    const gone = (): boolean => !existsSync(`/proc/${relayd.pid}`);
    loads.fill = await pushLoad(stack.client, v1Targets, { kind: 'closed', concurrency: 16, seconds: 3600, stop: () => ackedBytes >= target || gone() }, onAck);
    const errors = Object.values(loads).reduce((sum, load) => sum + (load?.errors ?? 0), 0);
    if (errors > 0) throw new Error(`${errors} pushes failed, first: ${Object.values(loads).find((load) => load?.firstError)?.firstError}`);
    settings.log('memory-limit: draining');
    sink.up();
    const deadline = Date.now() + 1_800_000;
    while (sink.deliveries.length < acked) {
      if (Date.now() > deadline) throw new Error(`${sink.deliveries.length} of ${acked} pushes delivered after 30 min`);
      await sleep(50);
    }
    drainSeconds = (sink.deliveries.at(-1)!.at - sink.deliveries[0]!.at) / 1000;
  } catch (err) {
    failure = err instanceof Error ? err.message : String(err);
  } finally {
    clearInterval(sampler);
  }
  const cgroupPeakMiB = limited ? cgroup.peakBytes() / MiB : Number.NaN;
  const oomKills = limited ? cgroup.oomKills() : 0;
  await stack.stop().catch((err: unknown) => {
    failure ??= err instanceof Error ? err.message : String(err);
  });
  await sink.close();
  if (limited) removeQuietly(cgroup);
  return report(settings, { limited, reason: limited ? '' : cgroup, peaks, cgroupPeakMiB, oomKills, loads, acked, ackedBytes, drainSeconds, failure });
}

function removeQuietly(cgroup: MemoryCgroup): void {
  try {
    cgroup.remove();
  } catch {
    // A child not reaped yet keeps it busy; an empty cgroup left behind holds no memory.
  }
}

interface Outcome {
  limited: boolean;
  reason: string;
  peaks: Peaks;
  cgroupPeakMiB: number;
  oomKills: number;
  loads: Record<'v1' | 'v2' | 'fill', LoadResult | undefined>;
  acked: number;
  ackedBytes: number;
  drainSeconds: number;
  failure: string | null;
}

function report(settings: BenchSettings, o: Outcome): ScenarioResult {
  const limitedLabel = o.limited ? ', limited' : ', unlimited';
  const rate = (load: LoadResult | undefined): number => (load ? load.operations / load.seconds : Number.NaN);
  const survived = o.failure === null && o.oomKills === 0;
  const figures = [
    figure('RSS peak (whole scenario)', 'MiB', [o.peaks.rss], { name: 'the limit', runs: [LIMIT_MIB] }),
    figure('private RSS (RssAnon) peak', 'MiB', [o.peaks.anon], { name: 'the limit', runs: [LIMIT_MIB] }),
    ...(o.limited ? [figure('cgroup peak charge (page cache of the store included)', 'MiB', [o.cgroupPeakMiB], { name: 'the limit', runs: [LIMIT_MIB] })] : []),
    figure(`v1 pushes/s at max load${limitedLabel}`, 'pushes/s', [rate(o.loads.v1)]),
    figure(`v2 pushes/s at max load${limitedLabel}`, 'pushes/s', [rate(o.loads.v2)]),
    figure(`drain to a bare sink${limitedLabel}`, 'MiB/s', [o.ackedBytes / MiB / o.drainSeconds]),
  ];
  const how = o.limited ? `a memory cgroup with a hard limit of ${LIMIT_MIB} MiB` : `no limit (${o.reason}); peak RSS read from /proc every ${SAMPLE_EVERY_MS} ms`;
  return {
    scenario: 'memory-limit',
    title: `a sidecar with a ${LIMIT_MIB} MiB memory limit through the heaviest load and a ${settings.backlogMiB} MiB drain`,
    setup: [
      `relayd: child process in ${how}; upstream: a bare sink, down until the drain. ${RUNS} runs.`,
      `maximum v1 load (${CLIENTS} clients, ~1.7 MiB JSON pushes) and maximum v2 load for ${MAX_LOAD_SECONDS * settings.scale} s each, then v1 pushes up to ${settings.backlogMiB} MiB acknowledged, then the drain; one run.`,
      o.failure ? `FAILED: ${o.failure}` : `${o.acked} pushes (${(o.ackedBytes / MiB).toFixed(0)} MiB) acknowledged and delivered; OOM kills: ${o.oomKills}.`,
    ].join('\n'),
    figures,
    targets: [
      o.limited
        ? {
            target: `survives a ${LIMIT_MIB} MiB memory limit: no OOM kill, every push acknowledged and delivered`,
            measured: survived ? `survived; cgroup peak ${o.cgroupPeakMiB.toFixed(0)} MiB, RSS peak ${o.peaks.rss.toFixed(0)} MiB` : (o.failure ?? `${o.oomKills} OOM kills`),
            pass: survived,
          }
        : {
            target: `peak RSS within ${LIMIT_MIB} MiB through the heaviest load and the drain (no cgroup here)`,
            measured: `${o.peaks.rss.toFixed(0)} MiB${o.failure ? `; FAILED: ${o.failure}` : ''}`,
            pass: o.failure === null && o.peaks.rss <= LIMIT_MIB,
          },
    ],
  };
}

export const scenario: Scenario = { name: 'memory-limit', run: runMemoryLimit };

runIfEntryPoint(import.meta.url, scenario);
