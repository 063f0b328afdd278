// Fullmakt login (profile §11, Rich Authorization Requests): a service asks with
// authorization_details [{"type":"idporten:fullmakt","permission_roles":[…]}]; the person, logged in
// as themselves, chooses whom to represent among their relations (or themselves); the choice comes
// back as authorization_details in the token response, the id_token, the access token, on refresh
// and at introspection — for this one authorization only. Driven by openid-client over real HTTP.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as oidc from 'openid-client';
import { decodeJwt } from 'jose';
import { startPortvakt, type TestPortvakt } from './helpers/portvakt.js';
import { CookieBrowser, formField, type Hop } from './helpers/browser.js';
import { REDIRECT, TEST_API_SCOPE, testScopes } from './helpers/clients.js';
import { testPersons } from '../src/identity/test-persons.js';

const SECRET = 'fullmakt-client-secret-0123456789abcdef';
const insecure = { execute: [oidc.allowInsecureRequests] };
const person = (given: string) => testPersons.find((p) => p.givenName === given)!;
const KARI = person('Kari').pid; // represents Ingrid (nav: arbeid, skatteetaten: skatt, helfo: helse) and Nils (skatteetaten: skatt)
const INGRID = person('Ingrid').pid;
const NILS = person('Nils').pid;
const OLA = person('Ola').pid; // represents nobody
const SOFIA = person('Sofia').pid; // represents Aisha, declared in the client file below
const AISHA = person('Aisha').pid;

const PSEUDONYMOUS = 'test:anonym';
const scopes = [...testScopes, { name: PSEUDONYMOUS, description: 'Pseudonymous', accessible_for_all: true, requires_pseudonymous_tokens: true, enforced_aud_for_introspection: ['introspector'] }];
const clients = [
  { client_id: 'nav-tjeneste', client_secret: SECRET, redirect_uris: [REDIRECT], integration_type: 'api_klient', scopes: ['openid', 'profile', TEST_API_SCOPE, PSEUDONYMOUS], grant_types: ['authorization_code', 'refresh_token'] },
  { client_id: 'introspector', client_secret: SECRET, redirect_uris: [REDIRECT], integration_type: 'api_klient', scopes: ['openid', 'idporten:token.introspection'] },
];
const declared = [{
  authorizer: { pid: AISHA, name: 'Aisha Haugen' },
  authorized_representative: { pid: SOFIA, name: 'Sofia Berg' },
  permissions: [{ owner: 'nav', role: 'familie' }],
}];

let pv: TestPortvakt;
let config: oidc.Configuration;

beforeAll(async () => {
  pv = await startPortvakt({ clients, scopes, fullmakter: declared });
  config = await oidc.discovery(new URL(pv.issuer), 'nav-tjeneste', SECRET, oidc.ClientSecretBasic(SECRET), insecure);
});
afterAll(async () => pv?.close());

const fullmakt = (...roles: string[]) => JSON.stringify([{ type: 'idporten:fullmakt', permission_roles: roles }]);
const atCallback = (url: string) => url.startsWith(REDIRECT);

interface Flow { url: string; verifier: string; nonce: string; state: string }

async function authorization(params: Record<string, string> = {}): Promise<Flow> {
  const verifier = oidc.randomPKCECodeVerifier();
  const nonce = oidc.randomNonce();
  const state = oidc.randomState();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT, scope: `openid profile ${TEST_API_SCOPE}`, state, nonce,
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', ...params,
  });
  return { url: url.href, verifier, nonce, state };
}

/** Logs `pid` in on the TestID page and returns the page that follows (the chooser), or the callback hop. */
async function logIn(browser: CookieBrowser, flow: Flow, pid: string): Promise<Hop> {
  const page = await browser.follow(flow.url, atCallback);
  if (!page.body.includes('name="pid"')) return page; // SSO: straight to what comes next
  const submitted = await browser.post(page.action!, { csrf: formField(page.body, 'csrf')!, pid, acr: 'idporten-loa-substantial', action: 'login' });
  return browser.follow(submitted.location!, atCallback);
}

async function choose(browser: CookieBrowser, chooser: Hop, authorizer: string): Promise<Hop> {
  const answered = await browser.post(chooser.action!, { csrf: formField(chooser.body, 'csrf')!, authorizer, action: 'represent' });
  return answered.location ? browser.follow(answered.location, atCallback) : answered;
}

function tokensFrom(flow: Flow, callback: string) {
  return oidc.authorizationCodeGrant(config, new URL(callback), { pkceCodeVerifier: flow.verifier, expectedNonce: flow.nonce, expectedState: flow.state });
}

async function introspect(token: string): Promise<Record<string, unknown>> {
  const response = await fetch(`${pv.issuer}/token/introspect`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`introspector:${SECRET}`).toString('base64')}` },
    body: new URLSearchParams({ token }),
  });
  return response.json() as Promise<Record<string, unknown>>;
}

describe('fullmakt login', () => {
  it('discovery lists idporten:fullmakt as the one authorization_details type', async () => {
    const metadata = await (await fetch(`${pv.issuer}/.well-known/openid-configuration`)).json() as Record<string, unknown>;
    expect(metadata.authorization_details_types_supported).toEqual(['idporten:fullmakt']);
  });

  it('the person chooses whom to represent; the choice is in the token response, id_token, access token, refresh and introspection', async () => {
    const browser = new CookieBrowser();
    const flow = await authorization({ authorization_details: fullmakt('arbeid') });
    const chooser = await logIn(browser, flow, KARI);
    expect(chooser.status).toBe(200);
    expect(chooser.body).toContain('<h1>Hvem vil du representere?</h1>');
    expect(chooser.body).toContain('nav-tjeneste lar deg logge inn på vegne av');
    // Only relations with one of the asked-for roles: Ingrid (arbeid), not Nils (skatt only).
    expect(chooser.body).toContain('Ingrid Bakke');
    expect(chooser.body).toContain('nav: arbeid');
    expect(chooser.body).not.toContain('Nils Sara');
    expect(chooser.body).not.toContain('skatteetaten: skatt');
    expect(chooser.body).toContain('Meg selv');

    const callback = await choose(browser, chooser, INGRID);
    const tokens = await tokensFrom(flow, callback.location!);
    const expected = [{
      type: 'idporten:fullmakt',
      authorizer: { pid: INGRID, name: 'Ingrid Bakke' },
      permissions: [{ owner: 'nav', role: 'arbeid' }],
      authorized_representative: { pid: KARI, name: 'Kari Nordmann' },
    }];
    expect(tokens.authorization_details).toEqual(expected);
    const idToken = tokens.claims()!;
    expect(idToken.authorization_details).toEqual(expected);
    // Not impersonation: pid and sub stay the person who logged in.
    expect(idToken.pid).toBe(KARI);
    expect(decodeJwt(tokens.access_token).authorization_details).toEqual(expected);
    expect(decodeJwt(tokens.access_token).pid).toBe(KARI);
    expect(await introspect(tokens.access_token)).toMatchObject({ active: true, pid: KARI, authorization_details: expected });

    // A refresh keeps the representation of the authorization it belongs to.
    const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token!);
    expect(refreshed.authorization_details).toEqual(expected);
    expect(decodeJwt(refreshed.access_token).authorization_details).toEqual(expected);
  });

  it('the chooser comes every time, also within SSO; "myself" answers []; an ordinary login after it is the person\'s own', async () => {
    const browser = new CookieBrowser();
    const first = await authorization({ authorization_details: fullmakt('skatt') });
    const chooser = await logIn(browser, first, KARI);
    // Both relations have skatt.
    expect(chooser.body).toContain('Ingrid Bakke');
    expect(chooser.body).toContain('Nils Sara');
    const toNils = await tokensFrom(first, (await choose(browser, chooser, NILS)).location!);
    expect((toNils.authorization_details as unknown as Array<{ authorizer: { pid: string } }>)[0]!.authorizer.pid).toBe(NILS);

    // SSO: no TestID page, but the chooser again; the person picks themselves.
    const second = await authorization({ authorization_details: fullmakt('skatt') });
    const again = await browser.follow(second.url, atCallback);
    expect(again.body).toContain('<h1>Hvem vil du representere?</h1>');
    const self = await tokensFrom(second, (await choose(browser, again, 'self')).location!);
    expect(self.authorization_details).toEqual([]);
    expect(self.claims()!.authorization_details).toEqual([]);
    expect(self.claims()!.pid).toBe(KARI);
    expect(decodeJwt(self.access_token).authorization_details).toBeUndefined();
    // … also after a refresh, and the one after it (a rotated refresh token keeps it).
    const selfRefreshed = await oidc.refreshTokenGrant(config, self.refresh_token!);
    expect(selfRefreshed.authorization_details).toEqual([]);
    expect(selfRefreshed.claims()!.authorization_details).toEqual([]);
    expect((await oidc.refreshTokenGrant(config, selfRefreshed.refresh_token!)).authorization_details).toEqual([]);

    // The SSO session was never turned into an on-behalf-of session.
    const plain = await authorization();
    const sso = await browser.follow(plain.url, atCallback);
    const own = await tokensFrom(plain, sso.location!);
    expect(own.authorization_details).toBeUndefined();
    expect(own.claims()!.authorization_details).toBeUndefined();
    expect(decodeJwt(own.access_token).authorization_details).toBeUndefined();

    // Support and the organisation see which logins were fullmakt logins, and how they ended (no pids).
    const authorizations = (await pv.portvakt.events.forClient('nav-tjeneste', { limit: 20 })).filter((e) => e.type === 'authorize').slice(0, 3);
    expect(authorizations.map((e) => e.detail.fullmakt)).toEqual([undefined, 'self', 'another']);
    expect(JSON.stringify(authorizations)).not.toContain(NILS);
  });

  it('with a scope that requires pseudonymous tokens, the representation (both pids) reaches only the API, by introspection', async () => {
    const browser = new CookieBrowser();
    const flow = await authorization({ scope: `openid ${PSEUDONYMOUS}`, authorization_details: fullmakt('arbeid') });
    const tokens = await tokensFrom(flow, (await choose(browser, await logIn(browser, flow, KARI), INGRID)).location!);
    expect(tokens.authorization_details).toBeUndefined();
    expect(tokens.claims()!.authorization_details).toBeUndefined();
    expect(tokens.claims()!.pid).toBeUndefined();
    expect(decodeJwt(tokens.access_token).authorization_details).toBeUndefined();
    const introspected = await introspect(tokens.access_token);
    expect(introspected).toMatchObject({ active: true, pid: KARI });
    expect((introspected.authorization_details as Array<{ authorizer: { pid: string } }>)[0]!.authorizer.pid).toBe(INGRID);
  });

  it('the TestID picker marks who may act for someone, the declared relations included', async () => {
    const page = await new CookieBrowser().follow((await authorization()).url, atCallback);
    const tagged = (name: string) => new RegExp(`${name}<span class="ds-tag"[^>]*>fullmektig</span>`).test(page.body);
    expect(tagged('Kari Nordmann')).toBe(true);
    expect(tagged('Sofia Berg')).toBe(true);
    expect(tagged('Ola Nordmann')).toBe(false);
    expect(tagged('Ingrid Bakke')).toBe(false);
  });

  it('a pushed request (PAR) carries authorization_details as a plain one does', async () => {
    const verifier = oidc.randomPKCECodeVerifier();
    const nonce = oidc.randomNonce();
    const state = oidc.randomState();
    const url = await oidc.buildAuthorizationUrlWithPAR(config, {
      redirect_uri: REDIRECT, scope: 'openid profile', state, nonce, authorization_details: fullmakt('helse'),
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
    });
    expect(url.searchParams.get('request_uri')).toMatch(/^urn:/);
    const flow = { url: url.href, verifier, nonce, state };
    const browser = new CookieBrowser();
    const chooser = await logIn(browser, flow, KARI);
    expect(chooser.body).toContain('helfo: helse');
    const tokens = await tokensFrom(flow, (await choose(browser, chooser, INGRID)).location!);
    expect((tokens.authorization_details as unknown as Array<{ permissions: unknown }>)[0]!.permissions).toEqual([{ owner: 'helfo', role: 'helse' }]);
    // A bad one is refused at /par itself.
    await expect(oidc.buildAuthorizationUrlWithPAR(config, { redirect_uri: REDIRECT, scope: 'openid', state, nonce, authorization_details: '[{}]', code_challenge: 'x'.repeat(43), code_challenge_method: 'S256' }))
      .rejects.toMatchObject({ error: 'invalid_authorization_details' });
  });

  it('a headless TestID login still meets the chooser; prompt=none with a fullmakt request is consent_required', async () => {
    const browser = new CookieBrowser();
    const flow = await authorization({ authorization_details: fullmakt('arbeid'), login_hint: `testid:${KARI}_idporten-loa-substantial` });
    const chooser = await browser.follow(flow.url, atCallback);
    expect(chooser.body).toContain('<h1>Hvem vil du representere?</h1>');
    const silent = await authorization({ authorization_details: fullmakt('arbeid'), prompt: 'none' });
    const answer = new URL((await browser.follow(silent.url, atCallback)).location!);
    expect(Object.fromEntries(answer.searchParams)).toMatchObject({ error: 'consent_required', state: silent.state });
  });

  it('someone with no fitting relation is told so and can only go back (access_denied); cancel in the chooser is access_denied', async () => {
    const browser = new CookieBrowser();
    const flow = await authorization({ authorization_details: fullmakt('arbeid') });
    const none = await logIn(browser, flow, OLA);
    expect(none.status).toBe(403);
    expect(none.body).toContain('<h1>Du kan ikke representere noen her</h1>');
    expect(none.body).toContain(OLA);
    // "Myself" is no way round it.
    expect((await browser.post(none.action!, { csrf: formField(none.body, 'csrf')!, authorizer: 'self', action: 'represent' })).status).toBe(403);
    const back = await browser.post(none.action!, { csrf: formField(none.body, 'csrf')!, action: 'cancel' });
    const denied = new URL((await browser.follow(back.location!, atCallback)).location!);
    expect(Object.fromEntries(denied.searchParams)).toMatchObject({ error: 'access_denied', state: flow.state, iss: pv.issuer });

    const kari = new CookieBrowser();
    const other = await authorization({ authorization_details: fullmakt('arbeid') });
    const chooser = await logIn(kari, other, KARI);
    const cancelled = await kari.post(chooser.action!, { csrf: formField(chooser.body, 'csrf')!, action: 'cancel' });
    expect(new URL((await kari.follow(cancelled.location!, atCallback)).location!).searchParams.get('error')).toBe('access_denied');
  });

  it('a form cannot choose a relation the register does not have, nor choose without the interaction\'s CSRF token', async () => {
    const browser = new CookieBrowser();
    const flow = await authorization({ authorization_details: fullmakt('arbeid') });
    const chooser = await logIn(browser, flow, KARI);
    // Nils is Kari's, but not for arbeid; Ola is nobody's.
    for (const authorizer of [NILS, OLA, '', 'x'.repeat(5000)]) {
      const refused = await choose(browser, chooser, authorizer);
      expect(refused.status).toBe(400);
      expect(refused.body).toContain('Velg hvem du vil representere, eller deg selv.');
    }
    const forged = await browser.post(chooser.action!, { csrf: 'forged', authorizer: INGRID, action: 'represent' });
    expect(forged.status).toBe(200);
    expect(forged.location).toBeUndefined();
    // Still undecided: the real answer goes through.
    const callback = await choose(browser, chooser, INGRID);
    expect((await tokensFrom(flow, callback.location!)).authorization_details).toHaveLength(1);
  });

  it('Digdir\'s demo pair and the relations declared in the client file are there', async () => {
    const demo = new CookieBrowser();
    const flow = await authorization({ authorization_details: fullmakt('arbeid') });
    const chooser = await logIn(demo, flow, '05895894984');
    expect(chooser.body).toContain('USIKKER BILLETTLUKE');
    const demoTokens = await tokensFrom(flow, (await choose(demo, chooser, '28816196088')).location!);
    expect(demoTokens.authorization_details).toEqual([{
      type: 'idporten:fullmakt',
      authorizer: { name: 'USIKKER BILLETTLUKE', pid: '28816196088' },
      permissions: [{ owner: 'nav', role: 'arbeid' }],
      authorized_representative: { name: 'LIVSGLAD DEDIKERT HUSBÅT BILLETTLUKE', pid: '05895894984' },
    }]);

    const sofia = new CookieBrowser();
    const family = await authorization({ authorization_details: fullmakt('familie', 'arbeid') });
    const sofiasChooser = await logIn(sofia, family, SOFIA);
    expect(sofiasChooser.body).toContain('Aisha Haugen');
    const tokens = await tokensFrom(family, (await choose(sofia, sofiasChooser, AISHA)).location!);
    expect((tokens.authorization_details as unknown as Array<{ permissions: unknown }>)[0]!.permissions).toEqual([{ owner: 'nav', role: 'familie' }]);
  });

  it('a malformed request is refused with invalid_authorization_details and says why', async () => {
    const cases: Array<[string, RegExp]> = [
      ['not json', /could not parse/],
      [JSON.stringify({ type: 'idporten:fullmakt' }), /JSON array/],
      [JSON.stringify([{ type: 'nav:noe' }]), /unsupported authorization details type/],
      [JSON.stringify([{ type: 'idporten:fullmakt' }]), /permission_roles/],
      [JSON.stringify([{ type: 'idporten:fullmakt', permission_roles: [] }]), /permission_roles/],
      [JSON.stringify([{ type: 'idporten:fullmakt', permission_roles: ['arbeid', 7] }]), /7 is not a role/],
      [JSON.stringify([{ type: 'idporten:fullmakt', permission_roles: ['arbeid'] }, { type: 'idporten:fullmakt', permission_roles: ['skatt'] }]), /one idporten:fullmakt/],
    ];
    for (const [details, why] of cases) {
      const flow = await authorization({ authorization_details: details });
      const response = await fetch(flow.url, { redirect: 'manual' });
      expect(response.status).toBe(303);
      const answer = Object.fromEntries(new URL(response.headers.get('location')!).searchParams);
      expect(answer).toMatchObject({ error: 'invalid_authorization_details', state: flow.state });
      expect(answer.error_description).toMatch(why);
    }
    // The name Portvakt carries the parameter under inside (provider/fullmakt.ts) is checked the same way.
    const carried = await authorization({ portvakt_authorization_details: 'not json' });
    const refused = new URL((await fetch(carried.url, { redirect: 'manual' })).headers.get('location')!);
    expect(refused.searchParams.get('error')).toBe('invalid_authorization_details');
  });

  it('an invalid relation in the client file stops the start, naming it and the field', async () => {
    const bad = [
      [{ ...declared[0], authorizer: { pid: '12345678901', name: 'X' } }, /fullmakter\[0\]: authorizer\.pid/],
      [{ ...declared[0], authorizer: { pid: '05894200016', name: 'Ingrid' }, authorized_representative: { pid: '05894200016', name: 'Ingrid' } }, /fullmakter\[0\]: .*same person/],
      [{ ...declared[0], permissions: [] }, /fullmakter\[0\]: permissions/],
      [{ ...declared[0], authorizer: { pid: '01017012345', name: 'Real' } }, /fullmakter\[0\]: authorizer\.pid/],
    ] as const;
    for (const [relation, message] of bad) {
      await expect(startPortvakt({ clients, fullmakter: [relation] })).rejects.toThrow(message);
    }
  });
});
