// A payload carrying HTML and script (attacker-controlled webhook content) renders as text:
// nothing runs, no element is created from it, in the list and in the detail view.
import { api, assert, assertEqual, filterList, scenario, shot, signIn } from './lib.mjs';

await scenario('xss', async page => {
  await signIn(page);
  const [item] = (await api('dlq?source=console-xss')).body.items;
  assert(item, 'seeded hostile dead letter');

  await filterList(page, { source: 'console-xss' });
  const row = page.locator(`tr[data-id="${item.id}"]`);
  assert((await row.innerText()).includes('<img src=x onerror='), 'the hostile type/event id shows as text in the list');

  await row.locator('a[data-test="open"]').click();
  await page.locator('#payload').waitFor();
  const payload = await page.locator('#payload').textContent();
  assert(payload.includes('<img src=x onerror=\\"window.__pwned=1\\">'), `payload text: ${payload}`);
  assert(payload.includes('<script>window.__pwned=2</script>'), `payload text: ${payload}`);
  assert((await page.locator('[data-test="detail-reason-text"]').textContent()).includes('<svg onload='), 'the hostile failure reason shows as text');

  const injected = await page.evaluate(() => ({
    flag: window.__pwned ?? null,
    elements: document.querySelectorAll('main img, main script, main iframe, main svg:not([data-test]) , main object, main embed, main style').length,
    anyImage: document.images.length,
  }));
  assertEqual(injected, { flag: null, elements: 0, anyImage: 0 }, 'what the hostile payload managed to do');
  await shot(page, 'xss-rendered-as-text');
});
