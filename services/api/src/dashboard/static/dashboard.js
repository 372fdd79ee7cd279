// The Data Sources dashboard: reads the api's /v1/pipeline endpoints with the
// operator's bearer token and draws them. No framework and no innerHTML: every
// value reaches the page through textContent or an attribute, so data can never
// become markup. The token is kept in sessionStorage only and never logged.

const TOKEN_KEY = 'cr.dashboard.token';
const DEFAULT_REFRESH_S = 15;
const STAGES = [
  { stage: 'source', label: 'Source systems' },
  { stage: 'normalise', label: 'Normalise & map' },
  { stage: 'world_model', label: 'World model' },
];
const SVG_NS = 'http://www.w3.org/2000/svg';
const numbers = new Intl.NumberFormat('en');
const clock = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', second: '2-digit' });
const hourFormat = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit' });

/** A reply the token decides: missing, or refused with 401/403. */
class AuthProblem extends Error {
  constructor(status) {
    super(status === 0 ? 'missing' : `refused ${status}`);
    this.status = status;
  }
}

const $ = (id) => document.getElementById(id);

// ---------------------------------------------------------------- token

/** Moves a `#token=…` fragment into sessionStorage and out of the address bar (and history). */
function takeTokenFromFragment() {
  const fragment = new URLSearchParams(location.hash.slice(1));
  const token = fragment.get('token');
  if (!token) return;
  sessionStorage.setItem(TOKEN_KEY, token);
  fragment.delete('token');
  const rest = fragment.toString();
  history.replaceState(null, '', `${location.pathname}${location.search}${rest ? `#${rest}` : ''}`);
}

const token = () => sessionStorage.getItem(TOKEN_KEY);

// ---------------------------------------------------------------- api

async function getJson(path) {
  const bearer = token();
  if (!bearer) throw new AuthProblem(0);
  const res = await fetch(path, { headers: { authorization: `Bearer ${bearer}`, accept: 'application/json' }, cache: 'no-store' });
  if (res.status === 401 || res.status === 403) throw new AuthProblem(res.status);
  const body = await res.json().catch(() => null);
  if (!res.ok) throw new Error(`${path.split('?')[0]}: ${res.status} ${body?.error?.message ?? res.statusText}`);
  return body;
}

// ---------------------------------------------------------------- formatting

const count = (n) => (n === null || n === undefined ? '—' : numbers.format(n));

function duration(ms) {
  if (ms === null || ms === undefined) return '—';
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1_000).toFixed(1)} s`;
  if (ms < 3_600_000) return `${(ms / 60_000).toFixed(1)} min`;
  return `${(ms / 3_600_000).toFixed(1)} h`;
}

function ago(iso) {
  if (!iso) return 'never';
  const s = Math.max(0, (Date.now() - Date.parse(iso)) / 1_000);
  if (s < 60) return `${Math.round(s)} s ago`;
  if (s < 3_600) return `${Math.round(s / 60)} min ago`;
  if (s < 86_400) return `${Math.round(s / 3_600)} h ago`;
  return `${Math.round(s / 86_400)} d ago`;
}

// ---------------------------------------------------------------- DOM helpers

/** An element with attributes (`text` sets textContent) and children (strings become text nodes). */
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null) continue;
    if (name === 'text') node.textContent = String(value);
    else node.setAttribute(name, String(value));
  }
  node.append(...children);
  return node;
}

function svg(tag, attrs = {}, ...children) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, String(value));
  node.append(...children);
  return node;
}

const badge = (status, text = status) => el('span', { class: 'badge', 'data-status': status, text });
const time = (iso) => el('time', { datetime: iso ?? undefined, title: iso ?? undefined, text: ago(iso) });
const num = (n) => el('td', { class: 'num', text: count(n) });

function show(id, visible) { $(id).hidden = !visible; }

function message(id, text) {
  $(id).textContent = text ?? '';
  show(id, Boolean(text));
}

// ---------------------------------------------------------------- rendering

function renderStatus(status, resolution) {
  const pill = $('overall');
  pill.dataset.status = status.status;
  pill.textContent = status.status;
  const s = status.summary;
  const counts = {
    source: [s.sources.total, s.sources.total === 1 ? 'source' : 'sources'],
    normalise: [s.lastSyncEvents, 'events in the last sync'],
    world_model: [resolution?.entities?.total ?? null, 'entities'],
  };
  $('stages').replaceChildren(...STAGES.map(({ stage, label }) => {
    const view = status.stages.find((x) => x.stage === stage) ?? { status: 'unknown', detail: 'not reported' };
    const [n, unit] = counts[stage];
    return el('li', { class: 'stage', 'data-stage': stage, 'data-status': view.status },
      el('div', { class: 'name', text: label }),
      el('div', {}, el('span', { class: 'count', text: count(n) }), ' ', el('span', { class: 'muted', text: unit })),
      el('div', {}, badge(view.status), ' ', el('span', { class: 'detail', text: view.detail })));
  }));
  $('reasons').replaceChildren(...status.reasons.map((r) => el('li', { text: r })));
  $('metric-sources').textContent = count(s.sources.total);
  $('metric-healthy').textContent = `${count(s.sources.healthy)} of ${count(s.sources.total)}`;
  $('metric-events').textContent = count(s.lastSyncEvents);
  $('metric-review').textContent = count(s.reviewQueue.open);
}

function sourceStatusTitle(source) {
  const c = source.connection;
  if (!c || !c.consecutiveErrors) return c?.recoveredAt ? `recovered ${ago(c.recoveredAt)}` : undefined;
  return `${c.consecutiveErrors} consecutive errors${c.lastErrorClass ? ` (${c.lastErrorClass})` : ''}`;
}

function renderSources(data, selectedId) {
  const rows = data.sources.map((s) => el('tr', {
    'data-source-id': s.dataSourceId, tabindex: 0, 'aria-selected': String(s.dataSourceId === selectedId),
    title: 'show poll history',
  },
  el('td', {}, el('strong', { text: s.name }), s.enabled ? '' : el('span', { class: 'muted', text: ' (disabled)' })),
  el('td', { text: s.type }),
  el('td', { title: sourceStatusTitle(s) }, badge(s.status)),
  el('td', { text: s.cadence?.description ?? '—' }),
  el('td', { title: s.lastIngestedAt ? `last record ingested ${s.lastIngestedAt}` : 'no record ingested yet' }, badge(s.freshness)),
  num(s.rates?.perMinute), num(s.rates?.perHour), num(s.rates?.last24h),
  el('td', { title: s.lastPoll ? `${s.lastPoll.fetched} fetched, ${s.lastPoll.emitted} emitted in ${duration(s.lastPoll.durationMs)}` : undefined }, time(s.lastPoll?.at))));
  $('sources').tBodies[0].replaceChildren(...rows);
  show('sources-empty', rows.length === 0);
}

function renderHistory(name, data) {
  $('history-title').textContent = `Poll history: ${name}`;
  const rows = data.events.map((e) => el('tr', {},
    el('td', {}, time(e.at)),
    el('td', { text: e.resourceType }),
    el('td', {}, badge(e.status)),
    el('td', { text: e.cycle ?? '—' }),
    el('td', { class: 'num', text: duration(e.durationMs) }),
    num(e.fetched), num(e.emitted),
    el('td', { class: e.error || e.errorClass ? 'error-text' : undefined, text: [e.errorClass, e.error, e.detail].filter(Boolean).join(': ') || '' })));
  $('history-table').tBodies[0].replaceChildren(...rows);
  show('history-empty', rows.length === 0);
  show('history', true);
}

function renderSinks(data) {
  const rows = data.sinks.map((s) => el('tr', { 'data-sink-id': s.sinkId },
    el('td', {}, el('strong', { text: s.sinkId })),
    el('td', { class: 'num', 'data-field': 'lag', title: s.lag === null ? 'live data unavailable' : 'records behind entity.state', text: count(s.lag) }),
    ...['written', 'unchanged', 'gated', 'dependency_failed', 'failed'].map((k) => {
      const cell = num(s.outcomes[k]);
      cell.dataset.field = k;
      cell.title = `${count(s.last24h?.[k])} in the last 24 h`;
      return cell;
    }),
    el('td', {}, time(s.lastWrittenAt))));
  $('sinks').tBodies[0].replaceChildren(...rows);
  show('sinks-empty', rows.length === 0);
  show('sinks-note', data.sinks.some((s) => s.lag === null));
}

function renderReview(review) {
  $('review-open').textContent = count(review.open);
  $('review-oldest').textContent = review.oldestOpenAt ? `oldest open task waiting since ${ago(review.oldestOpenAt)}` : 'nothing waiting';
}

/** One point per hour: median (solid) and p95 (dashed); an hour without actions is a gap. */
function renderLatency(latency) {
  const W = 480, H = 90, left = 44, right = 6, top = 8, bottom = 16;
  const hours = latency.hours;
  const values = hours.flatMap((h) => [h.medianMs, h.p95Ms]).filter((v) => v !== null && v !== undefined);
  const max = Math.max(1, ...values);
  const x = (i) => left + (hours.length <= 1 ? (W - left - right) / 2 : (i * (W - left - right)) / (hours.length - 1));
  const y = (v) => top + (H - top - bottom) * (1 - v / max);
  const parts = [
    svg('line', { class: 'axis', x1: left, x2: W - right, y1: H - bottom, y2: H - bottom }),
    svg('text', { x: left - 4, y: top + 4, 'text-anchor': 'end' }, duration(max)),
    svg('text', { x: left - 4, y: H - bottom, 'text-anchor': 'end' }, '0'),
  ];
  if (hours.length) {
    parts.push(svg('text', { x: left, y: H - 3 }, hourFormat.format(new Date(hours[0].hour))));
    parts.push(svg('text', { x: W - right, y: H - 3, 'text-anchor': 'end' }, hourFormat.format(new Date(hours[hours.length - 1].hour))));
  }
  for (const [key, cls] of [['p95Ms', 'p95'], ['medianMs', 'median']]) {
    let d = '';
    let drawing = false;
    hours.forEach((h, i) => {
      const v = h[key];
      if (v === null || v === undefined) { drawing = false; return; }
      d += `${drawing ? 'L' : 'M'}${x(i).toFixed(1)} ${y(v).toFixed(1)} `;
      drawing = true;
      parts.push(svg('circle', { class: cls, cx: x(i).toFixed(1), cy: y(v).toFixed(1), r: cls === 'median' ? 2.5 : 2, 'data-hour': h.hour },
        svg('title', {}, `${hourFormat.format(new Date(h.hour))}: ${count(h.count)} actions, median ${duration(h.medianMs)}, p95 ${duration(h.p95Ms)}`)));
    });
    if (d) parts.unshift(svg('path', { class: cls, d: d.trim() }));
  }
  $('latency-chart').replaceChildren(...parts);
  const o = latency.overall;
  $('latency-caption').textContent = o.count
    ? `${count(o.count)} actions · median ${duration(o.medianMs)} · p95 ${duration(o.p95Ms)}`
    : 'no sink writes in this period';
}

function clearData() {
  for (const id of ['stages', 'reasons', 'latency-chart']) $(id).replaceChildren();
  for (const id of ['sources', 'sinks', 'history-table']) $(id).tBodies[0].replaceChildren();
  for (const id of ['metric-sources', 'metric-healthy', 'metric-events', 'metric-review', 'review-open']) $(id).textContent = '—';
  for (const id of ['review-oldest', 'updated']) $(id).textContent = '';
  $('latency-caption').textContent = '—';
  $('overall').dataset.status = 'unknown';
  $('overall').textContent = 'no data';
  for (const id of ['history', 'banner', 'sources-empty', 'sinks-empty', 'sinks-note']) show(id, false);
}

// ---------------------------------------------------------------- refresh loop

let selected = null; // { id, name } of the source whose history is open
let running = null;

function authMessage(problem) {
  if (problem.status === 0) return 'No token: paste a bearer token above, or open this page with #token=…';
  if (problem.status === 401) return 'Token refused (401): it is invalid, expired or from an issuer the api does not trust. Paste a new one.';
  return 'Token refused (403): it has no role that may read pipeline status (readonly, operator or admin).';
}

async function refreshHistory() {
  if (!selected) return;
  const { id, name } = selected;
  const data = await getJson(`/v1/pipeline/sources/${encodeURIComponent(id)}/events?limit=50`);
  if (selected?.id === id) renderHistory(name, data);
}

async function refreshNow() {
  const parts = {
    status: getJson('/v1/pipeline/status'),
    sources: getJson('/v1/pipeline/sources'),
    sinks: getJson('/v1/pipeline/sinks'),
    review: getJson('/v1/pipeline/review'),
    latency: getJson('/v1/pipeline/latency?hours=24'),
    resolution: getJson('/v1/pipeline/resolution'),
    history: refreshHistory(),
  };
  const names = Object.keys(parts);
  const settled = await Promise.allSettled(Object.values(parts));
  const got = Object.fromEntries(names.map((n, i) => [n, settled[i]]));
  const auth = settled.find((r) => r.status === 'rejected' && r.reason instanceof AuthProblem);
  if (auth) {
    clearData();
    message('error', authMessage(auth.reason));
    return;
  }
  const value = (n) => (got[n].status === 'fulfilled' ? got[n].value : undefined);
  if (value('status')) renderStatus(value('status'), value('resolution'));
  if (value('sources')) renderSources(value('sources'), selected?.id);
  if (value('sinks')) renderSinks(value('sinks'));
  if (value('review')) renderReview(value('review'));
  if (value('latency')) renderLatency(value('latency'));
  const failures = settled.filter((r) => r.status === 'rejected').map((r) => (r.reason instanceof Error ? r.reason.message : String(r.reason)));
  message('error', failures.length ? `Some parts could not be loaded: ${[...new Set(failures)].join('; ')}` : null);
  const live = value('status')?.live ?? value('sources')?.live;
  message('banner', live && !live.available ? `Live loop status unavailable; showing stored metrics.${live.error ? ` (${live.error})` : ''}` : null);
  $('updated').textContent = `updated ${clock.format(new Date())}`;
}

/** One refresh at a time; a click or a new token while one runs waits for it, then refreshes again. */
function refresh() {
  running = (running ?? Promise.resolve()).then(refreshNow).catch((error) => {
    message('error', `Could not reach the api: ${error instanceof Error ? error.message : String(error)}`);
  });
  return running;
}

/** `?refresh=<seconds>`: 0 turns auto-refresh off; otherwise 2 to 3600, default 15. */
function refreshSeconds() {
  const raw = new URLSearchParams(location.search).get('refresh');
  if (raw === null || raw.trim() === '') return DEFAULT_REFRESH_S;
  const s = Number(raw);
  if (!Number.isFinite(s) || s < 0) return DEFAULT_REFRESH_S;
  return s === 0 ? 0 : Math.min(3_600, Math.max(2, s));
}

function selectSource(row) {
  if (!row) return;
  const name = row.querySelector('strong')?.textContent ?? row.dataset.sourceId;
  selected = { id: row.dataset.sourceId, name };
  for (const r of $('sources').tBodies[0].rows) r.setAttribute('aria-selected', String(r === row));
  $('history-title').textContent = `Poll history: ${name}`;
  $('history-table').tBodies[0].replaceChildren();
  show('history', true);
  refreshHistory().catch((error) => {
    if (error instanceof AuthProblem) message('error', authMessage(error));
    else message('error', `Could not load the poll history: ${error.message}`);
  });
}

function start() {
  takeTokenFromFragment();
  const body = $('sources').tBodies[0];
  body.addEventListener('click', (e) => selectSource(e.target.closest('tr[data-source-id]')));
  body.addEventListener('keydown', (e) => {
    if (e.key !== 'Enter' && e.key !== ' ') return;
    e.preventDefault();
    selectSource(e.target.closest('tr[data-source-id]'));
  });
  $('history-close').addEventListener('click', () => {
    selected = null;
    show('history', false);
    for (const r of body.rows) r.setAttribute('aria-selected', 'false');
  });
  $('token-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const input = $('token-input');
    const value = input.value.trim();
    input.value = '';
    if (value) sessionStorage.setItem(TOKEN_KEY, value);
    void refresh();
  });
  $('token-forget').addEventListener('click', () => {
    sessionStorage.removeItem(TOKEN_KEY);
    selected = null;
    clearData();
    message('error', authMessage(new AuthProblem(0)));
  });
  // A token pasted into the address bar later (…#token=) is taken the same way.
  window.addEventListener('hashchange', () => { takeTokenFromFragment(); void refresh(); });
  const every = refreshSeconds();
  const loop = () => refresh().finally(() => { if (every) setTimeout(loop, every * 1_000); });
  void loop();
}

start();
