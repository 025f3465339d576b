// Audit and privacy views: where the server has those routes they work (with a confirmation
// step); where it answers 404 the views say "not available on this server".
import { api, assert, scenario, shot, signIn } from './lib.mjs';

await scenario('privacy', async page => {
  await signIn(page);
  const auditAvailable = (await api('audit?limit=1')).status !== 404;
  const privacyAvailable = (await api('privacy/export', { method: 'POST', body: {} })).status !== 404;

  await page.getByRole('link', { name: 'Audit', exact: true }).click();
  if (auditAvailable) {
    await page.locator('#audit-list table, #audit-list .empty').first().waitFor();
    assert(await page.locator('#audit-list .notice.error').count() === 0, 'the audit list shows an error');
  } else {
    await page.locator('#audit-list [data-test="not-available"]').waitFor();
  }
  await shot(page, 'audit');

  await page.getByRole('link', { name: 'Privacy', exact: true }).click();
  await page.locator('#export-value').fill('console-privacy@example.com');
  await page.locator('#export-review').click();
  await page.getByText('Export everything held about email').waitFor();
  await page.locator('#export-confirm').click();
  if (privacyAvailable) {
    await page.locator('#export-result [data-test="export-done"]').waitFor();
  } else {
    await page.locator('#export-result [data-test="not-available"]').waitFor();
  }

  await page.locator('#erase-value').fill('console-privacy@example.com');
  await page.locator('#erase-review').click();
  if (privacyAvailable) {
    await page.locator('#erase-understood').waitFor();
    assert(await page.locator('#erase-confirm').isDisabled(), 'erasing needs the confirmation box');
    await page.locator('#erase-understood').check();
    await page.locator('#erase-confirm').click();
    await page.locator('#erase-result [data-test="erase-done"]').waitFor();
    assert((await page.locator('#erase-result pre').textContent()).includes('"dryRun": false'), 'the erase result is the real run\'s');
  } else {
    await page.locator('#erase-result [data-test="not-available"]').waitFor();
  }
  await shot(page, 'privacy');
});
