// The fullmakt chooser in Chromium, in each language at 320 px: a person logs in as themselves,
// sends the form without choosing (the error is announced and linked to the first choice), chooses
// whom to represent and returns to the service with a code; someone with no relation meets the page
// that says so. Each page has no serious axe violations.
import { describe, expect, it } from 'vitest';
import { hasChromium, portalInChromium, expectAccessible } from '../helpers/chromium.js';
import { testPersons } from '../../src/identity/test-persons.js';

const CALLBACK = 'http://localhost:7777/callback';
const SERVICE = { client_id: 'nav-dagpenger', client_name: 'Dagpenger', client_secret: 'nav-dagpenger-secret-0123456789abcdef', redirect_uris: [CALLBACK] };
const KARI = testPersons.find((p) => p.givenName === 'Kari')!.pid;
const INGRID = testPersons.find((p) => p.givenName === 'Ingrid')!.pid;
const OLA = testPersons.find((p) => p.givenName === 'Ola')!.pid;

const suite = portalInChromium({ clients: [SERVICE] }, testPersons[1]!);

async function fullmaktLogin(lang: string, pid: string) {
  const context = await suite.browser.newContext({ viewport: { width: 320, height: 640 } });
  // The service itself is not running: its callback only has to be reached.
  await context.route(`${CALLBACK}**`, (route) => route.fulfill({ status: 200, contentType: 'text/plain', body: 'Dagpenger' }));
  const page = await context.newPage();
  const query = new URLSearchParams({
    client_id: SERVICE.client_id, response_type: 'code', scope: 'openid profile', redirect_uri: CALLBACK, state: 's', nonce: 'n',
    code_challenge: 'b7elB7ZyxIXgFyvBznKvxl7wOB-H17Pz0a3B62NIMFI', code_challenge_method: 'S256', ui_locales: lang,
    authorization_details: JSON.stringify([{ type: 'idporten:fullmakt', permission_roles: ['arbeid'] }]),
  });
  await page.goto(`${suite.pv.issuer}/authorize?${query}`);
  await page.locator('#pid').fill(pid);
  await page.locator('button[name="action"][value="login"]').click();
  await page.waitForSelector('h1:not(:text("TestID"))');
  return { context, page };
}

describe.skipIf(!hasChromium)('the fullmakt chooser', () => {
  it.each(['nb', 'nn', 'en', 'se'])('in %s: accessible at 320 px; no choice is an error; a choice returns with a code', async (lang) => {
    const { context, page } = await fullmaktLogin(lang, KARI);
    expect(await page.getAttribute('html', 'lang')).toBe(lang);
    expect(await page.locator('.lead').innerText()).toContain('Dagpenger');
    expect(await page.locator('fieldset').innerText()).toContain('Ingrid Bakke');
    await expectAccessible(page);

    await page.locator('button[name="action"][value="represent"]').click();
    await page.waitForSelector('.ds-error-summary');
    await expectAccessible(page);
    await page.locator('.ds-error-summary a').click();
    expect(await page.evaluate(() => document.activeElement?.id)).toBe(`represent-${INGRID}`);

    await page.getByLabel('Ingrid Bakke').check();
    await page.locator('button[name="action"][value="represent"]').click();
    await page.waitForURL(`${CALLBACK}**`);
    expect(new URL(page.url()).searchParams.get('code')).toBeTruthy();
    await context.close();
  });

  it('someone with no relation is told so, accessibly, and goes back to the service with access_denied', async () => {
    const { context, page } = await fullmaktLogin('nb', OLA);
    expect(await page.locator('h1').innerText()).toBe('Du kan ikke representere noen her');
    await expectAccessible(page);
    await page.getByRole('button', { name: 'Tilbake til tjenesten' }).click();
    await page.waitForURL(`${CALLBACK}**`);
    expect(new URL(page.url()).searchParams.get('error')).toBe('access_denied');
    await context.close();
  });

  it('the demo service walks ID-porten\'s journey: logged in as oneself, "represent someone else", the chooser within SSO, back acting for them', async () => {
    const page = await (await suite.browser.newContext()).newPage();
    await page.goto(`${suite.pv.issuer}/demo/login`);
    await page.locator('#pid').fill(KARI);
    await page.locator('button[name="action"][value="login"]').click();
    await page.waitForSelector('#id-token-claims');
    expect(await page.locator('#represents').count()).toBe(0);
    await page.getByLabel('Fullmaktsroller').fill('arbeid');
    await page.getByRole('button', { name: 'Representer noen andre' }).click();
    // Within SSO: no TestID page, straight to the chooser.
    await page.getByLabel('Ingrid Bakke').check();
    await page.locator('button[name="action"][value="represent"]').click();
    await page.waitForSelector('#represents');
    expect(await page.locator('#represents').innerText()).toBe(`Du opptrer på vegne av Ingrid Bakke (${INGRID}).`);
    expect(await page.locator('#id-token-claims').innerText()).toContain('"authorization_details"');
    await expectAccessible(page);
    await page.context().close();
  });
});
