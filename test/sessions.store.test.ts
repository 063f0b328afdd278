// SSO, sessions and logout as ID-porten does them (profile §5, §6), over plain HTTP.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import { freePort, startPortvakt, type TestPortvakt } from './helpers/portvakt.js';
import { CookieBrowser, formField, loginWithTestId } from './helpers/browser.js';
import { startReceiver, type Receiver } from './helpers/receiver.js';
import { PERSON } from './helpers/clients.js';
import { PKCE } from './helpers/headless.js'; // profile §2.2's sample pair
import { DEMO_ADMIN } from '../src/app.js';

const SECRET = 'session-test-secret-0123456789abcdef';

let pv: TestPortvakt;
let rp: Receiver; // front- and back-channel endpoints of the relying parties
let broken: Receiver;
const cb = (client: string) => `${rp.origin}/${client}/callback`;

beforeAll(async () => {
  rp = await startReceiver();
  broken = await startReceiver();
  broken.status = 500;
  const web = (id: string, extra: Record<string, unknown> = {}) => ({
    client_id: id, client_name: id, client_secret: SECRET, redirect_uris: [cb(id)], post_logout_redirect_uris: [`${rp.origin}/${id}/logged-out`],
    grant_types: ['authorization_code', 'refresh_token'], ...extra,
  });
  pv = await startPortvakt({
    clients: [
      web('rp-one', { frontchannel_logout_uri: `${rp.origin}/rp-one/frontchannel`, frontchannel_logout_session_required: true, backchannel_logout_uri: `${rp.origin}/rp-one/backchannel` }),
      web('rp-two', { frontchannel_logout_uri: `${rp.origin}/rp-two/frontchannel` }),
      web('isolated', { sso_disabled: true }),
      web('api-client', { integration_type: 'api_klient', scopes: ['openid', 'profile', 'idporten:token.introspection'] }),
      { ...web('rp-broken'), redirect_uris: [`${broken.origin}/cb`], post_logout_redirect_uris: [], backchannel_logout_uri: `${broken.origin}/backchannel` },
    ],
  });
});
afterAll(async () => {
  await pv?.close();
  await rp?.close();
  await broken?.close();
});

function authorizeUrl(client: string, params: Record<string, string> = {}) {
  const redirect = client === 'rp-broken' ? `${broken.origin}/cb` : cb(client);
  const query = new URLSearchParams({
    client_id: client, response_type: 'code', scope: 'openid profile', redirect_uri: redirect, state: `state-${client}`, nonce: 'nonce',
    code_challenge: PKCE.challenge, code_challenge_method: 'S256', ...params,
  });
  return `${pv.issuer}/authorize?${query}`;
}

const isCallback = (u: string) => !u.startsWith(pv.issuer);

async function tokens(client: string, callback: string) {
  const code = new URL(callback).searchParams.get('code');
  if (!code) throw new Error(`no code in ${callback}`);
  const response = await fetch(`${pv.issuer}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${client}:${SECRET}`).toString('base64')}` },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: new URL(callback).origin + new URL(callback).pathname, code_verifier: PKCE.verifier }),
  });
  return (await response.json()) as { id_token: string; access_token: string; refresh_token?: string };
}

async function refresh(client: string, refreshToken: string) {
  const response = await fetch(`${pv.issuer}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${client}:${SECRET}`).toString('base64')}` },
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }),
  });
  return response.status;
}

/** Logs in with the form at `client`, returning the browser and the tokens. */
async function loggedIn(client: string, browser = new CookieBrowser(), params: Record<string, string> = {}) {
  const callback = await loginWithTestId(browser, authorizeUrl(client, params), client === 'rp-broken' ? `${broken.origin}/cb` : cb(client));
  return { browser, tokens: await tokens(client, callback) };
}

/** Goes to /authorize; returns the callback URL if SSO answered, or undefined if a login page came. */
async function sso(browser: CookieBrowser, client: string, params: Record<string, string> = {}) {
  const hop = await browser.follow(authorizeUrl(client, params), isCallback);
  if (hop.location && isCallback(hop.location)) return hop.location;
  expect(hop.body).toContain('name="pid"');
  return undefined;
}

describe('single sign-on', () => {
  it('a second client logs in without the form, with the same person and auth_time', async () => {
    const { browser, tokens: first } = await loggedIn('rp-one');
    const callback = await sso(browser, 'rp-two');
    expect(callback).toContain('code=');
    const second = decodeJwt((await tokens('rp-two', callback!)).id_token);
    expect(second.pid).toBe(PERSON);
    expect(second.auth_time).toBe(decodeJwt(first.id_token).auth_time);
  });

  it('prompt=login and max_age=0 ask for a fresh login', async () => {
    const { browser } = await loggedIn('rp-one');
    expect(await sso(browser, 'rp-two', { prompt: 'login' })).toBeUndefined();
    expect(await sso(browser, 'rp-two', { max_age: '0' })).toBeUndefined();
    expect(await sso(browser, 'rp-two', { max_age: '3600' })).toContain('code=');
  });

  it('prompt=none without a session returns login_required to the client', async () => {
    const location = new URL((await new CookieBrowser().request(authorizeUrl('rp-one', { prompt: 'none' }))).location!);
    expect(location.searchParams.get('error')).toBe('login_required');
    expect(location.searchParams.get('state')).toBe('state-rp-one');
  });

  it('prompt=none with a session answers with a code', async () => {
    const { browser } = await loggedIn('rp-one');
    expect(await sso(browser, 'rp-two', { prompt: 'none' })).toContain('code=');
  });

  it('sso_disabled: the client keeps its own login, and does not lend it to others', async () => {
    const { browser } = await loggedIn('rp-one');
    expect(await sso(browser, 'isolated')).toBeUndefined(); // shared login not reused
    await loginWithTestId(browser, authorizeUrl('isolated'), cb('isolated'));
    expect(await sso(browser, 'isolated')).toContain('code='); // its own login is reused
    expect(await sso(browser, 'rp-two')).toBeUndefined(); // and not lent to others
  });

  it('a session cookie counts only with its own signature', async () => {
    const cookiesOf = (browser: CookieBrowser) => new Map(browser.cookieHeader().split('; ').map((c) => c.split('=', 2) as [string, string]));
    const [mine, theirs] = [cookiesOf((await loggedIn('rp-one')).browser), cookiesOf((await loggedIn('rp-one')).browser)];
    const promptNone = async (session: string, signature: string) => {
      const response = await fetch(authorizeUrl('rp-two', { prompt: 'none' }), { redirect: 'manual', headers: { cookie: `_session=${session}; _session.sig=${signature}` } });
      return new URL(response.headers.get('location')!).searchParams;
    };
    expect((await promptNone(theirs.get('_session')!, theirs.get('_session.sig')!)).get('code')).toBeTruthy();
    expect((await promptNone(theirs.get('_session')!, mine.get('_session.sig')!)).get('error')).toBe('login_required');
    expect((await promptNone(theirs.get('_session')!, '')).get('error')).toBe('login_required');
  });

  it('the session cookie is HttpOnly, SameSite=Lax, and lasts 30 minutes', async () => {
    const browser = new CookieBrowser();
    const page = await browser.follow(authorizeUrl('rp-one'));
    // The login form's answer resumes the authorization, and starts the session.
    const response = await fetch(page.action!, {
      method: 'POST', redirect: 'manual',
      headers: { cookie: browser.cookieHeader(), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ csrf: formField(page.body, 'csrf')!, pid: PERSON, acr: 'idporten-loa-substantial', action: 'login' }),
    });
    const session = response.headers.getSetCookie().find((c) => c.startsWith('_session='))!;
    expect(session).toMatch(/httponly/i);
    expect(session).toMatch(/samesite=lax/i);
    const expires = new Date(/expires=([^;]+)/i.exec(session)![1]!).getTime();
    expect(expires - Date.now()).toBeGreaterThan(29 * 60_000);
    expect(expires - Date.now()).toBeLessThanOrEqual(30 * 60_000 + 2000);
  });

  it('revoking a token ends that client\'s grant only; the SSO session stays', async () => {
    const { browser, tokens: one } = await loggedIn('rp-one');
    await fetch(`${pv.issuer}/token/revoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`rp-one:${SECRET}`).toString('base64')}` },
      body: new URLSearchParams({ token: one.access_token }),
    });
    expect(await refresh('rp-one', one.refresh_token!)).toBe(400);
    expect(await sso(browser, 'rp-two')).toContain('code=');
  });
});

describe('logout', () => {
  async function logout(browser: CookieBrowser, params: Record<string, string>) {
    const page = await browser.request(`${pv.issuer}/logout?${new URLSearchParams(params)}`);
    return page;
  }

  it('ends the session, revokes login grants, loads every client\'s front-channel URI, then goes to post_logout_redirect_uri with state', async () => {
    const { browser, tokens: one } = await loggedIn('rp-one');
    const two = await tokens('rp-two', (await sso(browser, 'rp-two'))!);
    const api = await tokens('api-client', (await sso(browser, 'api-client', { scope: 'openid profile idporten:token.introspection' }))!);
    const sid = decodeJwt(one.id_token).sid as string;
    expect(sid).toEqual(expect.any(String));
    rp.received.length = 0;

    const page = await logout(browser, { id_token_hint: two.id_token, post_logout_redirect_uri: `${rp.origin}/rp-two/logged-out`, state: 'bye now' });
    expect(page.status).toBe(200);
    expect(page.body).toContain('name="logout" value="yes"');
    expect(page.body).toContain("document.getElementById('logout-form').submit()"); // no question asked

    const done = await browser.post(`${pv.issuer}/logout/confirm`, { xsrf: formField(page.body, 'xsrf')!, logout: 'yes' });
    expect(done.status).toBe(200);
    const frames = [...done.body.matchAll(/<iframe class="frontchannel" src="([^"]+)"/g)].map((m) => m[1]!.replaceAll('&amp;', '&'));
    const one_ = frames.find((f) => f.includes('/rp-one/'))!;
    expect(new URL(one_).searchParams.get('iss')).toBe(pv.issuer);
    expect(new URL(one_).searchParams.get('sid')).toBe(sid);
    expect(frames.find((f) => f.includes('/rp-two/'))).toBe(`${rp.origin}/rp-two/frontchannel`); // the initiator too, without iss/sid
    const next = /id="next" href="([^"]+)"/.exec(done.body)![1]!.replaceAll('&amp;', '&');
    expect(next).toBe(`${rp.origin}/rp-two/logged-out?state=bye+now`);

    expect(await sso(browser, 'rp-one')).toBeUndefined(); // the session has ended
    expect(await refresh('rp-one', one.refresh_token!)).toBe(400); // login grant revoked
    expect(await refresh('api-client', api.refresh_token!)).toBe(200); // API grant survives

    const backchannel = rp.received.find((r) => r.url === '/rp-one/backchannel')!;
    expect(backchannel.method).toBe('POST');
    const logoutToken = new URLSearchParams(backchannel.body).get('logout_token')!;
    const { payload, protectedHeader } = await jwtVerify(logoutToken, createRemoteJWKSet(new URL(`${pv.issuer}/jwks.json`)), {
      issuer: pv.issuer, audience: 'rp-one', typ: 'logout+jwt',
    });
    expect(protectedHeader.alg).toBe('RS256');
    expect(payload.events).toEqual({ 'http://schemas.openid.net/event/backchannel-logout': {} });
    expect(payload.sid).toBe(sid);
    expect(payload.sub).toBe(decodeJwt(one.id_token).sub);
    expect(payload.jti).toEqual(expect.any(String));
    expect(payload.nonce).toBeUndefined();
    const events = await pv.portvakt.events.forClient('rp-one');
    expect(events.find((e) => e.type === 'backchannel_logout')).toMatchObject({ outcome: 'success' });
  });

  it('services that log in by SSO at the same moment (a page with several at once) are all logged out', async () => {
    const { browser } = await loggedIn('rp-one');
    // Both SSO answers save the same session at once; neither may drop the other's service from it.
    const [two, api] = await Promise.all([sso(browser, 'rp-two', { prompt: 'none' }), sso(browser, 'api-client', { prompt: 'none' })]);
    const twoTokens = await tokens('rp-two', two!);
    await tokens('api-client', api!);
    const page = await logout(browser, { id_token_hint: twoTokens.id_token });
    const done = await browser.post(`${pv.issuer}/logout/confirm`, { xsrf: formField(page.body, 'xsrf')!, logout: 'yes' });
    const frames = [...done.body.matchAll(/<iframe class="frontchannel" src="([^"]+)"/g)].map((m) => m[1]!);
    expect(frames.filter((f) => f.includes('/rp-one/') || f.includes('/rp-two/'))).toHaveLength(2);
    expect(await refresh('rp-two', twoTokens.refresh_token!)).toBe(400); // its login grant was revoked
  });

  it('a service that logs in by SSO while the person logs out does not bring the session back', async () => {
    const { browser } = await loggedIn('rp-one');
    const sessionCookie = browser.cookieHeader();
    const page = await logout(browser, {});
    const xsrf = formField(page.body, 'xsrf')!;
    await Promise.all([browser.post(`${pv.issuer}/logout/confirm`, { xsrf, logout: 'yes' }), sso(browser, 'rp-two', { prompt: 'none' })]);
    // Whatever the order, the session is over: its cookie logs nobody in.
    const replay = await fetch(authorizeUrl('rp-two', { prompt: 'none' }), { redirect: 'manual', headers: { cookie: sessionCookie } });
    expect(new URL(replay.headers.get('location')!).searchParams.get('error')).toBe('login_required');
  });

  it('a failed back-channel delivery is recorded and does not stop the logout', async () => {
    const { browser, tokens: t } = await loggedIn('rp-broken');
    const page = await logout(browser, { id_token_hint: t.id_token });
    const done = await browser.post(`${pv.issuer}/logout/confirm`, { xsrf: formField(page.body, 'xsrf')!, logout: 'yes' });
    expect(done.status).toBe(303);
    expect(done.location).toBe(`${pv.issuer}/logout/success`);
    const events = await pv.portvakt.events.forClient('rp-broken');
    expect(events.find((e) => e.type === 'backchannel_logout')).toMatchObject({ outcome: 'failure', detail: { error: expect.any(String) } });
    expect(events.find((e) => e.type === 'logout')).toMatchObject({ outcome: 'success' }); // the logout it asked for
  });

  it('without a hint it asks first, and ends on a "logged out" page in the person\'s language', async () => {
    const { browser } = await loggedIn('rp-two');
    const page = await logout(browser, { ui_locales: 'en' });
    expect(page.body).toContain('Do you want to log out');
    expect(page.body).not.toContain('.submit()');
    const done = await browser.post(`${pv.issuer}/logout/confirm`, { xsrf: formField(page.body, 'xsrf')!, logout: 'yes' });
    const frames = await browser.follow(done.status === 303 ? done.location! : `${pv.issuer}/logout/success`);
    expect(frames.status).toBe(200);
  });

  it('refuses a post_logout_redirect_uri not registered for the client of the id_token', async () => {
    const { browser, tokens: t } = await loggedIn('rp-one');
    const page = await logout(browser, { id_token_hint: t.id_token, post_logout_redirect_uri: `${rp.origin}/rp-two/logged-out` });
    expect(page.status).toBe(400);
    expect(page.body).toContain('post_logout_redirect_uri');
  });

  it('over plain http, a relying party may POST to /logout as to ID-porten: the POST becomes the same GET, and the session ends', async () => {
    const { browser, tokens: one } = await loggedIn('rp-one');
    const form = { id_token_hint: one.id_token, post_logout_redirect_uri: `${rp.origin}/rp-one/logged-out`, state: 'posted' };
    const posted = await browser.post(`${pv.issuer}/logout`, form);
    expect(posted.status).toBe(303);
    expect(Object.fromEntries(new URL(posted.location!).searchParams)).toEqual(form);
    const page = await browser.request(posted.location!);
    const done = await browser.post(`${pv.issuer}/logout/confirm`, { xsrf: formField(page.body, 'xsrf')!, logout: 'yes' });
    const next = /id="next" href="([^"]+)"/.exec(done.body)![1]!.replaceAll('&amp;', '&');
    expect(next).toBe(`${rp.origin}/rp-one/logged-out?state=posted`);
    expect(await sso(browser, 'rp-one')).toBeUndefined(); // the session has ended
  });

  it('over plain http, POST /authorize logs in like GET; a repeated parameter is still refused', async () => {
    const browser = new CookieBrowser();
    const params = Object.fromEntries(new URL(authorizeUrl('rp-one')).searchParams);
    const posted = await browser.post(`${pv.issuer}/authorize`, params);
    expect(posted.status).toBe(303);
    const callback = await loginWithTestId(browser, posted.location!, cb('rp-one'));
    expect(new URL(callback).searchParams.get('state')).toBe('state-rp-one');
    expect((await tokens('rp-one', callback)).id_token).toEqual(expect.any(String));

    const twice = await browser.request(`${pv.issuer}/authorize`, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `${new URLSearchParams(params)}&state=again`,
    });
    const refused = new URL((await browser.request(twice.location!)).location!);
    expect(refused.origin + refused.pathname).toBe(cb('rp-one'));
    expect(refused.searchParams.get('error')).toBe('invalid_request');
    expect(refused.searchParams.get('error_description')).toBe("'state' parameter must not be provided twice");
  });

  it('over plain http, a POST that is not a form, or too big for a URL, gets a 4xx and no redirect', async () => {
    const json = await fetch(`${pv.issuer}/logout`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"state":"s"}', redirect: 'manual' });
    expect(json.status).toBe(415);
    const big = await fetch(`${pv.issuer}/authorize`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `state=${'a'.repeat(9000)}`, redirect: 'manual' });
    expect(big.status).toBe(413);
    const put = await fetch(`${pv.issuer}/logout`, { method: 'PUT', redirect: 'manual' });
    expect(put.status).toBe(405);
    expect(put.headers.get('allow')).toBe('GET, POST');
  });
});

describe('behind https (a TLS-terminating proxy)', () => {
  it('the portal and the demo log in although the node cannot reach its own public address: they ask the node itself', async () => {
    const port = await freePort();
    const issuer = 'https://login.portvakt.invalid'; // a name that resolves nowhere, as a node's own public name often does not
    const secure = await startPortvakt({ env: { PORT: String(port), PORTVAKT_ISSUER: issuer, PORTVAKT_TRUST_PROXY: 'true' } });
    try {
      const base = `http://localhost:${port}`;
      const headers = { 'x-forwarded-proto': 'https' }; // what the proxy adds
      // The proxy takes https at the public name; this test's requests reach the node as http.
      const viaProxy = (url: string) => url.replace(/^https:\/\/[^/]+/, base);
      for (const [start, landing, shows] of [['/portal/login', '/portal', `Logget inn som ${DEMO_ADMIN.pid}`], ['/demo/login', '/demo', 'id-token-claims']] as const) {
        const browser = new CookieBrowser();
        let hop = await browser.request(`${base}${start}`, { headers });
        while (hop.location) hop = await browser.request(viaProxy(hop.location), { headers });
        hop = await browser.request(hop.action!, {
          method: 'POST',
          headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ csrf: formField(hop.body, 'csrf')!, pid: DEMO_ADMIN.pid, acr: 'idporten-loa-substantial', action: 'login' }).toString(),
        });
        while (hop.location) hop = await browser.request(viaProxy(hop.location), { headers });
        expect(new URL(hop.url).pathname).toBe(landing);
        expect(hop.body).toContain(shows);
      }
    } finally {
      await secure.close();
    }
  });

  it('POST /logout works and the cookies are Secure and SameSite=None', async () => {
    const port = await freePort();
    const secure = await startPortvakt({
      clients: [{ client_id: 'tls-client', client_secret: SECRET, redirect_uris: ['https://rp.example/cb'], post_logout_redirect_uris: ['https://rp.example/bye'] }],
      env: { PORT: String(port), PORTVAKT_ISSUER: `https://localhost:${port}`, PORTVAKT_TRUST_PROXY: 'true' },
    });
    try {
      const base = `http://localhost:${port}`;
      const forwarded = { 'x-forwarded-proto': 'https' };
      const query = new URLSearchParams({ client_id: 'tls-client', response_type: 'code', scope: 'openid', redirect_uri: 'https://rp.example/cb', state: 's', nonce: 'n', code_challenge: PKCE.challenge, code_challenge_method: 'S256', login_hint: `testid:${PERSON}_idporten-loa-substantial` });
      const authorize = await fetch(`${base}/authorize?${query}`, { redirect: 'manual', headers: forwarded });
      const session = authorize.headers.getSetCookie().find((c) => c.startsWith('_session='))!;
      expect(session).toMatch(/secure/i);
      // HSTS on the provider's answers and on Portvakt's own (a page, health); none over plain http, where it would pin localhost.
      expect(authorize.headers.get('strict-transport-security')).toBe('max-age=31536000');
      expect((await fetch(`${base}/health/live`, { headers: forwarded })).headers.get('strict-transport-security')).toBe('max-age=31536000');
      expect((await fetch(`${pv.issuer}/health/live`)).headers.get('strict-transport-security')).toBeNull();
      expect((await fetch(`${pv.issuer}/.well-known/openid-configuration`)).headers.get('strict-transport-security')).toBeNull();
      // A browser request that came around the proxy, over plain http, gets a page that says why;
      // machines' endpoints and health answer over http as before.
      const plain = await fetch(`${base}/authorize?${query}`, { redirect: 'manual' });
      expect(plain.status).toBe(400);
      expect(await plain.text()).toContain('reached it over plain http');
      expect(plain.headers.get('content-security-policy')).toContain("default-src 'none'"); // a page like the others
      expect(plain.headers.get('strict-transport-security')).toBe('max-age=31536000');
      expect((await fetch(`${base}/authorize/anything/login`, { headers: { 'x-forwarded-proto': 'http' } })).status).toBe(400);
      expect((await fetch(`${base}/health/live`)).status).toBe(200);
      expect((await fetch(`${base}/.well-known/openid-configuration`)).status).toBe(200);
      expect(session).toMatch(/samesite=none/i);
      const cookie = authorize.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
      const code = new URL(authorize.headers.get('location')!).searchParams.get('code')!;
      const token = (await (await fetch(`${base}/token`, {
        method: 'POST',
        headers: { ...forwarded, 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`tls-client:${SECRET}`).toString('base64')}` },
        body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: 'https://rp.example/cb', code_verifier: PKCE.verifier }),
      })).json()) as { id_token: string };
      const page = await fetch(`${base}/logout`, {
        method: 'POST',
        headers: { ...forwarded, cookie, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ id_token_hint: token.id_token, post_logout_redirect_uri: 'https://rp.example/bye', state: 'post' }),
      });
      expect(page.status).toBe(200);
      expect(await page.text()).toContain("getElementById('logout-form')");
    } finally {
      await secure.close();
    }
  });
});

describe('sessions survive a restart', () => {
  it('a logged-in browser is still logged in after the provider restarts', async () => {
    const { browser } = await loggedIn('rp-one');
    pv = await pv.restart();
    expect(await sso(browser, 'rp-two')).toContain('code=');
  });
});
