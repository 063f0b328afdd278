// Portvakt's own APIs (the self-service API, the authorizations API) and DPoP (RFC 9449 §7): a token
// bound to a key is good there only with a fresh proof of that key, made for that request and that
// token, once — as it is at userinfo. Sent as a plain bearer token, a stolen bound token is refused.
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as oidc from 'openid-client';
import { exportJWK, SignJWT, type JWTPayload } from 'jose';
import { startPortvakt, type TestPortvakt } from './helpers/portvakt.js';
import { apiClient, PERSON, REDIRECT } from './helpers/clients.js';
import { headlessAuthorizeUrl, PKCE } from './helpers/headless.js';

const ORG = '312000008';
const SECRET = 'dpop-app-secret-0123456789abcdefghij';
const insecure = { execute: [oidc.allowInsecureRequests] };

let pv: TestPortvakt;
let machine: oidc.Configuration;
let keyPair: CryptoKeyPair;
let bound: string;

beforeAll(async () => {
  const api = await apiClient('dpop-machine', ORG, ['idporten:dcr.read', 'idporten:authorizations']);
  pv = await startPortvakt({
    clients: [
      api.registration,
      // A service of the same organisation whose person's token may read that person's authorizations.
      { application_type: 'web', integration_type: 'api_klient', client_id: 'dpop-app', client_secret: SECRET, redirect_uris: [REDIRECT], client_orgno: ORG, scopes: ['openid', 'idporten:authorizations'] },
    ],
  });
  machine = await oidc.discovery(new URL(pv.issuer), 'dpop-machine', {}, oidc.PrivateKeyJwt({ key: api.privateKey, kid: api.kid }), insecure);
  keyPair = await oidc.randomDPoPKeyPair('ES256');
  const tokens = await oidc.clientCredentialsGrant(machine, { scope: 'idporten:dcr.read idporten:authorizations' }, { DPoP: oidc.getDPoPHandle(machine, keyPair) });
  expect(tokens.token_type).toBe('dpop');
  bound = tokens.access_token;
});
afterAll(async () => pv?.close());

/** A DPoP proof by `key` for a request, as RFC 9449 §4.2 has it; `claims` change or remove what is in it. */
async function proof(method: string, url: string, token: string, claims: JWTPayload = {}, key: CryptoKeyPair = keyPair) {
  const payload = { htm: method, htu: url, iat: Math.floor(Date.now() / 1000), jti: crypto.randomUUID(), ath: crypto.hash('sha256', token, 'base64url'), ...claims };
  return new SignJWT(payload).setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: await exportJWK(key.publicKey) }).sign(key.privateKey);
}

async function clients(authorization: string, dpop?: string) {
  const response = await fetch(`${pv.issuer}/api/v1/clients`, { headers: { authorization, ...(dpop ? { dpop } : {}) } });
  return { status: response.status, challenge: response.headers.get('www-authenticate'), body: (await response.json()) as Record<string, unknown> };
}

describe('the self-service API with a DPoP-bound token', () => {
  it('answers a request with a proof of the token\'s key, as openid-client sends it', async () => {
    const response = await oidc.fetchProtectedResource(machine, bound, new URL(`${pv.issuer}/api/v1/clients?inactive=true`), 'GET', null, undefined, { DPoP: oidc.getDPoPHandle(machine, keyPair) });
    expect(response.status).toBe(200);
    expect(((await response.json()) as Array<{ client_id: string }>).map((c) => c.client_id)).toContain('dpop-machine');
  });

  it('refuses it as a bearer token, and says to use DPoP', async () => {
    const answer = await clients(`Bearer ${bound}`);
    expect(answer.status).toBe(401);
    expect(answer.body).toEqual({ error: 'invalid_token', error_description: expect.stringMatching(/bound to a DPoP key: send it as Authorization: DPoP/) });
    expect(answer.challenge).toMatch(/^DPoP error="invalid_token", .*algs="ES256 Ed25519 EdDSA"$/);
  });

  it('refuses a proof that is missing, used before, of another key, or made for another request or token', async () => {
    const url = `${pv.issuer}/api/v1/clients`;
    const refused = async (dpop: string | undefined, why: RegExp, error = 'invalid_dpop_proof') => {
      const answer = await clients(`DPoP ${bound}`, dpop);
      expect(answer.status).toBe(401);
      expect(answer.body).toEqual({ error, error_description: expect.stringMatching(why) });
      expect(answer.challenge).toMatch(new RegExp(`^DPoP error="${error}"`));
    };
    await refused(undefined, /needs a DPoP proof/);
    await refused('not.a.proof', /must be a JWT of typ dpop\+jwt/);
    await refused(await proof('POST', url, bound), /htm must be the request's method \(GET\)/);
    await refused(await proof('GET', `${pv.issuer}/api/v1/scopes`, bound), /htu must be the request's URL/);
    await refused(await proof('GET', url, bound, { ath: crypto.hash('sha256', 'another token', 'base64url') }), /ath must be the hash of this access token/);
    await refused(await proof('GET', url, bound, { iat: Math.floor(Date.now() / 1000) - 600 }), /iat must be within 300 seconds/);
    await refused(await proof('GET', url, bound, { jti: undefined }), /must have a jti/);
    await refused(await proof('GET', url, bound, {}, await oidc.randomDPoPKeyPair('ES256')), /signed by another key/, 'invalid_token');

    const once = await proof('GET', `${url}?inactive=false`, bound); // the query is not part of htu
    expect((await clients(`DPoP ${bound}`, once)).status).toBe(200);
    await refused(once, /has been used already/);
  });

  it('refuses an unbound token sent as DPoP, and still takes it as a bearer token', async () => {
    const plain = (await oidc.clientCredentialsGrant(machine, { scope: 'idporten:dcr.read' })).access_token;
    const asDpop = await clients(`DPoP ${plain}`, await proof('GET', `${pv.issuer}/api/v1/clients`, plain));
    expect(asDpop).toMatchObject({ status: 401, body: { error: 'invalid_token', error_description: expect.stringMatching(/not bound to a DPoP key: send it as Authorization: Bearer/) } });
    expect(asDpop.challenge).toMatch(/^Bearer error="invalid_token"/);
    expect((await clients(`Bearer ${plain}`)).status).toBe(200);
  });
});

describe('the authorizations API with a DPoP-bound token', () => {
  it('takes an organisation\'s bound token with its proof, and refuses it as bearer', async () => {
    const url = `${pv.issuer}/authorizations/clients/authorizations`;
    const ask = (authorization: string, dpop?: string) =>
      fetch(url, { method: 'POST', headers: { authorization, 'content-type': 'application/json', ...(dpop ? { dpop } : {}) }, body: JSON.stringify({ pid: PERSON }) });
    const withProof = await ask(`DPoP ${bound}`, await proof('POST', url, bound));
    expect(withProof.status).toBe(200);
    expect(await withProof.json()).toEqual(expect.any(Array));

    const asBearer = await ask(`Bearer ${bound}`);
    expect(asBearer.status).toBe(401);
    expect(asBearer.headers.get('www-authenticate')).toMatch(/^DPoP error="invalid_token"/);
  });

  it('takes a person\'s bound token (from a login with DPoP) with a proof of its key only', async () => {
    const app = await oidc.discovery(new URL(pv.issuer), 'dpop-app', SECRET, oidc.ClientSecretBasic(SECRET), insecure);
    const personKey = await oidc.randomDPoPKeyPair('ES256');
    const DPoP = oidc.getDPoPHandle(app, personKey);
    const authorize = await fetch(headlessAuthorizeUrl(pv.issuer, { client_id: 'dpop-app', redirect_uri: REDIRECT, scope: 'openid idporten:authorizations' }), { redirect: 'manual' });
    const tokens = await oidc.authorizationCodeGrant(app, new URL(authorize.headers.get('location')!), { pkceCodeVerifier: PKCE.verifier, expectedState: 's', expectedNonce: 'n' }, undefined, { DPoP });
    expect(tokens.token_type).toBe('dpop');

    const url = new URL(`${pv.issuer}/authorizations/clients/authorizations`);
    const listed = await oidc.fetchProtectedResource(app, tokens.access_token, url, 'GET', null, undefined, { DPoP });
    expect(listed.status).toBe(200);
    expect(await listed.json()).toEqual(expect.any(Array));
    // With a proof of another key (the machine's), as a thief who has the token and a key of their own would send it.
    await expect(oidc.fetchProtectedResource(app, tokens.access_token, url, 'GET', null, undefined, { DPoP: oidc.getDPoPHandle(app, keyPair) })).rejects.toMatchObject({ status: 401 });
    expect((await fetch(url, { headers: { authorization: `Bearer ${tokens.access_token}` } })).status).toBe(401);
  });
});
