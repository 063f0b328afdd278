// PORTVAKT_SECRET can be changed (src/store/secrets.ts): started with the new secret and the old one
// as PORTVAKT_PREVIOUS_SECRET, Portvakt seals what the old one sealed again under the new one, and
// nothing a relying party sees changes — not the signing key, not `sub`, not the client secret, not
// a refresh token or an SSO session. An installation from before the data keys keeps its subjects.
import crypto from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import * as oidc from 'openid-client';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { PERSON, REDIRECT, secrets as clientSecrets, testClients, testScopes } from './helpers/clients.js';
import { PKCE, headlessAuthorizeUrl } from './helpers/headless.js';
import { freePort, startPortvakt, type TestPortvakt } from './helpers/portvakt.js';
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
    pv = await startPortvakt({ clients: (await testClients()).clients, scopes: testScopes, env: { PORTVAKT_SECRET: OLD } });
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
    pv = await startPortvakt({ clients: (await testClients()).clients, scopes: testScopes, env: { PORTVAKT_SECRET: OLD } });
    const openPage = async () => {
      const browser = new CookieBrowser();
      const page = await browser.follow(headlessAuthorizeUrl(pv!.issuer, { client_id: 'basic-client', redirect_uri: REDIRECT, hint: false }));
      expect(page.body).toContain('name="pid"');
      const send = () => browser.post(page.action!, { csrf: formField(page.body, 'csrf')!, pid: PERSON, acr: 'idporten-loa-substantial', action: 'login' });
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

  it.runIf(process.env.PORTVAKT_TEST_STORE === 'postgres')('node by node: with the new secret first given as PORTVAKT_NEXT_SECRET, a node already changed and one not yet changed carry on each other\'s logins', async () => {
    const port = await freePort();
    const issuer = `http://localhost:${port}`;
    // Step 1, done on every node: the old secret, with the new one beside it as next.
    const notYet = await startPortvakt({ clients: (await testClients()).clients, scopes: testScopes, env: { PORT: String(port), PORTVAKT_ISSUER: issuer, PORTVAKT_SECRET: OLD, PORTVAKT_NEXT_SECRET: NEW } });
    // Step 2, under way: this node has the new secret (and the old one as previous).
    const changed = await startPortvakt({ schema: notYet.schema!, redisPrefix: notYet.redisPrefix, env: { PORT: String(await freePort()), PORTVAKT_ISSUER: issuer, PORTVAKT_SECRET: NEW, PORTVAKT_PREVIOUS_SECRET: OLD } });
    // Each request sent to the node named, whatever origin its URL has (a load balancer's choice).
    const at = (node: TestPortvakt, url: string) => { const moved = new URL(url); moved.port = String(node.portvakt.config.port); return moved.toString(); };
    try {
      const url = headlessAuthorizeUrl(issuer, { client_id: 'basic-client', redirect_uri: REDIRECT, hint: false });
      // Begun at one node and answered at the other, both ways round: the interaction and resume
      // cookies and the form's token, signed by the first node's secret, are taken by the second.
      let browser!: CookieBrowser;
      for (const [first, second] of [[changed, notYet], [notYet, changed]] as const) {
        browser = new CookieBrowser();
        const page = await browser.request(at(first, url));
        expect(page.body).toContain('name="pid"');
        expect((await browser.request(at(second, page.action!))).body).toContain('name="pid"'); // shown again by the other
        const sent = await browser.post(at(second, page.action!), { csrf: formField(page.body, 'csrf')!, pid: PERSON, acr: 'idporten-loa-substantial', action: 'login' });
        expect(sent.location).toMatch(/^http:\/\/localhost:7777\/callback\?code=/);
      }
      // The session the changed node made (signed with the new secret) is the other node's too
      // (SSO), and back.
      const sso = await browser.request(at(changed, url));
      expect(sso.location).toMatch(/^http:\/\/localhost:7777\/callback\?code=/);
      const ssoBack = await browser.request(at(notYet, url));
      expect(ssoBack.location).toMatch(/^http:\/\/localhost:7777\/callback\?code=/);

      // The changed node has sealed the keys again under the new secret; the node not yet changed
      // still starts (and without the next secret it would not: the other test's last step).
      const restarted = await notYet.restart();
      const again = await new CookieBrowser().follow(headlessAuthorizeUrl(restarted.issuer, { client_id: 'basic-client', redirect_uri: REDIRECT }), (to) => to.startsWith(REDIRECT));
      expect(new URL(again.location!).searchParams.get('code')).toEqual(expect.any(String));
      await restarted.close();
    } finally {
      await changed.close();
      await notYet.close().catch(() => undefined);
    }
  });

  it('PORTVAKT_NEXT_SECRET needs PORTVAKT_SECRET beside it, and not PORTVAKT_PREVIOUS_SECRET too', async () => {
    await expect(startPortvakt({ env: { PORTVAKT_NEXT_SECRET: NEW } })).rejects.toThrow(/PORTVAKT_NEXT_SECRET: set it together with PORTVAKT_SECRET/);
    await expect(startPortvakt({ env: { PORTVAKT_SECRET: NEW, PORTVAKT_PREVIOUS_SECRET: OLD, PORTVAKT_NEXT_SECRET: `${NEW}-2` } })).rejects.toThrow(/finish one change of PORTVAKT_SECRET before the next/);
  });

  it('PORTVAKT_PREVIOUS_SECRET needs PORTVAKT_SECRET beside it', async () => {
    await expect(startPortvakt({ env: { PORTVAKT_PREVIOUS_SECRET: OLD } })).rejects.toThrow(/PORTVAKT_PREVIOUS_SECRET: set it together with PORTVAKT_SECRET/);
  });
});
