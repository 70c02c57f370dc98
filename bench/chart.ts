// The benchmark chart, as a self-contained SVG drawn by this file (no plotting library): throughput
// over time, latency percentiles, and relayd's RSS against the backlog on disk. It reads the chart
// data every scenario left in a report, so it can be redrawn from any results JSON:
//
//   tsx bench/chart.ts [bench/results/latest.json] [bench/results/chart.svg]
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Report, SeriesPoint } from './report.js';
import { isEntryPoint, RESULTS_DIR } from './scenario.js';

const WIDTH = 960;
const PANEL_HEIGHT = 300;
const MARGIN = { left: 70, right: 190, top: 40, bottom: 46 };
const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];
const FONT = 'font-family="DejaVu Sans, Arial, sans-serif"';

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function text(x: number, y: number, content: string, attributes = ''): string {
  return `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" ${FONT} ${attributes}>${escape(content)}</text>`;
}

/** Round tick values covering [min, max]: steps of 1, 2 or 5 × a power of ten. */
function linearTicks(min: number, max: number, count = 5): number[] {
  const span = max - min || 1;
  const raw = span / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => span / s <= count) ?? 10 * power;
  const ticks: number[] = [];
  for (let tick = Math.ceil(min / step) * step; tick <= max + step * 1e-9; tick += step) ticks.push(Number(tick.toPrecision(12)));
  return ticks;
}

function tickLabel(value: number): string {
  if (value >= 1000) return `${Number((value / 1000).toPrecision(3))}k`;
  return String(Number(value.toPrecision(3)));
}

interface Scale {
  (value: number): number;
  readonly ticks: number[];
}

function linearScale(min: number, max: number, from: number, to: number): Scale {
  const ticks = linearTicks(min, max);
  const low = Math.min(min, ticks[0] ?? min);
  const high = Math.max(max, ticks.at(-1) ?? max);
  const scale = ((value: number) => from + ((value - low) / (high - low || 1)) * (to - from)) as Scale;
  return Object.assign(scale, { ticks });
}

function logScale(min: number, max: number, from: number, to: number): Scale {
  const low = Math.floor(Math.log10(Math.max(min, 1e-3)));
  const high = Math.ceil(Math.log10(Math.max(max, min * 10, 1e-2)));
  const ticks: number[] = [];
  for (let power = low; power <= high; power++) ticks.push(10 ** power);
  const scale = ((value: number) => from + ((Math.log10(Math.max(value, 10 ** low)) - low) / (high - low || 1)) * (to - from)) as Scale;
  return Object.assign(scale, { ticks });
}

interface Frame {
  readonly top: number;
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
}

function axes(frame: Frame, x: Scale | null, y: Scale): string {
  const bottom = frame.top + PANEL_HEIGHT - MARGIN.bottom;
  const plotTop = frame.top + MARGIN.top;
  const right = WIDTH - MARGIN.right;
  const parts = [
    text(MARGIN.left, frame.top + 22, frame.title, 'font-size="15" font-weight="bold"'),
    `<rect x="${MARGIN.left}" y="${plotTop}" width="${right - MARGIN.left}" height="${bottom - plotTop}" fill="none" stroke="#888"/>`,
    text(16, (plotTop + bottom) / 2, frame.yLabel, `font-size="12" text-anchor="middle" transform="rotate(-90 16 ${((plotTop + bottom) / 2).toFixed(1)})"`),
    text((MARGIN.left + right) / 2, bottom + 38, frame.xLabel, 'font-size="12" text-anchor="middle"'),
  ];
  for (const tick of y.ticks) {
    const ty = y(tick);
    parts.push(`<line x1="${MARGIN.left}" x2="${right}" y1="${ty.toFixed(1)}" y2="${ty.toFixed(1)}" stroke="#ddd"/>`);
    parts.push(text(MARGIN.left - 6, ty + 4, tickLabel(tick), 'font-size="11" text-anchor="end"'));
  }
  for (const tick of x?.ticks ?? []) {
    parts.push(text(x!(tick), bottom + 16, tickLabel(tick), 'font-size="11" text-anchor="middle"'));
  }
  return parts.join('\n');
}

function legend(frame: Frame, labels: readonly string[]): string {
  return labels
    .map((label, index) => {
      const y = frame.top + MARGIN.top + 12 + index * 18;
      const x = WIDTH - MARGIN.right + 12;
      return `<rect x="${x}" y="${y - 9}" width="12" height="10" fill="${COLORS[index % COLORS.length]}"/>${text(x + 18, y, label, 'font-size="11"')}`;
    })
    .join('\n');
}

function emptyPanel(frame: Frame, why: string): string {
  const y = linearScale(0, 1, frame.top + PANEL_HEIGHT - MARGIN.bottom, frame.top + MARGIN.top);
  return `${axes(frame, null, y)}\n${text(WIDTH / 2 - 60, frame.top + PANEL_HEIGHT / 2, why, 'font-size="13" fill="#888"')}`;
}

interface Line {
  readonly label: string;
  readonly points: readonly SeriesPoint[];
}

function linePanel(frame: Frame, lines: readonly Line[], reference?: { value: number; label: string }): string {
  const all = lines.flatMap((line) => line.points);
  if (all.length === 0) return emptyPanel(frame, 'not measured in this report');
  const bottom = frame.top + PANEL_HEIGHT - MARGIN.bottom;
  const xs = all.map((p) => p.x);
  const ys = all.map((p) => p.y).concat(reference ? [reference.value] : []);
  const x = linearScale(Math.min(0, ...xs), Math.max(...xs), MARGIN.left, WIDTH - MARGIN.right);
  const y = linearScale(0, Math.max(...ys) * 1.05, bottom, frame.top + MARGIN.top);
  const paths = lines.map((line, index) => {
    const d = line.points.map((p, i) => `${i === 0 ? 'M' : 'L'}${x(p.x).toFixed(1)},${y(p.y).toFixed(1)}`).join(' ');
    return `<path d="${d}" fill="none" stroke="${COLORS[index % COLORS.length]}" stroke-width="1.8"/>`;
  });
  if (reference) {
    const ry = y(reference.value).toFixed(1);
    paths.push(`<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${ry}" y2="${ry}" stroke="#000" stroke-dasharray="6 4"/>`);
    paths.push(text(WIDTH - MARGIN.right - 6, Number(ry) + 14, reference.label, 'font-size="11" text-anchor="end"'));
  }
  return [axes(frame, x, y), ...paths, legend(frame, lines.map((line) => line.label))].join('\n');
}

type Percentiles = { readonly p50: number; readonly p90: number; readonly p99: number };

function latencyPanel(frame: Frame, groups: Readonly<Record<string, Percentiles>>): string {
  const names = Object.keys(groups);
  if (names.length === 0) return emptyPanel(frame, 'not measured in this report');
  const bottom = frame.top + PANEL_HEIGHT - MARGIN.bottom;
  const values = names.flatMap((name) => [groups[name]!.p50, groups[name]!.p90, groups[name]!.p99]);
  const y = logScale(Math.min(...values), Math.max(...values), bottom, frame.top + MARGIN.top);
  const slot = (WIDTH - MARGIN.left - MARGIN.right) / names.length;
  const barWidth = Math.min(28, slot / 4);
  const parts = [axes(frame, null, y)];
  names.forEach((name, index) => {
    const center = MARGIN.left + slot * (index + 0.5);
    (['p50', 'p90', 'p99'] as const).forEach((p, k) => {
      const value = groups[name]![p];
      const left = center + (k - 1.5) * barWidth;
      const top = y(value);
      parts.push(`<rect x="${left.toFixed(1)}" y="${top.toFixed(1)}" width="${(barWidth - 2).toFixed(1)}" height="${(bottom - top).toFixed(1)}" fill="${COLORS[k]}"/>`);
      parts.push(text(left + barWidth / 2, top - 3, tickLabel(value), 'font-size="9" text-anchor="middle"'));
    });
    parts.push(text(center, bottom + 16, name, 'font-size="11" text-anchor="middle"'));
  });
  parts.push(legend(frame, ['p50', 'p90', 'p99']));
  return parts.join('\n');
}

function merged<T>(report: Report, pick: (chart: NonNullable<Report['scenarios'][number]['chart']>) => Readonly<Record<string, T>> | undefined): Record<string, T> {
  return Object.assign({}, ...report.scenarios.map((s) => (s.chart ? pick(s.chart) : undefined) ?? {})) as Record<string, T>;
}

export function renderChart(report: Report): string {
  const toLines = (record: Record<string, readonly SeriesPoint[]>): Line[] => Object.entries(record).map(([label, points]) => ({ label, points }));
  const frame = (index: number, title: string, xLabel: string, yLabel: string): Frame => ({ top: 30 + index * PANEL_HEIGHT, title, xLabel, yLabel });
  const body = [
    linePanel(
      frame(0, 'Throughput over time: ingest at max load (per second), drain to the emulator (per ½ s)', 'seconds since the phase started', 'MiB/s'),
      toLines(merged(report, (chart) => chart.throughput)),
    ),
    linePanel(frame(1, 'Ingest while the memory scenario fills its backlog (per second)', 'seconds since filling started', 'MiB/s'), toLines(merged(report, (chart) => chart.fillThroughput))),
    latencyPanel(
      frame(2, 'Latency percentiles (log scale)', 'ack latency (ingest, first 4) / 2xx → emulator receipt (end to end)', 'ms'),
      merged(report, (chart) => chart.latency),
    ),
    linePanel(frame(3, 'relayd RSS against the backlog', 'backlog (acknowledged, not yet delivered), MiB', 'MiB'), toLines(merged(report, (chart) => chart.rssVsBacklog)), {
      value: 150e6 / 2 ** 20,
      label: '150 MB target',
    }),
  ];
  const commit = report.tree.commit.split(' ')[0];
  const subtitle = `${report.machine.cores} × ${report.machine.cpuModel}, Node ${report.machine.node}; tree ${commit} (+${report.tree.uncommittedFiles} uncommitted files); ${report.startedAt.slice(0, 16)}Z`;
  const height = 30 + body.length * PANEL_HEIGHT + 10;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    text(MARGIN.left, 20, `relayd benchmarks: ${subtitle}`, 'font-size="12" fill="#444"'),
    ...body,
    '</svg>',
  ].join('\n');
}

if (isEntryPoint(import.meta.url)) {
  const input = process.argv[2] ?? join(RESULTS_DIR, 'latest.json');
  const output = process.argv[3] ?? join(RESULTS_DIR, 'chart.svg');
  writeFileSync(output, renderChart(JSON.parse(readFileSync(input, 'utf8')) as Report));
  process.stdout.write(`written: ${output}\n`);
}
