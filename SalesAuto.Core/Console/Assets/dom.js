// Builds DOM nodes from data without ever parsing it as HTML: every value becomes a text node or
// an attribute set one by one. Webhook payloads are attacker-controlled; nothing here calls
// innerHTML, insertAdjacentHTML or document.write, and no attribute name comes from data.

const SVG_NS = 'http://www.w3.org/2000/svg';

/** An element: h('td', { class: 'num' }, 'text', otherNode). Strings and numbers become text. */
export function h(tag, attributes, ...children) {
  return build(document.createElement(tag), attributes, children);
}

/** An SVG element, same shape as h(). */
export function svg(tag, attributes, ...children) {
  return build(document.createElementNS(SVG_NS, tag), attributes, children);
}

function build(element, attributes, children) {
  for (const [name, value] of Object.entries(attributes ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') {
      element.addEventListener(name.slice(2), value);
    } else if (name === 'dataset') {
      Object.assign(element.dataset, value);
    } else if (name === 'checked' || name === 'disabled' || name === 'value' || name === 'selected') {
      element[name] = value;
    } else {
      element.setAttribute(name, value === true ? '' : String(value));
    }
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replaces an element's children. */
export function replace(element, ...children) {
  element.replaceChildren();
  append(element, children);
  return element;
}

/**
 * A table wrapped so it never widens the page. On a phone its rows become stacked cards: each
 * cell gets its column's heading as data-label, which the CSS shows before the value.
 */
export function table(caption, headings, rows, attributes = {}) {
  for (const row of rows) {
    [...row.children].forEach((cell, index) => {
      if (typeof headings[index] === 'string' && headings[index]) cell.dataset.label = headings[index];
    });
  }

  return h('div', { class: 'table-wrap' },
    h('table', { ...attributes, class: `stack ${attributes.class ?? ''}`.trim() },
      caption ? h('caption', {}, caption) : null,
      h('thead', {}, h('tr', {}, headings.map(heading => h('th', { scope: 'col' }, heading)))),
      h('tbody', {}, rows)));
}

/** A notice box: kind is info, ok, warn or error. Errors are announced to screen readers. */
export function notice(kind, ...children) {
  return h('div', { class: `notice ${kind}`, role: kind === 'error' ? 'alert' : 'status' }, ...children);
}

/** A labelled form field; the control gets the id. */
export function field(label, control, hint) {
  const hintId = hint ? `${control.id}-hint` : null;
  if (hintId) control.setAttribute('aria-describedby', hintId);
  return h('div', { class: 'field' },
    h('label', { for: control.id }, label),
    control,
    hint ? h('small', { id: hintId }, hint) : null);
}

// ---- formatting (all return plain strings) ----

const numberFormat = new Intl.NumberFormat('en');

export function formatNumber(value) {
  return value === null || value === undefined ? '–' : numberFormat.format(value);
}

/** "3 min 20 s" for a number of seconds. */
export function formatDuration(seconds) {
  if (seconds === null || seconds === undefined) return '–';
  let s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  const units = [['d', 86400], ['h', 3600], ['min', 60], ['s', 1]];
  const parts = [];
  for (const [name, size] of units) {
    if (s >= size) {
      parts.push(`${Math.floor(s / size)} ${name}`);
      s %= size;
    }
    if (parts.length === 2) break;
  }
  return parts.join(' ');
}

/** A timestamp as the operator's local time, to the second. */
export function formatTime(iso) {
  if (!iso) return '–';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return String(iso);
  return date.toLocaleString('en-GB', { year: 'numeric', month: 'short', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

/** "5 min ago". */
export function formatAgo(iso, now = Date.now()) {
  if (!iso) return 'never';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return String(iso);
  return `${formatDuration((now - date.getTime()) / 1000)} ago`;
}

/** A <time> element showing local time, with the exact instant as its datetime and tooltip. */
export function time(iso) {
  if (!iso) return h('span', { class: 'muted' }, '–');
  return h('time', { datetime: iso, title: iso }, formatTime(iso));
}

/** Any JSON value as indented text. */
export function prettyJson(value) {
  return JSON.stringify(value, null, 2) ?? 'null';
}
