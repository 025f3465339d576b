// The overview shows what the API says: health per component, queue depth, last cycle,
// unresolved dead letters by source and type, and a chart with at least the current sample.
import { api, assert, assertEqual, number, scenario, shot, signIn } from './lib.mjs';

await scenario('overview', async page => {
  await signIn(page);

  // The queue reading is cached server-side for a few seconds: compare against the same reading.
  let queue;
  for (let attempt = 0; ; attempt++) {
    queue = (await api('queue')).body;
    const shown = await page.locator('[data-test="queue-card"]').getAttribute('data-sampled-at');
    if (shown === queue.sampledAt) break;
    assert(attempt < 10, `the page's queue reading (${shown}) never matched the API's (${queue.sampledAt})`);
    await page.locator('#refresh-overview').click();
    await page.waitForFunction(previous => document.querySelector('[data-test="queue-card"]')?.dataset.sampledAt !== previous, shown);
  }

  assert(queue.depth.due >= 3, `the seeded orphans are not in the queue: ${JSON.stringify(queue.depth)}`);
  assertEqual(await number(page, '[data-test="queue-due"]'), queue.depth.due, 'due');
  assertEqual(await number(page, '[data-test="queue-leased"]'), queue.depth.leased, 'leased');
  assertEqual((await page.locator('[data-test="queue-last-cycle"]').innerText()).trim(), 'none yet', 'last completed cycle');

  const stats = (await api('dlq/stats')).body;
  assertEqual(await number(page, '[data-test="dlq-unresolved"]'), stats.byStatus.failed + stats.byStatus.replaying, 'unresolved dead letters');
  assertEqual(await number(page, '[data-test="dlq-failed"]'), stats.byStatus.failed, 'failed dead letters');
  assertEqual(await number(page, '[data-test="dlq-total"]'), stats.total, 'all dead letters');

  const expectedRows = new Map();
  for (const row of stats.bySourceAndType.filter(r => r.status === 'failed' || r.status === 'replaying')) {
    const k = `${row.source} ${row.type}`;
    const entry = expectedRows.get(k) ?? [0, 0];
    entry[row.status === 'failed' ? 0 : 1] += row.count;
    expectedRows.set(k, entry);
  }

  const shownRows = await page.locator('[data-test="by-source-row"]').evaluateAll(rows => rows.map(row => [...row.cells].slice(0, 4).map(cell => cell.textContent)));
  assertEqual(shownRows.length, expectedRows.size, 'rows of unresolved dead letters by source and type');
  for (const [source, type, failed, replaying] of shownRows) {
    assertEqual([Number(failed.replace(/\D/g, '')), Number(replaying.replace(/\D/g, ''))], expectedRows.get(`${source} ${type}`), `unresolved ${source} ${type}`);
  }

  const health = (await api('health')).body;
  assertEqual((await page.locator('[data-test="health-status"]').innerText()).trim(), health.status, 'overall health');
  for (const [name, component] of Object.entries(health.components)) {
    assertEqual((await page.locator(`tr[data-component="${name}"] .badge`).innerText()).trim(), component.status, `health of ${name}`);
  }

  // The chart: the server's samples (an hour seeded by the test, then the current reading),
  // drawn as SVG by the page's own script, one point per sample, ending at the current one.
  assert(queue.history.samples.length > 90, `the API has ${queue.history.samples.length} samples`);
  const points = await page.locator('svg[data-test="chart"] .series-queue polyline').getAttribute('points');
  assertEqual(points.trim().split(/\s+/).length, queue.history.samples.length, 'points of the queue-depth line');
  assert(await page.locator('svg[data-test="chart"] .series-dlq polyline').count() === 1, 'the chart has no dead-letter line');
  assert(await page.locator('svg[data-test="chart"] .series-queue circle').count() === 1, 'the chart has no current queue-depth point');
  assert(await page.locator('svg[data-test="chart"] .series-dlq circle').count() === 1, 'the chart has no current dead-letter point');
  await shot(page, 'overview');

  // A row's "List" link opens the dead letters filtered by its source, type and status.
  await page.locator('[data-test="by-source-row"]', { hasText: 'console-page' }).getByRole('link', { name: 'List' }).click();
  await page.locator('#dlq-list[data-loaded]').waitFor();
  assertEqual(
    [await page.locator('#filter-source').inputValue(), await page.locator('#filter-type').inputValue(), await page.locator('#filter-status').inputValue()],
    ['console-page', 'email.opened', 'failed'],
    'filters set by the link');
  const listed = (await api('dlq?source=console-page&type=email.opened&status=failed&limit=25')).body.items.map(i => i.id);
  assertEqual(await page.locator('tr[data-test="dlq-row"]').evaluateAll(rows => rows.map(row => row.dataset.id)), listed, 'rows listed from the link');
  await page.getByRole('link', { name: 'Overview', exact: true }).click();
  await page.locator('#overview-body[data-loaded="true"]').waitFor();

  await page.setViewportSize({ width: 390, height: 844 });
  await page.locator('#refresh-overview').click();
  await page.locator('#overview-body[aria-busy="false"]').waitFor();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert(overflow <= 0, `on a phone the page scrolls sideways by ${overflow}px`);
  await shot(page, 'overview-phone');
});
