// ID-porten's rules at /authorize, /par and /token, each with a test that a rule-breaking request is
// refused the way ID-porten refuses it: back to the client with error, state and iss, or (when it
// cannot safely go back) an error page with a reference.
import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import * as oidc from 'openid-client';
import { decodeJwt, decodeProtectedHeader, SignJWT } from 'jose';
import { CookieBrowser, formField, loginWithTestId } from './helpers/browser.js';
import { PERSON, REDIRECT, secrets, portvaktWithTestClients } from './helpers/clients.js';
import { PKCE } from './helpers/headless.js'; // profile §2.2's sample pair

const env = portvaktWithTestClients();


function authorizeUrl(params: Record<string, string | undefined> = {}): string {
  const all: Record<string, string | undefined> = {
    client_id: 'basic-client',
    response_type: 'code',
    scope: 'openid profile',
    redirect_uri: REDIRECT,
    state: 'state-1',
    nonce: 'nonce-1',
    code_challenge: PKCE.challenge,
    code_challenge_method: 'S256',
    ...params,
  };
  const query = new URLSearchParams(Object.entries(all).filter((e): e is [string, string] => e[1] !== undefined));
  return `${env.pv.issuer}/authorize?${query}`;
}

async function redirectOf(url: string): Promise<URL> {
  const response = await fetch(url, { redirect: 'manual' });
  expect(response.status, await response.clone().text()).toBeGreaterThanOrEqual(300);
  expect(response.status).toBeLessThan(400);
  return new URL(response.headers.get('location')!);
}

async function exchange(code: string, body: Record<string, string> = {}, auth = `Basic ${Buffer.from(`basic-client:${secrets.basic}`).toString('base64')}`) {
  const response = await fetch(`${env.pv.issuer}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(auth ? { authorization: auth } : {}) },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: PKCE.verifier, ...body }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const headless = (acr = 'idporten-loa-substantial', pid = PERSON) => `testid:${pid}_${acr}`;

describe('discovery (profile §1.2)', () => {
  it('advertises ID-porten\'s endpoints and what Portvakt really supports, no more', async () => {
    const discovery = (await (await fetch(`${env.pv.issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    const at = (path: string) => `${env.pv.issuer}${path}`;
    expect(discovery).toEqual({
      issuer: env.pv.issuer,
      authorization_endpoint: at('/authorize'),
      pushed_authorization_request_endpoint: at('/par'),
      token_endpoint: at('/token'),
      userinfo_endpoint: at('/userinfo'),
      end_session_endpoint: at('/logout'),
      revocation_endpoint: at('/token/revoke'),
      introspection_endpoint: at('/token/introspect'),
      jwks_uri: at('/jwks.json'),
      scopes_supported: ['openid', 'profile'],
      response_types_supported: ['code'],
      response_modes_supported: ['query', 'form_post', 'query.jwt', 'form_post.jwt'],
      authorization_signing_alg_values_supported: ['RS256'],
      grant_types_supported: ['authorization_code', 'refresh_token'],
      acr_values_supported: ['idporten-loa-substantial', 'idporten-loa-high'],
      // Fullmakt logins (Rich Authorization Requests), test/fullmakt.store.test.ts.
      authorization_details_types_supported: ['idporten:fullmakt'],
      subject_types_supported: ['public', 'pairwise'],
      id_token_signing_alg_values_supported: ['RS256'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'],
      token_endpoint_auth_signing_alg_values_supported: ['RS256'],
      code_challenge_methods_supported: ['S256'],
      dpop_signing_alg_values_supported: ['ES256', 'Ed25519', 'EdDSA'],
      display_values_supported: ['page'],
      prompt_values_supported: ['none', 'login', 'consent'],
      ui_locales_supported: ['nb', 'nn', 'en', 'se'],
      claims_supported: ['sub', 'pid', 'acr', 'amr', 'auth_time', 'client_onbehalfof', 'aud_onbehalfof', 'authorization_details', 'locale', 'sid', 'iss'],
      claim_types_supported: ['normal'],
      claims_parameter_supported: false,
      request_parameter_supported: false,
      request_uri_parameter_supported: false,
      authorization_response_iss_parameter_supported: true,
      frontchannel_logout_supported: true,
      frontchannel_logout_session_supported: true,
      backchannel_logout_supported: true,
      backchannel_logout_session_supported: true,
    });
  });
});

describe('errors that go back to the client carry error, state and iss', () => {
  it.each([
    ['state is missing', { state: undefined }, 'state'],
    ['nonce is missing', { nonce: undefined }, 'nonce'],
    ['PKCE is missing', { code_challenge: undefined, code_challenge_method: undefined }, 'PKCE'],
    ['PKCE uses plain', { code_challenge_method: 'plain' }, 'code_challenge_method'],
    ['an unsupported acr_values', { acr_values: 'eidas-loa-high' }, 'acr_values'],
    ['an unknown acr_values', { acr_values: 'Level4' }, 'acr_values'],
    ['response_mode fragment', { response_mode: 'fragment' }, 'response_mode'],
    ['response_mode fragment.jwt', { response_mode: 'fragment.jwt' }, 'response_mode'],
    ['response_mode jwt (ID-porten names query.jwt or form_post.jwt)', { response_mode: 'jwt' }, 'response_mode'],
    ['a malformed testid login_hint', { login_hint: 'testid:123_idporten-loa-high' }, 'login_hint'],
    ['a real (non-synthetic) pid in login_hint', { login_hint: 'testid:59125502061_idporten-loa-high' }, 'synthetic'],
  ])('%s → invalid_request (or similar) at the redirect_uri', async (_name, params: Record<string, string | undefined>, mentions) => {
    const location = await redirectOf(authorizeUrl(params));
    expect(location.origin + location.pathname).toBe(REDIRECT);
    expect(location.searchParams.get('error')).toMatch(/^(invalid_request|unsupported_response_type)$/);
    expect(location.searchParams.get('error_description')).toContain(mentions);
    expect(location.searchParams.get('iss')).toBe(env.pv.issuer);
    if (params.state !== undefined || !('state' in params)) expect(location.searchParams.get('state')).toBe('state-1');
  });

  it('response_type token is refused (ID-porten has only the code flow)', async () => {
    const response = await fetch(authorizeUrl({ response_type: 'token' }), { redirect: 'manual' });
    const location = new URL(response.headers.get('location')!);
    const answer = new URLSearchParams(location.hash.slice(1) || location.search);
    expect(answer.get('error')).toBe('unsupported_response_type');
    expect(answer.get('code')).toBeNull();
  });

  it('a scope the client is not registered for is not granted', async () => {
    const location = await redirectOf(authorizeUrl({ scope: 'openid profile admin', login_hint: headless() }));
    const { body } = await exchange(location.searchParams.get('code')!);
    expect(body.scope).toBe('openid profile');
  });
});

describe('errors that must not redirect show an error page with a reference', () => {
  it.each([
    ['an unknown client', { client_id: 'no-such-client' }, 'client not found'],
    ['an unregistered redirect_uri', { redirect_uri: 'http://localhost:7777/other' }, 'redirect_uri'],
    ['a redirect_uri that differs only by a trailing slash', { redirect_uri: REDIRECT + '/' }, 'redirect_uri'],
    ['a redirect_uri with an extra query', { redirect_uri: REDIRECT + '?x=1' }, 'redirect_uri'],
    ['a bad request_uri', `${'/authorize'}?client_id=basic-client&request_uri=urn%3Aietf%3Aparams%3Aoauth%3Arequest_uri%3Anope`, 'request_uri'],
  ])('%s', async (_name, params, mentions) => {
    const url = typeof params === 'string' ? env.pv.issuer + params : authorizeUrl(params);
    const response = await fetch(url, { redirect: 'manual', headers: { accept: 'text/html' } });
    expect(response.status).toBe(400);
    const html = await response.text();
    expect(html).toContain('<html lang="nb"');
    expect(html).toMatch(/class="reference">[0-9a-f]{12}</);
    expect(html).toContain(mentions);
  });
});

describe('PKCE', () => {
  it('the code is bound to the challenge: a wrong verifier is invalid_grant', async () => {
    const code = (await redirectOf(authorizeUrl({ login_hint: headless() }))).searchParams.get('code')!;
    const result = await exchange(code, { code_verifier: 'a'.repeat(43) });
    expect(result).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
  });

  it('a client registered with code_challenge_method none may log in without PKCE', async () => {
    const location = await redirectOf(authorizeUrl({ client_id: 'nopkce-client', code_challenge: undefined, code_challenge_method: undefined, login_hint: headless() }));
    const code = location.searchParams.get('code');
    expect(code).toBeTruthy();
    const auth = `Basic ${Buffer.from(`nopkce-client:${secrets.nopkce}`).toString('base64')}`;
    const response = await fetch(`${env.pv.issuer}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: auth },
      body: new URLSearchParams({ grant_type: 'authorization_code', code: code!, redirect_uri: REDIRECT }),
    });
    expect(response.status).toBe(200);
  });
});

describe('headless TestID login (profile §9.2)', () => {
  it('answers at once with a code, iss and state; the tokens carry the hinted person and level', async () => {
    const location = await redirectOf(authorizeUrl({ login_hint: headless('idporten-loa-high') }));
    expect(location.origin + location.pathname).toBe(REDIRECT);
    expect(location.searchParams.get('state')).toBe('state-1');
    expect(location.searchParams.get('iss')).toBe(env.pv.issuer);
    const { status, body } = await exchange(location.searchParams.get('code')!);
    expect(status).toBe(200);
    const claims = decodeJwt(body.id_token as string);
    expect(claims).toMatchObject({ pid: PERSON, acr: 'idporten-loa-high', amr: ['TestID'], nonce: 'nonce-1' });
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 120, scope: 'openid profile' });
    expect(body.refresh_token_expires_in ?? 600).toBe(600);
  });

  it.each(['login', 'consent', 'login consent'])('answers at once with prompt=%s too: the hint is a fresh login, consent is implicit', async (prompt) => {
    const location = await redirectOf(authorizeUrl({ login_hint: headless(), prompt }));
    expect(location.origin + location.pathname).toBe(REDIRECT);
    const { body } = await exchange(location.searchParams.get('code')!);
    expect(Math.floor(Date.now() / 1000) - (decodeJwt(body.id_token as string).auth_time as number)).toBeLessThan(5);
  });

  it('a code works once', async () => {
    const code = (await redirectOf(authorizeUrl({ login_hint: headless() }))).searchParams.get('code')!;
    expect((await exchange(code)).status).toBe(200);
    expect(await exchange(code)).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
  });

  it('the redirect_uri at /token must be the one of the request', async () => {
    const code = (await redirectOf(authorizeUrl({ login_hint: headless() }))).searchParams.get('code')!;
    expect(await exchange(code, { redirect_uri: 'http://localhost:7777/other' })).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
  });
});

describe('levels of assurance are minimums', () => {
  it('high satisfies a request for substantial', async () => {
    const location = await redirectOf(authorizeUrl({ acr_values: 'idporten-loa-substantial', login_hint: headless('idporten-loa-high') }));
    const { body } = await exchange(location.searchParams.get('code')!);
    expect(decodeJwt(body.id_token as string).acr).toBe('idporten-loa-high');
  });

  it('the TestID page offers only high when high is required, preselected', async () => {
    const browser = new CookieBrowser();
    const page = await browser.follow(authorizeUrl({ acr_values: 'idporten-loa-high' }));
    expect(page.body).toContain('value="idporten-loa-high" checked');
    expect(page.body).not.toContain('value="idporten-loa-substantial"');
  });

  it('a session at substantial must log in again for a client that requires high (step-up)', async () => {
    const browser = new CookieBrowser();
    await loginWithTestId(browser, authorizeUrl(), REDIRECT, { pid: PERSON, acr: 'idporten-loa-substantial' });
    const sso = await browser.follow(authorizeUrl(), (u) => u.startsWith(REDIRECT));
    expect(sso.location).toContain('code=');
    const stepUp = await browser.follow(authorizeUrl({ acr_values: 'idporten-loa-high' }), (u) => u.startsWith(REDIRECT));
    expect(stepUp.status).toBe(200);
    expect(stepUp.body).toContain('name="pid"');
  });
});

describe('the TestID page', () => {
  it('names the service, is in the requested language, and reports the language as locale', async () => {
    const browser = new CookieBrowser();
    const page = await browser.follow(authorizeUrl({ ui_locales: 'nn' }));
    expect(page.body).toContain('<html lang="nn"');
    expect(page.body).toContain('Basic Tjeneste');
    expect(page.body).toContain('Avbryt');
    const callback = await loginWithTestId(browser, authorizeUrl({ ui_locales: 'nn' }), REDIRECT);
    const { body } = await exchange(new URL(callback).searchParams.get('code')!);
    expect(decodeJwt(body.id_token as string).locale).toBe('nn');
  });

  it.each(['en', 'se'])('is available in %s', async (lang) => {
    const page = await new CookieBrowser().follow(authorizeUrl({ ui_locales: lang }));
    expect(page.body).toContain(`<html lang="${lang}"`);
  });

  it('Cancel returns access_denied with state to the client', async () => {
    const callback = new URL(await loginWithTestId(new CookieBrowser(), authorizeUrl(), REDIRECT, { pid: '', action: 'cancel' }));
    expect(callback.searchParams.get('error')).toBe('access_denied');
    expect(callback.searchParams.get('state')).toBe('state-1');
    expect(callback.searchParams.get('iss')).toBe(env.pv.issuer);
  });

  it.each([
    ['12345', 'nøyaktig 11 siffer'],
    ['28876895938', 'Kontrollsifrene'],
    ['59125502061', 'bare syntetiske'],
  ])('refuses %s with a clear message and keeps the person on the page', async (pid, message) => {
    const browser = new CookieBrowser();
    const page = await browser.follow(authorizeUrl());
    const answer = await browser.post(page.action!, { csrf: formField(page.body, 'csrf')!, pid, acr: 'idporten-loa-substantial', action: 'login' });
    expect(answer.status).toBe(400);
    expect(answer.body).toContain(message);
    expect(answer.body).toContain('aria-invalid="true"');
  });

  it('is sent with a Content-Security-Policy that forbids scripts and framing', async () => {
    const response = await fetch((await new CookieBrowser().follow(authorizeUrl())).url, { headers: { accept: 'text/html' } });
    expect(response.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(response.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
  });

  it('refuses a form without the right CSRF token', async () => {
    const browser = new CookieBrowser();
    const page = await browser.follow(authorizeUrl());
    const answer = await browser.post(page.action!, { csrf: 'forged', pid: PERSON, acr: 'idporten-loa-substantial', action: 'login' });
    expect(answer.status).toBe(400);
    expect(answer.location).toBeUndefined();
  });

  it('lists test persons that log in with one click', async () => {
    const browser = new CookieBrowser();
    const page = await browser.follow(authorizeUrl());
    const pick = /name="pick" value="(\d{11})"/.exec(page.body)![1]!;
    const answer = await browser.post(page.action!, { csrf: formField(page.body, 'csrf')!, pick, acr: 'idporten-loa-substantial' });
    const callback = await browser.follow(answer.location!, (u) => u.startsWith(REDIRECT));
    const { body } = await exchange(new URL(callback.location!).searchParams.get('code')!);
    expect(decodeJwt(body.id_token as string).pid).toBe(pick);
  });
});

describe('a login is three requests: no redirect between its steps', () => {
  it('the authorization request answers with the TestID page, and its form with the redirect to the client', async () => {
    const browser = new CookieBrowser();
    const page = await browser.request(authorizeUrl());
    expect(page.status).toBe(200);
    expect(page.body).toContain('name="pid"');
    expect(new URL(page.action!).pathname).toMatch(/^\/authorize\/[\w-]+\/login$/);
    const answer = await browser.post(page.action!, { csrf: formField(page.body, 'csrf')!, pid: PERSON, acr: 'idporten-loa-substantial', action: 'login' });
    expect(answer.status).toBe(303);
    const callback = new URL(answer.location!);
    expect(callback.origin + callback.pathname).toBe(REDIRECT);
    expect(callback.searchParams.get('state')).toBe('state-1');
    expect(callback.searchParams.get('iss')).toBe(env.pv.issuer);
    const { body } = await exchange(callback.searchParams.get('code')!);
    expect(decodeJwt(body.id_token as string).pid).toBe(PERSON);
  });

  it("the page's own address shows it too (a language chosen, a reload), with the same headers", async () => {
    const first = await fetch(authorizeUrl(), { redirect: 'manual' });
    const cookies = first.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
    const action = /<form method="post" action="([^"]+)"/.exec(await first.text())![1]!;
    const again = await fetch(`${env.pv.issuer}${action}?lang=en`, { headers: { cookie: cookies } });
    expect(again.status).toBe(200);
    expect(await again.text()).toContain('<html lang="en"');
    for (const response of [first, again]) {
      expect(response.headers.get('cache-control')).toBe('no-store');
      expect(response.headers.get('content-security-policy')).toMatch(/frame-ancestors 'none'/);
      expect(response.headers.get('x-frame-options')).toBe('DENY');
    }
  });

  it('the form resumes the login only with the browser\'s resume cookie: without it, an error page and no code', async () => {
    const page = await fetch(authorizeUrl(), { redirect: 'manual' });
    const html = await page.text();
    const action = /<form method="post" action="([^"]+)"/.exec(html)![1]!;
    const withoutResume = page.headers.getSetCookie().map((c) => c.split(';')[0]!).filter((c) => !c.startsWith('_interaction_resume')).join('; ');
    const answer = await fetch(`${env.pv.issuer}${action}`, {
      method: 'POST', redirect: 'manual',
      headers: { cookie: withoutResume, 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
      body: new URLSearchParams({ csrf: formField(html, 'csrf')!, pid: PERSON, acr: 'idporten-loa-substantial', action: 'login' }),
    });
    expect(answer.status).toBe(400);
    expect(answer.headers.get('location')).toBeNull();
    expect(await answer.text()).toMatch(/referanse|reference/i);
  });
});

describe('PAR and response modes', () => {
  it('a pushed request gives a one-time request_uri valid 120 s', async () => {
    const response = await fetch(`${env.pv.issuer}/par`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`basic-client:${secrets.basic}`).toString('base64')}` },
      body: new URLSearchParams({ client_id: 'basic-client', response_type: 'code', scope: 'openid profile', redirect_uri: REDIRECT, state: 'par-state', nonce: 'n', code_challenge: PKCE.challenge, code_challenge_method: 'S256', login_hint: headless() }),
    });
    expect(response.status).toBe(201);
    const par = (await response.json()) as { request_uri: string; expires_in: number };
    expect(par.expires_in).toBe(120);
    const url = `${env.pv.issuer}/authorize?client_id=basic-client&request_uri=${encodeURIComponent(par.request_uri)}`;
    const location = await redirectOf(url);
    expect(location.searchParams.get('state')).toBe('par-state');
    expect(location.searchParams.get('code')).toBeTruthy();
    const reused = await fetch(url, { redirect: 'manual', headers: { accept: 'text/html' } });
    expect(reused.status).toBe(400);
  });

  it('PAR refuses a request without state, like /authorize', async () => {
    const response = await fetch(`${env.pv.issuer}/par`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`basic-client:${secrets.basic}`).toString('base64')}` },
      body: new URLSearchParams({ client_id: 'basic-client', response_type: 'code', scope: 'openid', redirect_uri: REDIRECT, nonce: 'n', code_challenge: PKCE.challenge, code_challenge_method: 'S256' }),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: 'invalid_request' });
  });

  it('form_post answers with an auto-submitting form carrying code, state and iss', async () => {
    const response = await fetch(authorizeUrl({ response_mode: 'form_post', login_hint: headless() }), { redirect: 'manual' });
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).toContain(`action="${REDIRECT}"`);
    for (const field of ['code', 'state', 'iss']) expect(html).toContain(`name="${field}"`);
    // The page may run exactly its own auto-submit script: the policy carries that script's hash.
    const script = /<script>([\s\S]*?)<\/script>/.exec(html)![1]!;
    const policy = response.headers.get('content-security-policy') ?? '';
    expect(policy).toMatch(/frame-ancestors 'none'/);
    expect(policy).toContain(`'sha256-${crypto.createHash('sha256').update(script).digest('base64')}'`);
    expect(response.headers.get('x-frame-options')).toBe('DENY');
  });

  it('query.jwt (JARM) answers with one signed response that openid-client verifies and redeems', async () => {
    const config = await oidc.discovery(new URL(env.pv.issuer), 'basic-client', {}, oidc.ClientSecretBasic(secrets.basic), {
      execute: [oidc.allowInsecureRequests, oidc.useJwtResponseMode],
    });
    const location = await redirectOf(authorizeUrl({ response_mode: 'query.jwt', login_hint: headless() }));
    expect([...location.searchParams.keys()]).toEqual(['response']);
    const response = location.searchParams.get('response')!;
    expect(decodeProtectedHeader(response)).toMatchObject({ alg: 'RS256', kid: expect.any(String) });
    expect(decodeJwt(response)).toMatchObject({ iss: env.pv.issuer, aud: 'basic-client', state: 'state-1', code: expect.any(String), exp: expect.any(Number) });
    const tokens = await oidc.authorizationCodeGrant(config, location, { pkceCodeVerifier: PKCE.verifier, expectedState: 'state-1', expectedNonce: 'nonce-1' });
    expect(tokens.claims()).toMatchObject({ pid: PERSON });
  });

  it('with query.jwt an error goes back signed too; form_post.jwt posts the response', async () => {
    const refused = await redirectOf(authorizeUrl({ response_mode: 'query.jwt', acr_values: 'Level4' }));
    expect(decodeJwt(refused.searchParams.get('response')!)).toMatchObject({ iss: env.pv.issuer, error: 'invalid_request', state: 'state-1' });

    const posted = await fetch(authorizeUrl({ response_mode: 'form_post.jwt', login_hint: headless() }), { redirect: 'manual' });
    expect(posted.status).toBe(200);
    expect(posted.headers.get('content-security-policy')).toMatch(/frame-ancestors 'none'/);
    const html = await posted.text();
    expect(html).toContain(`action="${REDIRECT}"`);
    const field = /name="response" value="([^"]+)"/.exec(html)!;
    expect(decodeJwt(field[1]!)).toMatchObject({ code: expect.any(String), state: 'state-1' });
  });

  it('the TestID page is never kept by a cache and carries the page policy', async () => {
    const page = await new CookieBrowser().follow(authorizeUrl());
    expect(page.body).toContain('name="csrf"');
    const response = await fetch(page.url, { headers: { accept: 'text/html' } });
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('content-security-policy')).toMatch(/frame-ancestors 'none'/);
    const stylesheet = await fetch(`${env.pv.issuer}/static/portvakt.css`);
    expect(stylesheet.headers.get('cache-control')).toMatch(/^public/);
    // Pages link it by its content's digest, so browsers keep it until it changes; it is
    // Designsystemet (theme and components) with our frame, sent gzipped to whoever accepts it.
    const href = /<link rel="stylesheet" href="([^"]+)"/.exec(page.body)![1]!.replaceAll('&amp;', '&');
    expect(href).toMatch(/^\/static\/portvakt\.css\?v=[\w-]{12}$/);
    const versioned = await fetch(`${env.pv.issuer}${href}`, { headers: { 'accept-encoding': 'gzip' } });
    expect(versioned.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(versioned.headers.get('content-encoding')).toBe('gzip'); // fetch decodes it
    const css = await versioned.text();
    for (const rule of ['--ds-color-accent-base-default', '.ds-button', '.site-header']) expect(css).toContain(rule);
  });

  it("the provider's error pages carry the pages' security headers; its JSON does not need a page policy", async () => {
    const page = await fetch(`${env.pv.issuer}/authorize?client_id=nobody&response_type=code`, { redirect: 'manual' });
    expect(page.status).toBe(400);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('content-security-policy')).toMatch(/^default-src 'none'.*frame-ancestors 'none'/);
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    const json = await fetch(`${env.pv.issuer}/.well-known/openid-configuration`);
    expect(json.headers.get('x-content-type-options')).toBe('nosniff');
    expect(json.headers.get('content-security-policy')).toBeNull();
  });
});

describe('client authentication exactly as registered', () => {
  const basicAuth = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

  it('a client_secret_basic client cannot authenticate with client_secret_post', async () => {
    const code = (await redirectOf(authorizeUrl({ login_hint: headless() }))).searchParams.get('code')!;
    const result = await exchange(code, { client_id: 'basic-client', client_secret: secrets.basic }, '');
    expect(result).toMatchObject({ status: 401, body: { error: 'invalid_client' } });
  });

  it('a wrong secret is invalid_client', async () => {
    const code = (await redirectOf(authorizeUrl({ login_hint: headless() }))).searchParams.get('code')!;
    expect(await exchange(code, {}, basicAuth('basic-client', secrets.basic + 'x'))).toMatchObject({ status: 401, body: { error: 'invalid_client' } });
  });

  describe('private_key_jwt', () => {
    async function assertion(claims: Record<string, unknown> = {}, lifetime = 60) {
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({ iss: 'jwt-client', sub: 'jwt-client', aud: env.pv.issuer, jti: crypto.randomUUID(), ...claims })
        .setProtectedHeader({ alg: 'RS256', kid: env.kid })
        .setIssuedAt(now)
        .setExpirationTime(now + lifetime)
        .sign(env.privateKey);
    }
    async function tokenWith(clientAssertion: string, extra: Record<string, string> = { client_id: 'jwt-client' }) {
      const code = (await redirectOf(authorizeUrl({ client_id: 'jwt-client', login_hint: headless() }))).searchParams.get('code')!;
      return exchange(code, { client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: clientAssertion, ...extra }, '');
    }

    it('accepts a valid assertion with aud = issuer', async () => {
      expect((await tokenWith(await assertion())).status).toBe(200);
    });
    it('accepts aud = the token endpoint URL', async () => {
      expect((await tokenWith(await assertion({ aud: `${env.pv.issuer}/token` }))).status).toBe(200);
    });
    it('refuses an assertion living longer than 120 s', async () => {
      expect(await tokenWith(await assertion({}, 300))).toMatchObject({ status: 401, body: { error: 'invalid_client' } });
    });
    it('refuses sub ≠ client_id', async () => {
      const result = await tokenWith(await assertion({ sub: 'someone-else' }));
      expect(result.status).toBeGreaterThanOrEqual(400);
      expect(result.body.error).toMatch(/^invalid_(client|request)$/);
    });
    it('refuses a replayed jti', async () => {
      const once = await assertion();
      expect((await tokenWith(once)).status).toBe(200);
      expect(await tokenWith(once)).toMatchObject({ status: 401, body: { error: 'invalid_client' } });
    });
    it('requires client_id beside the assertion', async () => {
      expect((await tokenWith(await assertion(), {})).status).toBeGreaterThanOrEqual(400);
    });
    it('refuses an assertion signed by another key', async () => {
      const { privateKey: other } = await crypto.subtle.generateKey({ name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }, true, ['sign', 'verify']) as CryptoKeyPair;
      const now = Math.floor(Date.now() / 1000);
      const forged = await new SignJWT({ iss: 'jwt-client', sub: 'jwt-client', aud: env.pv.issuer, jti: crypto.randomUUID() }).setProtectedHeader({ alg: 'RS256', kid: env.kid }).setIssuedAt(now).setExpirationTime(now + 60).sign(other);
      expect(await tokenWith(forged)).toMatchObject({ status: 401, body: { error: 'invalid_client' } });
    });
  });

  it('a public client gets no refresh token and cannot use a secret', async () => {
    const config = await oidc.discovery(new URL(env.pv.issuer), 'spa-client', {}, oidc.None(), { execute: [oidc.allowInsecureRequests] });
    const url = oidc.buildAuthorizationUrl(config, { redirect_uri: REDIRECT, scope: 'openid', state: 's', nonce: 'n', code_challenge: PKCE.challenge, code_challenge_method: 'S256', login_hint: headless() });
    const location = await redirectOf(url.toString());
    const tokens = await oidc.authorizationCodeGrant(config, location, { pkceCodeVerifier: PKCE.verifier, expectedState: 's', expectedNonce: 'n' });
    expect(tokens.refresh_token).toBeUndefined();

    const code = (await redirectOf(authorizeUrl({ client_id: 'spa-client', login_hint: headless() }))).searchParams.get('code')!;
    const withSecret = await exchange(code, { client_id: 'spa-client' }, `Basic ${Buffer.from('spa-client:made-up').toString('base64')}`);
    expect(withSecret).toMatchObject({ status: 401, body: { error: 'invalid_client' } });
  });
});
