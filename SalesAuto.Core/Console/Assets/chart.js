// The overview's chart, drawn as inline SVG from the samples of GET /api/queue: queue depth
// (due + leased) and unresolved dead letters over the last hour. No library, no HTML strings.
import { h, svg } from './dom.js';

const HEIGHT = 240;
const PAD = { top: 16, right: 16, bottom: 30, left: 52 };

const SERIES = [
  { name: 'Queue depth (due + leased)', className: 'series-queue', value: s => (s.due === null || s.leased === null ? null : s.due + s.leased) },
  { name: 'Unresolved dead letters', className: 'series-dlq', value: s => s.unresolvedDeadLetters },
];

/**
 * A figure with the chart, its legend and a text summary for screen readers. width: the space
 * it gets, in CSS pixels, so that its text stays readable on a phone (the SVG is drawn 1:1).
 */
export function queueChart(history, width = 720, now = Date.now()) {
  const WIDTH = Math.round(Math.min(1100, Math.max(280, width)));
  const span = (history?.spanSeconds ?? 3600) * 1000;
  const samples = (history?.samples ?? []).map(s => ({ ...s, t: new Date(s.at).getTime() })).filter(s => s.t >= now - span);
  const start = now - span;
  const values = samples.flatMap(s => SERIES.map(series => series.value(s))).filter(v => v !== null && v !== undefined);
  const top = niceMax(Math.max(1, ...values));
  const x = t => PAD.left + ((t - start) / span) * (WIDTH - PAD.left - PAD.right);
  const y = v => HEIGHT - PAD.bottom - (v / top) * (HEIGHT - PAD.top - PAD.bottom);

  const grid = [];
  for (let i = 0; i <= 4; i++) {
    const v = (top / 4) * i;
    grid.push(svg('line', { class: 'grid', x1: PAD.left, x2: WIDTH - PAD.right, y1: y(v), y2: y(v) }));
    grid.push(svg('text', { class: 'axis', x: PAD.left - 8, y: y(v) + 4, 'text-anchor': 'end' }, formatTick(v)));
  }

  for (let minutes = 60; minutes >= 0; minutes -= WIDTH < 500 ? 30 : 15) {
    const t = now - minutes * 60000;
    grid.push(svg('text', { class: 'axis', x: x(t), y: HEIGHT - 8, 'text-anchor': minutes === 60 ? 'start' : minutes === 0 ? 'end' : 'middle' }, minutes === 0 ? 'now' : `-${minutes} min`));
  }

  const lines = SERIES.map(series => {
    const points = samples.map(s => ({ t: s.t, v: series.value(s) })).filter(p => p.v !== null && p.v !== undefined);
    const group = svg('g', { class: series.className });
    if (points.length > 1) {
      group.append(svg('polyline', { points: points.map(p => `${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`).join(' ') }));
    }

    const last = points.at(-1);
    if (last) group.append(svg('circle', { cx: x(last.t), cy: y(last.v), r: 4 }));
    return group;
  });

  const latest = samples.at(-1);
  const summary = latest
    ? `${samples.length} sample(s) over the last hour. Now: queue depth ${SERIES[0].value(latest) ?? 'unknown'}, unresolved dead letters ${latest.unresolvedDeadLetters ?? 'unknown'}.`
    : 'No samples yet.';
  return h('figure', { class: 'chart' },
    svg('svg', { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: 'img', 'aria-label': `Queue depth and unresolved dead letters, last hour. ${summary}`, 'data-test': 'chart' },
      svg('title', {}, 'Queue depth and unresolved dead letters, last hour'),
      svg('line', { class: 'axis-line', x1: PAD.left, x2: PAD.left, y1: PAD.top, y2: HEIGHT - PAD.bottom }),
      svg('line', { class: 'axis-line', x1: PAD.left, x2: WIDTH - PAD.right, y1: HEIGHT - PAD.bottom, y2: HEIGHT - PAD.bottom }),
      grid,
      lines),
    h('figcaption', {},
      h('ul', { class: 'legend' }, SERIES.map(series => h('li', { class: series.className }, h('span', { class: 'swatch', 'aria-hidden': 'true' }), series.name))),
      h('p', { class: 'muted' }, summary, ' One sample per 30 s at most, kept in this server instance\u2019s memory.')));
}

// The axis top: four whole, round steps (1, 2 or 5 times a power of ten) covering value.
function niceMax(value) {
  const raw = value / 4;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map(m => m * magnitude).find(candidate => candidate >= raw);
  return Math.max(1, step) * 4;
}

function formatTick(value) {
  return Number.isInteger(value) ? String(value) : value.toFixed(1);
}
