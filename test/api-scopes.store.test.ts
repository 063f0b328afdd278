// API scopes (profile §7.3, §4.4, §4.9): declared in the client file, registered by clients of
// organisations with access, carried in access tokens, capping their lives, deciding who may
// introspect them; and refused, with the scope and the field named, where a rule is broken.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as oidc from 'openid-client';
import { decodeJwt } from 'jose';
import { startPortvakt, type TestPortvakt } from './helpers/portvakt.js';
import { CookieBrowser, formField, loginWithTestId } from './helpers/browser.js';
import { PKCE, redeemCode } from './helpers/headless.js';
import { apiClient, PERSON, REDIRECT } from './helpers/clients.js';
import { portalLogin } from './helpers/portal.js';
import { testPersons } from '../src/identity/test-persons.js';
import { validateApiScope } from '../src/registry/api-scopes.js';

const OWNER = '974760673'; // the organisation whose API it is
const CONSUMER = '312000008'; // another, without access
const SECRET = 'scope-client-secret-0123456789abcdef';
const insecure = { execute: [oidc.allowInsecureRequests] };

const scopes = [
  { name: 'nav:sykepenger.read', description: 'Les sykepengesøknader', owner_orgno: OWNER, at_max_age: 60, authorization_max_lifetime: 300, enforced_aud_for_introspection: ['nav-api'] },
  { prefix: 'krr', subscope: 'user/kontaktinformasjon.read', description: 'Kontaktinformasjon', accessible_for_all: true },
  { name: 'skatt:fresh', description: 'Krever ny innlogging', accessible_for_all: true, requires_user_authentication: true },
  { name: 'skatt:opaque', description: 'Tokens by reference', accessible_for_all: true, token_type: 'OPAQUE', enforced_aud_for_introspection: ['nav-api'] },
  { name: 'skatt:anonym', description: 'Pseudonymous', accessible_for_all: true, requires_pseudonymous_tokens: true, enforced_aud_for_introspection: ['nav-api'] },
  { name: 'skatt:samtykke', description: 'Se skattemeldingen din', long_description: 'Tjenesten leser skattemeldingen for inntektsåret.', accessible_for_all: true, requires_user_consent: true },
];
const web = { application_type: 'web', redirect_uris: [REDIRECT], token_endpoint_auth_method: 'client_secret_basic', client_secret: SECRET, grant_types: ['authorization_code', 'refresh_token'] };
const clients = [
  { ...web, client_id: 'nav-client', integration_type: 'api_klient', client_orgno: OWNER, scopes: ['openid', 'profile', 'nav:sykepenger.read', 'krr:user/kontaktinformasjon.read', 'skatt:fresh', 'skatt:opaque', 'skatt:anonym', 'skatt:samtykke'], access_token_lifetime: 600 },
  { ...web, client_id: 'plain-client', scopes: ['openid', 'profile'] },
  { ...web, client_id: 'nav-api', integration_type: 'api_klient', scopes: ['openid', 'idporten:token.introspection'] },
  { ...web, client_id: 'other-api', integration_type: 'api_klient', scopes: ['openid', 'idporten:token.introspection'] },
];

let pv: TestPortvakt;
let apiToken: string;
/** The self-service API's tokens: the consumer's, the owner's (scope management), and the owner's without write. */
const tokens: Record<string, string> = {};

beforeAll(async () => {
  const callers = {
    consumer: await apiClient('consumer-api', CONSUMER, ['idporten:dcr.read', 'idporten:dcr.write', 'idporten:dcr.modify']),
    owner: await apiClient('owner-api', OWNER, ['idporten:scopes.read', 'idporten:scopes.write', 'idporten:dcr.read']),
    ownerReadOnly: await apiClient('owner-read-api', OWNER, ['idporten:scopes.read']),
    stranger: await apiClient('stranger-api', CONSUMER, ['idporten:scopes.read', 'idporten:scopes.write']),
  };
  pv = await startPortvakt({ clients: [...clients, ...Object.values(callers).map((c) => c.registration)], scopes });
  for (const [name, caller] of Object.entries(callers)) {
    const config = await oidc.discovery(new URL(pv.issuer), caller.registration.client_id, {}, oidc.PrivateKeyJwt({ key: caller.privateKey, kid: caller.kid }), insecure);
    tokens[name] = (await oidc.clientCredentialsGrant(config, { scope: caller.registration.scopes.join(' ') })).access_token;
  }
  apiToken = tokens.consumer!;
});

async function api(method: string, path: string, as: string | undefined, body?: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${pv.issuer}/api/v1${path}`, {
    method,
    headers: { ...(as ? { authorization: `Bearer ${tokens[as]}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined, etag: response.headers.get('etag') };
}
afterAll(async () => pv?.close());

function authorizeUrl(clientId: string, scope: string, hint = true): string {
  return `${pv.issuer}/authorize?${new URLSearchParams({
    client_id: clientId, response_type: 'code', scope, redirect_uri: REDIRECT, state: 's', nonce: 'n',
    code_challenge: PKCE.challenge, code_challenge_method: 'S256',
    ...(hint ? { login_hint: `testid:${PERSON}_idporten-loa-substantial` } : {}),
  })}`;
}

/** A headless login and its token call; the token response, or the authorization response's error. */
async function tokensFor(clientId: string, scope: string): Promise<Record<string, unknown>> {
  const location = new URL((await fetch(authorizeUrl(clientId, scope), { redirect: 'manual' })).headers.get('location')!);
  const code = location.searchParams.get('code');
  if (!code) return Object.fromEntries(location.searchParams);
  return (await redeemCode(pv.issuer, { client_id: clientId, secret: SECRET, code, redirect_uri: REDIRECT })).json() as Promise<Record<string, unknown>>;
}

async function introspect(as: string, token: string): Promise<Record<string, unknown>> {
  const response = await fetch(`${pv.issuer}/token/introspect`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${as}:${SECRET}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token }),
  });
  expect(response.status).toBe(200);
  return response.json() as Promise<Record<string, unknown>>;
}

describe('API scopes in tokens', () => {
  it('a client registered for API scopes gets them in its access token; discovery still lists only openid and profile', async () => {
    const tokens = await tokensFor('nav-client', 'openid profile nav:sykepenger.read krr:user/kontaktinformasjon.read');
    expect(tokens.scope).toBe('openid profile nav:sykepenger.read krr:user/kontaktinformasjon.read');
    const claims = decodeJwt(tokens.access_token as string);
    expect(claims).toMatchObject({ scope: 'openid profile nav:sykepenger.read krr:user/kontaktinformasjon.read', client_id: 'nav-client', pid: PERSON });
    expect(decodeJwt(tokens.id_token as string).pid).toBe(PERSON);
    const userinfo = await fetch(`${pv.issuer}/userinfo`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    expect(await userinfo.json()).toMatchObject({ pid: PERSON });
    const discovery = await (await fetch(`${pv.issuer}/.well-known/openid-configuration`)).json() as { scopes_supported: string[] };
    expect(discovery.scopes_supported).toEqual(['openid', 'profile']);
  });

  it('the lowest at_max_age of the token\'s scopes caps its life; authorization_max_lifetime caps the refresh token', async () => {
    const capped = await tokensFor('nav-client', 'openid nav:sykepenger.read krr:user/kontaktinformasjon.read');
    expect(capped.expires_in).toBe(60);
    const claims = decodeJwt(capped.access_token as string);
    expect(claims.exp! - claims.iat!).toBe(60);
    expect(capped.refresh_token_expires_in).toBeGreaterThan(290);
    expect(capped.refresh_token_expires_in).toBeLessThanOrEqual(300); // the grant's cap, under the client's 600 s idle
    const uncapped = await tokensFor('nav-client', 'openid krr:user/kontaktinformasjon.read');
    expect(uncapped.expires_in).toBe(600); // the client's own lifetime
  });

  it('a scope the client is not registered for is refused with invalid_scope', async () => {
    expect(await tokensFor('plain-client', 'openid nav:sykepenger.read')).toMatchObject({ error: 'invalid_scope', state: 's' });
  });

  it('only the API a scope names may introspect its tokens; to any other client they are not active', async () => {
    const withScope = await tokensFor('nav-client', 'openid nav:sykepenger.read');
    const without = await tokensFor('nav-client', 'openid krr:user/kontaktinformasjon.read');
    expect(await introspect('nav-api', withScope.access_token as string)).toMatchObject({ active: true, scope: 'openid nav:sykepenger.read', client_id: 'nav-client', pid: PERSON });
    expect(await introspect('other-api', withScope.access_token as string)).toEqual({ active: false });
    expect(await introspect('nav-api', without.access_token as string)).toEqual({ active: false });
    // The API's events say why (the answer may not).
    await pv.portvakt.events.flush();
    const [latest] = await pv.portvakt.events.forClient('nav-api', { limit: 1 });
    expect(latest).toMatchObject({ type: 'introspection', outcome: 'success', detail: { active: false, reason: 'no API scope of the token (openid krr:user/kontaktinformasjon.read) names nav-api in enforced_aud_for_introspection' } });
  });

  it('token_type OPAQUE: the access token is a reference, which works at userinfo and which the named API introspects', async () => {
    const tokens = await tokensFor('nav-client', 'openid profile skatt:opaque');
    const token = tokens.access_token as string;
    expect(token.split('.')).not.toHaveLength(3); // not a JWT
    expect(token.length).toBeGreaterThan(40);
    const userinfo = await fetch(`${pv.issuer}/userinfo`, { headers: { authorization: `Bearer ${token}` } });
    expect(await userinfo.json()).toMatchObject({ pid: PERSON });
    expect(await introspect('nav-api', token)).toMatchObject({ active: true, scope: 'openid profile skatt:opaque', client_id: 'nav-client', pid: PERSON, acr: 'idporten-loa-substantial' });
    expect(await introspect('other-api', token)).toEqual({ active: false });
  });

  it('requires_pseudonymous_tokens: no pid in the id_token, the access token or userinfo; the named API learns it by introspection', async () => {
    const tokens = await tokensFor('nav-client', 'openid profile skatt:anonym');
    const idToken = decodeJwt(tokens.id_token as string);
    expect(idToken.sub).toEqual(expect.any(String));
    expect(idToken.pid).toBeUndefined();
    const accessToken = decodeJwt(tokens.access_token as string);
    expect(accessToken).toMatchObject({ scope: 'openid profile skatt:anonym', sub: idToken.sub });
    expect(accessToken.pid).toBeUndefined();
    const userinfo = await (await fetch(`${pv.issuer}/userinfo`, { headers: { authorization: `Bearer ${tokens.access_token}` } })).json() as Record<string, unknown>;
    expect(userinfo.sub).toBe(idToken.sub);
    expect(userinfo.pid).toBeUndefined();
    expect(await introspect('nav-api', tokens.access_token as string)).toMatchObject({ active: true, pid: PERSON });
    // Without that scope, the same client's tokens carry the pid as always.
    expect(decodeJwt((await tokensFor('nav-client', 'openid profile')).id_token as string).pid).toBe(PERSON);
  });

  it('requires_user_consent: after the login the person is asked, once per grant; yes gives the scope, no ends with access_denied', async () => {
    const atCallback = (url: string) => url.startsWith(REDIRECT);
    const browser = new CookieBrowser();
    const loginPage = await browser.follow(authorizeUrl('nav-client', 'openid skatt:samtykke', false), atCallback);
    const submitted = await browser.post(loginPage.action!, { csrf: formField(loginPage.body, 'csrf')!, pid: PERSON, acr: 'idporten-loa-substantial', action: 'login' });
    const consent = await browser.follow(submitted.location!, atCallback);
    expect(consent.status).toBe(200);
    expect(consent.body).toContain('<h1>Samtykke</h1>');
    expect(consent.body).toContain('nav-client ber om tilgang til opplysninger om deg');
    expect(consent.body).toContain('Se skattemeldingen din');
    expect(consent.body).toContain('Tjenesten leser skattemeldingen for inntektsåret.');
    // Without the interaction's CSRF token nothing is decided: the page comes back.
    expect((await browser.post(consent.action!, { csrf: 'forged', action: 'consent' })).body).toContain('<h1>Samtykke</h1>');
    const approved = await browser.follow((await browser.post(consent.action!, { csrf: formField(consent.body, 'csrf')!, action: 'consent' })).location!, atCallback);
    const code = new URL(approved.location!).searchParams.get('code')!;
    const tokens = await (await redeemCode(pv.issuer, { client_id: 'nav-client', secret: SECRET, code, redirect_uri: REDIRECT })).json() as { scope: string };
    expect(tokens.scope).toBe('openid skatt:samtykke');

    // The grant remembers it: the next login in the same browser (SSO) asks nothing.
    const again = await browser.follow(authorizeUrl('nav-client', 'openid skatt:samtykke', false), atCallback);
    expect(new URL(again.location!).searchParams.get('code')).toBeTruthy();

    // Another person says no.
    const other = new CookieBrowser();
    const page = await other.follow(authorizeUrl('nav-client', 'openid skatt:samtykke', false), atCallback);
    const loggedIn = await other.post(page.action!, { csrf: formField(page.body, 'csrf')!, pid: '05894200016', acr: 'idporten-loa-substantial', action: 'login' });
    const asked = await other.follow(loggedIn.location!, atCallback);
    const denied = await other.follow((await other.post(asked.action!, { csrf: formField(asked.body, 'csrf')!, action: 'deny' })).location!, atCallback);
    expect(Object.fromEntries(new URL(denied.location!).searchParams)).toMatchObject({ error: 'access_denied', state: 's' });

    // A headless TestID login consents at once (profile §9.2).
    expect((await tokensFor('nav-client', 'openid skatt:samtykke')).scope).toBe('openid skatt:samtykke');
  });

  it('requires_user_authentication makes a person log in again within an SSO session', async () => {
    const browser = new CookieBrowser();
    await loginWithTestId(browser, authorizeUrl('nav-client', 'openid', false), REDIRECT);
    // Without that scope the session is used at once (no page) …
    const atCallback = (url: string) => url.startsWith(REDIRECT);
    const sso = await browser.follow(authorizeUrl('nav-client', 'openid', false), atCallback);
    expect(new URL(sso.location!).searchParams.get('code')).toBeTruthy();
    // … with it the login page is shown again.
    const fresh = await browser.follow(authorizeUrl('nav-client', 'openid skatt:fresh', false), atCallback);
    expect(fresh.status).toBe(200);
    expect(fresh.body).toContain('name="pid"');
  });
});

describe('registering clients with API scopes', () => {
  it('an organisation may register a scope accessible for all, and not one that is not open to it (400 naming the scope)', async () => {
    const post = (scopes: string[]) => fetch(`${pv.issuer}/api/v1/clients`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ integration_type: 'api_klient', redirect_uris: [REDIRECT], scopes }),
    });
    const open = await post(['openid', 'krr:user/kontaktinformasjon.read']);
    expect(open.status).toBe(201);
    const closed = await post(['openid', 'nav:sykepenger.read']);
    expect(closed.status).toBe(400);
    expect((await closed.json() as { error_description: string }).error_description).toMatch(/scopes\[1\] names "nav:sykepenger.read" is not open to organisation 312000008/);
    const unknown = await post(['openid', 'nav:finnes.ikke']);
    expect((await unknown.json() as { error_description: string }).error_description).toMatch(/scopes\[1\] names "nav:finnes.ikke" is not a registered API scope/);
  });

  it('a scope registered while running is known at once; one deactivated is no longer given', async () => {
    const actor = { kind: 'cli' as const, id: 'test' };
    await pv.portvakt.apiScopes.upsert(validateApiScope({ name: 'ny:scope', description: 'Ny', accessible_for_all: true }), actor);
    const registered = await pv.portvakt.integrations.create('all', CONSUMER, { integration_type: 'api_klient', redirect_uris: [REDIRECT], scopes: ['openid', 'ny:scope'] }, actor);
    const clientId = registered.integration.client_id as string;
    const secret = registered.client_secret!;
    const redeem = async (scope: string) => {
      const location = new URL((await fetch(authorizeUrl(clientId, scope), { redirect: 'manual' })).headers.get('location')!);
      const code = location.searchParams.get('code')!;
      return (await redeemCode(pv.issuer, { client_id: clientId, secret, code, redirect_uri: REDIRECT })).json() as Promise<{ scope: string }>;
    };
    expect((await redeem('openid ny:scope')).scope).toBe('openid ny:scope');
    await pv.portvakt.apiScopes.upsert(validateApiScope({ name: 'ny:scope', description: 'Ny', accessible_for_all: true, active: false }), actor);
    expect((await redeem('openid ny:scope')).scope).toBe('openid');
  });
});

describe('the scope API (profile §7.3)', () => {
  const name = 'helse:journal.read';
  const q = `?scope=${encodeURIComponent(name)}`;

  it('an owner registers a scope under its prefix, gives an organisation access, and that organisation\'s clients get it in their tokens', async () => {
    await pv.portvakt.apiScopes.assignPrefix('helse', OWNER, { kind: 'cli', id: 'test' });
    await pv.portvakt.apiScopes.assignPrefix('helse', OWNER, { kind: 'cli', id: 'test' }); // again: nothing changes
    // One prefix given to two organisations at once: one gets it, the other is told whose it is.
    const given = await Promise.allSettled([OWNER, CONSUMER].map((orgno) => pv.portvakt.apiScopes.assignPrefix('delt', orgno, { kind: 'cli', id: 'test' })));
    expect(given.map((g) => g.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect((given.find((g) => g.status === 'rejected') as PromiseRejectedResult).reason.message).toMatch(/the prefix "delt" belongs to/);
    const ownerWon = given[0]!.status === 'fulfilled';
    expect((await api('GET', '/prefix', 'owner')).body).toEqual(ownerWon ? ['delt', 'helse'] : ['helse']);

    const created = await api('POST', '/scopes', 'owner', { prefix: 'helse', subscope: 'journal.read', description: 'Les journal', enforced_aud_for_introspection: ['nav-api'] });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name, prefix: 'helse', subscope: 'journal.read', owner_orgno: OWNER, active: true, accessible_for_all: false, token_type: 'SELF_CONTAINED', allowed_integration_types: ['api_klient'], enforced_aud_for_introspection: ['nav-api'] });
    expect((await api('POST', '/scopes', 'owner', { prefix: 'helse', subscope: 'journal.read', description: 'Igjen' })).status).toBe(409);
    // Two creations of one name at once: one is made, the other told it exists; the first is not overwritten.
    const racing = await Promise.all(['Først', 'Sist'].map((description) => api('POST', '/scopes', 'owner', { prefix: 'helse', subscope: 'samtidig', description })));
    expect(racing.map((r) => r.status).sort()).toEqual([201, 409]);
    expect((await api('GET', '/scopes?scope=helse%3Asamtidig', 'owner')).body.description).toBe(racing.find((r) => r.status === 201)!.body.description);
    expect((await api('GET', `/scopes${q}`, 'owner')).body).toMatchObject({ name, description: 'Les journal' });
    expect((await api('GET', '/scopes/all', undefined)).body.map((s: { name: string }) => s.name)).toContain(name); // public, no token

    // Not open to the consumer yet: its client cannot register the scope.
    const register = () => api('POST', '/clients', 'consumer', { integration_type: 'api_klient', redirect_uris: [REDIRECT], scopes: ['openid', name] });
    expect((await register()).status).toBe(400);
    const granted = await api('PUT', `/scopes/access/${CONSUMER}${q}`, 'owner');
    expect(granted).toMatchObject({ status: 200, body: { scope: name, consumer_orgno: CONSUMER, state: 'APPROVED' } });
    expect((await api('GET', `/scopes/access${q}`, 'owner')).body).toEqual([expect.objectContaining({ consumer_orgno: CONSUMER })]);
    expect((await api('GET', '/scopes/access/all', 'consumer')).body.map((a: { scope: string }) => a.scope)).toEqual([name]);
    expect((await api('GET', '/scopes/access/all?accessible_for_all=true', 'consumer')).body.map((a: { scope: string }) => a.scope)).toContain('krr:user/kontaktinformasjon.read');

    const client = await register();
    expect(client.status).toBe(201);
    /** The scope of the tokens of a login asking for the scope, or the authorization's error. */
    const redeem = async () => {
      const location = new URL((await fetch(authorizeUrl(client.body.client_id, `openid ${name}`), { redirect: 'manual' })).headers.get('location')!);
      const code = location.searchParams.get('code');
      if (!code) return location.searchParams.get('error');
      return ((await (await redeemCode(pv.issuer, { client_id: client.body.client_id, secret: client.body.client_secret, code, redirect_uri: REDIRECT })).json()) as { scope: string }).scope;
    };
    expect(await redeem()).toBe(`openid ${name}`);

    // Access taken back: the client keeps its registration, but may no longer ask for the scope.
    expect((await api('DELETE', `/scopes/access/${CONSUMER}${q}`, 'owner')).status).toBe(204);
    expect(await redeem()).toBe('invalid_scope');
    expect((await api('GET', `/clients/${client.body.client_id}`, 'consumer')).body.scopes).toEqual(['openid', name]);
  });

  it('a change sent with If-Match is made only on the version read (else 412, nothing changed), as for integrations', async () => {
    const read = await api('GET', `/scopes${q}`, 'owner');
    expect(read.etag).toMatch(/^"[0-9a-z]+"$/);
    const changed = await api('PUT', `/scopes${q}`, 'owner', { ...read.body, description: 'Første endring' }, { 'if-match': read.etag! });
    expect(changed.status).toBe(200);
    expect(changed.etag).not.toBe(read.etag);
    // A second script still holding the first version is refused, and changes nothing.
    const stale = await api('PUT', `/scopes${q}`, 'owner', { ...read.body, description: 'Andre endring' }, { 'if-match': read.etag! });
    expect(stale.status).toBe(412);
    expect(stale.body.error_description).toMatch(/was changed since you read it/);
    expect((await api('DELETE', `/scopes${q}`, 'owner', undefined, { 'if-match': read.etag! })).status).toBe(412);
    expect((await api('GET', `/scopes${q}`, 'owner')).body).toMatchObject({ description: 'Første endring', active: true });
  });

  it('an owner changes and deactivates its scope; its name and owner stay', async () => {
    const changed = await api('PUT', `/scopes${q}`, 'owner', { description: 'Les hele journalen', at_max_age: 30 });
    expect(changed).toMatchObject({ status: 200, body: { name, description: 'Les hele journalen', at_max_age: 30, owner_orgno: OWNER } });
    expect((await api('PUT', `/scopes${q}`, 'owner', { description: 'x', subscope: 'annet' })).body.error_description).toMatch(/name cannot be changed/);
    expect((await api('PUT', `/scopes${q}`, 'owner', { description: 'x', owner_orgno: CONSUMER })).status).toBe(403);
    const deactivated = await api('DELETE', `/scopes${q}`, 'owner');
    expect(deactivated).toMatchObject({ status: 200, body: { name, active: false } });
    expect((await api('GET', '/scopes/all', undefined)).body.map((s: { name: string }) => s.name)).not.toContain(name);
    expect((await api('GET', `/scopes${q}`, 'owner')).body.active).toBe(false); // the owner still reads it
  });

  it('is refused clearly: another organisation\'s scope or prefix, missing scope, no token, too little scope, a bad body', async () => {
    expect((await api('GET', `/scopes${q}`, 'consumer')).status).toBe(403); // no idporten:scopes.read
    // Another organisation's scope is to it as one that does not exist, on every route.
    for (const [method, path] of [['GET', `/scopes${q}`], ['PUT', `/scopes${q}`], ['DELETE', `/scopes${q}`], ['GET', `/scopes/access${q}`], ['PUT', `/scopes/access/${CONSUMER}${q}`], ['DELETE', `/scopes/access/${OWNER}${q}`]] as const) {
      expect((await api(method, path, 'stranger', method === 'PUT' && path.startsWith('/scopes?') ? { description: 'Kapret' } : undefined)).status, `${method} ${path}`).toBe(404);
    }
    expect((await api('GET', `/scopes${q}`, 'owner')).body.description).not.toBe('Kapret');
    expect((await api('POST', '/scopes', 'owner', { prefix: 'nav', subscope: 'ny', description: 'x' })).body.error_description).toMatch(/prefix "nav" is not your organisation's/);
    expect((await api('GET', '/scopes?scope=nav%3Asykepenger.read', 'owner')).status).toBe(200); // declared with OWNER as owner in the file
    expect((await api('GET', '/scopes?scope=krr%3Auser%2Fkontaktinformasjon.read', 'owner')).status).toBe(404); // no owner: the operator's
    expect((await api('GET', '/scopes', 'owner')).body.error_description).toMatch(/query parameter scope/);
    expect((await api('GET', '/prefix', undefined)).status).toBe(401);
    expect((await api('POST', '/scopes', 'ownerReadOnly', { prefix: 'helse', subscope: 'x', description: 'x' })).status).toBe(403);
    expect((await api('POST', '/scopes', 'owner', { prefix: 'helse', subscope: 'x' })).body.error_description).toMatch(/scope "helse:x": description is required/);
    expect((await api('POST', '/scopes', 'owner', { prefix: 'helse', subscope: 'x', description: 'x', requires_user_consent: 'yes' })).body.error_description).toMatch(/requires_user_consent .*boolean.*\(got "yes"\)/);
    expect((await api('PUT', `/scopes/access/123${q}`, 'owner')).body.error_description).toMatch(/consumer_orgno "123" is not a valid organisation number/);
    expect((await api('POST', '/scopes', 'owner', '[1]')).status).toBe(400);
    const nul = await api('POST', '/scopes', 'owner', { prefix: 'helse', subscope: 'y', description: 'x', enforced_aud_for_introspection: ['a\u0000b'] });
    expect(nul.status).toBe(400);
    expect(nul.body.error_description).toMatch(/scope "helse:y": enforced_aud_for_introspection.0 /);
  });
});

describe('API scopes in the portal', () => {
  it('an integration\'s scopes are on its form: created with one, kept when saved, refused beside the field when not open', async () => {
    const { browser, csrf } = await portalLogin(pv.issuer, testPersons[0]!.pid); // administers CONSUMER
    const form = { csrf, client_name: 'Med API', integration_type: 'api_klient', application_type: 'web', token_endpoint_auth_method: 'client_secret_basic', redirect_uris: REDIRECT, post_logout_redirect_uris: '' };
    const created = await browser.post(`${pv.issuer}/portal/orgs/${CONSUMER}/new`, { ...form, scope_lines: 'openid\nprofile\nkrr:user/kontaktinformasjon.read' });
    expect(created.status).toBe(201); // the page with the secret
    const clientId = /id="client-id">([^<]+)</.exec(created.body)![1]!;
    expect((await pv.portvakt.integrations.get('all', clientId)).scopes).toEqual(['openid', 'profile', 'krr:user/kontaktinformasjon.read']);

    const page = await browser.request(`${pv.issuer}/portal/clients/${clientId}`);
    const lines = /<textarea id="scopes" name="scope_lines"[^>]*>([^<]*)<\/textarea>/.exec(page.body)![1]!;
    expect(lines).toBe('openid\nprofile\nkrr:user/kontaktinformasjon.read');
    const version = formField(page.body, 'version')!;
    const saved = await browser.post(`${pv.issuer}/portal/clients/${clientId}`, { ...form, version, client_name: 'Nytt navn', scope_lines: lines });
    expect(saved.status).toBe(303);
    expect(await pv.portvakt.integrations.get('all', clientId)).toMatchObject({ client_name: 'Nytt navn', scopes: ['openid', 'profile', 'krr:user/kontaktinformasjon.read'] });

    const again = await browser.request(`${pv.issuer}/portal/clients/${clientId}`);
    const refused = await browser.post(`${pv.issuer}/portal/clients/${clientId}`, { ...form, version: formField(again.body, 'version')!, scope_lines: 'openid nav:sykepenger.read' });
    expect(refused.status).toBe(400);
    expect(refused.body).toMatch(/id="scopes-error"[^>]*>[^<]*nav:sykepenger.read[^<]*not open to organisation 312000008/);
    expect((await pv.portvakt.integrations.get('all', clientId)).scopes).toEqual(['openid', 'profile', 'krr:user/kontaktinformasjon.read']);
  });
});

describe('scope pages in the portal', () => {
  it('are the owner\'s: another organisation\'s administrator gets 404 and changes nothing; only the desk gives prefixes; every form wants the session\'s CSRF token', async () => {
    const name = 'nav:sykepenger.read'; // OWNER's, declared in the file
    const page = `${pv.issuer}/portal/scopes?scope=${encodeURIComponent(name)}`;
    const other = await portalLogin(pv.issuer, testPersons[0]!.pid); // administers CONSUMER only
    const prefixesBefore = await pv.portvakt.apiScopes.prefixes(CONSUMER);
    expect((await other.browser.request(page)).status).toBe(404);
    expect((await other.browser.post(page, { csrf: other.csrf, description: 'Kapret', active: 'yes' })).status).toBe(404);
    expect((await other.browser.post(`${pv.issuer}/portal/scopes/access?scope=${encodeURIComponent(name)}`, { csrf: other.csrf, consumer_orgno: CONSUMER })).status).toBe(404);
    expect((await other.browser.post(`${pv.issuer}/portal/orgs/${CONSUMER}/prefixes`, { csrf: other.csrf, prefix: 'kapret' })).status).toBe(404);
    expect((await other.browser.request(`${pv.issuer}/portal/orgs/${OWNER}/scopes/new`)).status).toBe(404);
    expect((await other.browser.request(`${pv.issuer}/portal/scopes?scope=%00`)).status).toBe(404);
    expect(await pv.portvakt.apiScopes.find(name)).toMatchObject({ description: 'Les sykepengesøknader', active: true });
    expect(await pv.portvakt.apiScopes.accessOf(CONSUMER)).not.toContainEqual(expect.objectContaining({ scope: name }));
    expect(await pv.portvakt.apiScopes.prefixes(CONSUMER)).toEqual(prefixesBefore); // "kapret" was not given

    await pv.portvakt.organisations.upsert({ orgno: OWNER, name: 'NAV' });
    await pv.portvakt.organisations.grant(testPersons[3]!.pid, 'integration_admin', OWNER);
    const owner = await portalLogin(pv.issuer, testPersons[3]!.pid);
    const shown = await owner.browser.request(page);
    expect(shown.status).toBe(200);
    expect(shown.body).toContain('Les sykepengesøknader');
    const forged = await owner.browser.post(page, { csrf: 'forged', description: 'Forfalsket', active: 'yes' });
    expect(forged.status).toBeGreaterThanOrEqual(400);
    expect((await pv.portvakt.apiScopes.find(name))?.description).toBe('Les sykepengesøknader');
  });

  it('a save made on a scope someone changed since is refused (409) and shows what is there now, as the API\'s If-Match', async () => {
    const name = 'nav:sykepenger.read';
    const page = `${pv.issuer}/portal/scopes?scope=${encodeURIComponent(name)}`;
    await pv.portvakt.organisations.upsert({ orgno: OWNER, name: 'NAV' });
    await pv.portvakt.organisations.grant(testPersons[3]!.pid, 'integration_admin', OWNER);
    const [first, second] = [await portalLogin(pv.issuer, testPersons[3]!.pid), await portalLogin(pv.issuer, testPersons[3]!.pid)];
    const opened = await Promise.all([first.browser.request(page), second.browser.request(page)]);
    const form = (i: number, description: string) => ({ csrf: [first, second][i]!.csrf, version: formField(opened[i]!.body, 'version')!, description, at_max_age: '60', active: 'yes' });
    expect(form(0, '').version).toBeTruthy();
    expect((await first.browser.post(page, form(0, 'Les sykepengesøknader (første)'))).status).toBe(303);
    const late = await second.browser.post(page, form(1, 'Les sykepengesøknader (andre)'));
    expect(late.status).toBe(409);
    expect(late.body).toContain('Noen andre endret scopet mens du redigerte det.');
    expect(late.body).toContain('Les sykepengesøknader (første)');
    expect((await pv.portvakt.apiScopes.find(name))?.description).toBe('Les sykepengesøknader (første)');
    // Made again on what is there now, it is saved.
    expect((await second.browser.post(page, { ...form(1, 'Les sykepengesøknader (andre)'), version: formField(late.body, 'version')! })).status).toBe(303);
    expect((await pv.portvakt.apiScopes.find(name))?.description).toBe('Les sykepengesøknader (andre)');
    await pv.portvakt.apiScopes.change('all', name, { ...(await pv.portvakt.apiScopes.find(name))!, description: 'Les sykepengesøknader' }, { kind: 'cli', id: 'test' });
  });
});

describe('the client file', () => {
  const refused = async (file: { clients?: unknown[]; scopes?: unknown[] }, message: RegExp) =>
    expect(startPortvakt(file)).rejects.toThrow(message);

  it('stops the start on a scope that breaks a rule, naming it and the field', async () => {
    await refused({ scopes: [{ name: 'nav:x' }] }, /scopes\[0\]: scope "nav:x": description is required/);
    await refused({ scopes: [{ name: 'nav:x', description: 'x', token_type: 'BY_VALUE' }] }, /scope "nav:x": token_type must be one of "SELF_CONTAINED", "OPAQUE"/);
    await refused({ scopes: [{ name: 'idporten:x', description: 'x' }] }, /scope "idporten:x": prefix "idporten" is reserved/);
    await refused({ scopes: [{ name: 'NAV:x', description: 'x' }] }, /scope "NAV:x": prefix must be 1 to 40 characters/);
    await refused({ scopes: [{ name: 'nav:x', description: 'x', colour: 'blue' }] }, /scope "nav:x": colour is not a known field/);
    await refused({ scopes: [{ name: 'nav:x', description: 'x' }, { prefix: 'nav', subscope: 'x', description: 'y' }] }, /scope "nav:x" is declared twice/);
  });

  it('stops the start on a client naming a scope it may not have', async () => {
    await refused({ clients: [{ ...web, client_id: 'svc', integration_type: 'api_klient', scopes: ['openid', 'nav:nope'] }] }, /clients\[0\]: client "svc": scopes\[1\] names "nav:nope" is not a registered API scope/);
    await refused({
      scopes: [{ name: 'nav:private', description: 'x', owner_orgno: OWNER }],
      clients: [{ ...web, client_id: 'svc', integration_type: 'api_klient', client_orgno: CONSUMER, scopes: ['openid', 'nav:private'] }],
    }, /scopes\[1\] names "nav:private" is not open to organisation 312000008/);
    await refused({
      scopes: [{ name: 'nav:machines', description: 'x', allowed_integration_types: ['maskinporten'] }],
      clients: [{ ...web, client_id: 'svc', integration_type: 'api_klient', scopes: ['openid', 'nav:machines'] }],
    }, /"nav:machines" is not for integration_type "api_klient"/);
  });
});
