// DPoP (RFC 9449, profile §4.10) with openid-client as the client: a proof at the token endpoint
// binds the tokens to the client's key; userinfo then wants the token with a proof of that key.
import { describe, expect, it } from 'vitest';
import * as oidc from 'openid-client';
import { decodeJwt } from 'jose';
import { PERSON, REDIRECT, secrets, portvaktWithTestClients, TEST_API_SCOPE } from './helpers/clients.js';
import { PKCE, headlessAuthorizeUrl, redeemCode } from './helpers/headless.js';

const env = portvaktWithTestClients();
const insecure = { execute: [oidc.allowInsecureRequests] };
const basicClient = () => oidc.discovery(new URL(env.pv.issuer), 'basic-client', {}, oidc.ClientSecretBasic(secrets.basic), insecure);

async function loginWithDPoP(config: oidc.Configuration, DPoP: oidc.DPoPHandle) {
  const authorize = await fetch(headlessAuthorizeUrl(env.pv.issuer, { client_id: 'basic-client', redirect_uri: REDIRECT, scope: `openid profile ${TEST_API_SCOPE}` }), { redirect: 'manual' });
  return oidc.authorizationCodeGrant(config, new URL(authorize.headers.get('location')!), { pkceCodeVerifier: PKCE.verifier, expectedState: 's', expectedNonce: 'n' }, undefined, { DPoP });
}

describe('DPoP', () => {
  it('binds the access token to the key of the proof (token_type DPoP, cnf.jkt), and userinfo wants that proof', async () => {
    const config = await basicClient();
    const keyPair = await oidc.randomDPoPKeyPair('ES256');
    const DPoP = oidc.getDPoPHandle(config, keyPair);
    const tokens = await loginWithDPoP(config, DPoP);

    expect(tokens.token_type).toBe('dpop');
    const claims = decodeJwt(tokens.access_token);
    expect(claims.cnf).toEqual({ jkt: expect.stringMatching(/^[\w-]{43}$/) });

    const userinfo = await oidc.fetchUserInfo(config, tokens.access_token, tokens.claims()!.sub, { DPoP });
    expect(userinfo).toMatchObject({ pid: PERSON });

    // Presented as a plain bearer token, or with a proof of another key, it is refused.
    const bearer = await fetch(`${env.pv.issuer}/userinfo`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    expect(bearer.status).toBe(401);
    const otherKey = oidc.getDPoPHandle(config, await oidc.randomDPoPKeyPair('ES256'));
    await expect(oidc.fetchUserInfo(config, tokens.access_token, tokens.claims()!.sub, { DPoP: otherKey })).rejects.toMatchObject({ status: 401 });

    // A refresh with a proof of the same key gets a bound access token again.
    const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token!, undefined, { DPoP });
    expect(decodeJwt(refreshed.access_token).cnf).toEqual(claims.cnf);
    expect(await oidc.fetchUserInfo(config, refreshed.access_token, tokens.claims()!.sub, { DPoP })).toMatchObject({ pid: PERSON });
  });

  it('introspection shows the binding; a client without DPoP still gets bearer tokens', async () => {
    const config = await basicClient();
    const DPoP = oidc.getDPoPHandle(config, await oidc.randomDPoPKeyPair('ES256'));
    const bound = await loginWithDPoP(config, DPoP);
    const introspector = await oidc.discovery(new URL(env.pv.issuer), 'introspector', {}, oidc.ClientSecretBasic(secrets.introspector), insecure);
    const { cnf } = decodeJwt(bound.access_token);
    expect(await oidc.tokenIntrospection(introspector, bound.access_token)).toMatchObject({ active: true, cnf });

    const authorize = await fetch(headlessAuthorizeUrl(env.pv.issuer, { client_id: 'basic-client', redirect_uri: REDIRECT, scope: 'openid profile' }), { redirect: 'manual' });
    const plain = await oidc.authorizationCodeGrant(config, new URL(authorize.headers.get('location')!), { pkceCodeVerifier: PKCE.verifier, expectedState: 's', expectedNonce: 'n' });
    expect(plain.token_type).toBe('bearer');
    expect(decodeJwt(plain.access_token).cnf).toBeUndefined();
  });

  it('refuses a malformed proof at the token endpoint with invalid_dpop_proof', async () => {
    const authorize = await fetch(headlessAuthorizeUrl(env.pv.issuer, { client_id: 'basic-client', redirect_uri: REDIRECT }), { redirect: 'manual' });
    const code = new URL(authorize.headers.get('location')!).searchParams.get('code')!;
    const response = await redeemCode(env.pv.issuer, { client_id: 'basic-client', secret: secrets.basic, code, redirect_uri: REDIRECT, headers: { dpop: 'not.a.proof' } });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: 'invalid_dpop_proof' });
  });
});
