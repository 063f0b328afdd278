// A restart with the same data keeps everything: keys (same kid), declared clients, refresh tokens,
// and id_tokens issued before it still verify.
import { describe, expect, it } from 'vitest';
import * as oidc from 'openid-client';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose';
import { PERSON, REDIRECT, secrets, portvaktWithTestClients } from './helpers/clients.js';
import { rotateSigningKeys } from '../src/provider/keys.js';

const env = portvaktWithTestClients();

const insecure = { execute: [oidc.allowInsecureRequests] };

async function headlessLogin(config: oidc.Configuration) {
  const verifier = oidc.randomPKCECodeVerifier();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT, scope: 'openid profile', state: 's', nonce: 'n',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
    login_hint: `testid:${PERSON}_idporten-loa-substantial`,
  });
  const response = await fetch(url, { redirect: 'manual' });
  return oidc.authorizationCodeGrant(config, new URL(response.headers.get('location')!), { pkceCodeVerifier: verifier, expectedState: 's', expectedNonce: 'n' });
}

const jwksOf = async (issuer: string) => (await (await fetch(`${issuer}/jwks.json`)).json()) as JSONWebKeySet;

describe('a restart keeps', () => {
  it('signing keys (same kid), clients, refresh tokens, and earlier id_tokens verify', async () => {
    let config = await oidc.discovery(new URL(env.pv.issuer), 'basic-client', {}, oidc.ClientSecretBasic(secrets.basic), insecure);
    const before = await headlessLogin(config);
    const kidBefore = decodeProtectedHeader(before.id_token!).kid;

    env.pv = await env.pv.restart();

    const jwks = await jwksOf(env.pv.issuer);
    expect(jwks.keys.map((k) => k.kid)).toContain(kidBefore);
    await jwtVerify(before.id_token!, createLocalJWKSet(jwks), { issuer: env.pv.issuer, audience: 'basic-client', currentDate: new Date(Date.now() - 1000) });

    config = await oidc.discovery(new URL(env.pv.issuer), 'basic-client', {}, oidc.ClientSecretBasic(secrets.basic), insecure);
    const refreshed = await oidc.refreshTokenGrant(config, before.refresh_token!);
    expect(refreshed.access_token).toEqual(expect.any(String));

    const after = await headlessLogin(config);
    expect(decodeProtectedHeader(after.id_token!).kid).toBe(kidBefore);
    expect(after.claims()!.sub).toBe(before.claims()!.sub); // pairwise subjects are stable too
  });

  it('after `keys rotate` the published next key signs, and the old key stays in the JWKS', async () => {
    const config = await oidc.discovery(new URL(env.pv.issuer), 'basic-client', {}, oidc.ClientSecretBasic(secrets.basic), insecure);
    const old = await headlessLogin(config);
    const published = (await jwksOf(env.pv.issuer)).keys.map((k) => k.kid);
    expect(published.length).toBe(2); // current and next

    const rotation = await rotateSigningKeys(env.pv.portvakt.store.db, env.pv.portvakt.secrets);
    expect(published).toContain(rotation.current); // it was published before it signs
    env.pv = await env.pv.restart();

    const jwks = await jwksOf(env.pv.issuer);
    expect(jwks.keys.map((k) => k.kid).sort()).toEqual([rotation.retired, rotation.current, rotation.next].sort());
    const fresh = await headlessLogin(await oidc.discovery(new URL(env.pv.issuer), 'basic-client', {}, oidc.ClientSecretBasic(secrets.basic), insecure));
    expect(decodeProtectedHeader(fresh.id_token!).kid).toBe(rotation.current);
    expect(decodeProtectedHeader(fresh.access_token).kid).toBe(rotation.current);
    await jwtVerify(old.id_token!, createLocalJWKSet(jwks), { issuer: env.pv.issuer, audience: 'basic-client' });
  });
});
