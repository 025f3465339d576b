// The console's shell: the key gate, the navigation and a hash router (#overview, #dlq,
// #dlq/{id}, #audit, #privacy). The hash carries only view names and ids, never the key.
import { api, ApiError, forgetKey, getKey, setKey, setUnauthorizedHandler } from './api.js';
import { field, h, notice, replace } from './dom.js';
import { renderOverview } from './overview.js';
import { renderDeadLetter, renderDeadLetters } from './deadletters.js';
import { renderAudit } from './audit.js';
import { renderPrivacy } from './privacy.js';

const main = document.getElementById('main');
const nav = document.getElementById('nav');
const forgetButton = document.getElementById('forget-key');

// Each view gets a fresh AbortController-like token; a view's timers stop when it is left.
let current = { disposed: false, dispose() { this.disposed = true; } };

function route() {
  const [path, search] = location.hash.replace(/^#\/?/, '').split('?');
  const [view, id] = path.split('/').map(part => decodeURIComponent(part));
  return { view: view || 'overview', id, params: new URLSearchParams(search ?? '') };
}

function render(message) {
  current.dispose();
  const view = { disposed: false, timers: [], dispose() { this.disposed = true; this.timers.forEach(clearInterval); } };
  current = view;
  if (!getKey()) {
    showKeyForm(message);
    return;
  }

  nav.hidden = false;
  forgetButton.hidden = false;
  const { view: name, id, params } = route();
  for (const link of nav.querySelectorAll('a')) {
    if (link.dataset.view === name) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }

  const renderers = {
    overview: () => renderOverview(main, view),
    dlq: () => (id ? renderDeadLetter(main, view, id) : renderDeadLetters(main, view, params)),
    audit: () => renderAudit(main, view),
    privacy: () => renderPrivacy(main, view),
  };
  const renderer = renderers[name];
  if (!renderer) {
    replace(main, h('h1', {}, 'Not found'), notice('warn', 'This console has no such page. ', h('a', { href: '#overview' }, 'Go to the overview.')));
    return;
  }

  document.title = `${{ overview: 'Overview', dlq: id ? 'Dead letter' : 'Dead letters', audit: 'Audit', privacy: 'Privacy' }[name]} · SalesAuto console`;
  renderer().catch(error => showError(view, error));
}

function showError(view, error) {
  if (view.disposed) return;
  if (error instanceof ApiError && error.status === 401) return; // the key form is showing
  main.append(notice('error', error.message || String(error)));
}

function showKeyForm(message) {
  nav.hidden = true;
  forgetButton.hidden = true;
  document.title = 'Enter the admin key · SalesAuto console';
  const input = h('input', { id: 'admin-key', name: 'admin-key', type: 'password', autocomplete: 'off', spellcheck: 'false', required: true });
  const status = h('div', { id: 'key-status', 'aria-live': 'polite' }, message ? notice('error', message) : null);
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Open the console');
  const form = h('form', { class: 'card key-form', novalidate: true },
    h('h1', {}, 'SalesAuto console'),
    h('p', {}, 'Enter an admin key (one of the server\u2019s Admin:Keys). It is kept in this tab only (sessionStorage) and sent in the x-functions-key header, never in a URL.'),
    field('Admin key', input),
    submit,
    status);
  form.addEventListener('submit', async event => {
    event.preventDefault();
    const key = input.value.trim();
    if (!key) {
      replace(status, notice('error', 'Enter the admin key.'));
      input.focus();
      return;
    }

    submit.disabled = true;
    replace(status, notice('info', 'Checking the key…'));
    try {
      await api('dlq/stats', { key });
      setKey(key);
      render();
    } catch (error) {
      const text = error instanceof ApiError && error.status === 401
        ? 'That key was refused: it is not one of this server\u2019s admin keys. Check it and try again.'
        : error.message;
      replace(status, notice('error', text));
      submit.disabled = false;
      input.select();
      input.focus();
    }
  });
  replace(main, form);
  input.focus();
}

setUnauthorizedHandler(() => {
  forgetKey();
  render('The server refused the stored key (it may have been rotated). Enter the key again.');
});

forgetButton.addEventListener('click', () => {
  forgetKey();
  render();
});

window.addEventListener('hashchange', () => {
  render();
  main.focus({ preventScroll: true });
});
render();
