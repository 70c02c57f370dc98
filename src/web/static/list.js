// The run list: follows /events (relayd's health and every run, sent whole when anything changed).
import * as fmt from './format.js';

const $ = (id) => document.getElementById(id);

function tile(label, value, sub, tone) {
  return fmt.el('div', { class: 'tile', 'data-tone': tone }, fmt.el('div', { class: 'label' }, label), fmt.el('div', { class: 'value' }, value), fmt.el('div', { class: 'sub' }, sub));
}

function renderHealth(status) {
  const { upstream, backlog, disk, deadLetters } = status;
  const diskShare = disk ? disk.usedBytes / disk.maxBytes : null;
  $('health').replaceChildren(
    tile('Cloud', upstream.reachable ? 'reachable' : 'unreachable', upstream.url, upstream.reachable ? 'ok' : 'bad'),
    tile('Backlog', fmt.counted(backlog.requests, 'request'), `${fmt.bytes(backlog.bytes)} in ${fmt.counted(backlog.runs, 'run')}`, backlog.requests > 0 ? 'warn' : 'ok'),
    tile('Oldest queued', backlog.oldestAgeSeconds == null ? 'none' : fmt.duration(backlog.oldestAgeSeconds), 'how far forwarding lags'),
    tile(
      'Disk',
      disk ? fmt.bytes(disk.usedBytes) : 'no quota',
      disk ? `${fmt.percent(diskShare)} of ${fmt.bytes(disk.maxBytes)}${disk.full ? ' · full' : ''}` : 'the store has no --max-disk',
      disk ? (disk.full ? 'bad' : diskShare > 0.8 ? 'warn' : 'ok') : undefined,
    ),
    tile('Dead letters', fmt.count(deadLetters), deadLetters > 0 ? 'refused by the cloud; see relayd replay-dead-letters' : 'none', deadLetters > 0 ? 'bad' : 'ok'),
    tile('relayd', status.ready ? 'ready' : 'not ready', `v${status.version} · up ${fmt.duration(status.uptimeSeconds)}`, status.ready ? 'ok' : 'bad'),
  );
  const notices = [...status.conditions.map((c) => `${c.condition}: ${c.reason}`), ...status.notices];
  $('notices').hidden = notices.length === 0;
  $('notices').textContent = notices.join(' · ');
  $('listen-url').textContent = status.listen;
}

function runRow(run, now) {
  const totals = run.totals;
  const flow = fmt.el(
    'span',
    { class: 'flow' },
    fmt.count(run.received.requests),
    fmt.el('span', { class: 'sep' }, '/'),
    fmt.count(run.persisted.requests),
    fmt.el('span', { class: 'sep' }, '/'),
    fmt.count(run.delivered.requests),
  );
  const failed = totals?.failureRate;
  return fmt.el(
    'tr',
    { 'data-run': run.id },
    fmt.el(
      'td',
      {},
      fmt.el('a', { class: 'name', href: `/runs/${encodeURIComponent(run.id)}` }, run.name),
      fmt.el('div', { class: 'id' }, run.id),
    ),
    fmt.el('td', {}, fmt.el('div', { class: 'badges' }, fmt.stateBadge(fmt.el('span'), run.state), fmt.kindBadge(fmt.el('span'), run.kind))),
    fmt.el('td', { class: 'when' }, fmt.clock(run.createdAt)),
    fmt.el('td', { class: 'num' }, fmt.duration(fmt.runSeconds(run, now))),
    fmt.el('td', { class: 'num', 'data-figure': 'requests' }, fmt.count(totals?.requests)),
    fmt.el('td', { class: 'num' }, failed == null ? fmt.dash : fmt.percent(failed)),
    fmt.el('td', { class: 'num', 'data-figure': 'p95' }, fmt.ms(totals?.p95)),
    fmt.el('td', {}, flow),
    fmt.el('td', { class: 'num' }, run.pending.requests === 0 ? '0' : `${fmt.count(run.pending.requests)} · ${fmt.bytes(run.pending.bytes)}`),
    fmt.el('td', { class: 'err' }, run.lastError ?? ''),
  );
}

function onSnapshot({ now, status, runs }) {
  renderHealth(status);
  $('runs-count').textContent = fmt.counted(runs.length, 'run');
  $('runs').tBodies[0].replaceChildren(...runs.map((run) => runRow(run, now)));
  $('runs').hidden = runs.length === 0;
  $('empty').hidden = runs.length > 0;
}

fmt.follow('/events', { snapshot: onSnapshot }, (state) => fmt.showLive($('live'), state));
