// The person's overview (/brukerprofil, ID-porten's brukerprofil): after logging in to a service,
// the person sees it there with what it may do, withdraws it, and the service's refresh token stops
// working. Forms need the session's CSRF token; someone else's authorization cannot be withdrawn.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as oidc from 'openid-client';
import { startPortvakt, type TestPortvakt } from './helpers/portvakt.js';
import { CookieBrowser, formField, type Hop } from './helpers/browser.js';
import { REDIRECT } from './helpers/clients.js';
import { syntheticPid } from '../src/identity/pid.js';

const SECRET = 'profile-client-secret-0123456789abcdef';
const CONSENT_SCOPE = 'skatt:inntekt';
const insecure = { execute: [oidc.allowInsecureRequests] };
const scopes = [{ name: CONSENT_SCOPE, description: 'Se inntekten din', owner_orgno: '991825827', accessible_for_all: true, requires_user_consent: true }];
const clients = [{
  client_id: 'skatte-app', client_name: 'Skatteappen', client_orgno: '974760673', integration_type: 'api_klient', client_secret: SECRET, token_endpoint_auth_method: 'client_secret_basic',
  redirect_uris: [REDIRECT], grant_types: ['authorization_code', 'refresh_token'], scopes: ['openid', 'profile', CONSENT_SCOPE],
}];

let pv: TestPortvakt;
let config: oidc.Configuration;
let born = 0;
const newPerson = () => syntheticPid({ year: 1985, month: 6, day: 1 + born++ });

beforeAll(async () => {
  pv = await startPortvakt({ clients, scopes });
  config = await oidc.discovery(new URL(pv.issuer), 'skatte-app', SECRET, oidc.ClientSecretBasic(SECRET), insecure);
});
afterAll(async () => pv?.close());

const atCallback = (url: string) => url.startsWith(REDIRECT);
const profile = () => `${pv.issuer}/brukerprofil`;

/** The person logs in to the app in `browser` (TestID page, then consent) and the app redeems the code. */
async function logInToApp(browser: CookieBrowser, pid: string) {
  const verifier = oidc.randomPKCECodeVerifier();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT, scope: `openid profile ${CONSENT_SCOPE}`, state: 's', nonce: 'n',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
  });
  const page = await browser.follow(url.href, atCallback);
  const submitted = await browser.post(page.action!, { csrf: formField(page.body, 'csrf')!, pid, acr: 'idporten-loa-substantial', action: 'login' });
  const consent = await browser.follow(submitted.location!, atCallback);
  const approved = await browser.follow((await browser.post(consent.action!, { csrf: formField(consent.body, 'csrf')!, action: 'consent' })).location!, atCallback);
  return oidc.authorizationCodeGrant(config, new URL(approved.location!), { pkceCodeVerifier: verifier, expectedState: 's', expectedNonce: 'n' });
}

/** Opens the overview in `browser`, logging in (by SSO, since the browser is logged in already). */
async function openProfile(browser: CookieBrowser): Promise<Hop> {
  const login = await browser.follow(`${profile()}/login`);
  expect(login.status).toBe(200);
  return login;
}

describe('the person\'s overview', () => {
  it('without a login: says what it is and offers to log in, in the language asked for', async () => {
    const page = await new CookieBrowser().follow(`${profile()}?lang=en`);
    expect(page.status).toBe(200);
    expect(page.body).toContain('<html lang="en"');
    expect(page.body).toContain('<h1>Your logins and authorizations</h1>');
    expect(page.body).toContain('href="/brukerprofil/login?lang=en"');
  });

  it('lists the services the person logged in to, and withdrawing one ends its tokens — the person\'s, not another\'s', async () => {
    const someone = new CookieBrowser();
    const theirs = await logInToApp(someone, newPerson());

    const browser = new CookieBrowser();
    const pid = newPerson();
    const first = await logInToApp(browser, pid);
    const second = await logInToApp(new CookieBrowser(), pid); // another login, from another browser
    const page = await openProfile(browser);
    expect(page.body).toContain('<h1>Dine innlogginger og tilganger</h1>');
    expect(page.body).toContain(`Logget inn som ${pid}`);
    expect(page.body).toContain('<h2 id="service-0">Skatteappen</h2>');
    expect(page.body).not.toContain('id="service-1"'); // one service, however many logins
    expect(page.body).toContain('(2 innlogginger)');
    expect(page.body).toContain('974760673');
    expect(page.body).toContain(`Se inntekten din <code>${CONSENT_SCOPE}</code><span class="ds-tag" data-color="info">samtykke</span>`);
    expect(page.body).toContain('innlogging <code>openid</code>');
    expect(page.body).not.toContain('Portvakt brukerprofil'); // its own login is not listed

    const withdrawn = await browser.post(`${profile()}/withdraw`, { csrf: formField(page.body, 'csrf')!, service: formField(page.body, 'service')! });
    expect(withdrawn.status).toBe(303);
    const after = await browser.follow(withdrawn.location!);
    expect(after.body).toContain('Tilgangen er trukket tilbake.');
    expect(after.body).toContain('Du har ingen aktive tilganger.');
    for (const app of [first, second]) await expect(oidc.refreshTokenGrant(config, app.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    expect((await oidc.refreshTokenGrant(config, theirs.refresh_token!)).access_token).toBeTruthy();
  });

  it('a form without the session\'s CSRF token changes nothing; a service the person has not used is not found', async () => {
    const browser = new CookieBrowser();
    const app = await logInToApp(browser, newPerson());
    const page = await openProfile(browser);
    const forged = await browser.post(`${profile()}/withdraw`, { csrf: 'forged', service: 'skatte-app' });
    expect(forged.status).toBe(403);
    expect(forged.body).toContain('Siden var for gammel, så ingenting ble endret.');
    expect(forged.body).toContain('<h2 id="service-0">Skatteappen</h2>');
    for (const junk of ['', 'portvakt-demo', 'portvakt-brukerprofil', '../..', 'a'.repeat(3000)]) {
      const answer = await browser.post(`${profile()}/withdraw`, { csrf: formField(page.body, 'csrf')!, service: junk });
      expect(answer.status).toBe(404);
      expect(answer.body).toContain('Fant ikke tilgangen.');
    }
    expect((await oidc.refreshTokenGrant(config, app.refresh_token!)).access_token).toBeTruthy();
  });

  it('logging out ends the overview\'s session and the login at the provider', async () => {
    const browser = new CookieBrowser();
    await logInToApp(browser, newPerson());
    const page = await openProfile(browser);
    const out = await browser.post(`${profile()}/logout`, { csrf: formField(page.body, 'csrf')! });
    expect(out.status).toBe(303);
    expect(new URL(out.location!).pathname).toBe('/logout');
    expect(new URL(out.location!).searchParams.get('post_logout_redirect_uri')).toBe(profile());
    expect((await browser.follow(profile())).body).toContain('Logg inn for å se dem');
    expect((await browser.post(`${profile()}/withdraw`, { csrf: 'x', service: 'skatte-app' })).status).toBe(303); // signed out: back to the start
  });
});
