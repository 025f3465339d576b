// Shared by every scenario: `node <scenario>.mjs <baseUrl> <adminKey> <screenshotDir>`.
// Launches the machine's headless Debian chromium (never a downloaded browser) with a fresh
// profile, fails the scenario on any page error or Content-Security-Policy violation, and exits
// non-zero with a clear message (and a failure screenshot) when an assertion fails.
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

const [baseUrl, adminKey, screenshotDir] = process.argv.slice(2);
if (!baseUrl || !adminKey || !screenshotDir) {
  console.error('usage: node <scenario>.mjs <baseUrl> <adminKey> <screenshotDir>');
  process.exit(2);
}

export const base = baseUrl.replace(/\/$/, '');
export const key = adminKey;

export class ScenarioFailure extends Error {}

export function assert(condition, message) {
  if (!condition) throw new ScenarioFailure(message);
}

export function assertEqual(actual, expected, what) {
  if (JSON.stringify(actual) !== JSON.stringify(expected)) {
    throw new ScenarioFailure(`${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
  }
}

/** The admin API, straight (what the page is compared against). */
export async function api(path, { method = 'GET', body } = {}) {
  const response = await fetch(`${base}/api/${path}`, {
    method,
    headers: { 'x-functions-key': key, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

/** The integer in an element's text ("1,234" -> 1234). */
export async function number(page, selector) {
  const text = await page.locator(selector).first().innerText();
  const digits = text.replace(/[^0-9-]/g, '');
  assert(digits !== '', `${selector} shows no number: "${text}"`);
  return Number(digits);
}

let shotCount = 0;

/** Saves a full-page screenshot as <screenshotDir>/<name>.png. */
export async function shot(page, name) {
  mkdirSync(screenshotDir, { recursive: true });
  await page.screenshot({ path: join(screenshotDir, `${name}.png`), fullPage: true });
  shotCount++;
}

/** Opens the console and enters the key; resolves when the overview has loaded. */
export async function signIn(page) {
  await page.goto(`${base}/api/console`);
  await page.locator('#admin-key').fill(key);
  await page.getByRole('button', { name: 'Open the console' }).click();
  await page.locator('#nav').waitFor({ state: 'visible' });
  await page.locator('#overview-body[data-loaded="true"]').waitFor();
}

/** Waits until the dead-letter list has rendered a page after `action` ran. */
export async function listReloaded(page, action) {
  const before = await page.locator('#dlq-list').getAttribute('data-loaded');
  await action();
  await page.waitForFunction(previous => {
    const list = document.getElementById('dlq-list');
    return list && list.dataset.loaded && list.dataset.loaded !== previous && list.getAttribute('aria-busy') === 'false';
  }, before);
}

/** Filters the dead-letter list by source (and status) and waits for the page. */
export async function filterList(page, { source = '', status = '', limit = '25' } = {}) {
  if (!page.url().endsWith('#dlq')) {
    await page.getByRole('link', { name: 'Dead letters', exact: true }).click();
    await page.locator('#dlq-list[data-loaded]').waitFor();
  }

  await page.locator('#filter-source').fill(source);
  await page.locator('#filter-status').selectOption(status);
  await page.locator('#filter-limit').selectOption(limit);
  await listReloaded(page, () => page.locator('#apply-filters').click());
}

/**
 * Runs a scenario with a fresh browser (its own profile directory) and a page, at the given
 * viewport. Any uncaught page error or CSP violation fails it.
 */
export async function scenario(name, body, { viewport = { width: 1280, height: 900 } } = {}) {
  const profile = mkdtempSync(join(tmpdir(), 'salesauto-console-'));
  let context;
  let page;
  const problems = [];
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    context.setDefaultTimeout(30000);
    page = context.pages()[0] ?? await context.newPage();
    page.on('pageerror', error => problems.push(`page error: ${error.message}`));
    page.on('console', message => {
      const text = message.text();
      if (message.type() === 'error' && /Content.Security.Policy|Refused to/i.test(text)) problems.push(`CSP: ${text}`);
    });
    await page.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', event => {
        (window.__cspViolations ??= []).push(`${event.violatedDirective} ${event.blockedURI}`);
      });
    });
    await body(page, context);
    const violations = await page.evaluate(() => window.__cspViolations ?? []);
    assertEqual(violations, [], 'CSP violations');
    assertEqual(problems, [], 'page errors');
    console.log(`${name}: ok (${shotCount} screenshot(s))`);
  } catch (error) {
    if (page) {
      try {
        await shot(page, `FAILED-${name}`);
      } catch {
        // the browser is gone: the message below is what counts
      }
    }

    const detail = error instanceof ScenarioFailure ? error.message : (error.stack ?? String(error));
    console.error(`${name}: FAILED: ${detail}`);
    if (problems.length) console.error(`also seen: ${problems.join(' | ')}`);
    process.exitCode = 1;
  } finally {
    await context?.close().catch(() => {});
    rmSync(profile, { recursive: true, force: true });
  }
}
