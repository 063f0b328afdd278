// Complete logins with openid-client as the relying party, over real HTTP, for every way a client
// can authenticate, and the tokens ID-porten issues.
import { describe, expect, it } from 'vitest';
import * as oidc from 'openid-client';
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import { CookieBrowser, loginWithTestId } from './helpers/browser.js';
import { PERSON, REDIRECT, secrets, portvaktWithTestClients, TEST_API_SCOPE } from './helpers/clients.js';

const env = portvaktWithTestClients();

const insecure = { execute: [oidc.allowInsecureRequests] };

async function configFor(clientId: string, auth: oidc.ClientAuth, metadata: Partial<oidc.ClientMetadata> = {}) {
  return oidc.discovery(new URL(env.pv.issuer), clientId, metadata, auth, insecure);
}

function configs() {
  return {
    basic: () => configFor('basic-client', oidc.ClientSecretBasic(secrets.basic)),
    post: () => configFor('post-client', oidc.ClientSecretPost(secrets.post)),
    jwt: () => configFor('jwt-client', oidc.PrivateKeyJwt({ key: env.privateKey, kid: env.kid })),
    none: () => configFor('spa-client', oidc.None()),
  };
}

async function login(config: oidc.Configuration, extra: Record<string, string> = {}, person = { pid: PERSON }) {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT,
    scope: 'openid profile',
    state,
    nonce,
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    ...extra,
  });
  const browser = new CookieBrowser();
  const callback = await loginWithTestId(browser, url.toString(), REDIRECT, person);
  const tokens = await oidc.authorizationCodeGrant(config, new URL(callback), { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce });
  return { tokens, callback, browser };
}

describe('a complete login for every client authentication method', () => {
  for (const [method, make] of Object.entries(configs())) {
    it(`${method}: authorize → TestID → code → token → id_token verified → userinfo`, async () => {
      const config = await make();
      const { tokens, callback } = await login(config);
      expect(new URL(callback).searchParams.get('iss')).toBe(env.pv.issuer);

      const jwks = createRemoteJWKSet(new URL(`${env.pv.issuer}/jwks.json`));
      const { payload, protectedHeader } = await jwtVerify(tokens.id_token!, jwks, { issuer: env.pv.issuer, audience: config.clientMetadata().client_id });
      expect(protectedHeader.alg).toBe('RS256');
      expect(payload.exp! - payload.iat!).toBe(120);
      expect(payload.pid).toBe(PERSON);
      expect(payload.acr).toBe('idporten-loa-substantial');
      expect(payload.amr).toEqual(['TestID']);
      expect(payload.locale).toBe('nb');
      expect(typeof payload.auth_time).toBe('number');
      expect(typeof payload.jti).toBe('string');
      expect(payload.at_hash).toBeUndefined();
      expect(payload.sub).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(payload.sub).not.toContain(PERSON);

      const userinfo = await oidc.fetchUserInfo(config, tokens.access_token, payload.sub!);
      expect(userinfo).toEqual({ sub: payload.sub, pid: PERSON, locale: 'nb' });
    });
  }
});

describe('tokens as ID-porten issues them', () => {
  it('the access token is a JWT with the claims of profile §4.4 and no aud', async () => {
    const config = await configs().basic();
    const { tokens } = await login(config);
    expect(decodeProtectedHeader(tokens.access_token).typ).toBe('at+jwt');
    const at = await jwtVerify(tokens.access_token, createRemoteJWKSet(new URL(`${env.pv.issuer}/jwks.json`)), { issuer: env.pv.issuer });
    expect(at.payload).toMatchObject({
      client_id: 'basic-client',
      client_amr: 'client_secret_basic',
      acr: 'idporten-loa-substantial',
      scope: 'openid profile',
      pid: PERSON,
      consumer: { authority: 'iso6523-actorid-upis', ID: '0192:991825827' },
    });
    expect(at.payload.aud).toBeUndefined();
    expect(at.payload.exp! - at.payload.iat!).toBe(120);
    expect(tokens.expires_in).toBe(120);
  });

  it('the pairwise sub differs between clients and is stable for one client', async () => {
    const first = decodeJwt((await login(await configs().basic())).tokens.id_token!).sub;
    const again = decodeJwt((await login(await configs().basic())).tokens.id_token!).sub;
    const other = decodeJwt((await login(await configs().post())).tokens.id_token!).sub;
    expect(again).toBe(first);
    expect(other).not.toBe(first);
  });

  it('sid is in the id_token only for clients with frontchannel_logout_session_required', async () => {
    expect(decodeJwt((await login(await configs().basic())).tokens.id_token!).sid).toEqual(expect.any(String));
    expect(decodeJwt((await login(await configs().post())).tokens.id_token!).sid).toBeUndefined();
  });

  it('per-client access_token_lifetime', async () => {
    const { tokens } = await login(await configs().post());
    expect(tokens.expires_in).toBe(300);
  });

  it('refresh tokens only for clients with the refresh_token grant', async () => {
    expect((await login(await configs().basic())).tokens.refresh_token).toEqual(expect.any(String));
    expect((await login(await configs().jwt())).tokens.refresh_token).toBeUndefined();
  });

  it('ONETIME rotates the refresh token; replaying a used one is rejected and revokes the grant', async () => {
    const config = await configs().basic();
    const { tokens } = await login(config);
    const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token!);
    expect(refreshed.refresh_token).toBeDefined();
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);
    await expect(oidc.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    // the grant is gone: the rotated token no longer works either
    await expect(oidc.refreshTokenGrant(config, refreshed.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  it('REUSE keeps the same refresh token', async () => {
    const config = await configs().post();
    const { tokens } = await login(config);
    const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token!);
    expect(refreshed.refresh_token ?? tokens.refresh_token).toBe(tokens.refresh_token);
    const again = await oidc.refreshTokenGrant(config, tokens.refresh_token!);
    expect(again.access_token).toEqual(expect.any(String));
  });

  it('resource puts the requested audience into the access token (RFC 8707), verbatim', async () => {
    const config = await configs().basic();
    const { tokens } = await login(config, { resource: 'https://api.example.no/v1' });
    const claims = decodeJwt(tokens.access_token);
    expect(claims.aud).toBe('https://api.example.no/v1');
    expect(claims).toMatchObject({ pid: PERSON, acr: 'idporten-loa-substantial', client_id: 'basic-client' });
    expect(tokens.id_token).toEqual(expect.any(String));
  });

  it('the token response says how long the refresh token may sit unused', async () => {
    const { tokens } = await login(await configs().basic());
    expect(tokens.refresh_token_expires_in).toBe(600);
  });

  it('revoking the access token ends the whole grant of that client, refresh token included', async () => {
    const config = await configs().basic();
    const { tokens } = await login(config);
    await oidc.tokenRevocation(config, tokens.access_token);
    await expect(oidc.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  it('a client cannot revoke another client\'s token', async () => {
    const { tokens } = await login(await configs().basic());
    await expect(oidc.tokenRevocation(await configs().post(), tokens.access_token)).rejects.toMatchObject({ error: 'invalid_request' });
    expect(await oidc.fetchUserInfo(await configs().basic(), tokens.access_token, oidc.skipSubjectCheck)).toMatchObject({ pid: PERSON });
  });

  it('revoking the access token ends it at userinfo', async () => {
    const config = await configs().basic();
    const { tokens } = await login(config);
    await oidc.tokenRevocation(config, tokens.access_token);
    await expect(oidc.fetchUserInfo(config, tokens.access_token, oidc.skipSubjectCheck)).rejects.toThrow();
  });

  it('an access token\'s jti is no access token: resource servers see and log it, only the signed JWT is one', async () => {
    const config = await configs().basic();
    const { tokens } = await login(config, { scope: `openid profile ${TEST_API_SCOPE}` });
    const jti = decodeJwt(tokens.access_token).jti!;
    expect(jti).toMatch(/^[\w-]{43}$/);
    const userinfo = await fetch(`${env.pv.issuer}/userinfo`, { headers: { authorization: `Bearer ${jti}` } });
    expect(userinfo.status).toBe(401);
    expect(await userinfo.json()).toMatchObject({ error: 'invalid_token' });
    const introspector = await configFor('introspector', oidc.ClientSecretBasic(secrets.introspector));
    expect((await oidc.tokenIntrospection(introspector, jti)).active).toBe(false);
    expect((await oidc.tokenIntrospection(introspector, tokens.access_token)).active).toBe(true);
  });

  it('userinfo takes the access token in a form body too (RFC 6750 §2.2)', async () => {
    const { tokens } = await login(await configs().basic());
    const userinfo = await fetch(`${env.pv.issuer}/userinfo`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ access_token: tokens.access_token }),
    });
    expect(userinfo.status).toBe(200);
    expect(await userinfo.json()).toMatchObject({ pid: PERSON });
  });

  it('introspection answers a client holding idporten:token.introspection, and no one else', async () => {
    const { tokens } = await login(await configs().basic(), { scope: `openid profile ${TEST_API_SCOPE}` });
    const introspector = await configFor('introspector', oidc.ClientSecretBasic(secrets.introspector));
    const result = await oidc.tokenIntrospection(introspector, tokens.access_token);
    expect(result).toMatchObject({ active: true, client_id: 'basic-client', scope: `openid profile ${TEST_API_SCOPE}`, pid: PERSON, acr: 'idporten-loa-substantial' });
    expect((await oidc.tokenIntrospection(introspector, 'not-a-token')).active).toBe(false);
    await expect(oidc.tokenIntrospection(await configs().post(), tokens.access_token)).rejects.toMatchObject({ error: 'unauthorized_client' });
  });
});
