// The TestID login as a person meets it, in a real browser: the demo service's link, the page in
// each language, accessibility checked with axe-core, and the login working without JavaScript.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startPortvakt, type TestPortvakt } from '../helpers/portvakt.js';
import { hasChromium, launchChromium, seriousViolations } from '../helpers/chromium.js';
import { renderErrorPage } from '../../src/ui/pages/error-page.js';
import { translator } from '../../src/ui/i18n/index.js';
import { LOCALES } from '../../src/provider/locale.js';
import { UNAVAILABLE_DESCRIPTION } from '../../src/provider/unavailable.js';

let pv: TestPortvakt;
let browser: Browser;

beforeAll(async () => {
  if (!hasChromium) return;
  pv = await startPortvakt();
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await pv?.close();
});

/** A page in its own context (a fresh browser profile); axe-core needs one made this way. */
async function newPage(): Promise<Page> {
  return (await browser.newContext()).newPage();
}


describe.skipIf(!hasChromium)('TestID in Chromium', () => {
  it('logs in from the demo service with a typed number, and the demo shows the claims', async () => {
    const page = await newPage();
    await page.goto(`${pv.issuer}/demo/login`);
    expect((await page.locator('h1').innerText()).trim()).toBe('Logg inn med TestID');
    // The page's stylesheet (Designsystemet, digdir theme) applies under its Content-Security-Policy.
    expect(await page.locator('.ds-button[data-variant="primary"]').evaluate((el) => getComputedStyle(el).backgroundColor)).toBe('rgb(0, 98, 186)');
    await page.getByLabel('Fødselsnummer eller d-nummer').fill('28876895937');
    await page.getByLabel('Høyt (som BankID)').check();
    await page.getByRole('button', { name: 'Logg inn', exact: true }).click();
    await page.waitForSelector('#id-token-claims');
    const claims = JSON.parse(await page.locator('#id-token-claims').innerText());
    expect(claims).toMatchObject({ acr: 'idporten-loa-high', pid: '28876895937', amr: ['TestID'], locale: 'nb' });
    expect(JSON.parse(await page.locator('#userinfo').innerText())).toMatchObject({ pid: '28876895937' });
    await page.context().close();
  });

  it.each(['nb', 'nn', 'en', 'se'])('the TestID page in %s has no serious accessibility violations', async (lang) => {
    const page = await newPage();
    await page.goto(`${pv.issuer}/demo/login?lang=${lang}`);
    await page.waitForSelector('input[name="pid"]');
    expect(await page.getAttribute('html', 'lang')).toBe(lang);
    expect(await seriousViolations(page)).toEqual([]);
    await page.context().close();
  });

  it('the TestID page reflows to 320 px without sideways scrolling (WCAG 1.4.10), and its error too', async () => {
    const page = await (await browser.newContext({ viewport: { width: 320, height: 640 } })).newPage();
    await page.goto(`${pv.issuer}/demo/login?lang=se`); // the longest language names in the header
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(320);
    await page.locator('#pid').fill('12345678901');
    await page.locator('button[name="action"][value="login"]').click();
    await page.waitForSelector('.ds-validation-message');
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(320);
    expect(await seriousViolations(page)).toEqual([]);
    await page.context().close();
  });

  it('the accessibility check does catch a violation (so a clean result means something)', async () => {
    const page = await newPage();
    await page.goto(`${pv.issuer}/demo/login`);
    await page.evaluate(() => document.querySelector('label[for="pid"]')?.remove());
    expect((await seriousViolations(page)).join()).toContain('label');
    await page.context().close();
  });

  it('an invalid number shows an accessible error and keeps the person on the page', async () => {
    const page = await newPage();
    await page.goto(`${pv.issuer}/demo/login?lang=en`);
    await page.getByLabel('National identity number or D-number').fill('28876895938');
    await page.getByRole('button', { name: 'Log in', exact: true }).click();
    expect(await page.getByRole('alert').innerText()).toContain('control digits');
    expect(await page.getAttribute('#pid', 'aria-invalid')).toBe('true');
    expect(await seriousViolations(page)).toEqual([]);
    await page.context().close();
  });

  it('the picker logs in a test person with one click', async () => {
    const page = await newPage();
    await page.goto(`${pv.issuer}/demo/login?lang=en`);
    await page.getByRole('button', { name: 'Log in as Kari Nordmann' }).click();
    await page.waitForSelector('#id-token-claims');
    expect(await page.locator('h1').innerText()).toMatch(/logged in|logget inn/i);
    await page.context().close();
  });

  it('switching language on the page keeps the login going', async () => {
    const page = await newPage();
    await page.goto(`${pv.issuer}/demo/login`);
    await page.getByRole('link', { name: 'Davvisámegiella' }).click();
    expect(await page.getAttribute('html', 'lang')).toBe('se');
    expect((await page.locator('h1').innerText()).trim()).toBe('Čálit sisa TestID:in');
    await page.context().close();
  });

  it('works without JavaScript', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await page.goto(`${pv.issuer}/demo/login`);
    await page.getByLabel('Fødselsnummer eller d-nummer').fill('28876895937');
    await page.getByRole('button', { name: 'Logg inn', exact: true }).click();
    await page.waitForSelector('#id-token-claims');
    expect(await page.locator('h1').innerText()).toMatch(/logged in|logget inn/i);
    await context.close();
  });

  it('Cancel goes back to the service with access_denied', async () => {
    const page = await newPage();
    await page.goto(`${pv.issuer}/demo/login`);
    await page.getByRole('button', { name: 'Avbryt' }).click();
    await page.waitForURL(/\/demo\/callback\?error=access_denied/);
    await page.context().close();
  });

  it.each([
    ['the demo service', '/demo'],
    ['the "logged out" page', '/logout/success'],
    ['the demo service\'s logged-out page', '/demo/logged-out?state=en'],
  ])('%s has no serious accessibility violations', async (_name, path) => {
    const page = await newPage();
    await page.goto(`${pv.issuer}${path}`);
    expect(await seriousViolations(page)).toEqual([]);
    await page.context().close();
  });

  it('the logout question (no id_token_hint) has no serious accessibility violations', async () => {
    const page = await newPage();
    await page.goto(`${pv.issuer}/demo/login`);
    await page.getByRole('button', { name: 'Log in as Kari Nordmann' }).or(page.getByRole('button', { name: 'Logg inn som Kari Nordmann' })).click();
    await page.waitForSelector('#id-token-claims');
    await page.goto(`${pv.issuer}/logout`);
    expect(await page.locator('h1').innerText()).toBe('Logg ut');
    expect(await seriousViolations(page)).toEqual([]);
    await page.getByRole('button', { name: 'Logg ut' }).click();
    await page.waitForURL(/\/logout\/success/);
    expect(await page.locator('h1').innerText()).toBe('Du er logget ut');
    await page.context().close();
  });

  it('the error page has no serious accessibility violations', async () => {
    const page = await newPage();
    await page.goto(`${pv.issuer}/authorize?client_id=nobody&response_type=code`);
    expect((await page.locator('h1').innerText()).trim()).toBe('Noe gikk galt');
    expect(await seriousViolations(page)).toEqual([]);
    await page.context().close();
  });

  it('the page for a store that cannot be reached has no serious accessibility violations, in each language', async () => {
    // What Portvakt answers while its database is away (store-outage.postgres.test.ts), at its own
    // address so that its stylesheet applies; this browser test runs on the embedded store.
    for (const locale of LOCALES) {
      const page = await newPage();
      const html = renderErrorPage({ locale, error: 'temporarily_unavailable', description: UNAVAILABLE_DESCRIPTION, reference: '0123456789ab' });
      await page.route(`${pv.issuer}/login/unavailable`, (route) => route.fulfill({ status: 503, contentType: 'text/html; charset=utf-8', body: html }));
      await page.goto(`${pv.issuer}/login/unavailable`);
      expect(await page.locator('html').getAttribute('lang')).toBe(locale);
      expect((await page.locator('h1').innerText()).trim()).toBe(translator(locale)('error.unavailable.title'));
      expect(await seriousViolations(page)).toEqual([]);
      await page.context().close();
    }
  });
});

