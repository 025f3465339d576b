// Audit: GET /api/audit (filters action, actor, from, to; keyset cursor). On a server without
// that route (it answers 404), the view says so instead of failing.
import { api, ApiError, query } from './api.js';
import { field, h, notice, prettyJson, replace, table, time } from './dom.js';

const ACTIONS = ['replay', 'ignore', 'export', 'erase', 'suppressed'];

const state = { filter: { action: '', actor: '', from: '', to: '' }, cursors: [null], limit: 50 };

export async function renderAudit(main, view) {
  const list = h('div', { id: 'audit-list', 'aria-live': 'polite' });
  const action = h('select', { id: 'audit-action' }, h('option', { value: '' }, 'any'), ACTIONS.map(a => h('option', { value: a, selected: state.filter.action === a }, a)));
  const actor = h('input', { id: 'audit-actor', value: state.filter.actor, autocomplete: 'off', placeholder: 'admin key name' });
  const from = h('input', { id: 'audit-from', type: 'datetime-local', step: 1 });
  const to = h('input', { id: 'audit-to', type: 'datetime-local', step: 1 });
  const form = h('form', { class: 'card filters', 'aria-label': 'Audit filters' },
    h('div', { class: 'grid' }, field('Action', action), field('Actor', actor), field('From (your local time)', from), field('To (your local time)', to)),
    h('div', { class: 'buttons' }, h('button', { type: 'submit', class: 'primary', id: 'audit-apply' }, 'Apply filters')));
  form.addEventListener('submit', event => {
    event.preventDefault();
    const instant = value => (value ? new Date(value).toISOString() : '');
    state.filter = { action: action.value, actor: actor.value.trim(), from: instant(from.value), to: instant(to.value) };
    state.cursors = [null];
    load(view, list);
  });
  replace(main, h('h1', {}, 'Audit log'), h('p', { class: 'muted' }, 'Who did what: dead-letter replays and ignores, privacy exports and erasures. People appear only as keyed hashes.'), form, list);
  await load(view, list);
}

async function load(view, list) {
  const page = state.cursors.length - 1;
  let data;
  try {
    data = await api(`audit${query({ ...state.filter, limit: state.limit, cursor: state.cursors[page] })}`);
  } catch (error) {
    if (view.disposed) return;
    replace(list, error instanceof ApiError && error.routeMissing
      ? notice('warn', h('span', { 'data-test': 'not-available' }, 'The audit log is not available on this server'), ' (GET /api/audit answered 404: this version does not have it yet).')
      : notice('error', error.message));
    return;
  }

  if (view.disposed) return;
  const items = data?.items ?? [];
  const known = new Set(['id', 'at', 'actor', 'action', 'outcome', 'detail']);
  const rows = items.map(entry => {
    const rest = Object.fromEntries(Object.entries(entry).filter(([name, value]) => !known.has(name) && value !== null && value !== undefined));
    return h('tr', { 'data-test': 'audit-row' },
      h('td', {}, time(entry.at)),
      h('td', {}, entry.actor ?? '–'),
      h('td', {}, entry.action ?? '–'),
      h('td', {}, entry.outcome ?? '–'),
      h('td', { class: 'detail' }, Object.keys(rest).length ? Object.entries(rest).map(([name, value]) =>
        name === 'deadLetterId' && typeof value === 'string'
          ? h('div', {}, 'dead letter ', h('a', { href: `#dlq/${encodeURIComponent(value)}` }, value))
          : h('div', {}, `${name}: ${typeof value === 'string' ? value : prettyJson(value)}`)) : '–'),
      h('td', { class: 'detail' }, entry.detail === null || entry.detail === undefined ? '–' : prettyJson(entry.detail)));
  });
  replace(list,
    items.length === 0 ? h('p', { class: 'empty' }, 'No audit entries match.') : table(null, ['When', 'Who', 'Action', 'Outcome', 'About', 'Detail'], rows),
    h('nav', { class: 'pager', 'aria-label': 'Pages' },
      h('button', { type: 'button', disabled: page === 0, onclick: () => { state.cursors.pop(); load(view, list); } }, '← Newer'),
      h('span', {}, `Page ${page + 1}`),
      h('button', { type: 'button', disabled: !data?.nextCursor, onclick: () => { state.cursors.push(data.nextCursor); load(view, list); } }, 'Older →')));
}
