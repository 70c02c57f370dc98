// How the pages write numbers, sizes, times and run states, and a small element builder.

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const decimal = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 });

export const dash = '–';

export function count(n) {
  return n == null ? dash : integer.format(n);
}

/** `1 request`, `3 requests`. */
export function counted(n, noun) {
  return `${count(n)} ${n === 1 ? noun : `${noun}s`}`;
}

export function number(n) {
  return n == null ? dash : decimal.format(n);
}

export function perSecond(n) {
  return n == null ? dash : `${decimal.format(n)}/s`;
}

/** Milliseconds as k6 prints durations: µs below 1 ms, ms below 1 s, then s. */
export function ms(n) {
  if (n == null) return dash;
  if (n < 1) return `${decimal.format(n * 1000)}µs`;
  if (n < 1000) return `${decimal.format(n)}ms`;
  return `${decimal.format(n / 1000)}s`;
}

export function bytes(n) {
  if (n == null) return dash;
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let value = n;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return `${unit === 0 ? integer.format(value) : decimal.format(value)} ${units[unit]}`;
}

export function percent(ratio) {
  return ratio == null ? dash : `${decimal.format(ratio * 100)}%`;
}

/** Seconds as `1h 02m`, `3m 05s` or `12.3s`. */
export function duration(seconds) {
  if (seconds == null || seconds < 0) return dash;
  if (seconds < 60) return `${decimal.format(Math.round(seconds * 10) / 10)}s`;
  const s = Math.floor(seconds % 60);
  const m = Math.floor(seconds / 60) % 60;
  const h = Math.floor(seconds / 3600);
  const pad = (v) => String(v).padStart(2, '0');
  return h > 0 ? `${h}h ${pad(m)}m` : `${m}m ${pad(s)}s`;
}

/** An ISO time as local date and time, to the second. */
export function clock(iso) {
  if (iso == null) return dash;
  const d = new Date(iso);
  const pad = (v) => String(v).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** Seconds between a run's start and its end (or the server's now while it goes on). */
export function runSeconds(run, nowIso) {
  const end = run.endedAt ?? nowIso;
  return (Date.parse(end) - Date.parse(run.createdAt)) / 1000;
}

const STATE_TONES = {
  running: 'info', finishing: 'info', finished: 'ok', timed_out: 'warn',
  aborted_by_user: 'warn', aborted_by_threshold: 'bad', aborted_by_other: 'bad', rejected: 'bad',
};

export function stateTone(state) {
  return STATE_TONES[state] ?? 'neutral';
}

export function stateLabel(state) {
  return state.replaceAll('_', ' ');
}

const KIND_LABELS = { cloud: '', provisional: 'provisional', adopted: 'adopted' };
const KIND_TIPS = {
  provisional: 'Created by relayd while the cloud could not be reached; created in the cloud once it answers.',
  adopted: 'Created elsewhere and pushed to relayd.',
};

/** Sets a badge element to the run's kind (hidden for an ordinary cloud run). */
export function kindBadge(badge, kind) {
  badge.className = 'badge kind';
  badge.dataset.kind = kind;
  badge.dataset.tone = kind === 'provisional' ? 'warn' : 'info';
  badge.textContent = KIND_LABELS[kind] ?? kind;
  badge.title = KIND_TIPS[kind] ?? '';
  return badge;
}

export function stateBadge(badge, state) {
  badge.className = 'badge';
  badge.dataset.tone = stateTone(state);
  badge.textContent = stateLabel(state);
  return badge;
}

/** `el('td', { class: 'num' }, 'text', child)`: attributes first, then text and element children. */
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value != null) node.setAttribute(name, value);
  }
  node.append(...children.filter((child) => child != null));
  return node;
}

/** Follows an event stream; `onState` hears 'live' or 'reconnecting' (the browser retries by itself). */
export function follow(url, handlers, onState) {
  const source = new EventSource(url);
  source.onopen = () => onState('live');
  source.onerror = () => onState(source.readyState === EventSource.CLOSED ? 'closed' : 'reconnecting');
  for (const [event, handler] of Object.entries(handlers)) {
    source.addEventListener(event, (message) => handler(JSON.parse(message.data)));
  }
  return source;
}

export function showLive(indicator, state) {
  indicator.dataset.state = state;
  indicator.textContent = { live: 'live', reconnecting: 'reconnecting…', closed: 'disconnected' }[state] ?? state;
}
