// Privacy: export everything held about a person (POST /api/privacy/export) or erase them
// (POST /api/privacy/erase, after a dry run). Both ask for confirmation first; both are audited
// by the server. A server without those routes (404) shows "not available on this server".
import { api, ApiError } from './api.js';
import { field, h, notice, prettyJson, replace } from './dom.js';

export async function renderPrivacy(main) {
  replace(main,
    h('h1', {}, 'Privacy requests'),
    h('p', { class: 'muted' }, 'For a data subject\u2019s access or erasure request. Identify the person by email or by CRM contact id. Every request is written to the audit log with your key\u2019s name.'),
    h('div', { class: 'columns' }, exportCard(), eraseCard()));
}

function personFields(prefix) {
  const kind = h('select', { id: `${prefix}-kind` }, h('option', { value: 'email' }, 'Email'), h('option', { value: 'crmContactId' }, 'CRM contact id'));
  const value = h('input', { id: `${prefix}-value`, autocomplete: 'off', required: true, spellcheck: 'false' });
  return {
    kind,
    value,
    fields: [field('Identify by', kind), field('Email or CRM contact id', value)],
    body() {
      const text = value.value.trim();
      return text ? { [kind.value]: text } : null;
    },
    describe() {
      return `${kind.value === 'email' ? 'email' : 'CRM contact id'} \u201c${value.value.trim()}\u201d`;
    },
  };
}

function unavailable(error, route) {
  return error instanceof ApiError && error.routeMissing
    ? notice('warn', h('span', { 'data-test': 'not-available' }, 'Not available on this server'), ` (${route} answered 404: this version does not have it yet).`)
    : notice('error', error.message);
}

function exportCard() {
  const person = personFields('export');
  const out = h('div', { id: 'export-result', 'aria-live': 'polite' });
  const form = h('form', { class: 'card', 'aria-labelledby': 'export-title', novalidate: true },
    h('h2', { id: 'export-title' }, 'Export'),
    person.fields,
    h('div', { class: 'buttons' }, h('button', { type: 'submit', id: 'export-review' }, 'Review export…')),
    out);
  form.addEventListener('submit', event => {
    event.preventDefault();
    const body = person.body();
    if (!body) {
      replace(out, notice('error', 'Enter the email or the CRM contact id.'));
      return;
    }

    const confirm = h('button', { type: 'button', class: 'primary', id: 'export-confirm' }, 'Confirm export');
    const cancel = h('button', { type: 'button', onclick: () => replace(out) }, 'Cancel');
    replace(out, notice('warn', `Export everything held about ${person.describe()}? The export is recorded in the audit log.`), h('div', { class: 'buttons' }, confirm, cancel));
    confirm.addEventListener('click', async () => {
      confirm.disabled = true;
      try {
        const data = await api('privacy/export', { method: 'POST', body });
        const json = prettyJson(data);
        const download = h('button', { type: 'button', onclick: () => {
          const url = URL.createObjectURL(new Blob([json], { type: 'application/json' }));
          const link = h('a', { href: url, download: 'salesauto-export.json' });
          link.click();
          setTimeout(() => URL.revokeObjectURL(url), 1000);
        } }, 'Download JSON');
        replace(out, notice('ok', h('span', { 'data-test': 'export-done' }, 'Exported.')), h('div', { class: 'buttons' }, download), h('pre', { class: 'payload', tabindex: 0 }, json));
      } catch (error) {
        replace(out, unavailable(error, 'POST /api/privacy/export'));
      }
    });
    confirm.focus();
  });
  return form;
}

function eraseCard() {
  const person = personFields('erase');
  const out = h('div', { id: 'erase-result', 'aria-live': 'polite' });
  const form = h('form', { class: 'card', 'aria-labelledby': 'erase-title', novalidate: true },
    h('h2', { id: 'erase-title' }, 'Erase'),
    person.fields,
    h('div', { class: 'buttons' }, h('button', { type: 'submit', id: 'erase-review' }, 'Dry run first…')),
    out);
  form.addEventListener('submit', async event => {
    event.preventDefault();
    const body = person.body();
    if (!body) {
      replace(out, notice('error', 'Enter the email or the CRM contact id.'));
      return;
    }

    let preview;
    try {
      preview = await api('privacy/erase', { method: 'POST', body: { ...body, dryRun: true } });
    } catch (error) {
      replace(out, unavailable(error, 'POST /api/privacy/erase'));
      return;
    }

    const understood = h('input', { type: 'checkbox', id: 'erase-understood' });
    const confirm = h('button', { type: 'button', class: 'danger', id: 'erase-confirm', disabled: true }, 'Erase permanently');
    understood.addEventListener('change', () => { confirm.disabled = !understood.checked; });
    replace(out,
      notice('warn', `Dry run for ${person.describe()}: this is what would be erased. Nothing has changed yet.`),
      h('pre', { class: 'payload', tabindex: 0 }, prettyJson(preview)),
      h('div', { class: 'field check' }, understood, h('label', { for: 'erase-understood' }, 'I understand this cannot be undone, and that this person\u2019s future events will be suppressed.')),
      h('div', { class: 'buttons' }, confirm, h('button', { type: 'button', onclick: () => replace(out) }, 'Cancel')));
    confirm.addEventListener('click', async () => {
      confirm.disabled = true;
      try {
        const result = await api('privacy/erase', { method: 'POST', body: { ...body, dryRun: false } });
        replace(out, notice('ok', h('span', { 'data-test': 'erase-done' }, `Erased ${person.describe()}.`)), h('pre', { class: 'payload', tabindex: 0 }, prettyJson(result)));
      } catch (error) {
        replace(out, unavailable(error, 'POST /api/privacy/erase'));
      }
    });
  });
  return form;
}
