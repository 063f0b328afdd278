// A production request in Chromium, in a production environment where the service desk approves
// new integrations: the organisation's administrator accepts the terms and sends the request, the
// desk approves it, the administrator fetches the secret once. Each page has no serious axe
// violations and reads at 320 px.
import { describe, expect, it } from 'vitest';
import { hasChromium, loggedInToPortal, portalInChromium, expectAccessible } from '../helpers/chromium.js';
import { DEMO_ORGANISATION, DEMO_ADMIN } from '../../src/app.js';
import { testPersons } from '../../src/identity/test-persons.js';

const DESK = testPersons[1]!;
const PRODUCTION = {
  PORTVAKT_ENVIRONMENT: 'prod', PORTVAKT_DEMO: 'true', PORTVAKT_SECRET: 'a-production-root-secret-0123456789abcdef',
  PORTVAKT_TERMS_URL: 'https://operator.example/bruksvilkar', PORTVAKT_INTEGRATION_APPROVAL: 'desk', PORTVAKT_TEST_PORTAL_URL: 'https://test.portvakt.example',
};

const suite = portalInChromium({ env: PRODUCTION }, DESK);

const loggedIn = (person: { givenName: string; familyName: string }) => loggedInToPortal(suite.browser, suite.pv.issuer, person);


describe.skipIf(!hasChromium)('a production request', () => {
  it('is sent by the administrator, approved by the desk, and its secret fetched once', async () => {
    const goLive = new Date(Date.now() + 21 * 86_400_000).toISOString().slice(0, 10);
    const admin = await loggedIn(DEMO_ADMIN);
    await admin.getByRole('link', { name: DEMO_ORGANISATION.name }).click();
    await admin.getByLabel('Jeg har lest bruksvilkårene og kan godta dem på vegne av virksomheten.').check();
    await admin.getByRole('button', { name: 'Godta bruksvilkårene' }).click();
    await admin.getByRole('link', { name: 'Bestill ny integrasjon' }).click();
    expect(await admin.locator('#request-intro').innerText()).toContain('I miljøet prod oppretter brukerstøtte nye integrasjoner etter en bestilling');
    await expectAccessible(admin);

    await admin.getByLabel('Navn på tjenesten').fill('Startlån');
    await admin.getByLabel('Redirect-URI-er').fill('https://startlan.example/callback');
    await admin.getByLabel('client_id i testmiljøet').fill('test-startlan');
    await admin.getByLabel('Ønsket produksjonsdato').fill('2001-01-01');
    await admin.getByLabel('Om tjenesten').fill('Søknad om startlån.');
    await admin.getByRole('button', { name: 'Send bestillingen' }).click();
    // A date in the past: the form comes back with the error beside the field, linked from the summary.
    expect(await admin.locator('#go_live-error').innerText()).toBe('go_live is in the past');
    await expectAccessible(admin);
    await admin.getByRole('link', { name: 'go_live is in the past' }).click();
    expect(await admin.evaluate(() => document.activeElement?.id)).toBe('go_live');
    await admin.getByLabel('Ønsket produksjonsdato').fill(goLive);
    await admin.getByRole('button', { name: 'Send bestillingen' }).click();
    await admin.waitForURL(/\/portal\/requests\/\d+$/);
    expect(await admin.locator('#request-status').innerText()).toBe('Venter på brukerstøtte');
    await expectAccessible(admin);
    const requestUrl = admin.url();

    const desk = await loggedIn(DESK);
    await desk.getByRole('link', { name: 'Brukerstøtte' }).click();
    await desk.getByRole('link', { name: 'Startlån' }).click();
    expect(desk.url()).toBe(requestUrl);
    expect(await desk.getByRole('link', { name: 'Verifikasjonstestene i testmiljøet' }).getAttribute('href')).toBe('https://test.portvakt.example/portal/clients/test-startlan/verification');
    await expectAccessible(desk);
    await desk.getByRole('button', { name: 'Godkjenn og opprett integrasjonen' }).click();
    expect(await desk.locator('#request-status').innerText()).toBe('Godkjent');
    await expectAccessible(desk);
    await desk.context().close();

    await admin.reload();
    expect(await admin.locator('#request-status').innerText()).toBe('Godkjent');
    await admin.getByRole('button', { name: 'Hent klienthemmeligheten' }).click();
    const secret = await admin.locator('#client-secret').innerText();
    expect(secret).toMatch(/^[\w-]{43}$/);
    await expectAccessible(admin);
    await admin.goto(requestUrl);
    expect(await admin.locator('#credentials-delivered').innerText()).toContain('Klienthemmeligheten ble hentet');
    // The start page lists the organisation's requests too.
    await admin.goto(`${suite.pv.issuer}/portal`);
    expect(await admin.locator('section[aria-labelledby="requests-title"]').innerText()).toContain('Godkjent');
    await expectAccessible(admin);
    await admin.context().close();
  });
});
