// ID-porten's authorizations API: an organisation reads the authorizations a person gave its
// services (with the person's own token, or naming the person with a Maskinporten token), or gave
// other services to its APIs, and withdraws one; the grant and its tokens end, and the service's
// next login asks for consent again. Driven over real HTTP, tokens from openid-client.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as oidc from 'openid-client';
import { startPortvakt, type TestPortvakt } from './helpers/portvakt.js';
import { CookieBrowser, formField } from './helpers/browser.js';
import { apiClient, REDIRECT } from './helpers/clients.js';
import { syntheticPid } from '../src/identity/pid.js';

const APP_ORG = '974760673'; // the organisation whose app people log in to
const API_ORG = '991825827'; // the organisation whose API the app and another service use
const OTHER_ORG = '312000008'; // another service's organisation
/** A synthetic person of their own for each test, so that one test's grants are not another's. */
let born = 0;
const newPerson = () => syntheticPid({ year: 1990, month: 1 + Math.floor(born / 28), day: 1 + (born++ % 28) });
const SECRET = 'authz-client-secret-0123456789abcdef';
const CONSENT_SCOPE = 'skatt:inntekt';
const insecure = { execute: [oidc.allowInsecureRequests] };
const BASE = '/authorizations';

const scopes = [
  { name: CONSENT_SCOPE, description: 'Se inntekten din', long_description: 'Appen leser inntekten din fra skattemeldingen.', owner_orgno: API_ORG, accessible_for_all: true, requires_user_consent: true, enforced_aud_for_introspection: ['skatt-api'] },
  { name: 'skatt:intern', description: 'Intern', owner_orgno: API_ORG, accessible_for_all: true, visibility: 'INTERNAL' },
];
const web = { application_type: 'web', redirect_uris: [REDIRECT], token_endpoint_auth_method: 'client_secret_basic', client_secret: SECRET, grant_types: ['authorization_code', 'refresh_token'], integration_type: 'api_klient' };
const clients = [
  { ...web, client_id: 'skatte-app', client_name: 'Skatteappen', description: 'Appen for skatten din', client_orgno: APP_ORG, scopes: ['openid', 'profile', CONSENT_SCOPE, 'skatt:intern', 'idporten:authorizations'] },
  { ...web, client_id: 'other-service', client_name: 'Bank', client_orgno: OTHER_ORG, scopes: ['openid', 'profile', CONSENT_SCOPE] },
  { ...web, client_id: 'unscoped-app', client_orgno: APP_ORG, scopes: ['openid', 'profile'] },
  { ...web, client_id: 'skatt-api', client_orgno: API_ORG, scopes: ['openid', 'idporten:token.introspection'] },
];

let pv: TestPortvakt;
const machineTokens: Record<string, string> = {};
const configs: Record<string, oidc.Configuration> = {};

beforeAll(async () => {
  const machines = {
    app: await apiClient('app-machine', APP_ORG, ['idporten:authorizations']),
    api: await apiClient('api-machine', API_ORG, ['idporten:authorizations.read']),
    apiRevoker: await apiClient('api-revoker', API_ORG, ['idporten:authorizations.revoke']),
    unscoped: await apiClient('unscoped-machine', APP_ORG, ['idporten:dcr.read']),
  };
  pv = await startPortvakt({ clients: [...clients, ...Object.values(machines).map((m) => m.registration)], scopes });
  for (const [name, machine] of Object.entries(machines)) {
    const config = await oidc.discovery(new URL(pv.issuer), machine.registration.client_id, {}, oidc.PrivateKeyJwt({ key: machine.privateKey, kid: machine.kid }), insecure);
    machineTokens[name] = (await oidc.clientCredentialsGrant(config, { scope: machine.registration.scopes.join(' ') })).access_token;
  }
  for (const { client_id } of clients) configs[client_id] = await oidc.discovery(new URL(pv.issuer), client_id, SECRET, oidc.ClientSecretBasic(SECRET), insecure);
});
afterAll(async () => pv?.close());

interface Flow { url: URL; verifier: string; nonce: string; state: string }

async function authorization(clientId: string, scope: string, pid?: string): Promise<Flow> {
  const verifier = oidc.randomPKCECodeVerifier();
  const nonce = oidc.randomNonce();
  const state = oidc.randomState();
  const url = oidc.buildAuthorizationUrl(configs[clientId]!, {
    redirect_uri: REDIRECT, scope, state, nonce, code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
    ...(pid ? { login_hint: `testid:${pid}_idporten-loa-substantial` } : {}),
  });
  return { url, verifier, nonce, state };
}

const redeem = (clientId: string, flow: Flow, callback: string) =>
  oidc.authorizationCodeGrant(configs[clientId]!, new URL(callback), { pkceCodeVerifier: flow.verifier, expectedNonce: flow.nonce, expectedState: flow.state });

/** A headless TestID login (profile §9.2; consents at once) from a browser called `userAgent`. */
async function login(clientId: string, scope: string, pid: string, userAgent = 'SkatteApp/2.1 (iPhone; iOS 18.1)') {
  const flow = await authorization(clientId, scope, pid);
  const answer = await fetch(flow.url, { redirect: 'manual', headers: { 'user-agent': userAgent } });
  return redeem(clientId, flow, answer.headers.get('location')!);
}

async function call(method: string, path: string, token: string | undefined, body?: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${pv.issuer}${BASE}${path}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined, headers: response.headers };
}

async function introspect(token: string): Promise<{ active: boolean }> {
  const response = await fetch(`${pv.issuer}/token/introspect`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`skatt-api:${SECRET}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token }),
  });
  return response.json() as Promise<{ active: boolean }>;
}

interface Listed { authorization_id: string; client_id: string; scopes: { name: string }[] }
const ids = (list: Listed[]) => list.map((a) => a.authorization_id);

describe('reading a person\'s authorizations', () => {
  it('with the person\'s own token: what they gave the organisation\'s services, as ID-porten describes them', async () => {
    const person = newPerson();
    const before = Date.now();
    const app = await login('skatte-app', `openid ${CONSENT_SCOPE} idporten:authorizations`, person);
    const listed = await call('GET', '/clients/authorizations', app.access_token);
    expect(listed.status).toBe(200);
    expect(listed.headers.get('cache-control')).toBe('no-store');
    const mine = (listed.body as Listed[]).find((a) => a.client_id === 'skatte-app' && a.scopes.some((s) => s.name === CONSENT_SCOPE));
    expect(mine).toMatchObject({
      client_id: 'skatte-app',
      client_name: 'Skatteappen',
      description: 'Appen for skatten din',
      user_agent: 'SkatteApp/2.1 (iPhone; iOS 18.1)',
      consumer: { authority: 'iso6523-actorid-upis', ID: `0192:${APP_ORG}` },
    });
    expect(mine!.authorization_id).toMatch(/^[\w-]{20,}$/);
    const { authorized_at, expires, scopes: described } = mine as unknown as { authorized_at: number; expires: number; scopes: unknown[] };
    expect(authorized_at).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
    expect(expires - authorized_at).toBe(7200 * 1000); // authorization_lifetime's default
    expect(described).toContainEqual({ name: CONSENT_SCOPE, description: 'Se inntekten din', long_description: 'Appen leser inntekten din fra skattemeldingen.', requires_user_consent: true, visibility: 'PUBLIC', owner_orgno: API_ORG });
    expect(described).toContainEqual(expect.objectContaining({ name: 'openid', requires_user_consent: false }));
  });

  it('lists only authorizations with a consent scope, unless require_user_consent=false; visibility= narrows to a scope of that visibility', async () => {
    const person = newPerson();
    const { access_token: token } = await login('skatte-app', `openid ${CONSENT_SCOPE} idporten:authorizations`, person);
    await login('unscoped-app', 'openid profile', person);
    await login('skatte-app', 'openid skatt:intern idporten:authorizations', person);
    const everything = (await call('GET', '/clients/authorizations?require_user_consent=false', token)).body as Listed[];
    // Each login above was a new browser, so a grant of its own.
    const plain = everything.find((a) => a.client_id === 'unscoped-app')!.authorization_id;
    const internal = everything.find((a) => a.scopes.some((s) => s.name === 'skatt:intern'))!.authorization_id;
    const byDefault = ids((await call('GET', '/clients/authorizations', token)).body);
    expect(byDefault.length).toBeGreaterThan(0);
    expect(byDefault).not.toContain(plain);
    expect(byDefault).not.toContain(internal);
    expect(ids((await call('GET', '/clients/authorizations?require_user_consent=false&visibility=INTERNAL', token)).body)).toEqual([internal]);
    expect(ids((await call('GET', '/clients/authorizations?visibility=INTERNAL', token)).body)).toEqual([]); // no consent scope among them
  });

  it('with a Maskinporten token: the authorizations of the person the body names; an API\'s owner sees those that include its scopes', async () => {
    const person = newPerson();
    await login('skatte-app', `openid ${CONSENT_SCOPE}`, person);
    await login('other-service', `openid ${CONSENT_SCOPE}`, person);
    const byApp = await call('POST', '/clients/authorizations', machineTokens.app, { pid: person });
    expect(byApp.status).toBe(200);
    expect(new Set((byApp.body as Listed[]).map((a) => a.client_id))).toEqual(new Set(['skatte-app']));

    const byApiOwner = await call('POST', '/api-provider/authorizations', machineTokens.api, { pid: person });
    expect(byApiOwner.status).toBe(200);
    expect(new Set((byApiOwner.body as Listed[]).map((a) => a.client_id))).toEqual(new Set(['skatte-app', 'other-service']));
    // The API's owner has no services of its own here.
    expect((await call('POST', '/clients/authorizations', machineTokens.api, { pid: person })).body).toEqual([]);
    // Nor has the app's organisation an API.
    expect((await call('POST', '/api-provider/authorizations', machineTokens.app, { pid: person })).body).toEqual([]);
  });

  it('a person\'s token shows only that person\'s', async () => {
    const person = newPerson();
    await login('skatte-app', `openid ${CONSENT_SCOPE}`, person);
    const other = await login('skatte-app', `openid ${CONSENT_SCOPE} idporten:authorizations`, newPerson());
    const theirs = (await call('GET', '/clients/authorizations', other.access_token)).body as Listed[];
    const mine = (await call('POST', '/clients/authorizations', machineTokens.app, { pid: person })).body as Listed[];
    expect(theirs.length).toBeGreaterThan(0);
    expect(mine.length).toBeGreaterThan(0);
    expect(ids(theirs).filter((id) => ids(mine).includes(id))).toEqual([]);
  });
});

describe('withdrawing an authorization', () => {
  it('by the person, through the app: the grant and its tokens end, and a protocol event tells the service', async () => {
    const person = newPerson();
    const app = await login('skatte-app', `openid ${CONSENT_SCOPE} idporten:authorizations`, person);
    expect((await introspect(app.access_token)).active).toBe(true);
    const listed = (await call('GET', '/clients/authorizations', app.access_token)).body as Listed[];
    // The newest is this login's.
    const id = listed[0]!.authorization_id;

    const withdrawn = await call('DELETE', `/authorizations/${id}`, app.access_token);
    expect(withdrawn.status).toBe(204);
    expect((await introspect(app.access_token)).active).toBe(false);
    await expect(oidc.refreshTokenGrant(configs['skatte-app']!, app.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    // Its own token went with it: the app must log the person in again to list anything.
    expect((await call('GET', '/clients/authorizations', app.access_token)).status).toBe(401);
    expect(ids((await call('POST', '/clients/authorizations', machineTokens.app, { pid: person })).body)).not.toContain(id);
    expect((await call('DELETE', `/authorizations/${id}`, machineTokens.app)).status).toBe(404);

    const events = await pv.portvakt.events.forClient('skatte-app', { limit: 5 });
    expect(events).toContainEqual(expect.objectContaining({ type: 'revocation', outcome: 'success', detail: { withdrawn: 'authorization', by: 'skatte-app' } }));
  });

  it('by an organisation with a Maskinporten token: its own services\' authorizations, or those with its API\'s scope — not another\'s', async () => {
    const person = newPerson();
    await login('other-service', `openid ${CONSENT_SCOPE}`, person);
    const app = await login('skatte-app', `openid ${CONSENT_SCOPE} idporten:authorizations`, person);
    const seenByApi = (await call('POST', '/api-provider/authorizations', machineTokens.api, { pid: person })).body as Listed[];
    const bank = seenByApi.find((a) => a.client_id === 'other-service')!.authorization_id;

    // The app's organisation may not withdraw the bank's.
    expect((await call('DELETE', `/authorizations/${bank}`, machineTokens.app)).status).toBe(404);
    // The API's owner reads with .read, and withdraws only with .revoke.
    const readOnly = await call('DELETE', `/authorizations/${bank}`, machineTokens.api);
    expect(readOnly.status).toBe(403);
    expect(readOnly.body.error).toBe('insufficient_scope');
    expect(readOnly.headers.get('www-authenticate')).toMatch(/^Bearer error="insufficient_scope"/);
    expect((await call('DELETE', `/authorizations/${bank}`, machineTokens.apiRevoker)).status).toBe(204);
    expect(ids((await call('POST', '/api-provider/authorizations', machineTokens.api, { pid: person })).body)).not.toContain(bank);
    // The app's is untouched.
    expect((await introspect(app.access_token)).active).toBe(true);
  });

  it('a person\'s token withdraws only that person\'s', async () => {
    const person = newPerson();
    await login('skatte-app', `openid ${CONSENT_SCOPE}`, person);
    const other = await login('skatte-app', `openid ${CONSENT_SCOPE} idporten:authorizations`, newPerson());
    const mine = (await call('POST', '/clients/authorizations', machineTokens.app, { pid: person })).body as Listed[];
    expect((await call('DELETE', `/authorizations/${mine[0]!.authorization_id}`, other.access_token)).status).toBe(404);
  });

  it('the service\'s next login in the same browser asks for consent again', async () => {
    const person = newPerson();
    const atCallback = (url: string) => url.startsWith(REDIRECT);
    const browser = new CookieBrowser();
    const first = await authorization('skatte-app', `openid ${CONSENT_SCOPE} idporten:authorizations`);
    const page = await browser.follow(first.url.href, atCallback);
    const submitted = await browser.post(page.action!, { csrf: formField(page.body, 'csrf')!, pid: person, acr: 'idporten-loa-substantial', action: 'login' });
    const consent = await browser.follow(submitted.location!, atCallback);
    expect(consent.body).toContain('<h1>Samtykke</h1>');
    const approved = await browser.follow((await browser.post(consent.action!, { csrf: formField(consent.body, 'csrf')!, action: 'consent' })).location!, atCallback);
    const tokens = await redeem('skatte-app', first, approved.location!);
    const id = ((await call('GET', '/clients/authorizations', tokens.access_token)).body as Listed[])[0]!.authorization_id;

    expect((await call('DELETE', `/authorizations/${id}`, tokens.access_token)).status).toBe(204);
    const again = await browser.follow((await authorization('skatte-app', `openid ${CONSENT_SCOPE}`)).url.href, atCallback);
    expect(again.location).toBeUndefined(); // no code at once: a page
    expect(again.body).toContain('<h1>Samtykke</h1>');
  });
});

it('a restart keeps them, and what was withdrawn stays withdrawn', async () => {
  const person = newPerson();
  const kept = await login('skatte-app', `openid ${CONSENT_SCOPE} idporten:authorizations`, person);
  await login('other-service', `openid ${CONSENT_SCOPE}`, person);
  const before = (await call('POST', '/api-provider/authorizations', machineTokens.api, { pid: person })).body as Listed[];
  const bank = before.find((a) => a.client_id === 'other-service')!.authorization_id;
  expect((await call('DELETE', `/authorizations/${bank}`, machineTokens.apiRevoker)).status).toBe(204);

  pv = await pv.restart();
  const after = (await call('GET', '/clients/authorizations', kept.access_token)).body as Listed[];
  expect(ids(after)).toEqual(ids(before.filter((a) => a.client_id === 'skatte-app')));
  expect(ids((await call('POST', '/api-provider/authorizations', machineTokens.api, { pid: person })).body)).not.toContain(bank);
  expect((await call('DELETE', `/authorizations/${after[0]!.authorization_id}`, kept.access_token)).status).toBe(204);
  await expect(oidc.refreshTokenGrant(configs['skatte-app']!, kept.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
});

describe('refusals', () => {
  it('a missing, unknown or unsuitable token; the wrong verb for the token; a scope that does not allow it', async () => {
    const person = newPerson();
    const app = await login('skatte-app', `openid ${CONSENT_SCOPE} idporten:authorizations`, person);
    const missing = await call('GET', '/clients/authorizations', undefined);
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_token"/);
    expect((await call('GET', '/clients/authorizations', 'not-a-token')).body).toEqual({ error: 'invalid_token', error_description: 'the token is unknown or has expired' });
    // A JWT we did not sign.
    expect((await call('GET', '/clients/authorizations', `${app.access_token.slice(0, -4)}AAAA`)).status).toBe(401);

    const machineOnGet = await call('GET', '/clients/authorizations', machineTokens.app);
    expect(machineOnGet.status).toBe(400);
    expect(machineOnGet.body.error_description).toMatch(/POST the person's pid/);
    const personOnPost = await call('POST', '/clients/authorizations', app.access_token, { pid: person });
    expect(personOnPost.status).toBe(400);
    expect(personOnPost.body.error_description).toMatch(/GET this address/);

    // A login without the scope, and a machine client without it.
    const unscoped = await login('unscoped-app', 'openid profile', person);
    const noScope = await call('GET', '/clients/authorizations', unscoped.access_token);
    expect(noScope.status).toBe(403);
    expect(noScope.body.error_description).toMatch(/idporten:authorizations/);
    expect((await call('POST', '/clients/authorizations', machineTokens.unscoped, { pid: person })).status).toBe(403);
  });

  it('a body or query that is not one, each named', async () => {
    const person = newPerson();
    const token = machineTokens.app;
    const post = (body: unknown, query = '') => call('POST', `/clients/authorizations${query}`, token, body);
    expect((await post({})).body.error_description).toMatch(/\{"pid": "<national identity number>"\}/);
    expect((await post({ pid: 28876895937 })).status).toBe(400);
    expect((await post({ pid: '28876895938' })).body.error_description).toMatch(/^pid is not a national identity number/);
    expect((await post('{"pid":')).status).toBe(400);
    expect((await post({ pid: person }, '?require_user_consent=maybe')).body.error_description).toMatch(/require_user_consent must be true or false \(got "maybe"\)/);
    expect((await post({ pid: person }, '?visibility=SECRET')).body.error_description).toMatch(/visibility must be one of PUBLIC, PRIVATE, INTERNAL/);
    expect((await post({ pid: person }, '?visibility=PUBLIC&visibility=INTERNAL')).body.error_description).toMatch(/visibility is given more than once/);
    expect((await call('DELETE', '/authorizations/..%2F..', token)).status).toBe(404);
    expect((await call('DELETE', `/authorizations/${'x'.repeat(5000)}`, token)).body.error_description).toMatch(/exceeding the max param length/);
  });

  it('its OpenAPI document lists every call, and the docs page is served', async () => {
    const document = await (await fetch(`${pv.issuer}${BASE}/openapi.json`)).json() as { paths: Record<string, Record<string, unknown>>; servers: { url: string }[] };
    expect(Object.fromEntries(Object.entries(document.paths).map(([path, methods]) => [path, Object.keys(methods).sort()]))).toEqual({
      '/authorizations/clients/authorizations': ['get', 'post'],
      '/authorizations/api-provider/authorizations': ['get', 'post'],
      '/authorizations/authorizations/{authorization_id}': ['delete'],
    });
    expect(document.servers).toEqual([{ url: pv.issuer }]);
    expect((await fetch(`${pv.issuer}${BASE}/docs/`)).status).toBe(200);
  });

  it('only api_klient and maskinporten integrations may be given the scope', async () => {
    await expect(startPortvakt({ clients: [{ ...web, client_id: 'plain', integration_type: 'idporten', scopes: ['openid', 'idporten:authorizations'] }] })).rejects.toThrow(/plain.*scopes.*api_klient/);
  });
});
