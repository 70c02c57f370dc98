// What a benchmark reports: figures (the median of several runs, each next to a baseline measured
// in the same run, as a ratio), targets checked against them (PASS/MISS), and the time series the
// chart draws. Printed as plain tables and written as JSON.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname } from 'node:path';
import { packageRoot } from '../src/config/index.js';
import { type MachineInfo, machineInfo } from './proc.js';
import { median } from './stats.js';

/** A 1-minute load average above this at the start means another process shared the cores. */
const BUSY_LOAD = 0.5;

export interface Measured {
  readonly name: string;
  /** The median of `runs`. */
  readonly value: number;
  readonly runs: readonly number[];
}

export interface Figure extends Measured {
  readonly unit: string;
  /** A limit measured in the same run, in the same unit. */
  readonly baseline?: Measured;
  /** value / baseline.value. */
  readonly ratio?: number;
}

export interface TargetCheck {
  readonly target: string;
  readonly measured: string;
  readonly pass: boolean;
}

export interface SeriesPoint {
  readonly x: number;
  readonly y: number;
}

/** Data for the chart; each scenario fills what it measured. */
export interface ChartData {
  /** Throughput over time (x: seconds, y: MiB/s), one line per label. */
  readonly throughput?: Readonly<Record<string, readonly SeriesPoint[]>>;
  /** Ingest while the memory scenario's backlog fills (x: seconds, y: MiB/s): minutes, not seconds. */
  readonly fillThroughput?: Readonly<Record<string, readonly SeriesPoint[]>>;
  /** Latency percentiles in ms, one group per label. */
  readonly latency?: Readonly<Record<string, { readonly p50: number; readonly p90: number; readonly p99: number }>>;
  /** RSS (y: MiB) against the backlog on disk (x: MiB), one line per phase (filling, draining). */
  readonly rssVsBacklog?: Readonly<Record<string, readonly SeriesPoint[]>>;
  /** Pushes acknowledged and not yet delivered (y) over time (x: seconds), one line per label. */
  readonly backlog?: Readonly<Record<string, readonly SeriesPoint[]>>;
}

export interface ScenarioResult {
  readonly scenario: string;
  readonly title: string;
  /** What ran: sizes, clients, runs, where relayd ran. */
  readonly setup: string;
  readonly figures: readonly Figure[];
  readonly targets: readonly TargetCheck[];
  readonly chart?: ChartData;
  readonly notes?: readonly string[];
}

export function measured(name: string, runs: readonly number[]): Measured {
  return { name, value: median(runs), runs };
}

export function figure(name: string, unit: string, runs: readonly number[], baseline?: { name: string; runs: readonly number[] }): Figure {
  const value = median(runs);
  if (!baseline) return { name, unit, value, runs };
  const base = measured(baseline.name, baseline.runs);
  return { name, unit, value, runs, baseline: base, ratio: value / base.value };
}

export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const magnitude = Math.abs(value);
  if (magnitude >= 100_000) return Math.round(value).toLocaleString('en-US');
  if (magnitude >= 100) return value.toFixed(0);
  if (magnitude >= 10) return value.toFixed(1);
  if (magnitude >= 1) return value.toFixed(2);
  return value.toPrecision(2);
}

function table(rows: readonly string[][]): string {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd()).join('\n');
}

export function renderScenario(result: ScenarioResult): string {
  const rows = [['figure', 'median', 'unit', 'baseline (same run)', 'baseline', 'ratio', 'runs']];
  for (const fig of result.figures) {
    rows.push([
      fig.name,
      formatNumber(fig.value),
      fig.unit,
      fig.baseline?.name ?? '',
      fig.baseline ? formatNumber(fig.baseline.value) : '',
      fig.ratio === undefined ? '' : `${fig.ratio.toFixed(2)}×`,
      fig.runs.map(formatNumber).join(' / '),
    ]);
  }
  const lines = [`== ${result.scenario}: ${result.title}`, result.setup, table(rows)];
  if (result.targets.length > 0) {
    lines.push(table([['target', 'measured', ''], ...result.targets.map((t) => [t.target, t.measured, t.pass ? 'PASS' : 'MISS'])]));
  }
  for (const note of result.notes ?? []) lines.push(`note: ${note}`);
  return lines.join('\n');
}

export interface TreeState {
  readonly commit: string;
  /** Lines of `git status --short`: files changed but not committed when the run started. */
  readonly uncommittedFiles: number;
}

export function treeState(): TreeState {
  const git = (...args: string[]): string => {
    try {
      return execFileSync('git', args, { cwd: packageRoot(), encoding: 'utf8' }).trim();
    } catch {
      return '';
    }
  };
  const status = git('status', '--short');
  return { commit: git('log', '-1', '--oneline') || 'unknown', uncommittedFiles: status === '' ? 0 : status.split('\n').length };
}

export interface Report {
  readonly startedAt: string;
  readonly seconds: number;
  readonly machine: MachineInfo;
  readonly tree: TreeState;
  /** The relayd build the children ran (bin/relayd.js of this tree, or BENCH_RELAYD_BIN). */
  readonly relayd: string | null;
  /**
   * 1-minute load average when the run started and ended: above ~0.5 at the start, something else
   * was using the 2 cores and the figures are not to be trusted.
   */
  readonly loadAverage: { readonly start: number; readonly end: number };
  readonly settings: Readonly<Record<string, number>>;
  readonly scenarios: readonly ScenarioResult[];
}

export interface RunInfo {
  readonly startedAt: Date;
  readonly loadAtStart: number;
  readonly relayd: string | null;
  readonly settings: Readonly<Record<string, number>>;
}

export function buildReport(run: RunInfo, scenarios: readonly ScenarioResult[]): Report {
  return {
    startedAt: run.startedAt.toISOString(),
    seconds: Math.round((Date.now() - run.startedAt.getTime()) / 1000),
    machine: machineInfo(),
    tree: treeState(),
    relayd: run.relayd,
    loadAverage: { start: run.loadAtStart, end: loadavg()[0]! },
    settings: run.settings,
    scenarios,
  };
}

export function renderReport(report: Report): string {
  const { machine, tree } = report;
  const head = [
    `relayd benchmarks, ${report.startedAt}, ${report.seconds} s`,
    `machine: ${machine.cores} × ${machine.cpuModel}, ${machine.memoryGiB} GiB, Node ${machine.node}, Linux ${machine.kernel}`,
    `tree: ${tree.commit} (+${tree.uncommittedFiles} uncommitted files); relayd: ${report.relayd ?? 'not started'}; settings: ${JSON.stringify(report.settings)}`,
    `load average (1 min): ${report.loadAverage.start.toFixed(2)} at the start, ${report.loadAverage.end.toFixed(2)} at the end`,
  ];
  if (report.loadAverage.start > BUSY_LOAD) head.push(`WARNING: the machine was busy when the run started: these figures are not to be trusted`);
  const summary = report.scenarios.flatMap((s) => s.targets.map((t) => [`${t.pass ? 'PASS' : 'MISS'}`, t.target, t.measured]));
  const parts = [head.join('\n'), ...report.scenarios.map(renderScenario)];
  if (summary.length > 0) parts.push(`== targets\n${table(summary)}`);
  return parts.join('\n\n');
}

export function writeJson(path: string, value: unknown): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(value, null, 1)}\n`);
}
