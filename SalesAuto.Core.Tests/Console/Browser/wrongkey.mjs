// A wrong key shows a clear message and is not kept; the right key, typed with the keyboard
// only, opens the console; the key never appears in a URL; "Forget key" forgets it.
import { assert, assertEqual, base, key, scenario, shot } from './lib.mjs';

await scenario('wrongkey', async page => {
  const urls = [];
  page.on('request', request => urls.push(request.url()));
  await page.goto(`${base}/api/console`);
  await page.locator('#admin-key').waitFor();
  assertEqual(await page.evaluate(() => document.activeElement?.id), 'admin-key', 'focus starts in the key field');

  await page.keyboard.type('not-the-admin-key-0000');
  await page.keyboard.press('Enter');
  await page.getByText('That key was refused').waitFor();
  assert(await page.locator('#nav').isHidden(), 'the navigation stays hidden');
  assertEqual(await page.evaluate(() => sessionStorage.length), 0, 'nothing stored for a wrong key');
  await shot(page, 'wrong-key');

  await page.locator('#admin-key').fill('');
  await page.keyboard.type(key);
  await page.keyboard.press('Enter');
  await page.locator('#overview-body[data-loaded="true"]').waitFor();
  assertEqual(await page.evaluate(() => Object.keys(sessionStorage)), ['salesauto.console.key'], 'the key is in sessionStorage');
  assertEqual(await page.evaluate(() => localStorage.length), 0, 'nothing in localStorage');
  assertEqual(await page.evaluate(() => document.cookie), '', 'no cookie');

  // Keyboard: Tab reaches the navigation links as real links.
  await page.locator('#nav a[href="#dlq"]').focus();
  await page.keyboard.press('Enter');
  await page.locator('#dlq-list[data-loaded]').waitFor();

  assert(urls.every(url => !url.includes(key)), `the key appeared in a URL: ${urls.filter(url => url.includes(key))}`);
  assert(urls.every(url => url.startsWith(base)), `a request left the origin: ${urls.filter(url => !url.startsWith(base))}`);

  await page.locator('#forget-key').click();
  await page.locator('#admin-key').waitFor();
  assertEqual(await page.evaluate(() => sessionStorage.length), 0, 'the key is forgotten');
});
