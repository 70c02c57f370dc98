// The frame every benchmark scenario runs in: settings from the environment, a scenario contract,
// and running one or more scenarios to a printed table and bench/results/<file>.json.
//
// Environment:
//   BENCH_RUNS=3        repetitions whose median is reported
//   BENCH_SCALE=1       multiplies every measuring window and backlog size (0.2 for a quick look)
//   BENCH_BACKLOG_MIB   the backlog the memory scenario grows to (default 1024 × BENCH_SCALE)
//   BENCH_CPU_PROF=1    relayd children write V8 CPU profiles to bench/results/profiles/
//   BENCH_RELAYD_BIN    another build's bin/relayd.js to measure (default: this tree, rebuilt if stale)
//   BENCH_RELAYD_NODE_OPTIONS  NODE_OPTIONS for the relayd children only (heap flags to compare)
import { mkdirSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { packageRoot } from '../src/config/index.js';
import { abandonRelaydChildren, startedRelaydEntry } from './relayd-process.js';
import { buildReport, type Report, renderReport, type ScenarioResult, writeJson } from './report.js';

export const RESULTS_DIR = join(packageRoot(), 'bench', 'results');

export interface BenchSettings {
  readonly runs: number;
  readonly scale: number;
  readonly backlogMiB: number;
  /** Where relayd children write CPU profiles, when profiling. */
  readonly cpuProfileDir: string | undefined;
  log(line: string): void;
}

export interface Scenario {
  /** The name on the command line: `npm run bench -- <name>`. */
  readonly name: string;
  run(settings: BenchSettings): Promise<ScenarioResult>;
}

function envNumber(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number, got ${JSON.stringify(text)}`);
  return value;
}

export function settingsFromEnv(): BenchSettings {
  const scale = envNumber('BENCH_SCALE', 1);
  const profiling = process.env.BENCH_CPU_PROF === '1';
  const log = (line: string): void => void process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
  return {
    runs: Math.round(envNumber('BENCH_RUNS', 3)),
    scale,
    backlogMiB: envNumber('BENCH_BACKLOG_MIB', 1024 * scale),
    cpuProfileDir: profiling ? join(RESULTS_DIR, 'profiles') : undefined,
    log,
  };
}

/** On Ctrl-C or SIGTERM: no relayd child (nor its data dir, up to 1 GiB) outlives the benchmark. */
function cleanUpOnSignals(): void {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      abandonRelaydChildren();
      process.kill(process.pid, signal);
    });
  }
}

/** Runs the scenarios in order, prints the report and writes it to bench/results/<fileName>. */
export async function runScenarios(scenarios: readonly Scenario[], fileName: string): Promise<Report> {
  cleanUpOnSignals();
  const settings = settingsFromEnv();
  const startedAt = new Date();
  const loadAtStart = loadavg()[0]!;
  if (settings.cpuProfileDir) mkdirSync(settings.cpuProfileDir, { recursive: true });
  const results: ScenarioResult[] = [];
  for (const scenario of scenarios) {
    settings.log(`scenario ${scenario.name}`);
    results.push(await scenario.run(settings));
  }
  const report = buildReport(
    { startedAt, loadAtStart, relayd: startedRelaydEntry(), settings: { runs: settings.runs, scale: settings.scale, backlogMiB: settings.backlogMiB } },
    results,
  );
  writeJson(join(RESULTS_DIR, fileName), report);
  process.stdout.write(`${renderReport(report)}\n\nwritten: bench/results/${fileName}\n`);
  return report;
}

/** True when the module whose import.meta.url is given was started directly (`tsx bench/x.bench.ts`). */
export function isEntryPoint(moduleUrl: string): boolean {
  return process.argv[1] !== undefined && fileURLToPath(moduleUrl) === process.argv[1];
}

/** The `if main` of a scenario file: run it alone, write bench/results/<name>.json. */
export function runIfEntryPoint(moduleUrl: string, scenario: Scenario): void {
  if (!isEntryPoint(moduleUrl)) return;
  runScenarios([scenario], `${scenario.name}.json`).catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  });
}
