// Maskinporten's JWT grant (RFC 7523 §2.1): a machine client declared as ID-porten registers it
// (grant_types ["urn:ietf:params:oauth:grant-type:jwt-bearer"], private_key_jwt, its keys) gets a
// token for the self-service API with one signed JWT, as a tool built for Maskinporten sends it —
// and every rule of that JWT is enforced.
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as oidc from 'openid-client';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWTPayload } from 'jose';
import { startPortvakt, type TestPortvakt } from './helpers/portvakt.js';
import { validateClient, JWT_BEARER_GRANT } from '../src/registry/client-schema.js';
import { keyFromUpload } from '../src/registry/key-upload.js';

const ORG = '312000008';
const SCOPES = ['idporten:dcr.read', 'idporten:dcr.write'];

let pv: TestPortvakt;
let key: CryptoKey;
let otherKey: CryptoKey;
const KID = 'mp-key';

function maskinportenClient(id: string, extra: Record<string, unknown> = {}) {
  return { client_id: id, integration_type: 'maskinporten', client_orgno: ORG, token_endpoint_auth_method: 'private_key_jwt', scopes: SCOPES, ...extra };
}

/** A self-signed certificate of a fresh key (base64 DER, as x5c carries it), and the key. */
function certified(): { certificate: string; privateKey: crypto.KeyObject; pem: string } {
  const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'portvakt-cert-'));
  fs.writeFileSync(path.join(dir, 'key.pem'), privateKey.export({ format: 'pem', type: 'pkcs8' }));
  execFileSync('openssl', ['req', '-x509', '-key', path.join(dir, 'key.pem'), '-days', '30', '-subj', '/CN=maskinporten-test/O=Demo Organisasjon AS/serialNumber=312000008', '-out', path.join(dir, 'cert.pem')]);
  const pem = fs.readFileSync(path.join(dir, 'cert.pem'), 'utf8');
  fs.rmSync(dir, { recursive: true, force: true });
  return { certificate: new crypto.X509Certificate(pem).raw.toString('base64'), privateKey, pem };
}

let certKey: crypto.KeyObject;
let certificate: string;
let otherCertificate: string;

beforeAll(async () => {
  const cert = certified();
  ({ certificate, privateKey: certKey } = cert);
  otherCertificate = certified().certificate;
  const pair = await generateKeyPair('RS256', { extractable: true });
  key = pair.privateKey;
  otherKey = (await generateKeyPair('RS256')).privateKey;
  const jwks = { keys: [{ ...(await exportJWK(pair.publicKey)), kid: KID, alg: 'RS256', use: 'sig' }] };
  pv = await startPortvakt({
    clients: [
      // As ID-porten's self-service registers a Maskinporten client, with no grant_types given.
      maskinportenClient('mp-client', { jwks }),
      maskinportenClient('mp-alias', { jwks, grant_types: ['jwt_bearer_token'] }),
      maskinportenClient('cc-client', { jwks, grant_types: ['client_credentials'] }),
      // Its business certificate uploaded, as the portal takes it.
      maskinportenClient('mp-cert', { jwks: { keys: [keyFromUpload(cert.pem, 'virksomhetssertifikat')] } }),
    ],
  });
});
afterAll(async () => pv?.close());

const now = () => Math.floor(Date.now() / 1000);

/** A JWT grant as Maskinporten's documentation shows it (aud with its trailing slash). */
function grant(claims: JWTPayload = {}, options: { signWith?: CryptoKey | crypto.KeyObject; header?: Record<string, unknown> } = {}) {
  return new SignJWT({ aud: `${pv.issuer}/`, iss: 'mp-client', scope: SCOPES.join(' '), iat: now(), exp: now() + 60, jti: crypto.randomUUID(), ...claims })
    .setProtectedHeader({ alg: 'RS256', kid: KID, ...options.header } as never)
    .sign(options.signWith ?? key);
}

async function token(form: Record<string, string>) {
  const response = await fetch(`${pv.issuer}/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form) });
  return { status: response.status, body: (await response.json()) as Record<string, unknown>, headers: response.headers };
}

const jwtGrant = async (assertion: string, extra: Record<string, string> = {}) => token({ grant_type: JWT_BEARER_GRANT, assertion, ...extra });

describe('a token from a JWT grant', () => {
  it('is issued for the JWT alone, as Maskinporten\'s clients send it, and opens the self-service API', async () => {
    const answer = await jwtGrant(await grant());
    expect(answer.status).toBe(200);
    expect(answer.headers.get('cache-control')).toBe('no-store');
    expect(answer.body).toEqual({ access_token: expect.any(String), token_type: 'Bearer', expires_in: 120, scope: SCOPES.join(' ') });

    const api = await fetch(`${pv.issuer}/api/v1/clients`, { headers: { authorization: `Bearer ${answer.body.access_token}` } });
    expect(api.status).toBe(200);
    expect(((await api.json()) as Array<{ client_id: string }>).map((c) => c.client_id)).toContain('mp-client');
  });

  it('is issued through openid-client too (which sends client_id beside the JWT), for the scopes asked for', async () => {
    const config = await oidc.discovery(new URL(pv.issuer), 'mp-client', undefined, oidc.None(), { execute: [oidc.allowInsecureRequests] });
    const answer = await oidc.genericGrantRequest(config, JWT_BEARER_GRANT, { assertion: await grant({ aud: pv.issuer, scope: 'idporten:dcr.read' }) });
    expect(answer.scope).toBe('idporten:dcr.read');
    const write = await fetch(`${pv.issuer}/api/v1/clients`, { method: 'POST', headers: { authorization: `Bearer ${answer.access_token}`, 'content-type': 'application/json' }, body: '{}' });
    expect(write.status).toBe(403); // the token carries only the scope asked for
  });

  it('takes the scope from the form when the JWT has none (RFC 7523), and the token endpoint as aud', async () => {
    const answer = await jwtGrant(await grant({ scope: undefined, aud: `${pv.issuer}/token` }), { scope: 'idporten:dcr.write' });
    expect(answer.status).toBe(200);
    expect(answer.body.scope).toBe('idporten:dcr.write');
  });

  it('is issued for a JWT that carries the certificate (x5c) of a registered key instead of its kid', async () => {
    const answer = await jwtGrant(await grant({ iss: 'mp-cert' }, { signWith: certKey, header: { kid: undefined, x5c: [certificate] } }));
    expect(answer.status).toBe(200);
  });

  it('is issued to a client registered with ID-porten\'s alias jwt_bearer_token', async () => {
    expect((await jwtGrant(await grant({ iss: 'mp-alias' }))).status).toBe(200);
  });

  it('is found from the issuer by RFC 8414 metadata, as tools built for Maskinporten look it up (openid-client here)', async () => {
    const metadata = await fetch(`${pv.issuer}/.well-known/oauth-authorization-server`);
    expect(metadata.status).toBe(200);
    const body = (await metadata.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ issuer: pv.issuer, token_endpoint: `${pv.issuer}/token`, jwks_uri: `${pv.issuer}/jwks.json` });
    expect(body.grant_types_supported).toEqual(expect.arrayContaining([JWT_BEARER_GRANT, 'authorization_code']));
    expect((await fetch(`${pv.issuer}/.well-known/oauth-authorization-server`, { method: 'POST' })).status).toBe(405);

    const config = await oidc.discovery(new URL(pv.issuer), 'mp-client', undefined, oidc.None(), { execute: [oidc.allowInsecureRequests], algorithm: 'oauth2' });
    const answer = await oidc.genericGrantRequest(config, JWT_BEARER_GRANT, { assertion: await grant({ aud: config.serverMetadata().issuer }) });
    expect(answer.token_type).toBe('bearer');
  });

  it('is bound to a DPoP key when a proof comes with the JWT (token_type DPoP), and the self-service API then wants a proof of that key', async () => {
    const config = await oidc.discovery(new URL(pv.issuer), 'mp-client', undefined, oidc.None(), { execute: [oidc.allowInsecureRequests] });
    const DPoP = oidc.getDPoPHandle(config, await oidc.randomDPoPKeyPair('ES256'));
    const answer = await oidc.genericGrantRequest(config, JWT_BEARER_GRANT, { assertion: await grant() }, { DPoP });
    expect(answer.token_type).toBe('dpop');

    const url = new URL(`${pv.issuer}/api/v1/clients`);
    expect((await oidc.fetchProtectedResource(config, answer.access_token, url, 'GET', null, undefined, { DPoP })).status).toBe(200);
    expect((await fetch(url, { headers: { authorization: `Bearer ${answer.access_token}` } })).status).toBe(401);

    expect((await jwtGrant(await grant())).body.token_type).toBe('Bearer'); // no proof: a bearer token, as before
    const assertion = await grant();
    const response = await fetch(`${pv.issuer}/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', dpop: 'not.a.proof' }, body: new URLSearchParams({ grant_type: JWT_BEARER_GRANT, assertion }) });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: 'invalid_dpop_proof' });
    expect((await jwtGrant(assertion)).status).toBe(200); // the broken proof did not use the JWT up
  });

  it('is not advertised in discovery (ID-porten lists its login grants only)', async () => {
    const discovery = (await (await fetch(`${pv.issuer}/.well-known/openid-configuration`)).json()) as { grant_types_supported: string[] };
    expect(discovery.grant_types_supported).not.toContain(JWT_BEARER_GRANT);
  });
});

describe('a JWT grant is used once', () => {
  it('by its jti: the same JWT again is refused, and so is a new JWT with a jti already used', async () => {
    const jti = crypto.randomUUID();
    const assertion = await grant({ jti });
    expect((await jwtGrant(assertion)).status).toBe(200);
    const again = await jwtGrant(assertion);
    expect(again).toMatchObject({ status: 400, body: { error: 'invalid_grant', error_description: expect.stringMatching(/used already/) } });
    expect((await jwtGrant(await grant({ jti }))).status).toBe(400);
  });

  it('without a jti, by the JWT itself', async () => {
    const first = await grant({ jti: undefined });
    expect((await jwtGrant(first)).status).toBe(200);
    expect((await jwtGrant(first)).body.error).toBe('invalid_grant');
    expect((await jwtGrant(await grant({ jti: undefined, iat: now() - 1 }))).status).toBe(200);
  });

  it('also when the same JWT is sent several times at once: one token', async () => {
    const assertion = await grant();
    const answers = await Promise.all(Array.from({ length: 6 }, () => jwtGrant(assertion)));
    expect(answers.filter((a) => a.status === 200)).toHaveLength(1);
    expect(answers.filter((a) => a.body.error === 'invalid_grant')).toHaveLength(5);
  });
});

describe('a JWT grant that breaks a rule gets a clear error and no token', () => {
  const cases: Array<[string, () => Promise<Record<string, string>>, number, string, RegExp]> = [
    ['signed by another key under the registered kid', async () => ({ assertion: await grant({}, { signWith: otherKey }) }), 400, 'invalid_grant', /signature does not verify/],
    ['naming a kid that is not registered', async () => ({ assertion: await grant({}, { header: { kid: 'other' } }) }), 400, 'invalid_grant', /none of the client's registered keys matches/],
    ['with neither kid nor certificate', async () => ({ assertion: await grant({}, { header: { kid: undefined } }) }), 400, 'invalid_grant', /kid\), or carry its certificate \(x5c\)/],
    ['with a certificate of a key not registered', async () => ({ assertion: await grant({ iss: 'mp-cert' }, { signWith: otherKey, header: { kid: undefined, x5c: [otherCertificate] } }) }), 400, 'invalid_grant', /holds none of the client's registered keys/],
    ['with x5c that is no certificate', async () => ({ assertion: await grant({ iss: 'mp-cert' }, { header: { kid: undefined, x5c: ['bm90IGEgY2VydA=='] } }) }), 400, 'invalid_grant', /x5c must hold the signing certificate/],
    ['for another audience', async () => ({ assertion: await grant({ aud: 'https://maskinporten.no/' }) }), 400, 'invalid_grant', /aud must be this issuer/],
    ['living longer than 120 s', async () => ({ assertion: await grant({ exp: now() + 121 }) }), 400, 'invalid_grant', /at most 120 seconds/],
    ['expired', async () => ({ assertion: await grant({ iat: now() - 100, exp: now() - 30 }) }), 400, 'invalid_grant', /expired/],
    ['made a minute ago by the client\'s clock', async () => ({ assertion: await grant({ iat: now() - 60, exp: now() + 50 }) }), 400, 'invalid_grant', /within 10 seconds/],
    ['without exp', async () => ({ assertion: await grant({ exp: undefined }) }), 400, 'invalid_grant', /exp/],
    ['asking for a scope the client is not registered for', async () => ({ assertion: await grant({ scope: 'idporten:dcr.read idporten:dcr.modify' }) }), 400, 'invalid_scope', /not registered for idporten:dcr.modify/],
    ['asking for no scope', async () => ({ assertion: await grant({ scope: undefined }) }), 400, 'invalid_scope', /scope/],
    ['with scope in JWT and form that differ', async () => ({ assertion: await grant(), scope: 'idporten:dcr.read' }), 400, 'invalid_request', /different values/],
    ['asking for an audience-restricted token', async () => ({ assertion: await grant({ resource: ['https://api.example.no'] }) }), 400, 'invalid_grant', /resource/],
    ['on behalf of another organisation', async () => ({ assertion: await grant({ consumer_org: '974760673' }) }), 400, 'invalid_grant', /consumer_org/],
    ['whose iss is not the client_id sent with it', async () => ({ assertion: await grant({ iss: 'mp-alias' }), client_id: 'mp-client' }), 400, 'invalid_grant', /iss must be the client_id/],
    ['naming a client that does not exist', async () => ({ assertion: await grant({ iss: 'nobody' }) }), 401, 'invalid_client', /client/],
    ['from a client registered for client credentials', async () => ({ assertion: await grant({ iss: 'cc-client' }) }), 401, 'invalid_client', /authentication/],
    ['that is not a JWT', async () => ({ assertion: 'not-a-jwt' }), 400, 'invalid_request', /assertion must be a JWT/],
    ['signed with a shared secret (HS256)', async () => ({
      assertion: await new SignJWT({ aud: pv.issuer, iss: 'mp-client', scope: 'idporten:dcr.read', jti: crypto.randomUUID() }).setProtectedHeader({ alg: 'HS256', kid: KID }).setIssuedAt().setExpirationTime('60s').sign(new TextEncoder().encode('a'.repeat(32))),
    }), 400, 'invalid_grant', /RS256/],
  ];
  it.each(cases)('%s', async (_name, form, status, error, description) => {
    const answer = await token({ grant_type: JWT_BEARER_GRANT, ...(await form()) });
    expect(answer.status).toBe(status);
    expect(answer.body.error).toBe(error);
    expect(answer.body.error_description).toMatch(description);
    expect(answer.body.access_token).toBeUndefined();
  });

  it('is recorded for the client, with what it was told, once', async () => {
    await jwtGrant(await grant({ iat: now() - 100, exp: now() - 30 }));
    const [latest] = await pv.portvakt.events.forClient('mp-client', { limit: 1, outcome: 'failure' });
    expect(latest).toMatchObject({ type: 'token', outcome: 'failure', detail: { error: 'invalid_grant', error_description: 'the assertion has expired (exp)' } });
  });

  it('sent in chunks (no Content-Length), it is read too; past 56 KiB it is refused and the connection closed', async () => {
    const chunked = (text: string) => fetch(`${pv.issuer}/token`, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, duplex: 'half',
      body: new ReadableStream({ start(controller) { for (let i = 0; i < text.length; i += 1000) controller.enqueue(new TextEncoder().encode(text.slice(i, i + 1000))); controller.close(); } }),
    } as RequestInit);
    const form = new URLSearchParams({ grant_type: JWT_BEARER_GRANT, assertion: await grant() }).toString();
    expect((await chunked(form)).status).toBe(200);
    const large = await chunked(`${form}&padding=${'x'.repeat(60 * 1024)}`);
    expect(large.status).toBe(400);
    expect(large.headers.get('connection')).toBe('close');
    expect(await large.json()).toMatchObject({ error: 'invalid_request', error_description: expect.stringMatching(/larger than 56 KiB/) });
  });

  it('a request with client_id but no assertion is told what is missing', async () => {
    const answer = await token({ grant_type: JWT_BEARER_GRANT, client_id: 'mp-client' });
    expect(answer).toMatchObject({ status: 400, body: { error: 'invalid_request', error_description: expect.stringMatching(/assertion/) } });
  });
});

describe('a JWT-grant client can do nothing else with its client_id alone', () => {
  it('no client credentials, no introspection, no login', async () => {
    const cc = await token({ grant_type: 'client_credentials', client_id: 'mp-client', scope: 'idporten:dcr.read' });
    expect(cc).toMatchObject({ status: 400, body: { error: 'invalid_request', error_description: expect.stringMatching(/grant type is not allowed/) } });

    const issued = (await jwtGrant(await grant())).body.access_token as string;
    const introspect = await fetch(`${pv.issuer}/token/introspect`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ client_id: 'mp-client', token: issued }) });
    expect(introspect.status).toBe(400);
    expect(((await introspect.json()) as { error: string }).error).toBe('unauthorized_client');

    const par = await fetch(`${pv.issuer}/par`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ client_id: 'mp-client', response_type: 'code', scope: 'openid', redirect_uri: 'http://localhost:4000/callback', state: 's', nonce: 'n', code_challenge: 'b7elB7ZyxIXgFyvBznKvxl7wOB-H17Pz0a3B62NIMFI', code_challenge_method: 'S256' }) });
    expect(par.status).toBe(400);
    expect(((await par.json()) as { request_uri?: string }).request_uri).toBeUndefined();

    const query = new URLSearchParams({ client_id: 'mp-client', response_type: 'code', scope: 'openid', redirect_uri: 'http://localhost:4000/callback', state: 's', nonce: 'n' });
    const authorize = await fetch(`${pv.issuer}/authorize?${query}`, { redirect: 'manual' });
    expect(authorize.status).toBeGreaterThanOrEqual(400); // no redirect anywhere: it has no redirect_uris
    expect(authorize.headers.get('location')).toBeNull();
  });

  it('a client-credentials client still needs its own client assertion (its grant is unchanged)', async () => {
    const cc = await token({ grant_type: 'client_credentials', client_id: 'cc-client', scope: 'idporten:dcr.read' });
    expect(cc.status).toBe(401);
    expect(cc.body.error).toBe('invalid_client');
  });
});

describe('registering a Maskinporten client', () => {
  const context = { testEnvironment: true };
  it('takes the JWT grant when no grant is named, and stores the alias as the URN', () => {
    expect(validateClient(maskinportenClient('mp-a'), { ...context, keysLater: true }).grant_types).toEqual([JWT_BEARER_GRANT]);
    expect(validateClient(maskinportenClient('mp-a', { grant_types: ['jwt_bearer_token'] }), { ...context, keysLater: true }).grant_types).toEqual([JWT_BEARER_GRANT]);
  });

  it('refuses both machine grants at once, and the JWT grant for a login client', () => {
    expect(() => validateClient(maskinportenClient('mp-a', { grant_types: [JWT_BEARER_GRANT, 'client_credentials'] }), { ...context, keysLater: true })).toThrow(/grant_types.*must be \["urn:ietf:params:oauth:grant-type:jwt-bearer"\]/);
    expect(() => validateClient({ client_id: 'web', client_secret: 's', redirect_uris: ['http://localhost/cb'], grant_types: ['authorization_code', JWT_BEARER_GRANT] }, context))
      .toThrow(/may include "urn:ietf:params:oauth:grant-type:jwt-bearer" only for integration_type "maskinporten"/);
  });
});
