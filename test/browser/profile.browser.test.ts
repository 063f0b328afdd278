// The person's overview (/brukerprofil) in Chromium, in each language at 320 px: the page before
// logging in (in the language chosen before it), the list after a login to the demo service, and
// the notice after withdrawing it — each without serious axe violations.
import { describe, expect, it } from 'vitest';
import { hasChromium, portalInChromium, expectAccessible } from '../helpers/chromium.js';
import { testPersons } from '../../src/identity/test-persons.js';

const suite = portalInChromium({}, testPersons[1]!);

describe.skipIf(!hasChromium)('the person\'s overview', () => {
  it.each(['nb', 'nn', 'en', 'se'])('in %s: accessible at 320 px, before and after logging in and after withdrawing', async (lang) => {
    const context = await suite.browser.newContext({ viewport: { width: 320, height: 640 } });
    const page = await context.newPage();
    const issuer = suite.pv.issuer;
    // A login to the demo service, then the overview (its own login is by SSO).
    await page.goto(`${issuer}/demo/login?lang=${lang}`);
    await page.locator('#pid').fill(testPersons[6]!.pid);
    await page.locator('button[name="action"][value="login"]').click();
    await page.waitForSelector('#id-token-claims');

    await page.locator('#profile-link').click(); // the demo service links to the overview
    await page.waitForURL(`${issuer}/brukerprofil**`);
    expect(await page.getAttribute('html', 'lang')).toBe(lang);
    await expectAccessible(page);
    await page.locator('main a.ds-button').click();
    await page.waitForSelector('#service-0');
    expect(await page.getAttribute('html', 'lang')).toBe(lang); // the language chosen before the login
    expect(await page.locator('#service-0').innerText()).toBe('Portvakt demo');
    await expectAccessible(page);

    await page.locator('form[action="/brukerprofil/withdraw"] button').first().click();
    await page.waitForSelector('#notice');
    expect(await page.locator('#no-authorizations').isVisible()).toBe(true);
    await expectAccessible(page);
    await context.close();
  });
});
