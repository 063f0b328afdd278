// PORTVAKT_SECRET can be changed (src/store/secrets.ts): started with the new secret and the old one
// as PORTVAKT_PREVIOUS_SECRET, Portvakt seals what the old one sealed again under the new one, and
// nothing a relying party sees changes — not the signing key, not `sub`, not the client secret, not
// a refresh token or an SSO session. An installation from before the data keys keeps its subjects.
import crypto from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import * as oidc from 'openid-client';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { PERSON, REDIRECT, secrets as clientSecrets, testClients } from './helpers/clients.js';
import { PKCE, headlessAuthorizeUrl } from './helpers/headless.js';
import { startPortvakt, type TestPortvakt } from './helpers/portvakt.js';
import { CookieBrowser, formField } from './helpers/browser.js';

const OLD = 'old-root-secret-0123456789abcdefghijklmnop';
const NEW = 'new-root-secret-0123456789abcdefghijklmnop';
const insecure = { execute: [oidc.allowInsecureRequests] };

let pv: TestPortvakt | undefined;
afterAll(async () => pv?.close());

async function login(issuer: string, cookie?: string) {
  // With a session cookie, log in by SSO (no hint); without, headlessly.
  const url = headlessAuthorizeUrl(issuer, { client_id: 'basic-client', redirect_uri: REDIRECT, scope: 'openid profile', hint: !cookie });
  const authorize = await fetch(url, { redirect: 'manual', headers: cookie ? { cookie } : {} });
  const callback = new URL(authorize.headers.get('location')!);
  expect(callback.searchParams.get('code'), callback.toString()).toEqual(expect.any(String));
  const config = await oidc.discovery(new URL(issuer), 'basic-client', {}, oidc.ClientSecretBasic(clientSecrets.basic), insecure);
  const tokens = await oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: PKCE.verifier, expectedState: 's', expectedNonce: 'n' });
  const sessionCookie = authorize.headers.getSetCookie().map((c) => c.split(';')[0]!).filter((c) => c.startsWith('_session')).join('; ');
  return { config, tokens, cookie: sessionCookie || cookie };
}

describe('changing PORTVAKT_SECRET', () => {
  it('keeps the signing key, subjects, client secrets, refresh tokens and SSO sessions; the old secret alone no longer opens the keys', async () => {
    pv = await startPortvakt({ clients: (await testClients()).clients, env: { PORTVAKT_SECRET: OLD } });
    const before = await login(pv.issuer);
    const kid = decodeProtectedHeader(before.tokens.id_token!).kid;
    const sub = before.tokens.claims()!.sub;

    // An installation from before the data keys: its subjects were keyed straight from the root secret.
    const legacyKey = Buffer.from(await new Promise<ArrayBuffer>((resolve, reject) => crypto.hkdf('sha256', OLD, 'portvakt', 'pairwise-v1', 32, (err, key) => (err ? reject(err) : resolve(key)))));
    expect(sub).toBe(crypto.createHmac('sha256', legacyKey).update(`basic-client\u0000${PERSON}`).digest('base64url'));

    pv = await pv.restart({ PORTVAKT_SECRET: NEW, PORTVAKT_PREVIOUS_SECRET: OLD });
    const during = await login(pv.issuer, before.cookie); // by SSO: the old session cookie still counts
    expect(decodeProtectedHeader(during.tokens.id_token!).kid).toBe(kid);
    expect(during.tokens.claims()).toMatchObject({ sub, pid: PERSON });
    const refreshed = await oidc.refreshTokenGrant(during.config, before.tokens.refresh_token!);
    expect(decodeJwt(refreshed.access_token).sub).toBe(decodeJwt(before.tokens.access_token).sub);

    // Everything is sealed under the new secret now: it works alone.
    pv = await pv.restart({ PORTVAKT_SECRET: NEW, PORTVAKT_PREVIOUS_SECRET: '' });
    const after = await login(pv.issuer);
    expect(decodeProtectedHeader(after.tokens.id_token!).kid).toBe(kid);
    expect(after.tokens.claims()!.sub).toBe(sub);
    await expect(oidc.refreshTokenGrant(after.config, refreshed.refresh_token!)).resolves.toMatchObject({ access_token: expect.any(String) });

    // … and the old one cannot start it, with a message that says what to do.
    await expect(pv.restart({ PORTVAKT_SECRET: OLD })).rejects.toThrow(/PORTVAKT_SECRET differs .*PORTVAKT_PREVIOUS_SECRET/);
    pv = await pv.restart({ PORTVAKT_SECRET: NEW });
  });

  // The embedded store keeps a login under way in memory (adapters.ts): a restart ends it whatever
  // the secret. On PostgreSQL (and Redis) it outlives the restart.
  it.runIf(process.env.PORTVAKT_TEST_STORE === 'postgres')('a TestID page shown before the change can still be sent after it, and not once the old secret is gone', async () => {
    pv = await startPortvakt({ clients: (await testClients()).clients, env: { PORTVAKT_SECRET: OLD } });
    const openPage = async () => {
      const browser = new CookieBrowser();
      const page = await browser.follow(headlessAuthorizeUrl(pv!.issuer, { client_id: 'basic-client', redirect_uri: REDIRECT, hint: false }));
      expect(page.body).toContain('name="pid"');
      const send = () => browser.post(page.url, { csrf: formField(page.body, 'csrf')!, pid: PERSON, acr: 'idporten-loa-substantial', action: 'login' });
      return { browser, send };
    };
    const shownBefore = await openPage();
    const shownBeforeToo = await openPage();

    pv = await pv.restart({ PORTVAKT_SECRET: NEW, PORTVAKT_PREVIOUS_SECRET: OLD });
    const sent = await shownBefore.send();
    expect(sent.status).toBe(303);
    const callback = await shownBefore.browser.follow(sent.location!, (url) => url.startsWith(REDIRECT));
    expect(new URL(callback.location!).searchParams.get('code')).toEqual(expect.any(String));

    pv = await pv.restart({ PORTVAKT_SECRET: NEW, PORTVAKT_PREVIOUS_SECRET: '' });
    expect((await shownBeforeToo.send()).status).toBe(400);
  });

  it('PORTVAKT_PREVIOUS_SECRET needs PORTVAKT_SECRET beside it', async () => {
    await expect(startPortvakt({ env: { PORTVAKT_PREVIOUS_SECRET: OLD } })).rejects.toThrow(/PORTVAKT_PREVIOUS_SECRET: set it together with PORTVAKT_SECRET/);
  });
});
