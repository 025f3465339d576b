// Replay by filter: the dry run counts and changes nothing; the real run then shows a result per id.
import { api, assert, assertEqual, filterList, scenario, shot, signIn } from './lib.mjs';

const SOURCE = 'console-dryrun';

await scenario('dryrun', async page => {
  await signIn(page);
  const failed = (await api(`dlq?source=${SOURCE}&status=failed`)).body.items;
  assert(failed.length === 7, `seeded 7 failed dead letters, found ${failed.length}`);

  await filterList(page, { source: SOURCE, status: 'failed' });
  assert(await page.locator('#replay-filter').isDisabled(), 'the replay button waits for a dry run');
  await page.locator('#dry-run').click();
  await page.locator('[data-test="dry-run-count"]').waitFor();
  assertEqual(await page.locator('[data-test="dry-run-count"]').innerText(), '7', 'dry-run count');
  assertEqual(await page.locator('#replay-filter').innerText(), 'Replay 7 now', 'the replay button names the count');
  assertEqual((await api(`dlq?source=${SOURCE}&status=failed`)).body.items.length, 7, 'failed after the dry run (nothing changed)');
  await shot(page, 'replay-by-filter-dry-run');

  // Changing the filter form's limit does not change the request; changing "at most" does.
  await page.locator('#replay-max').fill('5');
  assert(await page.locator('#replay-filter').isDisabled(), 'a changed request needs a new dry run');
  await page.locator('#replay-max').fill('1000');
  await page.locator('#dry-run').click();
  await page.locator('#replay-filter:not([disabled])').waitFor();

  await page.locator('#replay-filter').click();
  await page.locator('[data-test="results"]').waitFor();
  const results = await page.locator('[data-test="results"] tr[data-test="result-row"]').evaluateAll(rows => rows.map(row => [row.dataset.id, row.cells[1].textContent]));
  // No enrollment exists for these: each goes back to the retry queue.
  assertEqual(results.sort(), failed.map(i => [i.id, 'requeued']).sort(), 'per-id results');
  assertEqual((await api(`dlq?source=${SOURCE}&status=replaying`)).body.items.length, 7, 'replaying after the run');
  await page.locator('[data-test="dlq-empty"]').waitFor();
  await shot(page, 'replay-by-filter-results');
});
