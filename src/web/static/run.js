// A run's page: follows /runs/:id/events (a snapshot, then updates with the changed points) and
// draws the run's head, headline figures, its journey to the cloud, charts, thresholds and summary.
import { COLORS, timeChart } from './charts.js';
import * as fmt from './format.js';

const runId = decodeURIComponent(location.pathname.split('/')[2] ?? '');
const $ = (id) => document.getElementById(id);

let run = null;
let results = null;
let serverNow = null;

const charts = {
  requests: timeChart('requests', $('chart-requests'), {
    series: [{ label: 'requests/s', color: COLORS.blue, fill: true }],
    scales: { y: fmt.number },
  }),
  duration: timeChart('duration', $('chart-duration'), {
    series: [
      { label: 'p50', color: COLORS.teal },
      { label: 'p90', color: COLORS.blue },
      { label: 'p95', color: COLORS.violet },
      { label: 'p99', color: COLORS.amber },
    ],
    scales: { y: fmt.ms },
  }),
  failures: timeChart('failures', $('chart-failures'), {
    series: [
      { label: 'failed/s', color: COLORS.red, fill: true },
      { label: 'failure rate', color: COLORS.slate, scale: 'share' },
    ],
    scales: { y: fmt.number, share: fmt.percent },
  }),
  vus: timeChart('vus', $('chart-vus'), {
    series: [
      { label: 'VUs', color: COLORS.violet },
      { label: 'iterations/s', color: COLORS.green, scale: 'rate' },
    ],
    scales: { y: fmt.count, rate: fmt.number },
  }),
  data: timeChart('data', $('chart-data'), {
    series: [
      { label: 'received/s', color: COLORS.blue, fill: true },
      { label: 'sent/s', color: COLORS.amber },
    ],
    scales: { y: fmt.bytes },
    noneText: 'The run sent no data_sent or data_received samples.',
  }),
  delivery: timeChart('delivery', $('chart-delivery'), {
    series: [
      { label: 'acknowledged', color: COLORS.slate, fill: true },
      { label: 'delivered', color: COLORS.green },
    ],
    scales: { y: fmt.count },
  }),
};

/** Puts `incoming` points over `held` ones at the same time, dropping those older than `from`. */
function mergePoints(held, incoming, from) {
  const byTime = new Map(held.filter((p) => from == null || p.t >= from).map((p) => [p.t, p]));
  for (const point of incoming) byTime.set(point.t, point);
  return [...byTime.values()].sort((a, b) => a.t - b.t);
}

function onSnapshot(message) {
  ({ run, results } = message);
  serverNow = message.now;
  render();
}

function onUpdate(message) {
  run = message.run;
  serverNow = message.now;
  if (message.results) {
    const { buckets, delivery, bucketsFrom, deliveryFrom, ...rest } = message.results;
    results = {
      ...rest,
      buckets: mergePoints(results?.buckets ?? [], buckets, bucketsFrom),
      delivery: mergePoints(results?.delivery ?? [], delivery, deliveryFrom),
    };
  }
  render();
}

function render() {
  renderHead();
  renderTiles();
  renderDelivery();
  renderCharts();
  renderThresholds();
  renderSummary();
}

function renderHead() {
  document.title = `${run.name} · relayd`;
  $('crumb-run').textContent = run.name;
  $('run-name').textContent = run.name;
  fmt.stateBadge($('run-state'), run.state);
  fmt.kindBadge($('run-kind'), run.kind);
  const cloudId = run.upstreamId ?? (run.state === 'rejected' ? 'refused by the cloud' : 'not created in the cloud yet');
  const items = [
    ['Run id', run.id],
    ['Cloud id', cloudId],
    ['Started', fmt.clock(run.createdAt)],
    ['Duration', fmt.duration(fmt.runSeconds(run, serverNow))],
    ['Last data', fmt.clock(run.lastDataAt)],
  ];
  if (run.endedAt) items.push(['Ended', fmt.clock(run.endedAt)]);
  $('run-meta').replaceChildren(...items.map(([label, value]) => fmt.el('div', {}, fmt.el('dt', {}, label), fmt.el('dd', {}, value))));
}

function summaryRow(metric) {
  return results?.summary.find((row) => row.metric === metric)?.values;
}

function tile(label, value, sub, { tone, id } = {}) {
  return fmt.el('div', { class: 'tile', 'data-tone': tone, 'data-figure': id }, fmt.el('div', { class: 'label' }, label), fmt.el('div', { class: 'value' }, value), fmt.el('div', { class: 'sub' }, sub ?? ''));
}

function renderTiles() {
  const totals = results?.totals;
  const requests = summaryRow('http_reqs');
  const iterations = summaryRow('iterations');
  const vus = summaryRow('vus');
  const received = summaryRow('data_received');
  const sent = summaryRow('data_sent');
  const checks = summaryRow('checks');
  const lastVus = results?.buckets.findLast((b) => b.vus != null)?.vus;
  $('tiles').replaceChildren(
    tile('Requests', fmt.count(totals?.requests), requests ? `${fmt.perSecond(requests.rate)} on average` : '', { id: 'requests' }),
    tile('Failed', fmt.percent(totals?.failureRate), totals ? `${fmt.count(totals.failed)} of ${fmt.count(totals.requests)} requests` : '', {
      tone: totals?.requests ? (totals.failed > 0 ? 'bad' : 'ok') : undefined,
      id: 'failed',
    }),
    tile('p95 response time', fmt.ms(totals?.p95), 'http_req_duration', { id: 'p95' }),
    tile('VUs', fmt.count(lastVus ?? vus?.value), vus ? `max ${fmt.count(vus.max)}` : ''),
    tile('Iterations', fmt.count(iterations?.count), iterations ? fmt.perSecond(iterations.rate) : ''),
    tile('Checks', fmt.percent(checks?.rate), checks ? `✓ ${fmt.count(checks.passes)}  ✗ ${fmt.count(checks.fails)}` : '', {
      tone: checks ? (checks.fails > 0 ? 'bad' : 'ok') : undefined,
    }),
    tile('Data received', fmt.bytes(received?.count), sent ? `${fmt.bytes(sent.count)} sent` : ''),
  );
}

function tally(label, value, sub, title) {
  return fmt.el('div', { title }, fmt.el('div', { class: 'label' }, label), fmt.el('div', { class: 'value' }, value), fmt.el('div', { class: 'sub' }, sub));
}

function renderDelivery() {
  const { received, persisted, delivered, deadLettered, pending } = run;
  const waiting = pending.requests;
  const share = delivered.requests + waiting === 0 ? 0 : delivered.requests / (delivered.requests + waiting);
  $('delivery-bar').firstElementChild.style.width = `${(share * 100).toFixed(1)}%`;
  $('delivery-bar').setAttribute('aria-valuenow', String(Math.round(share * 100)));
  let note;
  if (waiting === 0 && persisted.requests > 0) note = 'everything relayd holds has reached the cloud';
  else if (run.upstreamId == null && run.provisional) note = `${fmt.counted(waiting, 'request')} held until the cloud answers the run's create`;
  else if (waiting > 0) note = `${fmt.counted(waiting, 'request')} (${fmt.bytes(pending.bytes)}) still to deliver`;
  else note = 'no data yet';
  $('delivery-note').textContent = note;
  const samples = (t) => `${fmt.count(t.samples)} samples · ${fmt.bytes(t.bytes)}`;
  $('delivery-grid').replaceChildren(
    tally('Received', fmt.count(received.requests), samples(received), 'Metric pushes that reached the run'),
    tally('Persisted', fmt.count(persisted.requests), samples(persisted), 'Synced to disk and acknowledged to k6'),
    tally('Delivered', fmt.count(delivered.requests), samples(delivered), 'Sent to the cloud and accepted (aggregated requests for a run relayd aggregates)'),
    tally('Pending', fmt.count(pending.requests), fmt.bytes(pending.bytes), 'Requests still queued for the cloud'),
    tally('Dead letters', fmt.count(deadLettered.requests), samples(deadLettered), 'Refused by the cloud for good; kept on disk'),
  );
  const error = $('delivery-error');
  error.hidden = run.lastError == null;
  error.textContent = run.lastError == null ? '' : `Last upstream error: ${run.lastError}`;
}

function renderCharts() {
  const buckets = results?.buckets ?? [];
  const seconds = (results?.bucketMs ?? 1000) / 1000;
  const times = buckets.map((b) => b.t / 1000);
  const column = (pick) => buckets.map(pick);
  charts.requests.update([times, column((b) => b.requestsPerSec)]);
  charts.duration.update([times, ...['p50', 'p90', 'p95', 'p99'].map((p) => column((b) => b.duration?.[p] ?? null))]);
  charts.failures.update([times, column((b) => b.failed / seconds), column((b) => b.failureRate)]);
  charts.vus.update([times, column((b) => b.vus), column((b) => b.iterationsPerSec)]);
  charts.data.update([times, column((b) => b.dataReceived / seconds), column((b) => b.dataSent / seconds)]);
  const delivery = results?.delivery ?? [];
  charts.delivery.update([delivery.map((p) => p.t / 1000), delivery.map((p) => p.acknowledged), delivery.map((p) => p.delivered)]);
}

function renderThresholds() {
  const thresholds = results?.thresholds ?? [];
  if (thresholds.length === 0) {
    $('thresholds').replaceChildren(fmt.el('li', { class: 'empty' }, 'The script defines no thresholds.'));
    return;
  }
  $('thresholds').replaceChildren(
    ...thresholds.map(({ metric, source, passed }) => {
      const [mark, tone, title] = passed === null ? ['…', undefined, 'decided when the run finishes'] : passed ? ['✓', 'ok', 'passed'] : ['✗', 'bad', 'failed'];
      return fmt.el('li', { title }, fmt.el('span', { class: 'mark', 'data-tone': tone }, mark), `${metric}: ${source}`);
    }),
  );
}

/** Trends of times are in ms; data_* counters in bytes. */
function unitOf(metric) {
  if (metric.startsWith('data_')) return fmt.bytes;
  if (metric.startsWith('http_req_') || metric.includes('duration')) return fmt.ms;
  return fmt.number;
}

const TREND_KEYS = ['avg', 'min', 'med', 'max', 'p(90)', 'p(95)', 'p(99)'];

function summaryCells({ metric, type, values }) {
  const unit = unitOf(metric);
  switch (type) {
    case 'counter':
      return [unit === fmt.bytes ? fmt.bytes(values.count) : fmt.count(values.count), `${unit === fmt.bytes ? fmt.bytes(values.rate) : fmt.number(values.rate)}/s`];
    case 'gauge':
      return [fmt.number(values.value), `min=${fmt.number(values.min)} max=${fmt.number(values.max)}`];
    case 'rate':
      return [fmt.percent(values.rate), `✓ ${fmt.count(values.passes)}  ✗ ${fmt.count(values.fails)}`];
    default:
      return [
        TREND_KEYS.filter((key) => key in values)
          .map((key) => `${key}=${unit(values[key])}`)
          .join('  '),
        '',
      ];
  }
}

function renderSummary() {
  const rows = [...(results?.summary ?? [])].sort((a, b) => a.metric.localeCompare(b.metric));
  if (rows.length === 0) {
    $('summary').replaceChildren(fmt.el('tr', {}, fmt.el('td', { class: 'empty' }, 'No metrics yet.')));
    return;
  }
  const width = Math.max(...rows.map((row) => row.metric.length)) + 3;
  $('summary').replaceChildren(
    ...rows.map((row) => {
      const [main, extra] = summaryCells(row);
      const dots = '.'.repeat(Math.max(2, width - row.metric.length));
      return fmt.el(
        'tr',
        { 'data-metric': row.metric },
        fmt.el('td', { class: 'metric' }, row.metric, fmt.el('span', { class: 'dots' }, `${dots}:`)),
        fmt.el('td', {}, fmt.el('span', { class: 'main' }, main), extra ? fmt.el('span', { class: 'extra' }, extra) : null),
      );
    }),
  );
}

fmt.follow(`/runs/${encodeURIComponent(runId)}/events`, { snapshot: onSnapshot, update: onUpdate }, (state) => fmt.showLive($('live'), state));
