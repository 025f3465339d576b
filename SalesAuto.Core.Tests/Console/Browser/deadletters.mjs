// Filter and page dead letters: the page shows exactly the API's pages, keyset order kept.
import { api, assert, assertEqual, filterList, listReloaded, scenario, shot, signIn } from './lib.mjs';

const SOURCE = 'console-page';

async function shownIds(page) {
  return page.locator('tr[data-test="dlq-row"]').evaluateAll(rows => rows.map(row => row.dataset.id));
}

await scenario('deadletters', async page => {
  await signIn(page);
  const first = (await api(`dlq?source=${SOURCE}&limit=25`)).body;
  const second = (await api(`dlq?source=${SOURCE}&limit=25&cursor=${encodeURIComponent(first.nextCursor)}`)).body;
  assertEqual(first.items.length, 25, 'API page 1 size');
  assert(second.items.length > 0 && second.nextCursor === null, 'the seeded source must fill exactly two pages of 25');

  await filterList(page, { source: SOURCE, limit: '25' });
  assertEqual(await shownIds(page), first.items.map(i => i.id), 'page 1');
  assertEqual(await page.locator('#page-number').innerText(), 'Page 1 · 25 shown', 'page label');
  assert(await page.locator('#page-previous').isDisabled(), 'no newer page before page 1');
  await shot(page, 'dead-letters');

  await listReloaded(page, () => page.locator('#page-next').click());
  assertEqual(await shownIds(page), second.items.map(i => i.id), 'page 2');
  assert(await page.locator('#page-next').isDisabled(), 'page 2 is the last');

  await listReloaded(page, () => page.locator('#page-previous').click());
  assertEqual(await shownIds(page), first.items.map(i => i.id), 'back to page 1');

  // Another filter: the ignored ones of that source only.
  const ignored = (await api(`dlq?source=${SOURCE}&status=ignored`)).body.items;
  assert(ignored.length > 0, 'seed has ignored dead letters');
  await filterList(page, { source: SOURCE, status: 'ignored', limit: '50' });
  assertEqual(await shownIds(page), ignored.map(i => i.id), 'ignored only');
  const statuses = await page.locator('tr[data-test="dlq-row"] .badge').allInnerTexts();
  assert(statuses.every(s => s === 'ignored'), `statuses shown: ${statuses}`);

  // From and to, typed in local time: a day around now keeps them all, from tomorrow none.
  const local = date => new Date(date.getTime() - date.getTimezoneOffset() * 60000).toISOString().slice(0, 19);
  const day = 24 * 3600 * 1000;
  await page.locator('#filter-from').fill(local(new Date(Date.now() - day)));
  await page.locator('#filter-to').fill(local(new Date(Date.now() + day)));
  await filterList(page, { source: SOURCE, limit: '25' });
  assertEqual(await shownIds(page), first.items.map(i => i.id), 'from yesterday to tomorrow');
  await page.locator('#filter-from').fill(local(new Date(Date.now() + day)));
  await page.locator('#filter-to').fill('');
  await filterList(page, { source: SOURCE, limit: '25' });
  await page.locator('[data-test="dlq-empty"]').waitFor();
  await page.locator('#filter-from').fill('');

  // A filter nothing matches says so.
  await filterList(page, { source: 'console-no-such-source' });
  await page.locator('[data-test="dlq-empty"]').waitFor();

  await page.setViewportSize({ width: 390, height: 844 });
  await filterList(page, { source: SOURCE, limit: '25' });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert(overflow <= 0, `on a phone the page scrolls sideways by ${overflow}px (tables must scroll inside their box)`);
  await shot(page, 'dead-letters-phone');
});
