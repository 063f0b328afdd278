// API scopes in the portal, in Chromium: the service desk gives an organisation a prefix on its
// page, the organisation's administrator registers a scope, meets a rule it broke beside the field,
// gives another organisation access and takes it back; and a person meets a scope's consent page
// after logging in. Each page has no serious axe violations and reads at 320 px.
import { describe, expect, it } from 'vitest';
import { hasChromium, loggedInToPortal, portalInChromium, expectAccessible } from '../helpers/chromium.js';
import { DEMO_ORGANISATION, DEMO_ADMIN } from '../../src/app.js';
import { testPersons } from '../../src/identity/test-persons.js';

const DESK = testPersons[1]!;
const CONSUMER = '974760673';
const CALLBACK = 'http://localhost:7777/callback';
const CONSENT_CLIENT = {
  client_id: 'skatt-service', client_name: 'Skattehjelpen', integration_type: 'api_klient', client_secret: 'skatt-service-secret-0123456789abcdef',
  redirect_uris: [CALLBACK], scopes: ['openid', 'profile', 'skatt:melding.read'],
};
const CONSENT_SCOPE = { name: 'skatt:melding.read', description: 'Se skattemeldingen din', long_description: 'Tjenesten leser skattemeldingen for inntektsåret.', accessible_for_all: true, requires_user_consent: true };

const suite = portalInChromium({ clients: [CONSENT_CLIENT], scopes: [CONSENT_SCOPE] }, DESK);


describe.skipIf(!hasChromium)('API scopes in the portal', () => {
  it('the desk gives a prefix; the administrator registers a scope, fixes what was wrong, gives access and takes it back', async () => {
    const desk = await loggedInToPortal(suite.browser, suite.pv.issuer, DESK);
    await desk.goto(`${suite.pv.issuer}/portal/orgs/${DEMO_ORGANISATION.orgno}`);
    await desk.getByLabel('Gi virksomheten et prefiks').fill('demo');
    await desk.getByRole('button', { name: 'Gi prefiks' }).click();
    expect(await desk.locator('#prefixes').innerText()).toContain('demo:');
    await expectAccessible(desk);
    // The desk's page lists every prefix given, and to whom.
    await desk.goto(`${suite.pv.issuer}/portal/desk`);
    expect(await desk.locator('#prefix-table').innerText()).toMatch(new RegExp(`demo:\\s+${DEMO_ORGANISATION.orgno}`));
    await expectAccessible(desk);

    const admin = await loggedInToPortal(suite.browser, suite.pv.issuer, DEMO_ADMIN);
    await admin.getByRole('link', { name: DEMO_ORGANISATION.name }).click();
    await admin.getByRole('link', { name: 'Registrer API-scope' }).click();
    await expectAccessible(admin);
    await admin.getByLabel('Underscope').fill('søknad read');
    await admin.getByLabel('Beskrivelse', { exact: true }).fill('Les søknader');
    await admin.getByRole('button', { name: 'Opprett' }).click();
    // Not a subscope: the form comes back with the error beside the field, linked from the summary.
    expect(await admin.locator('#subscope-error').innerText()).toContain('must be 1 to 200 characters');
    await expectAccessible(admin);
    await admin.locator('.ds-alert a').click();
    expect(await admin.evaluate(() => document.activeElement?.id)).toBe('subscope');

    await admin.getByLabel('Underscope').fill('soknad.read');
    await admin.getByLabel('Kan introspektere tokens (client_id)').fill('demo-api');
    await admin.getByLabel('Pseudonyme tokens').check();
    await admin.getByRole('button', { name: 'Opprett' }).click();
    expect(await admin.locator('h1').innerText()).toBe('demo:soknad.read');
    expect(await suite.pv.portvakt.apiScopes.find('demo:soknad.read')).toMatchObject({
      owner_orgno: DEMO_ORGANISATION.orgno, enforced_aud_for_introspection: ['demo-api'], requires_pseudonymous_tokens: true, token_type: 'SELF_CONTAINED', active: true,
    });
    expect(await admin.getByLabel('Pseudonyme tokens').isChecked()).toBe(true);
    await expectAccessible(admin);

    await admin.getByLabel('Gi tilgang til organisasjonsnummer').fill(CONSUMER);
    await admin.getByRole('button', { name: 'Gi tilgang', exact: true }).click();
    expect(await admin.getByRole('button', { name: `Fjern tilgangen for ${CONSUMER}` }).count()).toBe(1);
    expect((await suite.pv.portvakt.apiScopes.accessOf(CONSUMER)).map((entry) => entry.scope)).toEqual(['demo:soknad.read']);
    await expectAccessible(admin);

    await admin.getByRole('button', { name: `Fjern tilgangen for ${CONSUMER}` }).click();
    expect(await suite.pv.portvakt.apiScopes.accessOf(CONSUMER)).toEqual([]);
    await admin.getByLabel('Aktivt').uncheck();
    await admin.getByRole('button', { name: 'Lagre' }).click();
    expect((await suite.pv.portvakt.apiScopes.find('demo:soknad.read'))?.active).toBe(false);

    await admin.goto(`${suite.pv.issuer}/portal/orgs/${DEMO_ORGANISATION.orgno}`);
    expect(await admin.locator('#scope-table').innerText()).toContain('demo:soknad.read');
    await expectAccessible(admin);
  });

  it.each(['nb', 'nn', 'en', 'se'])('the consent page in %s, after the login: accessible, readable at 320 px; yes returns with a code', async (lang) => {
    const context = await suite.browser.newContext({ viewport: { width: 320, height: 640 } });
    // The service itself is not running: its callback only has to be reached.
    await context.route(`${CALLBACK}**`, (route) => route.fulfill({ status: 200, contentType: 'text/plain', body: 'Skattehjelpen' }));
    const page = await context.newPage();
    const query = new URLSearchParams({
      client_id: CONSENT_CLIENT.client_id, response_type: 'code', scope: 'openid skatt:melding.read', redirect_uri: CALLBACK, state: 's', nonce: 'n',
      code_challenge: 'b7elB7ZyxIXgFyvBznKvxl7wOB-H17Pz0a3B62NIMFI', code_challenge_method: 'S256', ui_locales: lang,
    });
    await page.goto(`${suite.pv.issuer}/authorize?${query}`);
    await page.locator('#pid').fill('28876895937');
    await page.locator('button[name="action"][value="login"]').click();
    await page.waitForSelector('.consent-scopes');
    expect(await page.getAttribute('html', 'lang')).toBe(lang);
    expect(await page.locator('.consent-scopes').innerText()).toContain('Se skattemeldingen din');
    expect(await page.locator('.lead').innerText()).toContain('Skattehjelpen');
    await expectAccessible(page);
    await page.locator('button[name="action"][value="consent"]').click();
    await page.waitForURL(`${CALLBACK}**`);
    expect(new URL(page.url()).searchParams.get('code')).toBeTruthy();
    await context.close();
  });
});
