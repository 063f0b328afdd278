// Protocol events per client (ARCHITECTURE.md: "every protocol event … is recorded per client and
// environment"): what the provider answered each client, with the OAuth error it was given, as the
// service owner reads it in the portal and the API. Real logins with openid-client and the TestID page.
import { EventEmitter } from 'node:events';
import { afterAll, describe, expect, it, vi } from 'vitest';
import * as oidc from 'openid-client';
import type Provider from 'oidc-provider';
import { sql } from 'kysely';
import { PERSON, REDIRECT, secrets, portvaktWithTestClients, testClients, testScopes, TEST_API_SCOPE } from './helpers/clients.js';
import { PKCE, headlessAuthorizeUrl, headlessCode, redeemCode } from './helpers/headless.js';
import { CookieBrowser, loginWithTestId } from './helpers/browser.js';
import { startPortvakt, type TestPortvakt } from './helpers/portvakt.js';
import { createProtocolEvents, deleteProtocolEventsOlderThan } from '../src/registry/events.js';
import { recordProtocolEvents } from '../src/provider/protocol-events.js';
import { testPersons } from '../src/identity/test-persons.js';

const env = portvaktWithTestClients();
const insecure = { execute: [oidc.allowInsecureRequests] };
const basicClient = () => oidc.discovery(new URL(env.pv.issuer), 'basic-client', {}, oidc.ClientSecretBasic(secrets.basic), insecure);
const eventsOf = (clientId: string, limit?: number) => env.pv.portvakt.events.forClient(clientId, { limit });
/** The events after those seen before `mark` (they are newest first). */
const since = async (clientId: string, mark: number) => {
  const all = await eventsOf(clientId, 200);
  return all.slice(0, all.length - mark);
};

describe('what is recorded for a client', () => {
  it('a login on the TestID page, its token call, userinfo, an SSO login, a refresh, introspection and revocation', async () => {
    const before = (await eventsOf('basic-client', 200)).length;
    const config = await basicClient();
    const browser = new CookieBrowser();
    const authorize = () => oidc.buildAuthorizationUrl(config, { redirect_uri: REDIRECT, scope: `openid profile ${TEST_API_SCOPE}`, state: 's', nonce: 'n', code_challenge: PKCE.challenge, code_challenge_method: 'S256' }).href;
    const callback = await loginWithTestId(browser, authorize(), REDIRECT, { pid: PERSON, acr: 'idporten-loa-high' });
    const tokens = await oidc.authorizationCodeGrant(config, new URL(callback), { pkceCodeVerifier: PKCE.verifier, expectedState: 's', expectedNonce: 'n' });
    await oidc.fetchUserInfo(config, tokens.access_token, tokens.claims()!.sub);
    const sso = await loginWithTestId(browser, authorize(), REDIRECT); // no page: the session is reused
    await oidc.authorizationCodeGrant(config, new URL(sso), { pkceCodeVerifier: PKCE.verifier, expectedState: 's', expectedNonce: 'n' });
    const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token!);
    const introspector = await oidc.discovery(new URL(env.pv.issuer), 'introspector', {}, oidc.ClientSecretBasic(secrets.introspector), insecure);
    const introspectorBefore = (await eventsOf('introspector', 200)).length;
    expect(await oidc.tokenIntrospection(introspector, refreshed.access_token)).toMatchObject({ active: true });
    await oidc.tokenRevocation(config, refreshed.refresh_token!);

    const authorized = { type: 'authorize', outcome: 'success' };
    expect(await since('basic-client', before)).toEqual([
      expect.objectContaining({ type: 'revocation', outcome: 'success' }),
      expect.objectContaining({ type: 'token', outcome: 'success', detail: { grant_type: 'refresh_token' } }),
      expect.objectContaining({ type: 'token', outcome: 'success', detail: { grant_type: 'authorization_code' } }),
      // The SSO answer reused this client's own login (another's would be verification test 3).
      expect.objectContaining({ ...authorized, detail: { redirect_uri: REDIRECT, scope: `openid profile ${TEST_API_SCOPE}`, response_mode: 'query', login: 'sso', acr: 'idporten-loa-high', sso_from: 'self', pkce: 'S256' } }),
      expect.objectContaining({ type: 'userinfo', outcome: 'success', detail: {} }),
      expect.objectContaining({ type: 'token', outcome: 'success', detail: { grant_type: 'authorization_code' } }),
      expect.objectContaining({ ...authorized, detail: { redirect_uri: REDIRECT, scope: `openid profile ${TEST_API_SCOPE}`, response_mode: 'query', login: 'TestID', acr: 'idporten-loa-high', pkce: 'S256' } }),
    ]);
    // The introspection is the calling resource server's event, not the token's client's.
    expect(await since('introspector', introspectorBefore)).toEqual([expect.objectContaining({ type: 'introspection', outcome: 'success', detail: { active: true } })]);

    // Nothing a client could use, and nothing about the person, is in an event.
    const stored = JSON.stringify(await eventsOf('basic-client', 200));
    for (const value of [tokens.access_token, tokens.refresh_token!, tokens.id_token!, refreshed.access_token, new URL(callback).searchParams.get('code')!, PERSON, tokens.claims()!.sub]) {
      expect(stored).not.toContain(value);
    }
  });

  it('failures carry the error and description the client was given', async () => {
    const before = (await eventsOf('basic-client', 200)).length;
    // An unregistered redirect_uri: the person sees an error page; the service owner sees why.
    const wrongRedirect = await fetch(headlessAuthorizeUrl(env.pv.issuer, { client_id: 'basic-client', redirect_uri: 'http://localhost:7777/other' }), { redirect: 'manual' });
    expect(wrongRedirect.status).toBe(400);
    const reference = /<code class="reference">([0-9a-f]{12})<\/code>/.exec(await wrongRedirect.text())?.[1];
    expect(reference).toBeTruthy();
    // Cancel on the TestID page.
    const cancelled = await loginWithTestId(new CookieBrowser(), headlessAuthorizeUrl(env.pv.issuer, { client_id: 'basic-client', redirect_uri: REDIRECT, hint: false }), REDIRECT, { pid: PERSON, action: 'cancel' });
    expect(new URL(cancelled).searchParams.get('error')).toBe('access_denied');
    // A code used twice.
    const code = await headlessCode(headlessAuthorizeUrl(env.pv.issuer, { client_id: 'basic-client', redirect_uri: REDIRECT }));
    const redeem = () => redeemCode(env.pv.issuer, { client_id: 'basic-client', secret: secrets.basic, code: code!, redirect_uri: REDIRECT });
    expect((await redeem()).status).toBe(200);
    expect((await redeem()).status).toBe(400);

    expect(await since('basic-client', before)).toEqual([
      expect.objectContaining({ type: 'token', outcome: 'failure', detail: { grant_type: 'authorization_code', error: 'invalid_grant', error_description: expect.stringContaining('grant request is invalid') } }),
      expect.objectContaining({ type: 'token', outcome: 'success' }),
      expect.objectContaining({ type: 'authorize', outcome: 'success' }),
      expect.objectContaining({ type: 'authorize', outcome: 'failure', detail: { redirect_uri: REDIRECT, scope: 'openid', error: 'access_denied', error_description: expect.any(String) } }),
      // The reference the person saw on the error page: what they quote to support.
      expect.objectContaining({ type: 'authorize', outcome: 'failure', detail: { redirect_uri: 'http://localhost:7777/other', scope: 'openid', error: 'invalid_redirect_uri', error_description: expect.stringContaining('redirect_uri'), reference } }),
    ]);
  });

  it('a request naming no registered client is recorded for nobody', async () => {
    const response = await fetch(headlessAuthorizeUrl(env.pv.issuer, { client_id: 'no-such-client', redirect_uri: REDIRECT }), { redirect: 'manual' });
    expect(response.status).toBe(400);
    const token = await fetch(`${env.pv.issuer}/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=authorization_code&code=x&client_id=no-such-client&client_secret=y' });
    expect(token.status).toBe(401);
    expect(await eventsOf('no-such-client')).toEqual([]);
  });

  it('the integration page in the portal lists them for the organisation\'s administrator', async () => {
    const admin = testPersons[0]!; // administers the seeded demo organisation
    const { integration, client_secret } = await env.pv.portvakt.integrations.create('all', '312000008', { client_name: 'Hendelsestjeneste', redirect_uris: [REDIRECT] }, { kind: 'cli', id: 'test' });
    const code = await headlessCode(headlessAuthorizeUrl(env.pv.issuer, { client_id: integration.client_id, redirect_uri: REDIRECT }));
    const token = await redeemCode(env.pv.issuer, { client_id: integration.client_id, secret: 'wrong', code: code!, redirect_uri: REDIRECT });
    expect(token.status).toBe(401);
    expect(client_secret).toBeTruthy();

    const browser = new CookieBrowser();
    const start = await browser.request(`${env.pv.issuer}/portal/login`);
    await browser.request(await loginWithTestId(browser, start.location!, `${env.pv.issuer}/portal/callback`, { pid: admin.pid }));
    const page = await browser.request(`${env.pv.issuer}/portal/clients/${integration.client_id}`);
    expect(page.status).toBe(200);
    expect(page.body).toContain('<h2 id="events-title">Siste hendelser</h2>');
    const rows = [...page.body.matchAll(/<tr data-outcome="(\w+)">(.*?)<\/tr>/g)].map(([, outcome, row]) => ({ outcome, text: row!.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim() }));
    expect(rows).toEqual([
      { outcome: 'failure', text: expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d token Feil invalid_client : client authentication failed: invalid secret provided grant_type= authorization_code$/) },
      { outcome: 'success', text: expect.stringMatching(/ authorize OK login= TestID acr= idporten-loa-substantial scope= openid redirect_uri= http:\/\/localhost:7777\/callback response_mode= query pkce= S256$/) },
    ]);

    // Only the failures: the page's own filter.
    const failures = await browser.request(`${env.pv.issuer}/portal/clients/${integration.client_id}?events=failures`);
    expect([...failures.body.matchAll(/<tr data-outcome="(\w+)">/g)].map(([, outcome]) => outcome)).toEqual(['failure']);
    expect(failures.body).toContain('aria-current="true">Bare feil</a>');
  });
});

describe('how much is recorded', () => {
  let pv: TestPortvakt | undefined;
  afterAll(async () => pv?.close());

  it.each([
    ['errors', ['token failure']],
    ['off', []],
  ])('PORTVAKT_PROTOCOL_EVENTS=%s', async (recording, expected) => {
    await pv?.close();
    pv = await startPortvakt({ clients: (await testClients()).clients, scopes: testScopes, env: { PORTVAKT_PROTOCOL_EVENTS: recording } });
    const code = await headlessCode(headlessAuthorizeUrl(pv.issuer, { client_id: 'basic-client', redirect_uri: REDIRECT }));
    expect(code).toBeTruthy();
    const wrongSecret = await redeemCode(pv.issuer, { client_id: 'basic-client', secret: 'wrong', code: code!, redirect_uri: REDIRECT });
    expect(wrongSecret.status).toBe(401);
    expect((await pv.portvakt.events.forClient('basic-client')).map((e) => `${e.type} ${e.outcome}`)).toEqual(expected);
  });
});

describe('recording', () => {
  it('a recorder that throws is reported, and never becomes the answer to the request', () => {
    const provider = Object.assign(new EventEmitter(), { use: () => undefined });
    const broken = () => { throw new Error('disk on fire'); };
    const failures: unknown[] = [];
    recordProtocolEvents(provider as unknown as Provider, broken, (err) => failures.push(err));
    const ctx = { oidc: { client: { clientId: 'basic-client' }, params: { grant_type: 'authorization_code' } } };
    expect(() => provider.emit('grant.success', ctx)).not.toThrow();
    expect(() => provider.emit('server_error', undefined, new Error('x'))).not.toThrow();
    expect(failures).toEqual([expect.objectContaining({ message: 'disk on fire' })]);
  });
});

describe('the event store', () => {
  it('keeps what the database would refuse or a page would mangle as readable text, and cuts long text', async () => {
    const events = createProtocolEvents(env.pv.portvakt.store.db, 'test', { flushMs: 60_000 });
    events.record({ clientId: 'store-test', type: 'authorize', outcome: 'failure', detail: { error: 'invalid_request', error_description: `nul\u0000 lone\ud800 ${'x'.repeat(600)}`, skipped: undefined, n: 3, ok: false } });
    const [stored] = await events.forClient('store-test');
    expect(stored!.detail).toEqual({ error: 'invalid_request', error_description: `nul\ufffd lone\ufffd ${'x'.repeat(489)}…` /* 500 characters, then … */, n: 3, ok: false });
    await events.close();
  });

  it('a full queue gives up the oldest events and says how many', async () => {
    const lost: number[] = [];
    const events = createProtocolEvents(env.pv.portvakt.store.db, 'test', { flushMs: 60_000, maxQueued: 3, onError: (_err, n) => lost.push(n) });
    for (const n of [1, 2, 3, 4, 5]) events.record({ clientId: 'queue-test', type: 'token', outcome: 'success', detail: { n } });
    expect(events.pending).toBe(3); // what /metrics shows as portvakt_protocol_events_pending
    expect((await events.forClient('queue-test')).map((e) => e.detail.n)).toEqual([5, 4, 3]);
    expect(events.pending).toBe(0);
    expect(lost).toEqual([2]);
    await events.close();
  });

  it('lists the clients failing most in the last day, counting suppressed failures, for this environment only', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const environment = `failing-${Date.now()}`;
      const events = createProtocolEvents(env.pv.portvakt.store.db, environment, { failuresPerMinute: 2 });
      for (let i = 0; i < 5; i++) events.record({ clientId: 'often', type: 'token', outcome: 'failure', detail: { error: i < 4 ? 'invalid_client' : 'invalid_grant' } });
      events.record({ clientId: 'once', type: 'authorize', outcome: 'failure', detail: { error: 'invalid_request' } });
      events.record({ clientId: 'fine', type: 'token', outcome: 'success' });
      vi.advanceTimersByTime(60_000); // the minute ends: 'often' had 3 failures past the limit
      const elsewhere = createProtocolEvents(env.pv.portvakt.store.db, `${environment}-other`);
      elsewhere.record({ clientId: 'other-env', type: 'token', outcome: 'failure', detail: { error: 'invalid_client' } });
      await elsewhere.close();
      await events.flush();
      // A failure of two days ago is past the window.
      await sql`insert into protocol_events (environment, client_id, type, outcome, detail, created_at) values (${environment}, 'long-ago', 'token', 'failure', '{}', now() - interval '2 days')`.execute(env.pv.portvakt.store.db);

      const failing = await events.failing();
      expect(failing.map(({ clientId, failures, lastError }) => ({ clientId, failures, lastError }))).toEqual([
        { clientId: 'often', failures: 5, lastError: 'invalid_client' }, // 2 stored, 3 suppressed (the invalid_grant among them)
        { clientId: 'once', failures: 1, lastError: 'invalid_request' },
      ]);
      expect(failing[0]!.lastAt).toBeInstanceOf(Date);
      expect(await events.failing({ limit: 1 })).toHaveLength(1);
      await events.close();
    } finally {
      vi.useRealTimers();
    }
  });

  it('failures past the per-client limit of a minute are counted in one suppressed event, not stored one by one', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const events = createProtocolEvents(env.pv.portvakt.store.db, 'test', { failuresPerMinute: 3 });
      const failure = { clientId: 'limit-test', type: 'token', outcome: 'failure', detail: { error: 'invalid_client' } } as const;
      for (let i = 0; i < 5; i++) events.record(failure);
      events.record({ clientId: 'limit-test', type: 'token', outcome: 'success' }); // successes are not limited
      events.record({ ...failure, clientId: 'another-client' }); // nor is another client
      vi.advanceTimersByTime(60_000); // the minute ends
      events.record(failure); // a new minute
      expect((await events.forClient('limit-test')).map((e) => `${e.type} ${e.outcome} ${JSON.stringify(e.detail)}`)).toEqual([
        'token failure {"error":"invalid_client"}',
        'suppressed failure {"count":2}',
        'token success {}',
        'token failure {"error":"invalid_client"}',
        'token failure {"error":"invalid_client"}',
        'token failure {"error":"invalid_client"}',
      ]);
      expect(await events.forClient('another-client')).toHaveLength(1);
      await events.close();
    } finally {
      vi.useRealTimers();
    }
  });

  it('keeps events while the database cannot take them, and writes them once it can', async () => {
    const db = env.pv.portvakt.store.db;
    const errors: Array<[unknown, number]> = [];
    const events = createProtocolEvents(db, 'test', { flushMs: 60_000, onError: (err, lost) => errors.push([err, lost]) });
    await sql`alter table protocol_events rename to protocol_events_away`.execute(db);
    try {
      events.record({ clientId: 'away-test', type: 'token', outcome: 'success' });
      await events.flush();
      expect(events.pending).toBe(1); // kept, to be tried again
      expect(errors).toEqual([[expect.objectContaining({ message: expect.stringContaining('protocol_events') }), 0]]);
    } finally {
      await sql`alter table protocol_events_away rename to protocol_events`.execute(db);
    }
    expect((await events.forClient('away-test')).map((e) => e.type)).toEqual(['token']);
    expect(events.pending).toBe(0);
    await events.close();
  });

  it('deletes events past their retention', async () => {
    const db = env.pv.portvakt.store.db;
    const events = createProtocolEvents(db, 'test');
    events.record({ clientId: 'retention-test', type: 'token', outcome: 'success' });
    await events.flush();
    await db.insertInto('protocol_events').values({ environment: 'test', client_id: 'retention-test', type: 'token', outcome: 'failure', detail: '{}', created_at: new Date(Date.now() - 31 * 86_400_000) }).execute();
    expect(await events.forClient('retention-test')).toHaveLength(2);
    expect(await deleteProtocolEventsOlderThan(db, 30)).toBeGreaterThanOrEqual(1);
    expect((await events.forClient('retention-test')).map((e) => e.outcome)).toEqual(['success']);
    await events.close();
  });
});
