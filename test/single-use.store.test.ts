// A code, a rotating refresh token and a client assertion are used once, also when requests race
// with them (RFC 6749 §4.1.2, RFC 7523 §3; src/provider/single-use.ts): of several requests sent at
// the same moment, one succeeds. A raced code or refresh token is treated as one used twice one after
// the other: the grant and the tokens issued from it are revoked. On each store: memory, PostgreSQL,
// Redis.
import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SignJWT } from 'jose';
import { PERSON, REDIRECT, secrets, portvaktWithTestClients } from './helpers/clients.js';
import { CookieBrowser, formField } from './helpers/browser.js';
import { PKCE, headlessAuthorizeUrl, headlessCode, redeemCode } from './helpers/headless.js';

const env = portvaktWithTestClients();
const RACERS = 6;

const basic = `Basic ${Buffer.from(`basic-client:${secrets.basic}`).toString('base64')}`;

async function freshCode() {
  return (await headlessCode(headlessAuthorizeUrl(env.pv.issuer, { client_id: 'basic-client', redirect_uri: REDIRECT, scope: 'openid profile' })))!;
}

async function answers(responses: Response[]) {
  return Promise.all(responses.map(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, string> })));
}

const userinfo = async (accessToken: string) => (await fetch(`${env.pv.issuer}/userinfo`, { headers: { authorization: `Bearer ${accessToken}` } })).status;

describe('used once, also when requests race', () => {
  it(`an authorization code sent by ${RACERS} token requests at once gets tokens once; the grant is then revoked`, async () => {
    const code = await freshCode();
    const all = await answers(await Promise.all(Array.from({ length: RACERS }, () => redeemCode(env.pv.issuer, { client_id: 'basic-client', secret: secrets.basic, code, redirect_uri: REDIRECT }))));
    const winners = all.filter((a) => a.status === 200);
    expect(winners).toHaveLength(1);
    for (const loser of all.filter((a) => a.status !== 200)) {
      expect(loser).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    }
    // A code used twice may have been stolen: what it gave is taken back (as for a later second use).
    expect(await userinfo(winners[0]!.body.access_token!)).toBe(401);
  });

  it('a code used once, alone, works as before', async () => {
    const response = await redeemCode(env.pv.issuer, { client_id: 'basic-client', secret: secrets.basic, code: await freshCode(), redirect_uri: REDIRECT });
    const tokens = (await response.json()) as { access_token: string };
    expect(response.status).toBe(200);
    expect(await userinfo(tokens.access_token)).toBe(200);
  });

  it(`a rotating (ONETIME) refresh token sent by ${RACERS} requests at once is rotated once`, async () => {
    const first = (await (await redeemCode(env.pv.issuer, { client_id: 'basic-client', secret: secrets.basic, code: await freshCode(), redirect_uri: REDIRECT })).json()) as { refresh_token: string };
    const refresh = () => fetch(`${env.pv.issuer}/token`, {
      method: 'POST',
      headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: first.refresh_token }),
    });
    const all = await answers(await Promise.all(Array.from({ length: RACERS }, refresh)));
    const winners = all.filter((a) => a.status === 200);
    expect(winners).toHaveLength(1);
    for (const loser of all.filter((a) => a.status !== 200)) expect(loser).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    expect(await userinfo(winners[0]!.body.access_token!)).toBe(401);
  });

  it(`a private_key_jwt assertion (its jti) sent by ${RACERS} requests at once authenticates once`, async () => {
    const now = Math.floor(Date.now() / 1000);
    const assertion = await new SignJWT({ iss: 'jwt-client', sub: 'jwt-client', aud: env.pv.issuer, jti: crypto.randomUUID() })
      .setProtectedHeader({ alg: 'RS256', kid: env.kid }).setIssuedAt(now).setExpirationTime(now + 60).sign(env.privateKey);
    const push = () => fetch(`${env.pv.issuer}/par`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        client_id: 'jwt-client', client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: assertion,
        response_type: 'code', scope: 'openid', redirect_uri: REDIRECT, state: 's', nonce: 'n', code_challenge: 'b7elB7ZyxIXgFyvBznKvxl7wOB-H17Pz0a3B62NIMFI', code_challenge_method: 'S256',
      }),
    });
    const all = await answers(await Promise.all(Array.from({ length: RACERS }, push)));
    expect(all.filter((a) => a.status === 201)).toHaveLength(1);
    for (const loser of all.filter((a) => a.status !== 201)) expect(loser).toMatchObject({ status: 401, body: { error: 'invalid_client' } });
  });

  it(`a finished login resumed by ${RACERS} requests at once (a double-submitting browser) answers with one code`, async () => {
    const browser = new CookieBrowser();
    const authorize = `${env.pv.issuer}/authorize?${new URLSearchParams({ client_id: 'basic-client', response_type: 'code', scope: 'openid profile', redirect_uri: REDIRECT, state: 's', nonce: 'n', code_challenge: PKCE.challenge, code_challenge_method: 'S256' })}`;
    const page = await browser.follow(authorize);
    expect(page.status).toBe(200);
    // The form's own request resumes the authorization (interaction-routes.ts): the same form sent
    // again and again races to resume it.
    const form = { csrf: formField(page.body, 'csrf') ?? '', pid: PERSON, acr: 'idporten-loa-substantial', action: 'login' };
    const resumes = await Promise.all(Array.from({ length: RACERS }, () => browser.post(page.action!, form)));
    const codes = resumes.map((hop) => hop.location && new URL(hop.location).searchParams.get('code')).filter(Boolean);
    expect(codes).toHaveLength(1);
    for (const loser of resumes.filter((hop) => !hop.location?.startsWith(REDIRECT))) {
      expect(loser.status).toBe(400); // the error page a second, later resume gets
      expect(loser.body).toMatch(/reference|referanse/i);
    }
  });

  it('the person is still the same person (the winner\'s tokens were real)', async () => {
    const response = await redeemCode(env.pv.issuer, { client_id: 'basic-client', secret: secrets.basic, code: await freshCode(), redirect_uri: REDIRECT });
    const tokens = (await response.json()) as { access_token: string };
    const claims = await (await fetch(`${env.pv.issuer}/userinfo`, { headers: { authorization: `Bearer ${tokens.access_token}` } })).json();
    expect(claims).toMatchObject({ pid: PERSON });
  });
});
