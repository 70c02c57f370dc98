// Scenario 4, memory and disk: the upstream is down while 16 k6-like runs push until relayd holds a
// backlog of BENCH_BACKLOG_MIB (1 GiB by default); then it comes back and relayd drains everything.
// Sampled every 250 ms: relayd's RSS (/proc), the store's size on disk, and the backlog (bytes
// acknowledged and not yet delivered). Write latency is split by whether LevelDB was compacting
// (from its own LOG) while the write was in flight.
//
// v1 bodies fill the store: relayd takes them fastest (ingest is bound by decoding, and v1 carries
// the most bytes per unit of decode work), and the store holds bytes, whatever the protocol.
// The upstream is a bare sink (sink-upstream.ts), so the drain measures relayd, not the emulator.
// First a tenth of that backlog fills and drains, so that the RSS of the two drains shows whether
// draining costs memory in proportion to the backlog. One run: the figures are a time series, and
// 1 GiB takes minutes to fill.
//
// `npm run bench -- memory` or `tsx bench/memory.bench.ts`.
import { rmSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { LoadResult } from './arrivals.js';
import { type CompactionLog, overlapsAny, readCompactionLog } from './leveldb-log.js';
import { type Ack, type PushTarget, pushLoad } from './load.js';
import { v1Bodies } from './payloads.js';
import { directoryBytes } from './proc.js';
import { type Figure, figure, type ScenarioResult, type SeriesPoint } from './report.js';
import { type BenchSettings, runIfEntryPoint, type Scenario } from './scenario.js';
import { SinkUpstream } from './sink-upstream.js';
import { startRelaydUnderTest } from './stack.js';
import { GiB, MiB, median, summarise } from './stats.js';

/** k6 instances, one push in flight each, as k6 sends them. */
const RUNS = 16;
const DISTINCT_BODIES = 16;
const V1_REQUESTS_PER_PUSH = 2000;
const SAMPLE_EVERY_MS = 250;
/** /metrics costs relayd some work: scraped less often than /proc is read. */
const HEAP_SAMPLE_EVERY_MS = 1000;
const REST_MS = 3000;
/** Issue 11: RSS while a 1 GiB backlog drains, the pages of mapped store files included. */
const DRAIN_RSS_LIMIT_MIB = 200;

type Phase = 'idle' | 'small: filling' | 'small: draining' | 'filling' | 'full, at rest' | 'draining' | 'drained, at rest';
/** The small backlog drained first, as a share of the full one: the drain's RSS must not grow with the backlog. */
const SMALL_SHARE = 0.1;

interface Sample {
  readonly at: number;
  readonly phase: Phase;
  readonly rssMiB: number;
  /** The private part of the RSS (not file pages mapped in, such as LevelDB's tables). */
  readonly anonMiB: number;
  readonly storeMiB: number;
  readonly backlogMiB: number;
}

/** From relayd's /metrics, where the build has it: what the RSS is made of. */
interface HeapSample {
  readonly phase: Phase;
  readonly heapTotalMiB: number;
  readonly externalMiB: number;
}

const medianOf = (samples: readonly Sample[], of: (sample: Sample) => number): number => median(samples.map(of));
const maxOf = (samples: readonly Sample[], of: (sample: Sample) => number): number => Math.max(...samples.map(of));

async function runMemory(settings: BenchSettings): Promise<ScenarioResult> {
  const targetBytes = settings.backlogMiB * MiB;
  const bodies = v1Bodies(DISTINCT_BODIES, V1_REQUESTS_PER_PUSH, 301);
  const sink = new SinkUpstream();
  await sink.listen();
  const stack = await startRelaydUnderTest(settings, 'memory', { upstream: sink.url, runs: RUNS, connections: RUNS });
  const { relayd } = stack;
  const samples: Sample[] = [];
  let phase: Phase = 'idle';
  let ackedBytes = 0;
  const sample = (): void => {
    samples.push({
      at: Date.now(),
      phase,
      rssMiB: relayd.rss() / MiB,
      anonMiB: relayd.rssParts().anonBytes / MiB,
      storeMiB: directoryBytes(relayd.dataDir) / MiB,
      backlogMiB: (ackedBytes - sink.deliveredBytes) / MiB,
    });
  };
  const sampler = setInterval(sample, SAMPLE_EVERY_MS);
  const heapSamples: HeapSample[] = [];
  const heapSampler = setInterval(() => {
    const at = phase;
    void relayd.heap().then((heap) => {
      if (heap) heapSamples.push({ phase: at, heapTotalMiB: heap.heapTotalBytes / MiB, externalMiB: heap.externalBytes / MiB });
    });
  }, HEAP_SAMPLE_EVERY_MS);
  const acks: Ack[] = [];
  let fill: LoadResult;
  let drainSeconds: number;
  let drainCpuSeconds: number;
  let compaction: CompactionLog;
  const targets: PushTarget[] = stack.runIds.map((runId) => ({ runId, protocol: 'v1', bodies }));
  /**
   * Fills a backlog of `bytes` with the sink down, then brings it up and waits for every push; with
   * relayd's CPU seconds (all threads) from the sink's return to the last delivery.
   */
  const fillAndDrain = async (
    bytes: number,
    filling: Phase,
    draining: Phase,
    afterFill?: () => Promise<void>,
  ): Promise<{ load: LoadResult; drainCpuSeconds: number }> => {
    sink.down();
    await sleep(1000);
    phase = filling;
    const deliveredBefore = sink.deliveries.length;
    const stopAt = ackedBytes + bytes;
    settings.log(`memory: filling a ${(bytes / MiB).toFixed(0)} MiB backlog`);
    const load = await pushLoad(stack.client, targets, { kind: 'closed', concurrency: RUNS, seconds: 3600, stop: () => ackedBytes >= stopAt }, (ack) => {
      ackedBytes += ack.body.body.length;
      acks.push(ack);
    });
    if (load.errors > 0) throw new Error(`memory: ${load.errors} pushes failed while filling, first: ${load.firstError}`);
    await afterFill?.();
    phase = draining;
    settings.log('memory: draining');
    const cpuBefore = relayd.cpu();
    sink.up();
    const deadline = Date.now() + 1_800_000;
    while (sink.deliveries.length - deliveredBefore < load.operations) {
      if (Date.now() > deadline) throw new Error(`memory: ${sink.deliveries.length - deliveredBefore} of ${load.operations} pushes delivered after 30 min`);
      await sleep(50);
    }
    return { load, drainCpuSeconds: relayd.cpu() - cpuBefore };
  };
  try {
    await fillAndDrain(SMALL_SHARE * targetBytes, 'small: filling', 'small: draining');
    acks.length = 0;
    const drainedBefore = sink.deliveries.length;
    ({ load: fill, drainCpuSeconds } = await fillAndDrain(targetBytes, 'filling', 'draining', async () => {
      phase = 'full, at rest';
      await sleep(REST_MS);
    }));
    drainSeconds = (sink.deliveries.at(-1)!.at - sink.deliveries[drainedBefore]!.at) / 1000;
    phase = 'drained, at rest';
    await sleep(REST_MS);
  } finally {
    clearInterval(sampler);
    clearInterval(heapSampler);
    await stack.client.close();
    await relayd.stop({ keepData: true });
    compaction = readCompactionLog(relayd.dataDir);
    rmSync(relayd.dataDir, { recursive: true, force: true });
    await sink.close();
  }
  const drainedBytes = sink.deliveries.slice(-fill.operations).reduce((sum, delivery) => sum + delivery.bytes, 0);
  return report(settings, { samples, heapSamples, fill, drainSeconds, drainCpuSeconds, acks, compaction, drainedBytes });
}

interface Measurements {
  samples: Sample[];
  heapSamples: HeapSample[];
  fill: LoadResult;
  drainSeconds: number;
  /** relayd's CPU (all threads) while draining: less sensitive than the drain's rate to a busy machine. */
  drainCpuSeconds: number;
  drainedBytes: number;
  acks: Ack[];
  compaction: CompactionLog;
}

function report(settings: BenchSettings, m: Measurements): ScenarioResult {
  const inPhase = (phase: Phase): Sample[] => m.samples.filter((sample) => sample.phase === phase);
  const filling = inPhase('filling');
  const full = maxOf(filling, (s) => s.backlogMiB);
  const fillBetween = (from: number, to: number): Sample[] => filling.filter((s) => s.backlogMiB >= from * full && s.backlogMiB <= to * full);
  const rss = (samples: Sample[]): number => medianOf(samples, (s) => s.rssMiB);
  const idle = rss(inPhase('idle'));
  const drainPeak = maxOf(inPhase('draining'), (s) => s.rssMiB);
  const smallDrainPeak = maxOf(inPhase('small: draining'), (s) => s.rssMiB);
  const smallMiB = SMALL_SHARE * settings.backlogMiB;
  const atRest = inPhase('full, at rest');
  const peakRss = maxOf(m.samples, (s) => s.rssMiB);
  const peakAnon = maxOf(m.samples, (s) => s.anonMiB);
  const quarter = rss(fillBetween(0.2, 0.3));
  const last = rss(fillBetween(0.9, 1));

  const during: number[] = [];
  const outside: number[] = [];
  for (const ack of m.acks) {
    (overlapsAny(m.compaction.compactions, ack.ackedAt - ack.latencyMs, ack.ackedAt) ? during : outside).push(ack.latencyMs);
  }
  const fillMiBs = m.fill.bytes / MiB / m.fill.seconds;
  const figures = [
    figure('RSS with the full backlog, at rest', 'MiB', [rss(atRest)], { name: 'RSS at start, empty store', runs: [idle] }),
    figure('RSS peak, whole scenario', 'MiB', [peakRss], { name: 'RSS at start, empty store', runs: [idle] }),
    figure('RSS at 90–100% of the backlog (filling)', 'MiB', [last], { name: 'RSS at 20–30% of the backlog', runs: [quarter] }),
    figure('RSS peak while draining', 'MiB', [drainPeak], { name: 'RSS at start, empty store', runs: [idle] }),
    figure(`RSS peak while draining ${settings.backlogMiB} MiB`, 'MiB', [drainPeak], {
      name: `RSS peak while draining ${smallMiB.toFixed(0)} MiB`,
      runs: [smallDrainPeak],
    }),
    figure('private RSS (RssAnon) peak while draining', 'MiB', [maxOf(inPhase('draining'), (s) => s.anonMiB)], { name: 'RSS peak while draining', runs: [drainPeak] }),
    figure('private RSS (RssAnon) with the full backlog, at rest', 'MiB', [medianOf(atRest, (s) => s.anonMiB)], {
      name: 'private RSS at start, empty store',
      runs: [medianOf(inPhase('idle'), (s) => s.anonMiB)],
    }),
    figure('private RSS (RssAnon) peak, whole scenario', 'MiB', [peakAnon], { name: 'RSS peak', runs: [peakRss] }),
    figure('store on disk, full backlog', 'MiB', [maxOf(atRest, (s) => s.storeMiB)], { name: 'backlog acknowledged (wire bytes)', runs: [full] }),
    figure('store on disk after the drain', 'MiB', [medianOf(inPhase('drained, at rest'), (s) => s.storeMiB)], {
      name: 'store on disk, full backlog',
      runs: [maxOf(atRest, (s) => s.storeMiB)],
    }),
    figure('drain to a bare sink', 'MiB/s', [m.drainedBytes / MiB / m.drainSeconds], { name: 'ingest while filling', runs: [fillMiBs] }),
    figure('relayd CPU per GiB drained (all threads)', 'core-s', [m.drainCpuSeconds / (m.drainedBytes / GiB)], {
      name: 'wall-clock s per GiB drained',
      runs: [m.drainSeconds / (m.drainedBytes / GiB)],
    }),
    figure('ack p99 while LevelDB compacts', 'ms', [summarise(during).p99], { name: 'ack p99 while it does not', runs: [summarise(outside).p99] }),
    figure('ack p50 while LevelDB compacts', 'ms', [summarise(during).p50], { name: 'ack p50 while it does not', runs: [summarise(outside).p50] }),
    ...heapFigures(m.heapSamples, rss(atRest), peakRss),
  ];
  const growth = last - quarter;
  const series = (phase: Phase, of: (sample: Sample) => number): SeriesPoint[] => inPhase(phase).map((s) => ({ x: s.backlogMiB, y: of(s) }));
  return {
    scenario: 'memory',
    title: `RSS and disk while a ${settings.backlogMiB} MiB backlog grows and drains`,
    setup: [
      `relayd: child process; upstream: a bare sink (reads, discards, 200), down while filling. ${RUNS} runs, one v1 push in flight each (~${V1_REQUESTS_PER_PUSH} HTTP requests per push, ${(m.fill.bytes / m.fill.operations / 1024).toFixed(0)} KiB gzip).`,
      `filled ${full.toFixed(0)} MiB in ${m.fill.seconds.toFixed(0)} s (${m.fill.operations} pushes); drained in ${m.drainSeconds.toFixed(1)} s; RSS and store sampled every ${SAMPLE_EVERY_MS} ms; one run (a time series, not a median).`,
      `LevelDB LOG: ${m.compaction.compactions.length} compactions, ${m.compaction.flushes.length} memtable flushes; ${during.length} of ${m.acks.length} writes overlapped a compaction.`,
    ].join('\n'),
    figures,
    targets: [
      {
        target: `RSS ≤ ${DRAIN_RSS_LIMIT_MIB} MiB while draining a ${settings.backlogMiB} MiB backlog (mapped store files included)`,
        measured: `${drainPeak.toFixed(0)} MiB peak (private part ${maxOf(inPhase('draining'), (s) => s.anonMiB).toFixed(0)} MiB)`,
        pass: drainPeak <= DRAIN_RSS_LIMIT_MIB,
      },
      {
        target: `drain RSS flat: its peak draining ${settings.backlogMiB} MiB within 10% of its peak draining ${smallMiB.toFixed(0)} MiB`,
        measured: `${drainPeak.toFixed(0)} against ${smallDrainPeak.toFixed(0)} MiB (${((drainPeak / smallDrainPeak - 1) * 100).toFixed(0)}%)`,
        pass: drainPeak / smallDrainPeak <= 1.1,
      },
      {
        target: 'RSS flat as the backlog grows (at 90–100% of the backlog within 10% of the RSS at 20–30%)',
        measured: `${growth >= 0 ? '+' : ''}${growth.toFixed(1)} MiB (${((last / quarter - 1) * 100).toFixed(1)}%) over ${(0.7 * full).toFixed(0)} MiB of backlog`,
        pass: last / quarter < 1.1,
      },
    ],
    chart: {
      rssVsBacklog: {
        'RSS, filling': series('filling', (s) => s.rssMiB),
        'RSS, draining': series('draining', (s) => s.rssMiB),
        [`RSS, draining ${smallMiB.toFixed(0)} MiB`]: series('small: draining', (s) => s.rssMiB),
        'private (RssAnon), filling': series('filling', (s) => s.anonMiB),
        'private (RssAnon), draining': series('draining', (s) => s.anonMiB),
      },
      fillThroughput: { [`ingest, ${RUNS} runs (v1)`]: perSecondMiB(m.fill) },
    },
  };
}

/** What the RSS is made of, where relayd's /metrics says (V8 heap, external buffers). */
function heapFigures(samples: readonly HeapSample[], rssAtRest: number, peakRss: number): Figure[] {
  const atRest = samples.filter((s) => s.phase === 'full, at rest');
  if (atRest.length === 0) return [];
  return [
    figure('V8 heap with the full backlog, at rest', 'MiB', [median(atRest.map((s) => s.heapTotalMiB))], { name: 'RSS then', runs: [rssAtRest] }),
    figure('external memory (buffers), at rest', 'MiB', [median(atRest.map((s) => s.externalMiB))], { name: 'RSS then', runs: [rssAtRest] }),
    figure('V8 heap peak, whole scenario', 'MiB', [Math.max(...samples.map((s) => s.heapTotalMiB))], { name: 'RSS peak', runs: [peakRss] }),
  ];
}

function perSecondMiB(load: LoadResult): SeriesPoint[] {
  return load.perSecond.map((second, index) => ({ x: index + 0.5, y: second.bytes / MiB }));
}

export const scenario: Scenario = { name: 'memory', run: runMemory };

runIfEntryPoint(import.meta.url, scenario);
