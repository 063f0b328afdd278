// OnBehalfOf (profile §2.1, §4.3, §11; verification test 10): a supplier's client logs people in on
// behalf of its registered customers. The request names one; the login page shows its name; the
// id_token and the access token say whom the login was for; an unregistered value is refused.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import { CookieBrowser } from './helpers/browser.js';
import { headlessAuthorizeUrl, headlessCode, redeemCode } from './helpers/headless.js';
import { startPortvakt, type TestPortvakt } from './helpers/portvakt.js';

const REDIRECT = 'http://localhost:7777/callback';
const SECRET = 'supplier-secret-0123456789abcdefghij';
const supplier = {
  client_id: 'supplier-client',
  client_name: 'Leverandør Saksbehandling',
  client_secret: SECRET,
  redirect_uris: [REDIRECT],
  scopes: ['openid', 'profile'],
  onbehalfof: [
    { onbehalfof: 'leikanger_kommune', name: 'Leikanger kommune', orgno: '964967636' },
    { onbehalfof: 'sogndal_kommune', name: 'Sogndal kommune' },
  ],
};

let pv: TestPortvakt;
beforeAll(async () => { pv = await startPortvakt({ clients: [supplier, { ...supplier, client_id: 'plain-client', client_name: 'Uten kunder', onbehalfof: undefined }] }); });
afterAll(async () => pv?.close());

const authorize = (onbehalfof: string | undefined, client_id = supplier.client_id) => {
  const url = new URL(headlessAuthorizeUrl(pv.issuer, { client_id, redirect_uri: REDIRECT, scope: 'openid profile' }));
  if (onbehalfof !== undefined) url.searchParams.set('onbehalfof', onbehalfof);
  return url;
};

async function tokensFor(code: string) {
  const response = await redeemCode(pv.issuer, { client_id: supplier.client_id, secret: SECRET, code, redirect_uri: REDIRECT });
  expect(response.status).toBe(200);
  return (await response.json()) as { id_token: string; access_token: string };
}

describe('onbehalfof', () => {
  it('puts the customer in the id_token (client_onbehalfof, aud_onbehalfof) and the access token, not in userinfo', async () => {
    const tokens = await tokensFor((await headlessCode(authorize('leikanger_kommune').href))!);
    const jwks = createRemoteJWKSet(new URL(`${pv.issuer}/jwks.json`));
    const idToken = (await jwtVerify(tokens.id_token, jwks, { issuer: pv.issuer, audience: supplier.client_id })).payload;
    expect(idToken).toMatchObject({ aud: supplier.client_id, client_onbehalfof: 'leikanger_kommune', aud_onbehalfof: 'leikanger_kommune' });
    const accessToken = (await jwtVerify(tokens.access_token, jwks, { issuer: pv.issuer })).payload;
    expect(accessToken.client_onbehalfof).toBe('leikanger_kommune');
    expect(accessToken.aud_onbehalfof).toBeUndefined();

    const userinfo = (await (await fetch(`${pv.issuer}/userinfo`, { headers: { authorization: `Bearer ${tokens.access_token}` } })).json()) as Record<string, unknown>;
    expect(Object.keys(userinfo).sort()).toEqual(['locale', 'pid', 'sub']);
  });

  it('a login without onbehalfof has none of these claims', async () => {
    const tokens = await tokensFor((await headlessCode(authorize(undefined).href))!);
    expect(decodeJwt(tokens.id_token).client_onbehalfof).toBeUndefined();
    expect(decodeJwt(tokens.id_token).aud_onbehalfof).toBeUndefined();
    expect(decodeJwt(tokens.access_token).client_onbehalfof).toBeUndefined();
  });

  it('each code keeps its own customer, also when one browser logs in for two in turn (SSO)', async () => {
    const browser = new CookieBrowser();
    const codeVia = async (onbehalfof: string) => new URL((await browser.request(authorize(onbehalfof).href)).location!).searchParams.get('code')!;
    const first = await codeVia('leikanger_kommune');
    const second = await codeVia('sogndal_kommune'); // same session: no login page, a new grant
    expect(decodeJwt((await tokensFor(second)).id_token).client_onbehalfof).toBe('sogndal_kommune');
    expect(decodeJwt((await tokensFor(first)).id_token).client_onbehalfof).toBe('leikanger_kommune');
  });

  it.each([
    ['a value the client has not registered', 'voss_kommune', supplier.client_id, 'onbehalfof "voss_kommune" is not registered for this client'],
    ['any value for a client with no customers', 'leikanger_kommune', 'plain-client', 'onbehalfof "leikanger_kommune" is not registered for this client'],
    ['a malformed value (not echoed)', '<script>', supplier.client_id, 'onbehalfof the value given is not registered for this client'],
  ])('refuses %s: back to the client with invalid_request', async (_name, value, clientId, description) => {
    const response = await fetch(authorize(value, clientId), { redirect: 'manual' });
    const back = new URL(response.headers.get('location')!);
    expect(`${back.origin}${back.pathname}`).toBe(REDIRECT);
    expect(back.searchParams.get('error')).toBe('invalid_request');
    expect(back.searchParams.get('error_description')).toBe(description);
    expect(back.searchParams.get('state')).toBe('s');
    expect(back.searchParams.get('code')).toBeNull();
  });

  it('refuses onbehalfof given twice', async () => {
    const url = authorize('leikanger_kommune');
    url.searchParams.append('onbehalfof', 'sogndal_kommune');
    const back = new URL((await fetch(url, { redirect: 'manual' })).headers.get('location')!);
    expect(back.searchParams.get('error')).toBe('invalid_request');
    expect(back.searchParams.get('error_description')).toContain('onbehalfof');
  });

  it('the login page names the customer, not the supplier', async () => {
    const url = authorize('sogndal_kommune');
    url.searchParams.delete('login_hint');
    const browser = new CookieBrowser();
    const page = await browser.follow(url.href);
    expect(page.status).toBe(200);
    expect(page.body).toContain('name="pid"'); // the TestID form
    expect(page.body).toContain('Sogndal kommune');
    expect(page.body).not.toContain('Leverandør Saksbehandling');
  });
});
