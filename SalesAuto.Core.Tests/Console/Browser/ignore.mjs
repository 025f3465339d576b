// Ignore one dead letter: a reason is required, the result is shown, the history records it.
import { api, assert, assertEqual, filterList, listReloaded, scenario, shot, signIn } from './lib.mjs';

await scenario('ignore', async page => {
  await signIn(page);
  const [item] = (await api('dlq?source=console-ignore&status=failed')).body.items;
  assert(item, 'seeded dead letter to ignore');

  await filterList(page, { source: 'console-ignore', status: 'failed' });
  await page.locator(`tr[data-id="${item.id}"] input[type="checkbox"]`).check();
  await page.locator('#ignore-selected').click();
  await page.getByText('Give a reason to ignore dead letters').waitFor();
  assertEqual((await api(`dlq/${item.id}`)).body.status, 'failed', 'status without a reason');

  await page.locator('#dlq-reason').fill('test campaign, deleted');
  await listReloaded(page, () => page.locator('#ignore-selected').click());
  const results = await page.locator('[data-test="results"] tr[data-test="result-row"]').evaluateAll(rows => rows.map(row => [row.dataset.id, row.cells[1].textContent]));
  assertEqual(results, [[item.id, 'ignored']], 'per-id result');
  await shot(page, 'ignore-results');

  const detail = (await api(`dlq/${item.id}`)).body;
  assertEqual(detail.status, 'ignored', 'status after');
  await page.locator(`[data-test="results"] a`).first().click();
  await page.locator('tr[data-test="history-row"]').first().waitFor();
  const history = await page.locator('tr[data-test="history-row"]').allInnerTexts();
  assert(history.some(row => row.includes('ignore') && row.includes('test campaign, deleted')), `history: ${history}`);
});
