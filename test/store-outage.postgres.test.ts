// While the store cannot be reached (PostgreSQL restarting or failing over, Redis down, a network
// between), every request gets a quick, honest answer: 503 with Retry-After, OAuth's
// temporarily_unavailable for clients (returned to the redirect_uri with state and iss where the
// client is known), and a page in the person's language that says to try again. Not a 500 that
// looks like a bug, not a 400 that blames the caller. When the store is back, what was under way
// carries on: nothing was lost. A TCP relay between Portvakt and the real server plays the outage
// (test/helpers/tcp-relay.ts); this file runs in the PostgreSQL project (PostgreSQL away) and in
// the Redis project (Redis away; PostgreSQL stays).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPortvakt, type TestPortvakt } from './helpers/portvakt.js';
import { startRelay, type Relay } from './helpers/tcp-relay.js';
import { REDIRECT, secrets, testClients, testScopes } from './helpers/clients.js';
import { CookieBrowser, formField } from './helpers/browser.js';
import { headlessAuthorizeUrl, headlessCode, redeemCode } from './helpers/headless.js';
import { RETRY_AFTER_SECONDS } from '../src/provider/unavailable.js';

const withRedis = process.env.PORTVAKT_TEST_REDIS === 'true';
const away = withRedis ? 'Redis' : 'PostgreSQL';

let relay: Relay;
let pv: TestPortvakt;
beforeAll(async () => {
  relay = await startRelay(withRedis ? process.env.REDIS_URL! : process.env.DATABASE_URL!);
  const { clients } = await testClients();
  const relayed: Record<string, string> = withRedis ? { REDIS_URL: relay.through(process.env.REDIS_URL!) } : { DATABASE_URL: relay.through(process.env.DATABASE_URL!) };
  pv = await startPortvakt({ clients, scopes: testScopes, env: relayed });
});
afterAll(async () => {
  await pv?.close();
  await relay?.close();
});

const basic = `Basic ${Buffer.from(`basic-client:${secrets.basic}`).toString('base64')}`;
const form = (body: Record<string, string>, headers: Record<string, string> = {}): RequestInit => ({
  method: 'POST',
  redirect: 'manual',
  headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
  body: new URLSearchParams(body).toString(),
});
/** An authorization request a person sends from the browser (no TestID hint: the login page). */
const authorizeUrl = (clientId: string) => headlessAuthorizeUrl(pv.issuer, { client_id: clientId, redirect_uri: REDIRECT, hint: false });

async function expectUnavailableJson(response: Response) {
  expect(response.status).toBe(503);
  expect(response.headers.get('retry-after')).toBe(String(RETRY_AFTER_SECONDS));
  expect(await response.json()).toMatchObject({ error: 'temporarily_unavailable', error_description: expect.stringContaining('try again') });
}

async function expectUnavailablePage(response: Response, heading: string) {
  expect(response.status).toBe(503);
  expect(response.headers.get('retry-after')).toBe(String(RETRY_AFTER_SECONDS));
  expect(response.headers.get('content-type')).toMatch(/^text\/html/);
  const html = await response.text();
  expect(html).toContain(`<h1>${heading}</h1>`);
  expect(html).toContain('temporarily_unavailable');
  expect(html).toMatch(/class="reference">[0-9a-f]{12}</);
}

describe(`while ${away} cannot be reached`, () => {
  it('clients and people are told to try again shortly, and what was under way carries on once it is back', async () => {
    // Under way when the store goes: tokens, a code not yet redeemed, a browser on the TestID page.
    const first = await headlessCode(headlessAuthorizeUrl(pv.issuer, { client_id: 'basic-client', redirect_uri: REDIRECT }));
    const tokens = (await (await redeemCode(pv.issuer, { client_id: 'basic-client', secret: secrets.basic, code: first!, redirect_uri: REDIRECT })).json()) as { access_token: string; refresh_token: string };
    const code = await headlessCode(headlessAuthorizeUrl(pv.issuer, { client_id: 'basic-client', redirect_uri: REDIRECT }));
    const browser = new CookieBrowser();
    const loginPage = await browser.follow(authorizeUrl('basic-client'));
    expect(loginPage.body).toContain('name="pid"');
    const submit = { csrf: formField(loginPage.body, 'csrf')!, pid: '28876895937', acr: 'idporten-loa-substantial', action: 'login' };

    relay.down();

    // The authorization endpoint returns the error to a client it knows (OAuth's temporarily_unavailable).
    const authorization = await fetch(authorizeUrl('basic-client'), { redirect: 'manual', headers: { accept: 'text/html' } });
    expect(authorization.status).toBe(303);
    const back = new URL(authorization.headers.get('location')!);
    expect(`${back.origin}${back.pathname}`).toBe(REDIRECT);
    expect(Object.fromEntries(back.searchParams)).toMatchObject({ error: 'temporarily_unavailable', state: 's', iss: pv.issuer });

    // The person on the login page gets a page that says so, for showing it and for sending it.
    await expectUnavailablePage(await fetch(loginPage.action!, { headers: { cookie: browser.cookieHeader(), accept: 'text/html' } }), 'Tjenesten er midlertidig utilgjengelig');
    await expectUnavailablePage(await fetch(loginPage.action!, form(submit, { cookie: browser.cookieHeader(), accept: 'text/html' })), 'Tjenesten er midlertidig utilgjengelig');

    // Clients' back channel: JSON, 503, Retry-After.
    await expectUnavailableJson(await redeemCode(pv.issuer, { client_id: 'basic-client', secret: secrets.basic, code: code!, redirect_uri: REDIRECT }));
    await expectUnavailableJson(await fetch(`${pv.issuer}/token`, form({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token }, { authorization: basic })));
    await expectUnavailableJson(await fetch(`${pv.issuer}/userinfo`, { headers: { authorization: `Bearer ${tokens.access_token}` } }));
    await expectUnavailableJson(await fetch(`${pv.issuer}/token/introspect`, form({ token: tokens.access_token }, { authorization: basic })));

    // Logging out in the browser: the page, in the language asked for.
    await expectUnavailablePage(await fetch(`${pv.issuer}/logout?client_id=basic-client&ui_locales=en`, { redirect: 'manual', headers: { cookie: browser.cookieHeader(), accept: 'text/html' } }), 'The service is temporarily unavailable');

    // Logging in to the portal (Portvakt's own service) says so too, rather than showing the front
    // page again: at /authorize if the portal's registration is not in memory, else back at the portal.
    const portal = new CookieBrowser();
    let hop = await portal.request(`${pv.issuer}/portal/login`);
    while (hop.location) hop = await portal.request(hop.location);
    expect(hop.status).toBe(503);
    expect(hop.body).toContain('<h1>Tjenesten er midlertidig utilgjengelig</h1>');

    // … and the operator's dashboard counts them.
    const counted = /portvakt_store_unavailable_total\{store="(\w+)"\} (\d+)/.exec(await (await fetch(`${pv.issuer}/metrics`)).text());
    expect(counted?.[1]).toBe(withRedis ? 'redis' : 'database');
    expect(Number(counted?.[2])).toBeGreaterThanOrEqual(8);

    const ready = await fetch(`${pv.issuer}/health/ready`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ [withRedis ? 'redis' : 'database']: 'unavailable' });

    relay.up();
    await expect.poll(async () => (await fetch(`${pv.issuer}/health/ready`)).status, { timeout: 20_000, interval: 250 }).toBe(200);

    // Nothing under way was lost: the code is redeemed once, the refresh token works, and the
    // person's form, sent again, logs them in.
    const redeemed = await redeemCode(pv.issuer, { client_id: 'basic-client', secret: secrets.basic, code: code!, redirect_uri: REDIRECT });
    expect(redeemed.status).toBe(200);
    const refreshed = await fetch(`${pv.issuer}/token`, form({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token }, { authorization: basic }));
    expect(refreshed.status).toBe(200);
    const sent = await browser.post(loginPage.action!, submit);
    const callback = await browser.follow(sent.location!, (url) => url.startsWith(REDIRECT));
    expect(new URL(callback.location!).searchParams.get('code')).toBeTruthy();
  }, 60_000);

  it.runIf(withRedis)('a Redis that stops answering (frozen, connections open) gets the same answer once its command time limit passes', async () => {
    relay.freeze();
    try {
      const started = Date.now();
      const authorization = await fetch(authorizeUrl('basic-client'), { redirect: 'manual', headers: { accept: 'text/html' } });
      expect(authorization.status).toBe(303);
      expect(new URL(authorization.headers.get('location')!).searchParams.get('error')).toBe('temporarily_unavailable');
      expect(Date.now() - started).toBeLessThan(10_000); // ioredis' command timeout is 3 s (store/redis.ts)
    } finally {
      relay.thaw();
    }
    await expect.poll(async () => (await fetch(`${pv.issuer}/health/ready`)).status, { timeout: 20_000, interval: 250 }).toBe(200);
  }, 30_000);

  it.skipIf(withRedis)('a client it cannot look up gets the page, not a redirect to an unchecked redirect_uri; the self-service API answers 503', async () => {
    relay.down();
    try {
      // Never looked up, so not cached: its redirect_uri cannot be checked, and nothing is sent there.
      const unknown = await fetch(authorizeUrl('never-seen-client'), { redirect: 'manual', headers: { accept: 'text/html' } });
      expect(unknown.headers.get('location')).toBeNull();
      await expectUnavailablePage(unknown, 'Tjenesten er midlertidig utilgjengelig');
      await expectUnavailableJson(await fetch(`${pv.issuer}/api/v1/clients`, { headers: { authorization: 'Bearer some-token' } }));
    } finally {
      relay.up();
    }
  });
});
