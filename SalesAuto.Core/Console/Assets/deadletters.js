// Dead letters: the list with GET /api/dlq's filters and keyset paging, selection with replay
// and ignore, replay by filter after a dry-run count, and the detail view of one dead letter.
import { api, ApiError, query } from './api.js';
import { field, formatNumber, h, notice, prettyJson, replace, table, time } from './dom.js';

const STATUSES = ['failed', 'replaying', 'replayed', 'ignored'];

// Kept while the tab lives, so coming back from a detail view shows the same page and filters.
const state = {
  filter: { status: '', source: '', type: '', from: '', to: '' },
  limit: 25,
  cursors: [null],
  selected: new Set(),
  lastResults: null,
};

export async function renderDeadLetters(main, view, params) {
  if (params && [...params.keys()].length > 0) {
    state.filter = { status: '', source: '', type: '', from: '', to: '' };
    for (const name of Object.keys(state.filter)) state.filter[name] = params.get(name) ?? '';
    state.cursors = [null];
    state.selected.clear();
  }

  const listArea = h('div', { id: 'dlq-list', 'aria-live': 'polite' });
  const resultsArea = h('div', { id: 'action-results' });
  replace(main,
    h('h1', {}, 'Dead letters'),
    filterForm(view, listArea, resultsArea),
    listArea,
    resultsArea,
    filterReplay(view, listArea, resultsArea));
  if (state.lastResults) replace(resultsArea, state.lastResults);
  await loadPage(view, listArea, resultsArea);
}

function filterForm(view, listArea, resultsArea) {
  const f = state.filter;
  const status = h('select', { id: 'filter-status', name: 'status' },
    h('option', { value: '' }, 'any'),
    STATUSES.map(s => h('option', { value: s, selected: f.status === s }, s)));
  const source = h('input', { id: 'filter-source', name: 'source', value: f.source, autocomplete: 'off', placeholder: 'e.g. lemlist' });
  const type = h('input', { id: 'filter-type', name: 'type', value: f.type, autocomplete: 'off', placeholder: 'e.g. email.opened' });
  const from = h('input', { id: 'filter-from', name: 'from', type: 'datetime-local', step: 1, value: toLocalInput(f.from) });
  const to = h('input', { id: 'filter-to', name: 'to', type: 'datetime-local', step: 1, value: toLocalInput(f.to) });
  const limit = h('select', { id: 'filter-limit', name: 'limit' }, [25, 50, 100, 200].map(n => h('option', { value: n, selected: state.limit === n }, String(n))));
  const form = h('form', { class: 'card filters', 'aria-label': 'Filters' },
    h('div', { class: 'grid' },
      field('Status', status),
      field('Source', source),
      field('Type', type),
      field('From (your local time)', from),
      field('To (your local time)', to),
      field('Per page', limit)),
    h('div', { class: 'buttons' },
      h('button', { type: 'submit', class: 'primary', id: 'apply-filters' }, 'Apply filters'),
      h('button', { type: 'button', id: 'reset-filters', onclick: () => {
        state.filter = { status: '', source: '', type: '', from: '', to: '' };
        form.reset();
        status.value = '';
        for (const input of [source, type, from, to]) input.value = '';
        form.requestSubmit();
      } }, 'Reset')));
  form.addEventListener('submit', event => {
    event.preventDefault();
    state.filter = { status: status.value, source: source.value.trim(), type: type.value.trim(), from: fromLocalInput(from.value), to: fromLocalInput(to.value) };
    state.limit = Number(limit.value);
    state.cursors = [null];
    state.selected.clear();
    resetDryRun();
    loadPage(view, listArea, resultsArea).catch(error => replace(listArea, notice('error', error.message)));
  });
  return form;
}

// datetime-local holds local wall time without a zone; the API wants an instant.
function fromLocalInput(value) {
  if (!value) return '';
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? value : date.toISOString();
}

function toLocalInput(iso) {
  if (!iso) return '';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  const pad = n => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

async function loadPage(view, listArea, resultsArea) {
  listArea.setAttribute('aria-busy', 'true');
  const page = state.cursors.length - 1;
  let data;
  try {
    data = await api(`dlq${query({ ...state.filter, limit: state.limit, cursor: state.cursors[page] })}`);
  } catch (error) {
    if (view.disposed) return;
    listArea.setAttribute('aria-busy', 'false');
    if (error instanceof ApiError && error.problem?.type === 'urn:salesauto:problem:invalid-cursor') {
      state.cursors = [null];
      return loadPage(view, listArea, resultsArea);
    }

    replace(listArea, notice('error', error.message));
    return;
  }

  if (view.disposed) return;
  const items = data.items ?? [];
  const reason = h('input', { id: 'dlq-reason', name: 'reason', maxlength: 1000, autocomplete: 'off', placeholder: 'why (recorded in the audit log)' });
  const count = h('span', { id: 'selected-count', 'aria-live': 'polite' });
  const replayButton = h('button', { type: 'button', id: 'replay-selected', class: 'primary' }, 'Replay selected');
  const ignoreButton = h('button', { type: 'button', id: 'ignore-selected', class: 'danger' }, 'Ignore selected');
  const updateSelection = () => {
    replace(count, `${state.selected.size} selected`);
    replayButton.disabled = ignoreButton.disabled = state.selected.size === 0;
  };

  const boxes = [];
  const rows = items.map(item => {
    const box = h('input', {
      type: 'checkbox',
      checked: state.selected.has(item.id),
      'aria-label': `Select dead letter ${item.eventId}`,
      dataset: { id: item.id },
      onchange: event => {
        if (event.target.checked) state.selected.add(item.id);
        else state.selected.delete(item.id);
        updateSelection();
      },
    });
    boxes.push(box);
    return h('tr', { dataset: { id: item.id }, 'data-test': 'dlq-row' },
      h('td', {}, box),
      h('td', {}, time(item.createdAt)),
      h('td', {}, item.source),
      h('td', {}, h('a', { href: `#dlq/${encodeURIComponent(item.id)}`, 'data-test': 'open' }, item.type)),
      h('td', {}, h('span', { class: `badge status-${item.status}` }, item.status)),
      h('td', { class: 'num' }, formatNumber(item.attempts)),
      h('td', { class: 'truncate' }, item.eventId),
      h('td', { class: 'truncate reason' }, item.failureReason));
  });
  const all = h('input', {
    type: 'checkbox',
    id: 'select-all',
    title: 'Select every dead letter on this page',
    'aria-label': 'Select every dead letter on this page',
    onchange: event => {
      for (const box of boxes) {
        box.checked = event.target.checked;
        if (box.checked) state.selected.add(box.dataset.id);
        else state.selected.delete(box.dataset.id);
      }
      updateSelection();
    },
  });

  const act = async (action) => {
    const ids = [...state.selected];
    if (ids.length === 0) return;
    if (ids.length > 100) {
      replace(resultsArea, notice('error', 'Select at most 100 dead letters at once.'));
      return;
    }

    const why = reason.value.trim();
    if (action === 'ignore' && !why) {
      replace(resultsArea, notice('error', 'Give a reason to ignore dead letters: it goes into the audit log.'));
      reason.focus();
      return;
    }

    replayButton.disabled = ignoreButton.disabled = true;
    try {
      const answer = await api(`dlq/${action}`, { method: 'POST', body: why ? { ids, reason: why } : { ids } });
      state.selected.clear();
      showResults(resultsArea, action === 'replay' ? 'Replay' : 'Ignore', answer.results);
      await loadPage(view, listArea, resultsArea);
    } catch (error) {
      replace(resultsArea, notice('error', error.message));
      updateSelection();
    }
  };
  replayButton.addEventListener('click', () => act('replay'));
  ignoreButton.addEventListener('click', () => act('ignore'));

  const previous = h('button', { type: 'button', id: 'page-previous', disabled: page === 0, onclick: () => {
    state.cursors.pop();
    loadPage(view, listArea, resultsArea);
  } }, '← Newer');
  const next = h('button', { type: 'button', id: 'page-next', disabled: !data.nextCursor, onclick: () => {
    state.cursors.push(data.nextCursor);
    loadPage(view, listArea, resultsArea);
  } }, 'Older →');

  replace(listArea,
    h('div', { class: 'toolbar card' },
      field('Reason', reason),
      h('div', { class: 'buttons' }, replayButton, ignoreButton, count)),
    items.length === 0
      ? h('p', { class: 'empty', 'data-test': 'dlq-empty' }, page === 0 ? 'No dead letters match these filters.' : 'No more dead letters.')
      : table(null, [all, 'Dead-lettered', 'Source', 'Type', 'Status', 'Attempts', 'Event id', 'Failure reason'], rows, { class: 'dlq' }),
    h('nav', { class: 'pager', 'aria-label': 'Pages' },
      previous,
      h('span', { id: 'page-number' }, `Page ${page + 1}`, items.length ? ` · ${items.length} shown` : ''),
      next));
  updateSelection();
  listArea.setAttribute('aria-busy', 'false');
  listArea.dataset.loaded = String(Date.now());
}

function showResults(resultsArea, title, results) {
  const counts = {};
  for (const r of results) counts[r.result] = (counts[r.result] ?? 0) + 1;
  const summary = Object.entries(counts).map(([result, n]) => `${n} ${result}`).join(', ');
  state.lastResults = h('section', { class: 'card', 'aria-labelledby': 'results-title', 'data-test': 'results' },
    h('h2', { id: 'results-title' }, `${title}: ${summary || 'nothing done'}`),
    results.length === 0 ? null : table(null, ['Dead letter', 'Result'], results.map(r =>
      h('tr', { dataset: { id: r.id }, 'data-test': 'result-row' },
        h('td', {}, h('a', { href: `#dlq/${encodeURIComponent(r.id)}` }, r.id)),
        h('td', {}, h('span', { class: `badge result-${r.result}` }, r.result))))));
  replace(resultsArea, state.lastResults);
}

// ---- replay by filter: count first, then run exactly that filter ----

let dryRun = null;
let dryRunArea = null;

function resetDryRun() {
  dryRun = null;
  if (dryRunArea) dryRunArea.reset();
}

function currentFilterBody() {
  const filter = {};
  for (const [name, value] of Object.entries(state.filter)) {
    if (value) filter[name] = value;
  }

  return filter;
}

function filterReplay(view, listArea, resultsArea) {
  const max = h('input', { id: 'replay-max', type: 'number', min: 1, max: 10000, value: 1000, inputmode: 'numeric' });
  const includeIgnored = h('input', { id: 'replay-include-ignored', type: 'checkbox' });
  const outcome = h('div', { id: 'dry-run-result', 'aria-live': 'polite' });
  const countButton = h('button', { type: 'button', id: 'dry-run' }, 'Count matching (dry run)');
  const runButton = h('button', { type: 'button', id: 'replay-filter', class: 'primary', disabled: true }, 'Replay them');
  const body = () => ({ filter: currentFilterBody(), max: Number(max.value), ...(includeIgnored.checked ? { includeIgnored: true } : {}) });

  dryRunArea = {
    reset() {
      runButton.disabled = true;
      replace(runButton, 'Replay them');
      replace(outcome);
    },
  };
  max.addEventListener('input', resetDryRun);
  includeIgnored.addEventListener('change', resetDryRun);

  countButton.addEventListener('click', async () => {
    resetDryRun();
    countButton.disabled = true;
    try {
      const request = body();
      const answer = await api('dlq/replay', { method: 'POST', body: { ...request, dryRun: true } });
      dryRun = { request: JSON.stringify(request), matched: answer.matched };
      replace(outcome, notice(answer.matched > 0 ? 'warn' : 'info',
        h('strong', { 'data-test': 'dry-run-count' }, formatNumber(answer.matched)),
        ` dead letter(s) match ${describeFilter()} and would be replayed`,
        answer.matched >= request.max ? ` (capped at max ${formatNumber(request.max)})` : '',
        '. Nothing has changed yet.'));
      runButton.disabled = answer.matched === 0;
      replace(runButton, `Replay ${formatNumber(answer.matched)} now`);
    } catch (error) {
      replace(outcome, notice('error', error.message));
    } finally {
      countButton.disabled = false;
    }
  });

  runButton.addEventListener('click', async () => {
    const request = body();
    if (!dryRun || dryRun.request !== JSON.stringify(request)) {
      resetDryRun();
      replace(outcome, notice('error', 'The filter changed since the count: count again first.'));
      return;
    }

    runButton.disabled = true;
    try {
      const answer = await api('dlq/replay', { method: 'POST', body: request });
      resetDryRun();
      showResults(resultsArea, `Replay by filter (${formatNumber(answer.matched)} selected)`, answer.results);
      await loadPage(view, listArea, resultsArea);
    } catch (error) {
      replace(outcome, notice('error', error.message));
    }
  });

  return h('section', { class: 'card', 'aria-labelledby': 'filter-replay-title' },
    h('h2', { id: 'filter-replay-title' }, 'Replay everything matching the filters'),
    h('p', { class: 'muted' }, 'Uses the filters above (not the page or the selection). Only failed dead letters are replayed, plus ignored ones if you tick the box. Count first: the replay button runs exactly the counted request.'),
    h('div', { class: 'grid' }, field('At most', max), h('div', { class: 'field check' }, includeIgnored, h('label', { for: 'replay-include-ignored' }, 'Include ignored'))),
    h('div', { class: 'buttons' }, countButton, runButton),
    outcome);
}

function describeFilter() {
  const parts = Object.entries(currentFilterBody()).map(([name, value]) => `${name} = ${value}`);
  return parts.length ? `(${parts.join(', ')})` : '(no filter: every dead letter)';
}

// ---- one dead letter ----

export async function renderDeadLetter(main, view, id) {
  replace(main, h('p', {}, h('a', { href: '#dlq' }, '← Dead letters')), h('h1', {}, 'Dead letter'), h('p', { class: 'loading' }, 'Loading…'));
  let item;
  try {
    item = await api(`dlq/${encodeURIComponent(id)}`);
  } catch (error) {
    if (view.disposed) return;
    main.lastChild.replaceWith(notice('error', error.message));
    return;
  }

  if (view.disposed) return;
  const reason = h('input', { id: 'detail-reason', maxlength: 1000, autocomplete: 'off', placeholder: 'why (recorded in the audit log)' });
  const results = h('div', { id: 'action-results', 'aria-live': 'polite' });
  const act = async action => {
    const why = reason.value.trim();
    if (action === 'ignore' && !why) {
      replace(results, notice('error', 'Give a reason to ignore it: it goes into the audit log.'));
      reason.focus();
      return;
    }

    try {
      const body = { ids: [item.id], ...(why ? { reason: why } : {}), ...(action === 'replay' && item.status === 'ignored' ? { includeIgnored: true } : {}) };
      const answer = await api(`dlq/${action}`, { method: 'POST', body });
      await renderDeadLetter(main, view, id);
      const result = answer.results?.[0]?.result ?? 'unknown';
      document.getElementById('action-results')?.replaceChildren(notice('ok', `${action === 'replay' ? 'Replay' : 'Ignore'}: `, h('span', { class: `badge result-${result}`, 'data-test': 'detail-result' }, result)));
    } catch (error) {
      replace(results, notice('error', error.message));
    }
  };

  const facts = [
    ['Status', h('span', { class: `badge status-${item.status}`, 'data-test': 'detail-status' }, item.status)],
    ['Source', item.source],
    ['Type', item.type],
    ['Event id', item.eventId],
    ['Campaign', item.campaignId ?? '–'],
    ['Failure reason', h('span', { 'data-test': 'detail-reason-text' }, item.failureReason)],
    ['Attempts', formatNumber(item.attempts)],
    ['Replays', formatNumber(item.replayCount)],
    ['First seen', time(item.firstSeenAt)],
    ['Dead-lettered', time(item.createdAt)],
    ['Updated', time(item.updatedAt)],
    ['Resolved', time(item.resolvedAt)],
    ['Id', h('code', {}, item.id)],
  ];
  replace(main,
    h('p', {}, h('a', { href: '#dlq' }, '← Dead letters')),
    h('h1', {}, 'Dead letter ', h('span', { class: 'muted' }, item.type)),
    h('div', { class: 'columns' },
      h('section', { class: 'card', 'aria-labelledby': 'facts-title' },
        h('h2', { id: 'facts-title' }, 'Details'),
        h('dl', { class: 'facts' }, facts.map(([name, value]) => [h('dt', {}, name), h('dd', {}, value)]))),
      h('section', { class: 'card', 'aria-labelledby': 'act-title' },
        h('h2', { id: 'act-title' }, 'Act on it'),
        field('Reason', reason),
        h('div', { class: 'buttons' },
          h('button', { type: 'button', id: 'detail-replay', class: 'primary', onclick: () => act('replay') }, item.status === 'ignored' ? 'Replay anyway (it is ignored)' : 'Replay'),
          h('button', { type: 'button', id: 'detail-ignore', class: 'danger', disabled: item.status !== 'failed', onclick: () => act('ignore') }, 'Ignore')),
        results)),
    h('section', { class: 'card', 'aria-labelledby': 'payload-title' },
      h('h2', { id: 'payload-title' }, 'Payload ', h('small', { class: 'muted' }, 'as received, shown as text')),
      h('pre', { class: 'payload', id: 'payload', tabindex: 0 }, prettyJson(item.payload))),
    h('section', { class: 'card', 'aria-labelledby': 'history-title' },
      h('h2', { id: 'history-title' }, 'History'),
      (item.history ?? []).length === 0
        ? h('p', { class: 'muted' }, 'No operator action yet.')
        : table(null, ['When', 'Who', 'Action', 'Outcome', 'Detail'], item.history.map(entry =>
          h('tr', { 'data-test': 'history-row' },
            h('td', {}, time(entry.at)),
            h('td', {}, entry.actor),
            h('td', {}, entry.action),
            h('td', {}, entry.outcome ?? '–'),
            h('td', { class: 'detail' }, entry.detail === null || entry.detail === undefined ? '–' : typeof entry.detail.reason === 'string' ? entry.detail.reason : prettyJson(entry.detail)))))));
}
