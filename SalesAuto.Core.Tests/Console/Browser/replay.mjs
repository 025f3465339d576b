// Replay two selected dead letters whose enrollments exist: both replayed, and the campaign's
// statistics count their events.
import { api, assert, assertEqual, filterList, listReloaded, scenario, shot, signIn } from './lib.mjs';

const CAMPAIGN = 'cam_console_replay';

await scenario('replay', async page => {
  await signIn(page);
  const before = (await api(`campaigns/${CAMPAIGN}/stats`)).body;
  assertEqual(before.events['email.opened'] ?? 0, 0, 'opened events before the replay');
  const items = (await api('dlq?source=console-replay&status=failed')).body.items;
  assertEqual(items.length, 2, 'seeded dead letters to replay');

  await filterList(page, { source: 'console-replay', status: 'failed' });
  for (const item of items) await page.locator(`tr[data-id="${item.id}"] input[type="checkbox"]`).check();
  assertEqual(await page.locator('#selected-count').innerText(), '2 selected', 'selection');
  await page.locator('#dlq-reason').fill('enrollments imported late');
  await listReloaded(page, () => page.locator('#replay-selected').click());

  const results = await page.locator('[data-test="results"] tr[data-test="result-row"]').evaluateAll(rows => rows.map(row => [row.dataset.id, row.cells[1].textContent]));
  assertEqual(results.sort(), items.map(i => [i.id, 'replayed']).sort(), 'per-id results');
  await page.locator('[data-test="dlq-empty"]').waitFor(); // no failed ones left for that source
  await shot(page, 'replay-results');

  const after = (await api(`campaigns/${CAMPAIGN}/stats`)).body;
  assertEqual(after.events['email.opened'], 2, 'opened events after the replay (campaign stats)');
  for (const item of items) {
    const detail = (await api(`dlq/${item.id}`)).body;
    assertEqual(detail.status, 'replayed', `status of ${item.id}`);
    assert(detail.history.some(h => h.action === 'replay' && h.detail?.reason === 'enrollments imported late'), 'the reason is in the audit history');
  }
});
