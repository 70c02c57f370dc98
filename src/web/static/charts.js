// Time-series charts drawn with uPlot (loaded by the page as the global `uPlot`). Each chart sits in
// a <figure>, follows its width, and is created with its first point ("waiting for data" before).
// The charts are also kept in `window.relaydCharts` by name, for the browser tests to read back.

const HEIGHT = 230;
const TIME_STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 43200, 86400];

function cssVar(name) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}

export const COLORS = {
  blue: '#3b82f6', violet: '#8b5cf6', amber: '#f59e0b', red: '#ef4444', green: '#22c55e', teal: '#14b8a6', slate: '#94a3b8',
};

/** The value → text functions each y axis and legend uses. */
function axis(scale, side, format) {
  const stroke = cssVar('--muted');
  const grid = cssVar('--line');
  return {
    scale,
    side,
    stroke,
    grid: { show: side === 3, stroke: grid, width: 1 },
    ticks: { show: false },
    size: 64,
    values: (_plot, values) => values.map((v) => (v == null ? '' : format(v))),
  };
}

/**
 * A chart in `figure` with `series`: [{ label, color, scale ('y' or a second scale), format, fill }].
 * `scales` names each scale's value format: { y: fmt, right: fmt }. With `noneText`, a chart whose
 * values are all zero says so instead (a script that sends no such metric).
 */
export function timeChart(name, figure, { series, scales, noneText }) {
  const holder = document.createElement('div');
  holder.className = 'plot';
  const waiting = document.createElement('div');
  waiting.className = 'nodata';
  waiting.textContent = 'Waiting for data…';
  holder.append(waiting);
  figure.append(holder);
  let plot = null;

  const width = () => Math.max(240, holder.clientWidth);
  const options = () => ({
    width: width(),
    height: HEIGHT,
    cursor: { points: { size: 6 } },
    legend: { live: true },
    scales: Object.fromEntries(Object.keys(scales).map((key) => [key, { auto: true, range: (_u, min, max) => [Math.min(0, min), max > 0 ? max * 1.1 : 1] }])),
    axes: [
      // Whole seconds at least: buckets are a second wide or more.
      { stroke: cssVar('--muted'), grid: { show: false }, ticks: { stroke: cssVar('--line') }, incrs: TIME_STEPS },
      ...Object.entries(scales).map(([key, format], i) => axis(key, i === 0 ? 3 : 1, format)),
    ],
    series: [
      { label: 'time' },
      ...series.map((s) => ({
        label: s.label,
        scale: s.scale ?? 'y',
        stroke: s.color,
        width: 2,
        fill: s.fill ? `${s.color}22` : undefined,
        spanGaps: false,
        value: (_u, v) => (v == null ? '–' : (s.format ?? scales[s.scale ?? 'y'])(v)),
      })),
    ],
  });

  new ResizeObserver(() => plot?.setSize({ width: width(), height: HEIGHT })).observe(holder);

  return {
    /** `data`: [times in s, ...one array per series], aligned. */
    update(data) {
      if (data[0].length === 0) return;
      const none = noneText !== undefined && data.slice(1).every((column) => column.every((v) => !v));
      holder.classList.toggle('none', none);
      if (none) waiting.textContent = noneText;
      if (plot === null) {
        holder.classList.add('drawn');
        plot = new uPlot(options(), data, holder);
        (window.relaydCharts ??= {})[name] = plot;
      } else {
        plot.setData(data);
      }
    },
  };
}
