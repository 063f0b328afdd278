// Two stateless nodes over one PostgreSQL (behind a load balancer: same issuer, same secret), and in
// the Redis run over one Redis too: a login on one continues on the other, its tokens work on
// either, and a client changed on one is seen by the other. Only the PostgreSQL runs have it
// (vitest.config.ts); the embedded store is one process by design.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startPortvakt, type TestPortvakt } from './helpers/portvakt.js';
import { CookieBrowser, loginWithTestId } from './helpers/browser.js';
import { PKCE, headlessAuthorizeUrl, headlessCode, redeemCode } from './helpers/headless.js';
import { validateApiScope } from '../src/registry/api-scopes.js';
import { within } from './helpers/wait.js';
import { sql } from 'kysely';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose';
import { rotateSigningKeys } from '../src/provider/keys.js';
import { announceKeyChange } from '../src/provider/key-watch.js';
import { CLIENT_CACHE_SECONDS_SHARED } from '../src/app.js';
import { listenerApplicationName } from '../src/store/change-feed.js';
import { poolApplicationName } from '../src/store/db.js';

const SECRET = 'a-shared-root-secret-for-both-nodes-0123456789';
const ORG = '312000008';

let a: TestPortvakt;
let b: TestPortvakt;

beforeAll(async () => {
  const port = await freePort();
  const issuer = `http://localhost:${port}`;
  a = await startPortvakt({ env: { PORT: String(port), PORTVAKT_ISSUER: issuer, PORTVAKT_SECRET: SECRET } });
  b = await startPortvakt({ schema: a.schema!, redisPrefix: a.redisPrefix, env: { PORT: String(await freePort()), PORTVAKT_ISSUER: issuer, PORTVAKT_SECRET: SECRET } });
});
afterAll(async () => {
  await b?.close();
  await a?.close();
});

const nodeB = (url: string) => url.replace(a.issuer, `http://localhost:${b.portvakt.config.port}`);

describe(`two nodes over one PostgreSQL${process.env.PORTVAKT_TEST_REDIS === 'true' ? ' and one Redis' : ''}`, () => {
  it('a code from node A is redeemed at node B; its tokens work, refresh and are revoked across the nodes', async () => {
    const redirect = 'http://localhost:3000/cb';
    const { integration, client_secret } = await a.portvakt.integrations.create('all', ORG, { client_name: 'Tokens', redirect_uris: [redirect], grant_types: ['authorization_code', 'refresh_token'], scopes: ['openid', 'profile'] }, { kind: 'cli', id: 'test' });
    const basic = `Basic ${Buffer.from(`${integration.client_id}:${client_secret}`).toString('base64')}`;
    const tokenAt = async (node: string, form: Record<string, string>) => {
      const response = await fetch(`${node}/token`, { method: 'POST', headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form) });
      return { status: response.status, body: (await response.json()) as Record<string, string> };
    };
    const userinfoAt = async (node: string, accessToken: string) => fetch(`${node}/userinfo`, { headers: { authorization: `Bearer ${accessToken}` } });
    const nodeBIssuer = nodeB(a.issuer);

    // Headless TestID login at node A (profile §9.2): the answer is the redirect with a code.
    const code = (await headlessCode(headlessAuthorizeUrl(a.issuer, { client_id: integration.client_id, redirect_uri: redirect, scope: 'openid profile' })))!;
    expect(code).toBeTruthy();

    const issued = await tokenAt(nodeBIssuer, { grant_type: 'authorization_code', code, redirect_uri: redirect, code_verifier: PKCE.verifier });
    expect(issued.status).toBe(200);
    expect(issued.body.refresh_token).toBeTruthy();
    const userinfo = await userinfoAt(a.issuer, issued.body.access_token!);
    expect(userinfo.status).toBe(200);
    expect(((await userinfo.json()) as { pid: string }).pid).toBe('28876895937');

    const refreshed = await tokenAt(a.issuer, { grant_type: 'refresh_token', refresh_token: issued.body.refresh_token! });
    expect(refreshed.status).toBe(200);
    expect((await userinfoAt(nodeBIssuer, refreshed.body.access_token!)).status).toBe(200);

    const revoked = await fetch(`${nodeBIssuer}/token/revoke`, { method: 'POST', headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ token: refreshed.body.refresh_token ?? issued.body.refresh_token! }) });
    expect(revoked.status).toBe(200);
    expect((await userinfoAt(a.issuer, refreshed.body.access_token!)).status).toBe(401);
    expect((await tokenAt(a.issuer, { grant_type: 'refresh_token', refresh_token: refreshed.body.refresh_token ?? issued.body.refresh_token! })).body.error).toBe('invalid_grant');
    // The code was used at B: A refuses it too.
    expect((await tokenAt(a.issuer, { grant_type: 'authorization_code', code, redirect_uri: redirect, code_verifier: PKCE.verifier })).body.error).toBe('invalid_grant');
  });

  it('a code used twice, once on each node, revokes what it was exchanged for on both', async () => {
    const { integration, client_secret } = await a.portvakt.integrations.create('all', ORG, { client_name: 'Replay', redirect_uris: ['http://localhost:3000/cb'] }, { kind: 'cli', id: 'test' });
    const basic = `Basic ${Buffer.from(`${integration.client_id}:${client_secret}`).toString('base64')}`;
    const code = (await headlessCode(headlessAuthorizeUrl(a.issuer, { client_id: integration.client_id, redirect_uri: 'http://localhost:3000/cb' })))!;
    const exchange = async (node: string) => (await fetch(`${node}/token`, { method: 'POST', headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: 'http://localhost:3000/cb', code_verifier: PKCE.verifier }) })).json() as Promise<Record<string, string>>;
    const first = await exchange(a.issuer);
    expect(first.access_token).toBeTruthy();
    expect((await exchange(nodeB(a.issuer))).error).toBe('invalid_grant');
    const userinfo = await fetch(`${a.issuer}/userinfo`, { headers: { authorization: `Bearer ${first.access_token}` } });
    expect(userinfo.status).toBe(401);
  });

  it('a client created on node A logs people in on node B, and its deactivation reaches B', async () => {
    const { integration, client_secret } = await a.portvakt.integrations.create('all', ORG, { client_name: 'Delt', redirect_uris: ['http://localhost:3000/cb'] }, { kind: 'cli', id: 'test' });
    const codeFrom = () => headlessCode(headlessAuthorizeUrl(nodeB(a.issuer), { client_id: integration.client_id, redirect_uri: 'http://localhost:3000/cb' }));
    expect(await codeFrom()).toBeTruthy();
    expect(client_secret).toBeTruthy();

    await a.portvakt.integrations.update('all', integration.client_id, { ...integration, active: false }, { kind: 'cli', id: 'test' });
    // At once (LISTEN/NOTIFY), not when B's cache of the client times out.
    expect(await within(1000, async () => (await codeFrom()) === null)).toBe(true);
  });

  it('an API scope registered on node A is given by node B at once, and its deactivation reaches B', async () => {
    const actor = { kind: 'cli' as const, id: 'test' };
    const scope = { name: 'delt:scope', description: 'Delt', accessible_for_all: true };
    await a.portvakt.apiScopes.upsert(validateApiScope(scope), actor);
    const { integration, client_secret } = await a.portvakt.integrations.create('all', ORG, { integration_type: 'api_klient', redirect_uris: ['http://localhost:3000/cb'], scopes: ['openid', 'delt:scope'] }, actor);
    const scopeFromB = async () => {
      const code = await headlessCode(headlessAuthorizeUrl(nodeB(a.issuer), { client_id: integration.client_id, redirect_uri: 'http://localhost:3000/cb', scope: 'openid delt:scope' }));
      const response = await redeemCode(nodeB(a.issuer), { client_id: integration.client_id, secret: client_secret!, code: code!, redirect_uri: 'http://localhost:3000/cb' });
      return ((await response.json()) as { scope?: string }).scope;
    };
    expect(await within(1000, async () => (await scopeFromB()) === 'openid delt:scope')).toBe(true);
    await a.portvakt.apiScopes.upsert(validateApiScope({ ...scope, active: false }), actor);
    expect(await within(1000, async () => (await scopeFromB()) === 'openid')).toBe(true);
  });

  it('a node whose notification connection drops catches up when it is back', async () => {
    const { integration } = await a.portvakt.integrations.create('all', ORG, { client_name: 'Gap', redirect_uris: ['http://localhost:3000/cb'] }, { kind: 'cli', id: 'test' });
    const codeAtB = () => headlessCode(headlessAuthorizeUrl(nodeB(a.issuer), { client_id: integration.client_id, redirect_uri: 'http://localhost:3000/cb' }));
    expect(await codeAtB()).toBeTruthy(); // B has the client cached now

    // Drop both nodes' listening connections, and change the client while nobody listens.
    const terminated = await sql<{ pid: number }>`select pid, pg_terminate_backend(pid) from pg_stat_activity where application_name = ${listenerApplicationName(a.schema!)}`.execute(b.portvakt.store.db);
    expect(terminated.rows).toHaveLength(2); // A's and B's
    await a.portvakt.integrations.update('all', integration.client_id, { ...integration, active: false }, { kind: 'cli', id: 'test' });
    // B reconnects within a second or two and forgets what it cached; its cache alone would take 5 s.
    expect(await within(CLIENT_CACHE_SECONDS_SHARED * 1000 - 1500, async () => (await codeAtB()) === null)).toBe(true);
  }, 20_000);

  it('a node carries on when PostgreSQL closes its connections (a restart, a failover)', async () => {
    const closed = await sql<{ pid: number }>`select pid, pg_terminate_backend(pid) from pg_stat_activity where application_name = ${poolApplicationName(a.schema!)} and pid <> pg_backend_pid()`.execute(a.portvakt.store.db);
    expect(closed.rows.length).toBeGreaterThan(0);
    const demo = a.portvakt.demoClient!;
    const authorize = headlessAuthorizeUrl(nodeB(a.issuer), { client_id: demo.client_id, redirect_uri: demo.redirect_uris[0]! });
    // The first query on a closed connection may fail; the pool then opens new ones.
    expect(await within(3000, async () => (await headlessCode(authorize)) !== null)).toBe(true);
    const ready = await fetch(`${a.issuer}/health/ready`);
    expect(ready.status).toBe(200);
    expect((await ready.json()) as Record<string, string>).toMatchObject({ status: 'ok', database: 'ok' });
  });

  it('a connection PostgreSQL closes while it is lent out between two queries does not end the process', async () => {
    const db = a.portvakt.store.db;
    const transaction = db.transaction().execute(async (trx) => {
      const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(trx);
      await sql`select pg_terminate_backend(${rows[0]!.pid})`.execute(b.portvakt.store.db);
      await new Promise((resolve) => setTimeout(resolve, 300)); // the connection learns it is closed now, between queries
    });
    await expect(transaction).rejects.toThrow(); // its commit cannot be sent; the process lives on
    expect((await sql<{ one: number }>`select 1 as one`.execute(db)).rows[0]!.one).toBe(1);
  });

  it('a person logged in through node A is logged in on node B (SSO across nodes)', async () => {
    const demo = a.portvakt.demoClient!;
    const browser = new CookieBrowser();
    const url = `${a.issuer}/authorize?${new URLSearchParams({ client_id: demo.client_id, response_type: 'code', scope: 'openid', redirect_uri: demo.redirect_uris[0]!, state: 's', nonce: 'n', code_challenge: PKCE.challenge, code_challenge_method: 'S256' })}`;
    await loginWithTestId(browser, url, demo.redirect_uris[0]!);
    const sso = await browser.request(nodeB(url));
    expect(sso.location).toContain('code=');
  });

  it('keys rotate reaches both running nodes without a restart: they sign with the new key and publish the new next one, and what was signed or begun before still works', async () => {
    const redirect = 'http://localhost:3000/cb';
    const { integration, client_secret } = await a.portvakt.integrations.create('all', ORG, { client_name: 'Nøkler', redirect_uris: [redirect], scopes: ['openid', 'profile'] }, { kind: 'cli', id: 'test' });
    const basic = `Basic ${Buffer.from(`${integration.client_id}:${client_secret}`).toString('base64')}`;
    const tokensAt = async (node: string, code: string) => {
      const response = await fetch(`${node}/token`, { method: 'POST', headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: redirect, code_verifier: PKCE.verifier }) });
      expect(response.status).toBe(200);
      return (await response.json()) as { id_token: string; access_token: string };
    };
    const loginAt = async (node: string) => tokensAt(node, (await headlessCode(headlessAuthorizeUrl(node, { client_id: integration.client_id, redirect_uri: redirect, scope: 'openid profile' })))!);
    const kidsAt = async (node: string) => ((await (await fetch(`${node}/jwks.json`)).json()) as { keys: Array<{ kid: string }> }).keys.map((key) => key.kid);
    const verifiedAt = async (node: string, jwt: string) => {
      const jwks = createLocalJWKSet((await (await fetch(`${node}/jwks.json`)).json()) as JSONWebKeySet);
      return (await jwtVerify(jwt, jwks, { issuer: a.issuer })).protectedHeader.kid;
    };
    const nodeBIssuer = nodeB(a.issuer);

    const before = a.portvakt.keys;
    const [signing, next] = [before.currentKid, before.privateJwks[1]!.kid!];
    const earlier = await loginAt(a.issuer);
    expect(decodeProtectedHeader(earlier.id_token).kid).toBe(signing);
    // A person on the TestID page of node B while the keys change.
    const browser = new CookieBrowser();
    const underWay = await browser.follow(headlessAuthorizeUrl(nodeBIssuer, { client_id: integration.client_id, redirect_uri: redirect, hint: false }));
    expect(underWay.body).toContain('name="pid"');

    // What `portvakt keys rotate` does (src/cli.ts), from a third process as far as the nodes know.
    const rotated = await rotateSigningKeys(a.portvakt.store.db, a.portvakt.secrets);
    await announceKeyChange(a.portvakt.store.changes);
    expect(rotated).toMatchObject({ retired: signing, current: next });

    for (const node of [a.issuer, nodeBIssuer]) {
      expect(await within(5_000, async () => (await kidsAt(node)).includes(rotated.next))).toBe(true);
      expect(await kidsAt(node)).toEqual(expect.arrayContaining([next, rotated.next, signing])); // the retired key stays published
      const after = await loginAt(node);
      expect(decodeProtectedHeader(after.id_token).kid).toBe(next);
      expect(decodeProtectedHeader(after.access_token).kid).toBe(next);
      expect(await verifiedAt(node, after.id_token)).toBe(next);
      expect(await (await fetch(`${node}/metrics`)).text()).toContain(`portvakt_signing_key_info{kid="${next}"} 1`);
      // Signed before the change: still verifies, and its access token still works.
      expect(await verifiedAt(node, earlier.id_token)).toBe(signing);
      expect((await fetch(`${node}/userinfo`, { headers: { authorization: `Bearer ${earlier.access_token}` } })).status).toBe(200);
    }

    // The login begun before the change ends after it, signed with the new key.
    const callback = await loginWithTestId(browser, headlessAuthorizeUrl(nodeBIssuer, { client_id: integration.client_id, redirect_uri: redirect, hint: false }), redirect);
    const resumed = await tokensAt(nodeBIssuer, new URL(callback).searchParams.get('code')!);
    expect(decodeProtectedHeader(resumed.id_token).kid).toBe(next);
    expect(b.portvakt.keys.currentKid).toBe(next);
  });
});

