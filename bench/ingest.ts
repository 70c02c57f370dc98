// Scenario 1, durable ingest (API v2 or v1): many concurrent k6-like clients push to relayd, which
// acknowledges each push only after its synced LevelDB write. The upstream is down during the
// measurement, so the forwarder sits in its retry backoff and the figures are ingest alone (the
// end-to-end scenario measures ingest and forwarding together).
//
// Per run: a fresh relayd child; a warm-up; a closed loop of CONCURRENCY clients for the maximum
// rate and its latency; then Poisson arrivals at half that rate for the latency a loaded but not
// saturated relayd gives. Baselines in the same run: the same bytes under the same arrivals into a
// bare LevelDB with synced group-committed batches (the storage limit), and the bare decode of the
// same bodies on one core (the CPU limit).
import type { Arrivals, LoadResult } from './arrivals.js';
import { bareV1Parse, bareV2Decode } from './bare-decode.js';
import { bareLevelDbWrite } from './bare-leveldb.js';
import { type PushTarget, pushLoad } from './load.js';
import { type PushBody, v1Bodies, v2Bodies, v2BodiesFor } from './payloads.js';
import { sampleMax } from './proc.js';
import { figure, formatNumber, type ScenarioResult, type SeriesPoint } from './report.js';
import type { BenchSettings, Scenario } from './scenario.js';
import { startEmulator, startRelaydUnderTest } from './stack.js';
import { MiB, median, summarise } from './stats.js';

type Protocol = 'v1' | 'v2';

/** 8 k6 instances pushing with 4 requests in flight each. */
const RUNS = 8;
const CONCURRENCY = 32;
const CONNECTIONS = 64;
const DISTINCT_BODIES = 16;
/** Each load level is measured this long (× BENCH_SCALE); the bare baselines need less to settle. */
const WINDOW_SECONDS = 3;
const BARE_SECONDS = 2;
/** HTTP requests per v1 push: one second of a k6 instance at 2,000 requests/s. */
const V1_REQUESTS_PER_PUSH = 2000;
/** Issue 11: a sidecar under the heaviest ingest stays within this. */
const RSS_LIMIT_MIB = 160;

interface RunFigures {
  max: LoadResult;
  half: LoadResult;
  relaydCores: number;
  bareMax: LoadResult;
  bareHalf: LoadResult;
  decode: LoadResult;
  /** relayd's RSS before any push, and its peak over the warm-up, max and half load, MiB. */
  idleRssMiB: number;
  peakRssMiB: number;
}

const rate = (result: LoadResult, of: 'operations' | 'bytes' | 'values'): number => result[of] / result.seconds;
const mibPerSecond = (result: LoadResult): number => rate(result, 'bytes') / MiB;

function assertNoErrors(what: string, result: LoadResult): void {
  if (result.errors > 0) throw new Error(`${what}: ${result.errors} pushes failed, first: ${result.firstError}`);
}

async function measureOnce(protocol: Protocol, base: readonly PushBody[], settings: BenchSettings): Promise<RunFigures> {
  const window = WINDOW_SECONDS * settings.scale;
  const emulator = await startEmulator();
  const stack = await startRelaydUnderTest(settings, `ingest-${protocol}`, { upstream: emulator.url, runs: RUNS, connections: CONNECTIONS });
  try {
    await emulator.down();
    const targets: PushTarget[] = stack.runIds.map((runId) => ({ runId, protocol, bodies: protocol === 'v2' ? v2BodiesFor(runId, base) : base }));
    const idleRssMiB = stack.relayd.rss() / MiB;
    const rss = sampleMax(() => stack.relayd.rss());
    assertNoErrors('warm-up', await pushLoad(stack.client, targets, { kind: 'closed', concurrency: CONCURRENCY, seconds: 1.5 }));
    const cpuBefore = stack.relayd.cpu();
    const max = await pushLoad(stack.client, targets, { kind: 'closed', concurrency: CONCURRENCY, seconds: window });
    const relaydCores = (stack.relayd.cpu() - cpuBefore) / max.seconds;
    assertNoErrors('max load', max);
    const halfArrivals: Arrivals = { kind: 'poisson', rate: rate(max, 'operations') / 2, seconds: window };
    const half = await pushLoad(stack.client, targets, halfArrivals);
    assertNoErrors('half load', half);
    const peakRssMiB = rss.stop() / MiB;
    await stack.stop();
    const bareSeconds = BARE_SECONDS * settings.scale;
    const bareMax = await bareLevelDbWrite(targets[0]!.bodies, { kind: 'closed', concurrency: CONCURRENCY, seconds: bareSeconds });
    const bareHalf = await bareLevelDbWrite(targets[0]!.bodies, { ...halfArrivals, seconds: bareSeconds });
    const decode = protocol === 'v1' ? bareV1Parse(base, 2 * settings.scale) : bareV2Decode(base, 2 * settings.scale);
    return { max, half, relaydCores, bareMax, bareHalf, decode, idleRssMiB, peakRssMiB };
  } finally {
    await stack.stop();
    await emulator.close();
  }
}

function describeBodies(protocol: Protocol, bodies: readonly PushBody[]): string {
  const wire = bodies.reduce((sum, body) => sum + body.body.length, 0) / bodies.length / 1024;
  const raw = bodies.reduce((sum, body) => sum + body.rawBytes, 0) / bodies.length / 1024;
  const values = bodies.reduce((sum, body) => sum + body.values, 0) / bodies.length;
  const shape =
    protocol === 'v2'
      ? 'MetricSets of 1000 series (3 in 4) or 50–999 series, one value per series'
      : `JSON arrays of ~${V1_REQUESTS_PER_PUSH} HTTP requests (http_req_li_all Points, checks, iter_li_all)`;
  return `${bodies.length} distinct ${protocol} bodies: ${shape}; mean ${wire.toFixed(0)} KiB on the wire, ${raw.toFixed(0)} KiB decompressed, ${values.toFixed(0)} sample values`;
}

async function runIngest(protocol: Protocol, settings: BenchSettings): Promise<ScenarioResult> {
  settings.log(`ingest-${protocol}: building ${DISTINCT_BODIES} bodies`);
  const base = protocol === 'v2' ? v2Bodies('0', DISTINCT_BODIES) : v1Bodies(DISTINCT_BODIES, V1_REQUESTS_PER_PUSH);
  const runs: RunFigures[] = [];
  for (let run = 0; run < settings.runs; run++) {
    settings.log(`ingest-${protocol}: run ${run + 1}/${settings.runs}`);
    runs.push(await measureOnce(protocol, base, settings));
  }
  const each = (f: (run: RunFigures) => number): number[] => runs.map(f);
  const p = (result: LoadResult, q: 'p50' | 'p99'): number => summarise(result.latenciesMs)[q];
  const decodeName = protocol === 'v1' ? 'bare gunzip + JSON.parse, 1 core' : 'bare snappy + protobuf decode, 1 core';
  const figures = [
    figure('pushes/s at max load', 'pushes/s', each((r) => rate(r.max, 'operations')), {
      name: 'bare LevelDB synced writes/s',
      runs: each((r) => rate(r.bareMax, 'operations')),
    }),
    figure('MiB/s at max load', 'MiB/s', each((r) => mibPerSecond(r.max)), { name: 'bare LevelDB synced MiB/s', runs: each((r) => mibPerSecond(r.bareMax)) }),
    figure('sample values/s at max load', 'values/s', each((r) => rate(r.max, 'values')), { name: decodeName, runs: each((r) => rate(r.decode, 'values')) }),
    figure('ack p50 at max load', 'ms', each((r) => p(r.max, 'p50')), { name: 'bare LevelDB p50, same clients', runs: each((r) => p(r.bareMax, 'p50')) }),
    figure('ack p99 at max load', 'ms', each((r) => p(r.max, 'p99')), { name: 'bare LevelDB p99, same clients', runs: each((r) => p(r.bareMax, 'p99')) }),
    figure('ack p50 at half max load', 'ms', each((r) => p(r.half, 'p50')), { name: 'bare LevelDB p50, same arrivals', runs: each((r) => p(r.bareHalf, 'p50')) }),
    figure('ack p99 at half max load', 'ms', each((r) => p(r.half, 'p99')), { name: 'bare LevelDB p99, same arrivals', runs: each((r) => p(r.bareHalf, 'p99')) }),
    figure('relayd CPU at max load', 'cores', each((r) => r.relaydCores)),
    figure('RSS peak under load (max and half)', 'MiB', each((r) => r.peakRssMiB), { name: 'RSS before the first push', runs: each((r) => r.idleRssMiB) }),
  ];
  const [, mib, values, , , , halfP99, , peakRss] = figures;
  const targets =
    protocol === 'v2'
      ? [
          {
            target: 'durable v2 ingest ≥ 70% of bare LevelDB synced-write throughput (same bytes)',
            measured: `${(mib!.ratio! * 100).toFixed(0)}% (${mib!.value.toFixed(1)} of ${mib!.baseline!.value.toFixed(1)} MiB/s)`,
            pass: mib!.ratio! >= 0.7,
          },
        ]
      : [
          {
            target: 'v1 ingest ≥ 1,000,000 sample values/s with decode + validation, or ≥ 60% of bare gunzip + JSON.parse',
            measured: `${Math.round(values!.value).toLocaleString('en-US')} values/s, ${(values!.ratio! * 100).toFixed(0)}% of bare`,
            pass: values!.value >= 1_000_000 || values!.ratio! >= 0.6,
          },
        ];
  targets.push({
    target: `RSS ≤ ${RSS_LIMIT_MIB} MiB under the maximum ${protocol} load`,
    measured: `${peakRss!.value.toFixed(0)} MiB peak (${peakRss!.runs.map((mib) => mib.toFixed(0)).join(' / ')})`,
    pass: peakRss!.value <= RSS_LIMIT_MIB,
  });
  targets.push({
    target: `${protocol} ack p99 < 20 ms at half max load`,
    measured: `${halfP99!.value.toFixed(1)} ms at ${(median(each((r) => rate(r.max, 'operations'))) / 2).toFixed(0)} pushes/s`,
    pass: halfP99!.value < 20,
  });
  const timeline: SeriesPoint[] = runs[0]!.max.perSecond.map((second, index) => ({ x: index + 0.5, y: second.bytes / MiB }));
  const latency = (load: (r: RunFigures) => LoadResult) => ({
    p50: median(each((r) => summarise(load(r).latenciesMs).p50)),
    p90: median(each((r) => summarise(load(r).latenciesMs).p90)),
    p99: median(each((r) => summarise(load(r).latenciesMs).p99)),
  });
  return {
    scenario: `ingest-${protocol}`,
    title: `durable ${protocol} ingest, ${CONCURRENCY} concurrent clients`,
    setup: [
      `relayd: child process (node bin/relayd.js start, dist build), fresh data dir per run, upstream down during the measurement (forwarder idle in backoff).`,
      `load: ${RUNS} runs, ${CONCURRENCY} closed-loop clients over ${CONNECTIONS} keep-alive connections for the maximum, then Poisson arrivals at half the maximum; ${formatNumber(WINDOW_SECONDS * settings.scale)} s windows after a 1.5 s warm-up; ${settings.runs} runs, medians.`,
      describeBodies(protocol, base),
    ].join('\n'),
    figures,
    targets,
    chart: {
      throughput: { [`ingest ${protocol}, max load`]: timeline },
      latency: { [`ingest ${protocol} max`]: latency((r) => r.max), [`ingest ${protocol} half`]: latency((r) => r.half) },
    },
  };
}

export function ingestScenario(protocol: Protocol): Scenario {
  return { name: `ingest-${protocol}`, run: (settings) => runIngest(protocol, settings) };
}
