// Overview: health per component, the retry queue, the unresolved dead letters and the chart.
// Reads GET /api/health (public), GET /api/queue and GET /api/dlq/stats; refreshes every 30 s.
import { api } from './api.js';
import { formatAgo, formatDuration, formatNumber, h, notice, replace, table, time } from './dom.js';
import { queueChart } from './chart.js';

const REFRESH_MS = 30000;

export async function renderOverview(main, view) {
  const body = h('div', { id: 'overview-body', 'aria-live': 'polite', 'aria-busy': 'true' }, h('p', { class: 'loading' }, 'Loading…'));
  const refreshed = h('span', { class: 'muted' });
  const refresh = h('button', { type: 'button', id: 'refresh-overview' }, 'Refresh');
  replace(main,
    h('div', { class: 'title-row' }, h('h1', {}, 'Overview'), h('div', { class: 'actions' }, refreshed, refresh)),
    body);

  const load = async () => {
    body.setAttribute('aria-busy', 'true');
    const [health, queue, stats] = await Promise.allSettled([
      api('health', { accept: [503] }),
      api('queue'),
      api('dlq/stats'),
    ]);
    if (view.disposed) return;
    replace(body,
      h('div', { class: 'cards' }, healthCard(health), queueCard(queue), deadLetterCard(stats)),
      chartSection(queue),
      bySourceSection(stats));
    replace(refreshed, `Updated ${new Date().toLocaleTimeString('en-GB')}`);
    body.setAttribute('aria-busy', 'false');
    body.dataset.loaded = 'true';
  };
  refresh.addEventListener('click', load);
  view.timers.push(setInterval(() => load().catch(() => {}), REFRESH_MS));
  await load();
}

function failed(result, title) {
  return h('section', { class: 'card' }, h('h2', {}, title), notice('error', result.reason?.message ?? String(result.reason)));
}

function badge(status) {
  const text = String(status ?? 'unknown');
  return h('span', { class: `badge status-${text.replace(/[^a-z]/gi, '').toLowerCase()}` }, text);
}

function healthCard(result) {
  if (result.status === 'rejected') return failed(result, 'Health');
  const report = result.value;
  const names = { postgres: 'Postgres', redis: 'Redis', retryCycle: 'Retry cycle' };
  const rows = Object.entries(report.components ?? {}).map(([name, component]) =>
    h('tr', { 'data-component': name },
      h('th', { scope: 'row' }, names[name] ?? name),
      h('td', {}, badge(component.status)),
      h('td', {}, component.error ?? (component.lastCompletedAt ? `last cycle ${formatAgo(component.lastCompletedAt)}` : `${Math.round(component.durationMs)} ms`))));
  return h('section', { class: 'card', 'aria-labelledby': 'health-title' },
    h('h2', { id: 'health-title' }, 'Health ', h('span', { 'data-test': 'health-status' }, badge(report.status))),
    h('table', { class: 'compact' }, h('tbody', {}, rows)));
}

function stat(label, value, test, hint) {
  return h('div', { class: 'stat' },
    h('dt', {}, label),
    h('dd', {}, h('span', { class: 'value', 'data-test': test }, value), hint ? h('small', { class: 'muted' }, hint) : null));
}

function queueCard(result) {
  if (result.status === 'rejected') return failed(result, 'Retry queue');
  const queue = result.value;
  const depth = queue.depth;
  return h('section', { class: 'card', 'aria-labelledby': 'queue-title', 'data-test': 'queue-card', 'data-sampled-at': queue.sampledAt ?? '' },
    h('h2', { id: 'queue-title' }, 'Retry queue'),
    depth ? null : notice('warn', 'The queue could not be read (Redis is unavailable).'),
    h('dl', { class: 'stats' },
      stat('Waiting (due)', formatNumber(depth?.due), 'queue-due', 'orphans waiting for a retry'),
      stat('Leased', formatNumber(depth?.leased), 'queue-leased', 'claimed by a running cycle'),
      stat('Oldest due', depth ? formatDuration(depth.oldestDueAgeSeconds) : '–', 'queue-oldest', 'how long the oldest due orphan has waited'),
      stat('Last completed cycle', queue.lastCompletedCycleAt ? formatAgo(queue.lastCompletedCycleAt) : 'none yet', 'queue-last-cycle',
        queue.lastCompletedCycleAt ? time(queue.lastCompletedCycleAt) : 'no cycle has completed')));
}

function deadLetterCard(result) {
  if (result.status === 'rejected') return failed(result, 'Dead letters');
  const stats = result.value;
  const unresolved = (stats.byStatus?.failed ?? 0) + (stats.byStatus?.replaying ?? 0);
  return h('section', { class: 'card', 'aria-labelledby': 'dlq-title' },
    h('h2', { id: 'dlq-title' }, 'Dead letters'),
    h('dl', { class: 'stats' },
      stat('Unresolved', formatNumber(unresolved), 'dlq-unresolved', 'failed + replaying'),
      stat('Failed', formatNumber(stats.byStatus?.failed), 'dlq-failed'),
      stat('Oldest unresolved', stats.oldestUnresolvedAgeSeconds === null ? 'none' : formatDuration(stats.oldestUnresolvedAgeSeconds), 'dlq-oldest'),
      stat('All time', formatNumber(stats.total), 'dlq-total', `${formatNumber(stats.byStatus?.replayed)} replayed, ${formatNumber(stats.byStatus?.ignored)} ignored`)),
    h('p', {}, h('a', { href: '#dlq' }, 'Work the dead letters →')));
}

function chartSection(result) {
  return h('section', { class: 'card wide', 'aria-labelledby': 'chart-title' },
    h('h2', { id: 'chart-title' }, 'Last hour'),
    result.status === 'fulfilled' ? queueChart(result.value.history, chartWidth()) : notice('error', 'No history: the queue status could not be read.'));
}

// The card's inner width: main's width less the card's padding and border.
function chartWidth() {
  return (document.getElementById('main')?.clientWidth ?? 752) - 64;
}

function bySourceSection(result) {
  if (result.status === 'rejected') return null;
  const rows = new Map();
  for (const row of result.value.bySourceAndType ?? []) {
    if (row.status !== 'failed' && row.status !== 'replaying') continue;
    const key = JSON.stringify([row.source, row.type]);
    const entry = rows.get(key) ?? { source: row.source, type: row.type, failed: 0, replaying: 0 };
    entry[row.status] += row.count;
    rows.set(key, entry);
  }

  const sorted = [...rows.values()].sort((a, b) => (b.failed + b.replaying) - (a.failed + a.replaying) || a.source.localeCompare(b.source) || a.type.localeCompare(b.type));
  return h('section', { class: 'card wide', 'aria-labelledby': 'by-source-title' },
    h('h2', { id: 'by-source-title' }, 'Unresolved dead letters by source and type'),
    sorted.length === 0
      ? h('p', { class: 'muted' }, 'None: nothing is waiting for an operator.')
      : table(null, ['Source', 'Type', 'Failed', 'Replaying', ''], sorted.map(row =>
        h('tr', { 'data-test': 'by-source-row' },
          h('td', {}, row.source),
          h('td', {}, row.type),
          h('td', { class: 'num' }, formatNumber(row.failed)),
          h('td', { class: 'num' }, formatNumber(row.replaying)),
          h('td', {}, h('a', { href: `#dlq?source=${encodeURIComponent(row.source)}&type=${encodeURIComponent(row.type)}&status=failed` }, 'List'))))));
}
