// The self-service portal as an administrator meets it in Chromium: log in through Portvakt,
// create an integration, copy the secret once, edit, deactivate; the service desk finds it; a
// person without a role sees nothing; axe-core finds no serious violations.
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import crypto from 'node:crypto';
import * as oidc from 'openid-client';
import { SignJWT } from 'jose';
import { hasChromium, loggedInToPortal, narrowScreenProblems, seriousViolations, portalInChromium } from '../helpers/chromium.js';
import { PKCE, redeemCode } from '../helpers/headless.js';
import { DEMO_ORGANISATION, DEMO_ADMIN } from '../../src/app.js';
import { testPersons } from '../../src/identity/test-persons.js';

const DESK = testPersons[1]!; // Ola Nordmann, made service desk below
const NOBODY = testPersons[2]!; // Aisha Haugen, no role at all

const suite = portalInChromium({ env: { PORTVAKT_TERMS_URL: 'https://operator.example/bruksvilkar' } }, DESK);

const loggedIn = (person: { givenName: string; familyName: string }) => loggedInToPortal(suite.browser, suite.pv.issuer, person);

/** Pastes a key into an integration's page, as its administrator does. */
async function addKey(page: Page, kid: string, pem: string) {
  await page.getByLabel('Nøkkel-ID (kid)').fill(kid);
  await page.getByLabel('Offentlig nøkkel').fill(pem);
  await page.getByRole('button', { name: 'Legg til nøkkel' }).click();
}

async function headlessLogin(clientId: string, secret: string) {
  const query = new URLSearchParams({ client_id: clientId, response_type: 'code', scope: 'openid profile', redirect_uri: 'http://localhost:3000/cb', state: 's', nonce: 'n', code_challenge: PKCE.challenge, code_challenge_method: 'S256', login_hint: `testid:28876895937_idporten-loa-substantial` });
  const location = (await fetch(`${suite.pv.issuer}/authorize?${query}`, { redirect: 'manual' })).headers.get('location') ?? '';
  const code = new URL(location, suite.pv.issuer).searchParams.get('code');
  if (!code) return 0;
  return (await redeemCode(suite.pv.issuer, { client_id: clientId, secret, code, redirect_uri: 'http://localhost:3000/cb' })).status;
}

describe.skipIf(!hasChromium)('self-service portal', () => {
  it('the start page, logged out, has no serious accessibility violations (its log-in link is a button)', async () => {
    const page = await (await suite.browser.newContext()).newPage();
    await page.goto(`${suite.pv.issuer}/portal`);
    expect(await seriousViolations(page)).toEqual([]);
    await page.context().close();
  });

  it('an administrator creates an integration, copies the secret once, edits and deactivates it', async () => {
    const page = await loggedIn(DEMO_ADMIN);
    expect(await page.locator('main').innerText()).toContain(`Logget inn som ${DEMO_ADMIN.pid}`);
    expect(await seriousViolations(page)).toEqual([]);
    await page.getByRole('link', { name: DEMO_ORGANISATION.name }).click();
    // The operator's terms of use: read, ticked and accepted on the organisation's page.
    expect(await seriousViolations(page)).toEqual([]);
    await page.getByLabel('Jeg har lest bruksvilkårene og kan godta dem på vegne av virksomheten.').check();
    await page.getByRole('button', { name: 'Godta bruksvilkårene' }).click();
    expect(await page.locator('#terms-status').innerText()).toContain('Virksomheten godtok denne versjonen');
    expect(await seriousViolations(page)).toEqual([]);
    await page.getByRole('link', { name: 'Ny integrasjon' }).click();
    expect(await seriousViolations(page)).toEqual([]);

    await page.getByLabel('Navn på tjenesten').fill('Min tjeneste');
    await page.getByLabel('Redirect-URI-er').fill('http://localhost:3000/cb#fragment');
    await page.getByRole('button', { name: 'Opprett' }).click();
    expect(await page.getByRole('alert').innerText()).toContain('inneholder et fragment (#)'); // in the person's language
    expect(await page.getAttribute('#redirect_uris', 'aria-invalid')).toBe('true');
    expect(await seriousViolations(page)).toEqual([]);

    await page.getByLabel('Redirect-URI-er').fill('http://localhost:3000/cb');
    await page.getByRole('button', { name: 'Opprett' }).click();
    const clientId = await page.locator('#client-id').innerText();
    const secret = await page.locator('#client-secret').innerText();
    expect(secret.length).toBeGreaterThan(30);
    expect(await seriousViolations(page)).toEqual([]);
    expect(await headlessLogin(clientId, secret)).toBe(200); // works at once

    await page.goto(`${suite.pv.issuer}/portal/clients/${clientId}`);
    expect(await page.locator('main').innerText()).not.toContain(secret); // shown once only
    // What the provider answered the integration: its login, then its token call.
    const events = page.getByRole('region', { name: 'Siste hendelser' });
    expect((await events.locator('tbody tr').allInnerTexts()).map((row) => row.split('\t').slice(1, 3).join(' '))).toEqual(['token OK', 'authorize OK']);
    expect(await seriousViolations(page)).toEqual([]);
    await page.getByRole('link', { name: 'Bare feil' }).click();
    expect(await page.locator('#events tbody tr').count()).toBe(0); // no failures: no table,
    expect(await page.locator('section[aria-labelledby="events-title"]').innerText()).toContain('Ingen feil blant de siste hendelsene.'); // but a sentence
    expect(await seriousViolations(page)).toEqual([]);
    await page.getByRole('link', { name: 'Alle', exact: true }).click();
    await page.getByLabel('Navn på tjenesten').fill('Nytt navn');
    await page.getByRole('button', { name: 'Lagre' }).click();
    expect(await page.locator('h1').innerText()).toContain('Nytt navn');

    await page.getByRole('button', { name: 'Deaktiver' }).click();
    expect(await page.locator('main').innerText()).toContain('deaktivert');
    expect(await headlessLogin(clientId, secret)).toBe(0); // a deactivated integration logs no one in
    const entries = await suite.pv.portvakt.audit.list({ clientId });
    expect(entries.map((e) => e.action)).toEqual(['client.update', 'client.update', 'client.create']);
    expect(entries[0]!.actor).toMatchObject({ kind: 'person', id: DEMO_ADMIN.pid });
    await page.context().close();
  });

  it('keys: an integration with private_key_jwt is made first, then takes a PEM key, and logs in with it', async () => {
    const page = await loggedIn(DEMO_ADMIN);
    await page.goto(`${suite.pv.issuer}/portal/orgs/${DEMO_ORGANISATION.orgno}/new`);
    await page.getByLabel('Navn på tjenesten').fill('Nøkkeltjeneste');
    await page.getByLabel('Klientautentisering').selectOption('private_key_jwt');
    await page.getByLabel('Redirect-URI-er').fill('http://localhost:3000/cb');
    await page.getByRole('button', { name: 'Opprett' }).click();
    expect(await page.locator('h2#keys-title').innerText()).toBe('Nøkler');
    const clientId = await page.locator('#client-id').innerText();

    // Without keys the integration cannot authenticate, and the provider says so calmly.
    const noKeys = await fetch(`${suite.pv.issuer}/authorize?client_id=${clientId}&response_type=code&scope=openid&redirect_uri=${encodeURIComponent('http://localhost:3000/cb')}&state=s&nonce=n&code_challenge=${PKCE.challenge}&code_challenge_method=S256&login_hint=testid:28876895937_idporten-loa-substantial`, { redirect: 'manual' });
    expect(noKeys.status).toBeLessThan(500);

    const { publicKey, privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
    await addKey(page, 'min-nokkel', privateKey.export({ format: 'pem', type: 'pkcs8' }) as string);
    expect(await page.getByRole('alert').innerText()).toContain('private key');
    expect(await seriousViolations(page)).toEqual([]);
    await addKey(page, 'min-nokkel', publicKey.export({ format: 'pem', type: 'spki' }) as string);
    expect(await page.locator('section[aria-labelledby="keys-title"]').innerText()).toContain('min-nokkel');

    const signingKey = await globalThis.crypto.subtle.importKey('pkcs8', privateKey.export({ format: 'der', type: 'pkcs8' }), { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, false, ['sign']);
    const config = await oidc.discovery(new URL(suite.pv.issuer), clientId, {}, oidc.PrivateKeyJwt({ key: signingKey, kid: 'min-nokkel' }), { execute: [oidc.allowInsecureRequests] });
    const url = oidc.buildAuthorizationUrl(config, { redirect_uri: 'http://localhost:3000/cb', scope: 'openid profile', state: 's', nonce: 'n', code_challenge: PKCE.challenge, code_challenge_method: 'S256', login_hint: 'testid:28876895937_idporten-loa-substantial' });
    const callback = new URL((await fetch(url, { redirect: 'manual' })).headers.get('location')!);
    const tokens = await oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: PKCE.verifier, expectedState: 's', expectedNonce: 'n' });
    expect(tokens.claims()!.pid).toBe('28876895937');
    await page.context().close();
  });

  it('an API client (Maskinporten): made with its scopes, given a key, gets a token with a JWT grant and uses the self-service API', async () => {
    const page = await loggedIn(DEMO_ADMIN);
    await page.goto(`${suite.pv.issuer}/portal/orgs/${DEMO_ORGANISATION.orgno}`);
    await page.getByRole('link', { name: 'Ny API-klient (Maskinporten)' }).click();
    // A machine client's form: its name and its access, none of a login's fields.
    expect(await page.getByLabel('Redirect-URI-er').count()).toBe(0);
    expect(await page.locator('#machine-intro').innerText()).toContain(`${suite.pv.issuer}/token`);
    expect(await seriousViolations(page)).toEqual([]);
    await page.getByLabel('Navn på tjenesten').fill('Integrasjonsrobot');
    await page.getByLabel('idporten:dcr.read').check();
    await page.getByLabel('idporten:dcr.write').check();
    await page.getByRole('button', { name: 'Opprett' }).click();
    const clientId = await page.locator('#client-id').innerText();

    const { publicKey, privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
    await addKey(page, 'robot-1', publicKey.export({ format: 'pem', type: 'spki' }) as string);
    expect(await page.locator('section[aria-labelledby="keys-title"]').innerText()).toContain('robot-1');
    expect(await seriousViolations(page)).toEqual([]);

    // The client, as a tool built for Maskinporten: one signed JWT, no client_id.
    const now = Math.floor(Date.now() / 1000);
    const assertion = await new SignJWT({ aud: suite.pv.issuer, iss: clientId, scope: 'idporten:dcr.read idporten:dcr.write', iat: now, exp: now + 60, jti: crypto.randomUUID() })
      .setProtectedHeader({ alg: 'RS256', kid: 'robot-1' }).sign(privateKey);
    const token = await fetch(`${suite.pv.issuer}/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion }) });
    expect(token.status).toBe(200);
    const { access_token } = (await token.json()) as { access_token: string };
    const created = await fetch(`${suite.pv.issuer}/api/v1/clients`, { method: 'POST', headers: { authorization: `Bearer ${access_token}`, 'content-type': 'application/json' }, body: JSON.stringify({ client_name: 'Laget av roboten', redirect_uris: ['http://localhost:3000/cb'] }) });
    expect(created.status).toBe(201);

    // Its page shows its access, which the administrator can narrow; the grant stays the JWT grant.
    await page.reload();
    expect(await page.getByLabel('idporten:dcr.write').isChecked()).toBe(true);
    await page.getByLabel('idporten:dcr.write').uncheck();
    await page.getByRole('button', { name: 'Lagre' }).click();
    expect(await page.getByLabel('idporten:dcr.write').isChecked()).toBe(false);
    expect(await suite.pv.portvakt.integrations.get('all', clientId)).toMatchObject({ scopes: ['idporten:dcr.read'], grant_types: ['urn:ietf:params:oauth:grant-type:jwt-bearer'], integration_type: 'maskinporten' });
    await page.context().close();
  });

  it('customers (onbehalfof): the administrator adds one on the integration\'s page, and a login for it names the customer', async () => {
    const { integration } = await suite.pv.portvakt.integrations.create('all', DEMO_ORGANISATION.orgno, { client_name: 'Leverandørtjeneste', redirect_uris: ['http://localhost:3000/cb'] }, { kind: 'cli', id: 'test' });
    const page = await loggedIn(DEMO_ADMIN);
    await page.goto(`${suite.pv.issuer}/portal/clients/${integration.client_id}`);
    await page.getByLabel('Verdi (onbehalfof)').fill('kommune-c');
    await page.getByLabel('Kundens navn').fill('Kommune C');
    await page.getByRole('button', { name: 'Legg til kunde' }).click();
    expect(await page.locator('section[aria-labelledby="onbehalfof-title"]').innerText()).toContain('kommune-c – Kommune C');
    expect(await seriousViolations(page)).toEqual([]);

    const login = await (await suite.browser.newContext()).newPage();
    await login.goto(`${suite.pv.issuer}/authorize?${new URLSearchParams({ client_id: integration.client_id, response_type: 'code', scope: 'openid profile', redirect_uri: 'http://localhost:3000/cb', state: 's', nonce: 'n', code_challenge: PKCE.challenge, code_challenge_method: 'S256', onbehalfof: 'kommune-c' })}`);
    expect(await login.locator('main').innerText()).toContain('Du logger inn på Kommune C');
    await login.context().close();
    await page.context().close();
  });

  it('a person without a role sees no organisation and cannot open one', async () => {
    const page = await loggedIn(NOBODY);
    expect(await page.locator('main').innerText()).toContain('ikke tilgang til noen virksomhet');
    const response = await page.goto(`${suite.pv.issuer}/portal/orgs/${DEMO_ORGANISATION.orgno}`);
    expect(response!.status()).toBe(404);
    // A page in the person's language that says what happened and leads back, not a bare text.
    expect(await page.getByRole('heading', { level: 1 }).innerText()).toBe('Dette gikk ikke');
    expect(await page.locator('main').innerText()).toContain('Vi fant ikke det du ba om');
    expect(await seriousViolations(page)).toEqual([]);
    await page.getByRole('link', { name: 'Dine virksomheter' }).click();
    await page.waitForURL(`${suite.pv.issuer}/portal`);
    await page.context().close();
  });

  it('a form posted without the session\'s CSRF token is refused', async () => {
    const page = await loggedIn(DEMO_ADMIN);
    // Another site's form would carry the person's cookie but not the token of the session.
    const cookie = (await page.context().cookies()).map((c) => `${c.name}=${c.value}`).join('; ');
    const form = { 'content-type': 'application/x-www-form-urlencoded', cookie };
    const url = `${suite.pv.issuer}/portal/orgs/${DEMO_ORGANISATION.orgno}/new`;
    const forged = await fetch(url, { method: 'POST', headers: form, body: 'client_name=x&redirect_uris=http%3A%2F%2Flocalhost%2Fcb', redirect: 'manual' });
    expect(forged.status).toBe(403);
    expect(await forged.text()).toContain('Skjemaet var utløpt eller kom fra et annet nettsted');
    expect((await suite.pv.portvakt.integrations.list('all', { orgno: DEMO_ORGANISATION.orgno })).map((i) => i.client_name)).not.toContain('x');
    await page.context().close();
  });

  it('support: an administrator asks about an integration, the desk answers, each page accessible and readable at 320 px', async () => {
    const created = await suite.pv.portvakt.integrations.create('all', DEMO_ORGANISATION.orgno, { client_name: 'Tjeneste som trenger hjelp', redirect_uris: ['http://localhost:3000/cb'] }, { kind: 'cli', id: 'test' });
    const page = await loggedIn(DEMO_ADMIN);
    await page.goto(`${suite.pv.issuer}/portal/clients/${created.integration.client_id}`);
    await page.getByRole('link', { name: 'Kontakt brukerstøtte' }).click();
    expect(await page.locator('#support-about').innerText()).toContain(created.integration.client_id);
    await page.getByRole('button', { name: 'Send til brukerstøtte' }).click(); // empty: the browser asks for the subject first
    expect(page.url()).toContain('/portal/support/new');
    expect(await seriousViolations(page)).toEqual([]);
    await page.getByLabel('Emne').fill('Innloggingen feiler');
    await page.getByLabel('Beskrivelse').fill('Vi får feilsiden med referanse 0123456789ab.');
    await page.getByRole('button', { name: 'Send til brukerstøtte' }).click();
    await page.waitForURL(/\/portal\/support\/\d+$/);
    expect(await page.locator('#support-status').innerText()).toBe('Venter på brukerstøtte');
    expect(await seriousViolations(page)).toEqual([]);
    const requestUrl = page.url();
    await page.context().close();

    const desk = await loggedIn(DESK);
    await desk.getByRole('link', { name: 'Brukerstøtte' }).click();
    await desk.getByRole('link', { name: 'Innloggingen feiler' }).click();
    expect(desk.url()).toBe(requestUrl);
    await desk.getByLabel('Svar').fill('Feilreferansen viser en redirect_uri som ikke er registrert.');
    await desk.getByRole('button', { name: 'Send svaret' }).click();
    expect(await desk.locator('#support-status').innerText()).toBe('Besvart');
    expect(await seriousViolations(desk)).toEqual([]);
    expect(await narrowScreenProblems(desk)).toEqual([]);
    await desk.context().close();
  });

  it('the service desk finds any integration and reads the change log', async () => {
    const created = await suite.pv.portvakt.integrations.create('all', DEMO_ORGANISATION.orgno, { client_name: 'Søkbar tjeneste', redirect_uris: ['http://localhost:3000/cb'] }, { kind: 'cli', id: 'test' });
    // Its client sends a wrong secret: the desk's list of integrations failing lately shows it.
    await fetch(`${suite.pv.issuer}/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${created.integration.client_id}:wrong`).toString('base64')}` }, body: 'grant_type=authorization_code&code=x' });
    const page = await loggedIn(DESK);
    await page.getByRole('link', { name: 'Brukerstøtte' }).click();
    expect(await page.locator('#failing').innerText()).toContain(created.integration.client_id);
    await page.getByLabel('Søk etter client_id, organisasjonsnummer, navn eller feilreferanse').fill('søkbar');
    await page.getByRole('button', { name: 'Søk' }).click();
    expect(await page.locator('main').innerText()).toContain(created.integration.client_id);
    expect(await page.locator('main').innerText()).toContain('client.create');
    expect(await seriousViolations(page)).toEqual([]);
    // A person quotes the reference from an error page; the desk finds what it was.
    const query = new URLSearchParams({ client_id: created.integration.client_id, response_type: 'code', scope: 'openid', redirect_uri: 'http://localhost:3000/wrong', state: 's', nonce: 'n', code_challenge: PKCE.challenge, code_challenge_method: 'S256' });
    const reference = /<code class="reference">([0-9a-f]{12})<\/code>/.exec(await (await fetch(`${suite.pv.issuer}/authorize?${query}`)).text())![1]!;
    await page.getByLabel('Søk etter client_id, organisasjonsnummer, navn eller feilreferanse').fill(reference);
    await page.getByRole('button', { name: 'Søk' }).click();
    expect(await page.locator('#reference').innerText()).toContain('invalid_redirect_uri');
    expect(await seriousViolations(page)).toEqual([]);
    // On a 320 px screen the page reflows; only the tables scroll, each by itself (WCAG 1.4.10).
    expect(await narrowScreenProblems(page)).toEqual([]);
    await page.context().close();
  });
});
