// ID-porten's verification tests (profile §9.3), as Portvakt sees them done: real logins, SSO and
// logouts over HTTP between two services, then each service's report.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportJWK, generateKeyPair } from 'jose';
import { freePort, startPortvakt, type TestPortvakt } from './helpers/portvakt.js';
import { CookieBrowser, formField, loginWithTestId } from './helpers/browser.js';
import { PKCE } from './helpers/headless.js';
import { portalLogin } from './helpers/portal.js';
import { DEMO_ADMIN } from '../src/app.js';
import type { VerificationReport } from '../src/onboarding/verification-tests.js';

const SECRET = 'verification-test-secret-0123456789';
const HIGH = 'idporten-loa-high';

let pv: TestPortvakt;
let rp: string; // the services' callbacks: nothing listens there, the tests read the redirects
const cb = (client: string) => `${rp}/${client}/callback`;

beforeAll(async () => {
  rp = `http://127.0.0.1:${await freePort()}`;
  const web = (id: string, extra: Record<string, unknown> = {}) => ({
    client_id: id, client_name: id, client_secret: SECRET, redirect_uris: [cb(id)], post_logout_redirect_uris: [`${rp}/${id}/logged-out`],
    frontchannel_logout_uri: `${rp}/${id}/frontchannel`, ...extra,
  });
  pv = await startPortvakt({
    env: { PORTVAKT_PRODUCTION_PORTAL_URL: 'https://prod.portvakt.example/' },
    clients: [
      web('own', { onbehalfof: [{ onbehalfof: 'kunde', name: 'Kunde AS' }] }),
      web('other'),
      web('no-frontchannel', { frontchannel_logout_uri: undefined }),
      web('fresh', { client_orgno: '312000008' }), // the demo organisation's, to see its page in the portal
      { client_id: 'machine', client_orgno: '312000008', integration_type: 'maskinporten', token_endpoint_auth_method: 'private_key_jwt', scopes: ['idporten:dcr.read'], jwks: { keys: [{ ...(await exportJWK((await generateKeyPair('RS256')).publicKey)), kid: 'k1' }] } },
    ],
  });
});
afterAll(async () => {
  await pv?.close();
});

function authorizeUrl(client: string, params: Record<string, string> = {}) {
  const query = new URLSearchParams({
    client_id: client, response_type: 'code', scope: 'openid profile', redirect_uri: cb(client), state: 'state', nonce: 'nonce',
    code_challenge: PKCE.challenge, code_challenge_method: 'S256', ...params,
  });
  return `${pv.issuer}/authorize?${query}`;
}

async function idToken(client: string, callback: string): Promise<string> {
  const response = await fetch(`${pv.issuer}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${client}:${SECRET}`).toString('base64')}` },
    body: new URLSearchParams({ grant_type: 'authorization_code', code: new URL(callback).searchParams.get('code')!, redirect_uri: cb(client), code_verifier: PKCE.verifier }),
  });
  return ((await response.json()) as { id_token: string }).id_token;
}

/** Logs in at `client` (by the TestID form, or by SSO if the browser has a session it may use). */
async function logIn(browser: CookieBrowser, client: string, params: Record<string, string> = {}, acr = 'idporten-loa-substantial') {
  const callback = await loginWithTestId(browser, authorizeUrl(client, params), cb(client), { pid: '28876895937', acr });
  expect(new URL(callback).searchParams.get('code')).toBeTruthy();
  return idToken(client, callback);
}

/** Logs out at `client`, as a service does: with its id_token as the hint, confirming on the page. */
async function logOut(browser: CookieBrowser, client: string, hint: string) {
  const page = await browser.request(`${pv.issuer}/logout?${new URLSearchParams({ id_token_hint: hint })}`);
  const done = await browser.post(`${pv.issuer}/logout/confirm`, { xsrf: formField(page.body, 'xsrf')!, logout: 'yes' });
  expect(done.status).toBeLessThan(400);
}

const report = (client: string) => pv.portvakt.verification.report('all', client);
const status = (r: VerificationReport) => Object.fromEntries(r.tests.map((t) => [t.test, t.status]));

describe('verification tests', () => {
  it('start with nothing passed: test 8 is the owner\'s to check, and test 7 says what is missing', async () => {
    const fresh = await report('fresh');
    expect(fresh).toMatchObject({ client_id: 'fresh', environment: 'test', mandatory_passed: false, evidence_kept_days: 30 });
    expect(fresh.tests.map((t) => t.test)).toEqual([1, 2, 3, 4, 6, 7, 8, 9, 10, 11]);
    expect(fresh.tests.filter((t) => t.mandatory).map((t) => t.test)).toEqual([1, 3, 6, 7, 8]);
    expect(status(fresh)).toMatchObject({ 1: 'not_yet', 3: 'not_yet', 7: 'not_yet', 8: 'check_yourself' });
    expect(fresh.tests.find((t) => t.test === 7)!.needs).toBeUndefined();
    expect((await report('no-frontchannel')).tests.find((t) => t.test === 7)!.needs).toBe('frontchannel_logout_uri');
  });

  it('test 1 passes for the service whose login another service reused; test 3 for the service that reused it', async () => {
    const browser = new CookieBrowser();
    await logIn(browser, 'own');
    const before = Date.now();
    await logIn(browser, 'other'); // by SSO: no form
    const own = await report('own');
    expect(status(own)[1]).toBe('passed');
    expect(Date.parse(own.tests.find((t) => t.test === 1)!.passed_at!)).toBeGreaterThanOrEqual(before - 1000);
    expect(status(own)[3]).toBe('not_yet'); // own logged in by itself
    const other = await report('other');
    expect(status(other)[3]).toBe('passed');
    expect(status(other)[1]).toBe('not_yet');
    expect(status(other)[4]).toBe('not_yet'); // that login was substantial

    // The events say what happened without naming the other service.
    const sso = (await pv.portvakt.events.forClient('own')).find((e) => e.type === 'sso')!;
    expect(sso.detail).toEqual({ by: 'another service', acr: 'idporten-loa-substantial' });
    const authorize = (await pv.portvakt.events.forClient('other')).find((e) => e.type === 'authorize')!;
    expect(authorize.detail).toMatchObject({ login: 'sso', sso_from: 'another', pkce: 'S256' });
  });

  it('tests 2 and 4 at high: a login at high reused by another service', async () => {
    const browser = new CookieBrowser();
    await logIn(browser, 'other', { acr_values: HIGH }, HIGH);
    await logIn(browser, 'own', { acr_values: HIGH });
    expect(status(await report('other'))[2]).toBe('passed');
    expect(status(await report('own'))[4]).toBe('passed');
  });

  it('a service reusing its own login passes nothing', async () => {
    const browser = new CookieBrowser();
    await logIn(browser, 'fresh');
    await logIn(browser, 'fresh');
    const fresh = await report('fresh');
    expect(status(fresh)).toMatchObject({ 1: 'not_yet', 3: 'not_yet' });
    const authorize = (await pv.portvakt.events.forClient('fresh')).find((e) => e.type === 'authorize')!;
    expect(authorize.detail).toMatchObject({ login: 'sso', sso_from: 'self' });
  });

  it('test 6 for the service that logs out a session shared with another; test 7 for the other, whose front-channel logout is loaded', async () => {
    const browser = new CookieBrowser();
    await logIn(browser, 'other');
    const hint = await logIn(browser, 'own');
    await logOut(browser, 'own', hint);
    expect(status(await report('own'))[6]).toBe('passed');
    expect(status(await report('own'))[7]).toBe('not_yet'); // its own front-channel was loaded, but it asked for the logout
    const other = await report('other');
    expect(status(other)[7]).toBe('passed');
    expect(status(other)[6]).toBe('not_yet');
    const frontchannel = (await pv.portvakt.events.forClient('other')).find((e) => e.type === 'frontchannel_logout')!;
    expect(frontchannel.detail).toEqual({ initiated_by: 'another', sid: false });
  });

  it('a logout of a session only the service itself was in does not pass test 6', async () => {
    const browser = new CookieBrowser();
    const hint = await logIn(browser, 'no-frontchannel');
    await logOut(browser, 'no-frontchannel', hint);
    expect(status(await report('no-frontchannel'))[6]).toBe('not_yet');
    expect((await pv.portvakt.events.forClient('no-frontchannel')).find((e) => e.type === 'logout')!.detail).toEqual({ other_services: 0 });
  });

  it('tests 9, 10 and 11 when the service sends prompt=login, onbehalfof and ui_locales', async () => {
    const browser = new CookieBrowser();
    await logIn(browser, 'other');
    await logIn(browser, 'own', { prompt: 'login' }); // asked again despite the session
    await logIn(new CookieBrowser(), 'own', { ui_locales: 'en' });
    await logIn(new CookieBrowser(), 'own', { onbehalfof: 'kunde' });
    expect(status(await report('own'))).toMatchObject({ 9: 'passed', 10: 'passed', 11: 'passed' });
  });

  it('test 9 from a team\'s end-to-end tests: a headless login (login_hint testid:) asked with prompt=login', async () => {
    expect(status(await report('no-frontchannel'))[9]).toBe('not_yet');
    const browser = new CookieBrowser();
    const answer = await browser.request(authorizeUrl('no-frontchannel', { prompt: 'login', login_hint: 'testid:28876895937_idporten-loa-substantial' }));
    expect(new URL(answer.location!).searchParams.get('code')).toBeTruthy(); // no page: logged in at once
    expect(status(await report('no-frontchannel'))[9]).toBe('passed');
  });

  it('all mandatory tests seen, and test 8 confirmed: mandatory_passed', async () => {
    // 'fresh' does them all here: 1 and 6 (its login reused by 'other', then it logs out), 3 and 7.
    const first = new CookieBrowser();
    await logIn(first, 'fresh');
    const hint = await logIn(first, 'other');
    await logOut(first, 'other', hint); // 'fresh' is logged out by front channel: 7
    const second = new CookieBrowser();
    await logIn(second, 'other');
    const own = await logIn(second, 'fresh'); // by SSO on another's login: 3
    expect((await report('fresh')).mandatory_passed).toBe(false);
    await logOut(second, 'fresh', own); // with 'other' in the session: 6
    const seen = await report('fresh');
    expect(seen.tests.filter((t) => t.mandatory).map((t) => [t.test, t.status])).toEqual([[1, 'passed'], [3, 'passed'], [6, 'passed'], [7, 'passed'], [8, 'check_yourself']]);
    expect(seen.mandatory_passed).toBe(false); // test 8 is not confirmed
    const admin = await portalLogin(pv.issuer, DEMO_ADMIN.pid);
    expect((await admin.browser.request(`${pv.issuer}/portal/clients/fresh/verification`)).body).not.toContain('id="production-request"');
    const done = await pv.portvakt.verification.confirm('all', 'fresh', 'idle_timeout', true, { kind: 'cli', id: 'test' });
    expect(done.mandatory_passed).toBe(true);
    // The next step, in the production environment's portal, with this client_id filled in.
    const page = await admin.browser.request(`${pv.issuer}/portal/clients/fresh/verification`);
    expect(page.body).toContain('<a id="production-request" href="https://prod.portvakt.example/portal/orgs/312000008/request?test_client_id=fresh&amp;client_name=fresh">Bestill integrasjonen i produksjonsmiljøet</a>');
  });

  it('test 8, which Portvakt cannot see, is confirmed by the owner (audited) and can be taken back', async () => {
    const person = { kind: 'person' as const, id: '12848500095' };
    const confirmed = await pv.portvakt.verification.confirm('all', 'own', 'idle_timeout', true, person);
    expect(confirmed.tests.find((t) => t.test === 8)).toEqual({ test: 8, name: 'idle_timeout', mandatory: true, status: 'confirmed', confirmed_at: expect.any(String) });
    expect((await pv.portvakt.audit.list({ clientId: 'own', action: 'verification.confirm' }))[0]).toMatchObject({ actor: person, after: { test: 'idle_timeout', confirmed: true } });
    expect(status(await report('own'))[8]).toBe('confirmed');

    const withdrawn = await pv.portvakt.verification.confirm('all', 'own', 'idle_timeout', false, person);
    expect(withdrawn.tests.find((t) => t.test === 8)).toEqual({ test: 8, name: 'idle_timeout', mandatory: true, status: 'check_yourself' });
    expect(status(await report('no-frontchannel'))[8]).toBe('check_yourself'); // one integration's statement is its own

    // Only what Portvakt cannot see is confirmed by hand; a name that is no test is said to be none.
    await expect(pv.portvakt.verification.confirm('all', 'own', 'sso_to_service', true, person)).rejects.toThrow('test 3 (sso_to_service) is one Portvakt sees done: do it with the service, and it passes');
    await expect(pv.portvakt.verification.confirm('all', 'own', 'nope', true, person)).rejects.toThrow(/there is no verification test "nope"; the tests are sso_from_service, /);
    await expect(pv.portvakt.verification.confirm({ orgnos: new Set(['999999999']) }, 'own', 'idle_timeout', true, person)).rejects.toThrow(/no integration own/);
  });

  it('an integration that logs nobody in has no verification tests; one the caller cannot see is not found', async () => {
    await expect(report('machine')).rejects.toThrow('verification tests are for integrations that log people in; machine is a maskinporten integration');
    await expect(pv.portvakt.verification.report({ orgnos: new Set(['999999999']) }, 'own')).rejects.toThrow(/no integration own/);
  });
});
