// Open one dead letter: pretty-printed payload, failure reason, attempts, audit history.
import { api, assert, assertEqual, filterList, scenario, shot, signIn } from './lib.mjs';

await scenario('detail', async page => {
  await signIn(page);
  const [item] = (await api('dlq?source=console-detail')).body.items;
  const detail = (await api(`dlq/${item.id}`)).body;
  assert(detail.history.length >= 1, 'the seeded dead letter has history');

  await filterList(page, { source: 'console-detail' });
  await page.locator(`tr[data-id="${item.id}"] a[data-test="open"]`).click();
  await page.locator('#payload').waitFor();
  assert(page.url().endsWith(`#dlq/${item.id}`), `URL is ${page.url()}`);

  assertEqual(await page.locator('#payload').textContent(), JSON.stringify(detail.payload, null, 2), 'payload, pretty-printed');
  assertEqual(await page.locator('[data-test="detail-reason-text"]').textContent(), detail.failureReason, 'failure reason');
  assertEqual(await page.locator('[data-test="detail-status"]').textContent(), detail.status, 'status');
  const facts = await page.locator('dl.facts').innerText();
  assert(facts.includes(`Attempts\n${detail.attempts}`) || facts.includes(`Attempts\t${detail.attempts}`), `attempts not shown: ${facts}`);
  const history = await page.locator('tr[data-test="history-row"]').allInnerTexts();
  assertEqual(history.length, detail.history.length, 'history rows');
  assert(history[0].includes(detail.history[0].detail.reason) && history[0].includes(detail.history[0].actor), `history row: ${history[0]}`);
  await shot(page, 'dead-letter-detail');

  // It is ignored: replaying it from here says so and includes ignored ones (no enrollment: requeued).
  assertEqual(await page.locator('#detail-replay').innerText(), 'Replay anyway (it is ignored)', 'replay button of an ignored dead letter');
  await page.locator('#detail-reason').fill('operator changed their mind');
  await page.locator('#detail-replay').click();
  await page.locator('[data-test="detail-result"]').waitFor();
  assertEqual(await page.locator('[data-test="detail-result"]').innerText(), 'requeued', 'replay result');
  assertEqual(await page.locator('[data-test="detail-status"]').innerText(), 'replaying', 'status shown after the replay');
  assertEqual((await api(`dlq/${item.id}`)).body.status, 'replaying', 'status after the replay');

  // Back to the list keeps the filter.
  await page.getByRole('link', { name: '← Dead letters' }).first().click();
  await page.locator('#dlq-list[data-loaded]').waitFor();
  assertEqual(await page.locator('#filter-source').inputValue(), 'console-detail', 'filter kept');
});
