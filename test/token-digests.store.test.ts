// Token values are never stored as they are (src/provider/token-digests.ts): after real logins,
// neither the SQL store nor Redis holds a session cookie, a code, a refresh
// token or an access token's handle — and all of them still work, across a restart too. Rows
// written by an earlier Portvakt are brought to that form by migration 0006.
import { describe, expect, it } from 'vitest';
import * as oidc from 'openid-client';
import { decodeJwt } from 'jose';
import { REDIRECT, secrets, portvaktWithTestClients } from './helpers/clients.js';
import { PKCE, headlessAuthorizeUrl } from './helpers/headless.js';
import { tokenDigest, storingDigests } from '../src/provider/token-digests.js';
import { SqlAdapter } from '../src/provider/adapters.js';
import { migrations } from '../src/store/migrations.js';
import type { TestPortvakt } from './helpers/portvakt.js';

const env = portvaktWithTestClients();
const insecure = { execute: [oidc.allowInsecureRequests] };

/** Everything the provider keeps outside the process: SQL rows, and Redis keys and values when it runs with Redis. */
async function everythingAtRest(pv: TestPortvakt): Promise<string> {
  const rows = await pv.portvakt.store.db.selectFrom('oidc_payloads').select(['model', 'id', 'payload', 'uid', 'grant_id']).execute();
  const parts = rows.map((row) => JSON.stringify(row));
  const redis = pv.portvakt.redis;
  if (redis) {
    for (const key of await redis.client.keys(`${redis.prefix}*`)) {
      const type = await redis.client.type(key);
      const value = type === 'hash' ? await redis.client.hgetall(key)
        : type === 'list' ? await redis.client.lrange(key, 0, -1)
        : type === 'zset' ? await redis.client.zrange(key, 0, -1) // a person's grants (adapters.ts)
        : await redis.client.get(key);
      parts.push(key, JSON.stringify(value));
    }
  }
  return parts.join('\n');
}

const cookieValues = (response: Response) =>
  response.headers.getSetCookie().map((c) => c.split(';')[0]!).filter((c) => !c.endsWith('='));

describe('token values at rest', () => {
  it('are stored as digests only, and every one of them still works, also after a restart', async () => {
    const authorize = await fetch(headlessAuthorizeUrl(env.pv.issuer, { client_id: 'basic-client', redirect_uri: REDIRECT, scope: 'openid profile' }), { redirect: 'manual' });
    const callback = new URL(authorize.headers.get('location')!);
    const code = callback.searchParams.get('code')!;
    const cookies = cookieValues(authorize);
    const session = cookies.find((c) => c.startsWith('_session='))!.slice('_session='.length);
    expect(session).toMatch(/^[\w-]{43}$/);

    let config = await oidc.discovery(new URL(env.pv.issuer), 'basic-client', {}, oidc.ClientSecretBasic(secrets.basic), insecure);
    const tokens = await oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: PKCE.verifier, expectedState: 's', expectedNonce: 'n' });
    const handle = decodeJwt(tokens.access_token).jti!;
    const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token!); // ONETIME: a second refresh token is stored

    // A second login in the same browser that needs the person again (a higher level) starts an
    // interaction that knows the session: with Redis or PostgreSQL it is stored too. (The
    // interaction's own id is no secret: it is in its URLs, returnTo among them, and what makes it
    // the browser's is the cookie's signature.)
    const stepUp = await fetch(headlessAuthorizeUrl(env.pv.issuer, { client_id: 'basic-client', redirect_uri: REDIRECT, hint: false, acr_values: 'idporten-loa-high' }), {
      redirect: 'manual',
      headers: { cookie: cookies.join('; ') },
    });
    expect(stepUp.status).toBe(200); // answered with the login page itself (provider/first-page.ts)

    env.pv = await env.pv.restart(); // and the embedded store has written everything behind
    const atRest = await everythingAtRest(env.pv);
    const values = { session, code, handle, refresh: tokens.refresh_token!, rotated: refreshed.refresh_token! };
    for (const [what, value] of Object.entries(values)) {
      expect(atRest, what).not.toContain(value);
    }
    expect(atRest).toContain(tokenDigest(session)); // what is stored is keyed by the digest

    // … and what the values stand for still works.
    config = await oidc.discovery(new URL(env.pv.issuer), 'basic-client', {}, oidc.ClientSecretBasic(secrets.basic), insecure);
    const userinfo = await oidc.fetchUserInfo(config, refreshed.access_token, tokens.claims()!.sub);
    expect(userinfo.pid).toEqual(expect.any(String));
    await expect(oidc.refreshTokenGrant(config, refreshed.refresh_token!)).resolves.toMatchObject({ access_token: expect.any(String) });
    const sso = await fetch(headlessAuthorizeUrl(env.pv.issuer, { client_id: 'basic-client', redirect_uri: REDIRECT, hint: false }), {
      redirect: 'manual',
      headers: { cookie: cookies.join('; ') },
    });
    expect(new URL(sso.headers.get('location')!).searchParams.get('code')).toEqual(expect.any(String)); // the session still logs in
  });

  it('migration 0006 keys rows written before by their digest and removes the values from their payloads', async () => {
    const db = env.pv.portvakt.store.db;
    const value = (n: number) => `legacy${n}`.padEnd(43, 'x');
    const rows = [
      { model: 'Session', id: value(1), payload: JSON.stringify({ iat: 1, exp: 4102444800, jti: value(1), uid: 'legacy-uid', kind: 'Session', accountId: 'a' }), uid: 'legacy-uid' },
      { model: 'RefreshToken', id: value(2), payload: JSON.stringify({ iat: 1, exp: 4102444800, jti: value(2), kind: 'RefreshToken', grantId: 'legacy-grant' }), grant_id: 'legacy-grant' },
      {
        model: 'Interaction',
        id: value(3),
        payload: JSON.stringify({ iat: 1, exp: 4102444800, returnTo: 'x', jti: value(3), session: { accountId: 'a', uid: 'legacy-uid', cookie: value(1), acr: 'idporten-loa-high' }, kind: 'Interaction' }),
      },
    ];
    await db.insertInto('oidc_payloads').values(rows.map((row) => ({ grant_id: null, uid: null, expires_at: null, ...row }))).execute();

    await migrations['0006_token_values_as_digests'].up(db as never);

    const stored = await db.selectFrom('oidc_payloads').select(['id', 'payload']).where('id', 'in', rows.map((row) => tokenDigest(row.id))).execute();
    expect(stored).toHaveLength(3);
    for (const row of stored) for (let n = 1; n <= 3; n++) expect(row.payload).not.toContain(value(n));

    const sessions = storingDigests(new SqlAdapter(db, 'Session'));
    expect(await sessions.find(value(1))).toMatchObject({ jti: value(1), uid: 'legacy-uid', accountId: 'a' });
    expect(await sessions.findByUid('legacy-uid')).toMatchObject({ uid: 'legacy-uid', accountId: 'a' });
    expect(await storingDigests(new SqlAdapter(db, 'RefreshToken')).find(value(2))).toMatchObject({ jti: value(2), grantId: 'legacy-grant' });
    expect(await storingDigests(new SqlAdapter(db, 'Interaction')).find(value(3))).toEqual({
      iat: 1, exp: 4102444800, returnTo: 'x', jti: value(3), session: { accountId: 'a', uid: 'legacy-uid', acr: 'idporten-loa-high' }, kind: 'Interaction',
    });
  });
});
