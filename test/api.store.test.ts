// The self-service REST API (/api/v1), with tokens from Portvakt's own token endpoint. Every route
// is tried by another organisation's API client, which must neither read nor change anything.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as oidc from 'openid-client';
import { exportJWK, generateKeyPair } from 'jose';
import { startPortvakt, type TestPortvakt } from './helpers/portvakt.js';
import { CookieBrowser } from './helpers/browser.js';
import { PKCE, redeemCode } from './helpers/headless.js';
import { apiClient } from './helpers/clients.js'; // profile §2.2's sample pair

const ORG_A = '312000008';
const ORG_B = '974760673';
const PID = '28876895937';
const ALL = ['idporten:dcr.read', 'idporten:dcr.write', 'idporten:dcr.modify'];

let pv: TestPortvakt;
const tokens: Record<string, string> = {};

beforeAll(async () => {
  const callers = {
    a: await apiClient('api-a', ORG_A, ALL), b: await apiClient('api-b', ORG_B, ALL), readonly: await apiClient('api-a-read', ORG_A, ['idporten:dcr.read']),
    supplier: await apiClient('api-a-supplier', ORG_A, ['idporten:dcr.read', 'idporten:dcr/onbehalfof:write']),
  };
  pv = await startPortvakt({ clients: Object.values(callers).map((c) => c.registration) });
  for (const [name, caller] of Object.entries(callers)) {
    const config = await oidc.discovery(new URL(pv.issuer), caller.registration.client_id, {}, oidc.PrivateKeyJwt({ key: caller.privateKey, kid: caller.kid }), { execute: [oidc.allowInsecureRequests] });
    tokens[name] = (await oidc.clientCredentialsGrant(config, { scope: caller.registration.scopes.join(' ') })).access_token;
  }
});
afterAll(async () => pv?.close());

async function api(method: string, path: string, as: string | undefined, body?: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${pv.issuer}/api/v1${path}`, {
    method,
    headers: { ...(as ? { authorization: `Bearer ${tokens[as] ?? as}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined, headers: response.headers };
}

const webClient = (extra: Record<string, unknown> = {}) => ({
  client_name: 'Min tjeneste', redirect_uris: ['http://localhost:4000/callback'], post_logout_redirect_uris: ['http://localhost:4000/'], ...extra,
});

async function headlessLogin(clientId: string, secret: string, redirect = 'http://localhost:4000/callback', extra: Record<string, string> = {}) {
  const query = new URLSearchParams({ client_id: clientId, response_type: 'code', scope: 'openid profile', redirect_uri: redirect, state: 's', nonce: 'n', code_challenge: PKCE.challenge, code_challenge_method: 'S256', login_hint: `testid:${PID}_idporten-loa-substantial`, ...extra });
  const location = (await fetch(`${pv.issuer}/authorize?${query}`, { redirect: 'manual' })).headers.get('location') ?? '';
  const code = new URL(location, pv.issuer).searchParams.get('code');
  if (!code) return { status: 0, location };
  const response = await redeemCode(pv.issuer, { client_id: clientId, secret, code, redirect_uri: redirect });
  return { status: response.status, location };
}

describe('creating and using an integration', () => {
  it('POST /clients makes a client_id and a secret shown once, and the client can log people in at once', async () => {
    const created = await api('POST', '/clients', 'a', webClient());
    expect(created.status).toBe(201);
    expect(created.body.client_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.body).toMatchObject({ client_orgno: ORG_A, integration_type: 'idporten', token_endpoint_auth_method: 'client_secret_basic', scopes: ['openid', 'profile'], access_token_lifetime: 120 });
    expect(created.body.client_secret).toEqual(expect.any(String));
    expect(Date.parse(created.body.client_secret_expires_at) - Date.now()).toBeGreaterThan(359 * 86_400_000);

    const read = await api('GET', `/clients/${created.body.client_id}`, 'a');
    expect(read.status).toBe(200);
    expect(read.body.client_secret).toBeUndefined();
    expect((await headlessLogin(created.body.client_id, created.body.client_secret)).status).toBe(200);
  });

  it('GET /clients lists the organisation\'s integrations only', async () => {
    const mine = await api('POST', '/clients', 'a', webClient({ client_name: 'A sin' }));
    const theirs = await api('POST', '/clients', 'b', webClient({ client_name: 'B sin' }));
    const listA = (await api('GET', '/clients', 'a')).body as Array<{ client_id: string }>;
    expect(listA.map((c) => c.client_id)).toContain(mine.body.client_id);
    expect(listA.map((c) => c.client_id)).not.toContain(theirs.body.client_id);
  });

  it('PUT replaces the registration; integration_type cannot change; the secret stays', async () => {
    const { body: created } = await api('POST', '/clients', 'a', webClient());
    expect((await headlessLogin(created.client_id, created.client_secret)).status).toBe(200); // the provider has built this client
    const updated = await api('PUT', `/clients/${created.client_id}`, 'a', webClient({ redirect_uris: ['http://localhost:5000/cb'], client_name: 'Nytt navn' }));
    expect(updated.status).toBe(200);
    expect(updated.body.client_name).toBe('Nytt navn');
    expect((await headlessLogin(created.client_id, created.client_secret, 'http://localhost:5000/cb')).status).toBe(200);
    expect((await headlessLogin(created.client_id, created.client_secret)).status).toBe(0); // the old redirect_uri is gone at once
    const immutable = await api('PUT', `/clients/${created.client_id}`, 'a', webClient({ integration_type: 'api_klient' }));
    expect(immutable).toMatchObject({ status: 400, body: { error: 'invalid_client_metadata' } });
    expect(immutable.body.error_description).toContain('integration_type cannot be changed');
  });

  it('what GET returns can be PUT back after a change (read-only fields are ignored)', async () => {
    const { body: created } = await api('POST', '/clients', 'a', webClient());
    const { body: current } = await api('GET', `/clients/${created.client_id}`, 'a');
    const updated = await api('PUT', `/clients/${created.client_id}`, 'a', { ...current, client_name: 'Via GET' });
    expect(updated.status).toBe(200);
    expect(updated.body.client_name).toBe('Via GET');
    expect(updated.body.created).toBe(current.created);
  });

  it('keeps every registration field of profile §7.2, including onbehalfof and the legacy default_scopes', async () => {
    const fields = { description: 'Beskrivelse', client_uri: 'https://tjeneste.example/', logo_uri: 'https://tjeneste.example/logo.png', default_scopes: ['openid'],
      onbehalfof: [{ onbehalfof: 'kommune-1', name: 'Kommune 1', orgno: '974760673' }], refresh_token_usage: 'REUSE', access_token_lifetime: 300, refresh_token_lifetime: 900, authorization_lifetime: 3600, sso_disabled: true };
    const created = await api('POST', '/clients', 'a', webClient(fields));
    expect(created.status).toBe(201);
    expect((await api('GET', `/clients/${created.body.client_id}`, 'a')).body).toMatchObject(fields);
    expect((await api('POST', '/clients', 'a', webClient({ onbehalfof: [{ onbehalfof: 'has space', name: 'x' }] }))).status).toBe(400);
  });

  it('changing the auth method away from secrets deletes the secret', async () => {
    const { body: created } = await api('POST', '/clients', 'a', webClient());
    const { publicKey } = await generateKeyPair('RS256', { extractable: true });
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
    const updated = await api('PUT', `/clients/${created.client_id}`, 'a', webClient({ token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [jwk] } }));
    expect(updated.status).toBe(200);
    expect(updated.body.client_secret_expires_at).toBeUndefined();
    expect((await headlessLogin(created.client_id, created.client_secret)).status).toBe(401);
  });

  it('POST /clients/{id}/secret makes a new secret; the old one stops working', async () => {
    const { body: created } = await api('POST', '/clients', 'a', webClient());
    expect((await headlessLogin(created.client_id, created.client_secret)).status).toBe(200);
    const renewed = await api('POST', `/clients/${created.client_id}/secret`, 'a');
    expect(renewed.status).toBe(200);
    expect(renewed.body.client_secret).not.toBe(created.client_secret);
    expect((await headlessLogin(created.client_id, created.client_secret)).status).toBe(401);
    expect((await headlessLogin(created.client_id, renewed.body.client_secret)).status).toBe(200);
  });

  it('the key set: up to 5 RSA keys with unique kids, stamped with upload times', async () => {
    const { body: created } = await api('POST', '/clients', 'a', webClient());
    const keys = await Promise.all([1, 2].map(async (i) => ({ ...(await exportJWK((await generateKeyPair('RS256', { extractable: true })).publicKey)), kid: `key-${i}`, alg: 'RS256', use: 'sig' })));
    const set = await api('POST', `/clients/${created.client_id}/jwks`, 'a', { keys });
    expect(set.status).toBe(200);
    expect(set.body.keys.map((k: { kid: string }) => k.kid)).toEqual(['key-1', 'key-2']);
    expect(set.body.last_updated).toEqual(expect.any(String));
    expect((await api('GET', `/clients/${created.client_id}/jwks`, 'a')).body.keys).toHaveLength(2);
    expect((await api('PUT', `/clients/${created.client_id}/jwks`, 'a', { keys: [keys[0], keys[0]] })).body.error_description).toContain('same kid');
    expect((await api('PUT', `/clients/${created.client_id}/jwks`, 'a', { keys: Array(6).fill(keys[0]) })).status).toBe(400);
  });

  it('DELETE removes the integration; it can no longer log anyone in', async () => {
    const { body: created } = await api('POST', '/clients', 'a', webClient());
    expect((await api('DELETE', `/clients/${created.client_id}`, 'a')).status).toBe(204);
    expect((await api('GET', `/clients/${created.client_id}`, 'a')).status).toBe(404);
    expect((await headlessLogin(created.client_id, created.client_secret)).status).toBe(0);
  });

  it('every change is in the audit log, with the API client, before and after, and no secret', async () => {
    const { body: created } = await api('POST', '/clients', 'a', webClient());
    await api('POST', `/clients/${created.client_id}/secret`, 'a');
    await api('PUT', `/clients/${created.client_id}`, 'a', webClient({ client_name: 'Endret' }));
    const entries = await pv.portvakt.audit.list({ clientId: created.client_id });
    expect(entries.map((e) => e.action)).toEqual(['client.update', 'client.secret.new', 'client.create']);
    expect(entries[0]).toMatchObject({ actor: { kind: 'api_client', id: 'api-a' }, orgno: ORG_A });
    expect(entries[0]!.before).toMatchObject({ client_name: 'Min tjeneste' });
    expect(entries[0]!.after).toMatchObject({ client_name: 'Endret' });
    expect(JSON.stringify(entries)).not.toContain(created.client_secret);
  });
});

/** Whether `secret` authenticates the client at /token (a made-up code then fails as invalid_grant, a wrong secret as invalid_client). */
async function secretWorks(clientId: string, secret: string) {
  const response = await redeemCode(pv.issuer, { client_id: clientId, secret, code: 'no-such-code', redirect_uri: 'http://localhost:4000/callback' });
  return ((await response.json()) as { error: string }).error === 'invalid_grant';
}

describe('changes that race', () => {

  it('an integration deleted while a change to it is saved stays deleted', async () => {
    for (let round = 0; round < 8; round++) {
      const created = await api('POST', '/clients', 'a', webClient());
      const id = created.body.client_id as string;
      const [put, del] = await Promise.all([api('PUT', `/clients/${id}`, 'a', webClient({ client_name: 'Endret' })), api('DELETE', `/clients/${id}`, 'a')]);
      expect(del.status).toBe(204);
      expect([200, 404]).toContain(put.status);
      expect((await api('GET', `/clients/${id}`, 'a')).status).toBe(404);
    }
  });

  it('a new secret made while another change is saved is the secret that works', async () => {
    const created = await api('POST', '/clients', 'a', webClient());
    const id = created.body.client_id as string;
    for (let round = 0; round < 8; round++) {
      const [, secret] = await Promise.all([api('PUT', `/clients/${id}`, 'a', webClient({ client_name: `Runde ${round}` })), api('POST', `/clients/${id}/secret`, 'a')]);
      expect(secret.status).toBe(200);
      expect(await secretWorks(id, secret.body.client_secret)).toBe(true);
    }
    expect(await secretWorks(id, created.body.client_secret)).toBe(false);
  });
});

describe('If-Match: a change only to the version read', () => {
  it('GET and every change answer the ETag; a change sent with an older one is refused (412) and nothing changes', async () => {
    const created = await api('POST', '/clients', 'a', webClient());
    const id = created.body.client_id as string;
    const read = await api('GET', `/clients/${id}`, 'a');
    const first = read.headers.get('etag')!;
    expect(first).toMatch(/^"[0-9a-z]+"$/);
    const changed = await api('PUT', `/clients/${id}`, 'a', webClient({ client_name: 'Første' }), { 'if-match': first });
    expect(changed.status).toBe(200);
    const second = changed.headers.get('etag')!;
    expect(second).not.toBe(first);
    expect((await api('GET', `/clients/${id}`, 'a')).headers.get('etag')).toBe(second);

    const { publicKey } = await generateKeyPair('RS256', { extractable: true });
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
    for (const [method, path, body] of [['PUT', '', webClient({ client_name: 'Andre' })], ['DELETE', '', undefined], ['POST', '/secret', undefined], ['PUT', '/jwks', { keys: [jwk] }]] as const) {
      const stale = await api(method, `/clients/${id}${path}`, 'a', body, { 'if-match': first });
      expect(stale.status, `${method} ${path}`).toBe(412);
      expect(stale.body).toMatchObject({ error: 'precondition_failed', error_description: expect.stringContaining('changed since you read it') });
    }
    const now = await api('GET', `/clients/${id}`, 'a');
    expect(now.body.client_name).toBe('Første');
    expect(now.headers.get('etag')).toBe(second);
    expect(await secretWorks(id, created.body.client_secret)).toBe(true);

    // A list naming the version, or *, lets the change go on; a weak tag never matches.
    expect((await api('PUT', `/clients/${id}`, 'a', webClient({ client_name: 'Tredje' }), { 'if-match': `W/${second}` })).status).toBe(412);
    const listed = await api('PUT', `/clients/${id}`, 'a', webClient({ client_name: 'Tredje' }), { 'if-match': `"0", ${second}` });
    expect(listed.status).toBe(200);
    expect((await api('POST', `/clients/${id}/secret`, 'a', undefined, { 'if-match': '*' })).status).toBe(200);
    expect((await api('DELETE', `/clients/${id}`, 'a', undefined, { 'if-match': (await api('GET', `/clients/${id}`, 'a')).headers.get('etag')! })).status).toBe(204);
  });

  it('two changes sent at once with the same If-Match: one is made, the other is refused', async () => {
    const created = await api('POST', '/clients', 'a', webClient());
    const id = created.body.client_id as string;
    for (let round = 0; round < 8; round++) {
      const etag = (await api('GET', `/clients/${id}`, 'a')).headers.get('etag')!;
      const names = [`A ${round}`, `B ${round}`];
      const answers = await Promise.all(names.map((name) => api('PUT', `/clients/${id}`, 'a', webClient({ client_name: name }), { 'if-match': etag })));
      expect(answers.map((answer) => answer.status).sort()).toEqual([200, 412]);
      const winner = names[answers.findIndex((answer) => answer.status === 200)];
      expect((await api('GET', `/clients/${id}`, 'a')).body.client_name).toBe(winner);
    }
  });
});

describe('protocol events', () => {
  it('GET /clients/{id}/events tells what the provider answered the integration, newest first, with the error the client got', async () => {
    const { body: created } = await api('POST', '/clients', 'a', webClient());
    expect((await headlessLogin(created.client_id, created.client_secret)).status).toBe(200);
    expect((await headlessLogin(created.client_id, 'wrong-secret')).status).toBe(401);

    const events = await api('GET', `/clients/${created.client_id}/events`, 'a');
    expect(events.status).toBe(200);
    expect(events.body).toEqual([
      { at: expect.any(String), type: 'token', outcome: 'failure', detail: { grant_type: 'authorization_code', error: 'invalid_client', error_description: expect.stringContaining('invalid secret') } },
      { at: expect.any(String), type: 'authorize', outcome: 'success', detail: expect.objectContaining({ login: 'TestID', acr: 'idporten-loa-substantial' }) },
      { at: expect.any(String), type: 'token', outcome: 'success', detail: { grant_type: 'authorization_code' } },
      { at: expect.any(String), type: 'authorize', outcome: 'success', detail: { redirect_uri: 'http://localhost:4000/callback', scope: 'openid profile', response_mode: 'query', login: 'TestID', acr: 'idporten-loa-substantial', pkce: 'S256' } },
    ]);
    expect(Date.parse(events.body[0].at)).toBeGreaterThanOrEqual(Date.parse(events.body[3].at));

    // The read scope is enough; limit and outcome are honoured and checked.
    expect((await api('GET', `/clients/${created.client_id}/events?limit=1`, 'readonly')).body).toHaveLength(1);
    expect((await api('GET', `/clients/${created.client_id}/events?outcome=failure`, 'a')).body.map((e: { type: string }) => e.type)).toEqual(['token']);
    expect((await api('GET', `/clients/${created.client_id}/events?outcome=maybe`, 'a')).body).toMatchObject({ error: 'invalid_request', error_description: 'outcome must be success or failure' });
    for (const limit of ['0', '201', 'x', '1.5']) {
      const bad = await api('GET', `/clients/${created.client_id}/events?limit=${limit}`, 'a');
      expect(bad.status).toBe(400);
      expect(bad.body.error_description).toContain('limit must be a whole number from 1 to 200');
    }
  });
});

describe('verification tests', () => {
  it('GET /clients/{id}/verification lists ID-porten\'s tests, each passed once the provider has seen it done', async () => {
    const { body: created } = await api('POST', '/clients', 'a', webClient());
    const before = await api('GET', `/clients/${created.client_id}/verification`, 'readonly');
    expect(before.status).toBe(200);
    expect(before.body).toMatchObject({ client_id: created.client_id, environment: 'test', mandatory_passed: false, evidence_kept_days: 30 });
    expect(before.body.tests[0]).toEqual({ test: 1, name: 'sso_from_service', mandatory: true, status: 'not_yet' });
    // No front-channel logout URI registered: test 7 says so.
    expect(before.body.tests.find((t: { test: number }) => t.test === 7)).toMatchObject({ status: 'not_yet', needs: 'frontchannel_logout_uri' });

    // A headless login in English (as a team's end-to-end tests would make it) is test 11.
    expect((await headlessLogin(created.client_id, created.client_secret, undefined, { ui_locales: 'en' })).status).toBe(200);
    const after = await api('GET', `/clients/${created.client_id}/verification`, 'a');
    expect(after.body.tests.find((t: { test: number }) => t.test === 11)).toEqual({ test: 11, name: 'language', mandatory: false, status: 'passed', passed_at: expect.any(String) });
  });

  it('PUT /clients/{id}/verification/idle_timeout confirms test 8 (which the provider cannot see), audited; it needs the modify scope', async () => {
    const { body: created } = await api('POST', '/clients', 'a', webClient());
    const path = `/clients/${created.client_id}/verification/idle_timeout`;
    expect((await api('PUT', path, 'readonly', { confirmed: true })).status).toBe(403);
    const confirmed = await api('PUT', path, 'a', { confirmed: true });
    expect(confirmed.status).toBe(200);
    expect(confirmed.body.tests.find((t: { test: number }) => t.test === 8)).toEqual({ test: 8, name: 'idle_timeout', mandatory: true, status: 'confirmed', confirmed_at: expect.any(String) });
    expect((await pv.portvakt.audit.list({ clientId: created.client_id, action: 'verification.confirm' }))[0]!.actor).toMatchObject({ kind: 'api_client', id: 'api-a' });
    const bad = await api('PUT', `/clients/${created.client_id}/verification/sso_from_service`, 'a', { confirmed: true });
    expect(bad).toMatchObject({ status: 400, body: { error: 'invalid_request', error_description: 'test 1 (sso_from_service) is one Portvakt sees done: do it with the service, and it passes' } });
    for (const body of [{ confirmed: 'yes' }, {}, { confirmed: true, by: 'me' }, '[true]', 'null']) {
      expect(await api('PUT', path, 'a', body)).toMatchObject({ status: 400, body: { error_description: 'the body must be {"confirmed": true} or {"confirmed": false}' } });
    }
    expect((await api('PUT', path, 'b', { confirmed: true })).status).toBe(404);
    expect((await api('GET', `/clients/${created.client_id}/verification`, 'a')).body.tests.find((t: { test: number }) => t.test === 8).status).toBe('confirmed');
  });

  it('an API client has none: 400 that says why', async () => {
    const answer = await api('GET', '/clients/api-a-read/verification', 'a');
    expect(answer.status).toBe(400);
    expect(answer.body.error_description).toBe('verification tests are for integrations that log people in; api-a-read is a maskinporten integration');
  });
});

describe('another organisation can neither read nor change an integration', () => {
  let clientId: string;
  beforeAll(async () => {
    clientId = (await api('POST', '/clients', 'a', webClient())).body.client_id;
  });
  it.each([
    ['GET', ''],
    ['PUT', ''],
    ['DELETE', ''],
    ['POST', '/secret'],
    ['GET', '/jwks'],
    ['POST', '/jwks'],
    ['PUT', '/jwks'],
    ['GET', '/events'],
    ['GET', '/verification'],
  ])('%s /clients/{id}%s → 404, and nothing changed', async (method, suffix) => {
    const body = method === 'PUT' && !suffix ? webClient({ client_name: 'Kapret' }) : suffix === '/jwks' && method !== 'GET' ? { keys: [] } : undefined;
    const answer = await api(method, `/clients/${clientId}${suffix}`, 'b', body);
    expect(answer.status).toBe(404);
    const still = await api('GET', `/clients/${clientId}`, 'a');
    expect(still.status).toBe(200);
    expect(still.body.client_name).toBe('Min tjeneste');
  });

  it('cannot create an integration for another organisation', async () => {
    const answer = await api('POST', '/clients', 'b', webClient({ client_orgno: ORG_A }));
    expect(answer.status).toBe(403);
  });
});

describe('tokens and scopes', () => {
  it.each([
    ['no token', undefined],
    ['a made-up token', 'not-a-token'],
  ])('%s → 401 with WWW-Authenticate', async (_name, token) => {
    const answer = await api('GET', '/clients', token);
    expect(answer.status).toBe(401);
    expect(answer.headers.get('www-authenticate')).toContain('invalid_token');
  });

  it('a login client\'s access token is not an API token', async () => {
    const { body: created } = await api('POST', '/clients', 'a', webClient());
    const query = new URLSearchParams({ client_id: created.client_id, response_type: 'code', scope: 'openid profile', redirect_uri: 'http://localhost:4000/callback', state: 's', nonce: 'n', code_challenge: PKCE.challenge, code_challenge_method: 'S256', login_hint: `testid:${PID}_idporten-loa-substantial` });
    const code = new URL((await fetch(`${pv.issuer}/authorize?${query}`, { redirect: 'manual' })).headers.get('location')!).searchParams.get('code')!;
    const token = (await (await fetch(`${pv.issuer}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${created.client_id}:${created.client_secret}`).toString('base64')}` },
      body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: 'http://localhost:4000/callback', code_verifier: PKCE.verifier }),
    })).json()) as { access_token: string };
    expect((await api('GET', '/clients', token.access_token)).status).toBe(401);
  });

  it('read-only scope may read, not write', async () => {
    expect((await api('GET', '/clients', 'readonly')).status).toBe(200);
    const write = await api('POST', '/clients', 'readonly', webClient());
    expect(write.status).toBe(403);
    expect(write.body.error).toBe('insufficient_scope');
  });
});

describe('API clients (integration_type maskinporten) made through the API', () => {
  it('get Maskinporten\'s JWT grant unless they name one, and a change that leaves grant_types out keeps the one they have', async () => {
    const machine = { client_name: 'Robot', integration_type: 'maskinporten', token_endpoint_auth_method: 'private_key_jwt', scopes: ['idporten:dcr.read'] };
    const jwtGrant = await api('POST', '/clients', 'a', machine);
    expect(jwtGrant.status).toBe(201);
    expect(jwtGrant.body.grant_types).toEqual(['urn:ietf:params:oauth:grant-type:jwt-bearer']);

    const credentials = await api('POST', '/clients', 'a', { ...machine, grant_types: ['client_credentials'] });
    expect(credentials.body.grant_types).toEqual(['client_credentials']);
    // A script renaming its own client with the smallest body it can send: its way to tokens stays.
    const renamed = await api('PUT', `/clients/${credentials.body.client_id}`, 'a', { ...machine, client_name: 'Omdøpt robot' });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({ client_name: 'Omdøpt robot', grant_types: ['client_credentials'] });
    // Named, the grant changes.
    const switched = await api('PUT', `/clients/${credentials.body.client_id}`, 'a', { ...machine, grant_types: ['jwt_bearer_token'] });
    expect(switched.body.grant_types).toEqual(['urn:ietf:params:oauth:grant-type:jwt-bearer']);
  });
});

describe('onbehalfof: a supplier\'s customers on an integration (profile §7.3)', () => {
  it('are registered, read, changed and removed one by one, and a login may name them at once', async () => {
    const { body: created } = await api('POST', '/clients', 'a', webClient());
    const base = `/clients/${created.client_id}/onbehalfof`;
    expect((await api('GET', base, 'supplier')).body).toEqual([]);

    const added = await api('POST', base, 'supplier', { onbehalfof: 'kommune-a', name: 'Kommune A', orgno: ORG_B });
    expect(added.status).toBe(201);
    expect(added.body).toEqual({ onbehalfof: 'kommune-a', name: 'Kommune A', orgno: ORG_B });
    expect((await api('GET', `${base}/kommune-a`, 'readonly')).body).toMatchObject({ name: 'Kommune A' });

    // The login page names the customer the request is for.
    const query = new URLSearchParams({ client_id: created.client_id, response_type: 'code', scope: 'openid profile', redirect_uri: 'http://localhost:4000/callback', state: 's', nonce: 'n', code_challenge: PKCE.challenge, code_challenge_method: 'S256', onbehalfof: 'kommune-a' });
    const page = await new CookieBrowser().follow(`${pv.issuer}/authorize?${query}`);
    expect(page.body).toContain('Du logger inn på Kommune A');

    const renamed = await api('PUT', `${base}/kommune-a`, 'supplier', { name: 'Kommune A (ny)' });
    expect(renamed).toMatchObject({ status: 200, body: { onbehalfof: 'kommune-a', name: 'Kommune A (ny)' } });
    expect((await api('DELETE', `${base}/kommune-a`, 'supplier')).status).toBe(204);
    expect((await api('GET', `${base}/kommune-a`, 'supplier')).status).toBe(404);
    expect((await api('GET', `/clients/${created.client_id}`, 'a')).body.onbehalfof).toEqual([]);
  });

  it('added at the same moment by several scripts, without If-Match: every one is kept', async () => {
    const { body: created } = await api('POST', '/clients', 'a', webClient());
    const base = `/clients/${created.client_id}/onbehalfof`;
    const answers = await Promise.all(Array.from({ length: 6 }, (_, i) => api('POST', base, 'supplier', { onbehalfof: `samtidig-${i}`, name: `Samtidig ${i}` })));
    expect(answers.map((a) => a.status)).toEqual([201, 201, 201, 201, 201, 201]);
    expect((await api('GET', base, 'supplier')).body.map((e: { onbehalfof: string }) => e.onbehalfof).sort()).toEqual([0, 1, 2, 3, 4, 5].map((i) => `samtidig-${i}`));
  });

  it('refuse what does not fit: a value registered already, a changed value, a missing name, an unknown customer, a caller without the scope or of another organisation', async () => {
    const { body: created } = await api('POST', '/clients', 'a', webClient());
    const base = `/clients/${created.client_id}/onbehalfof`;
    await api('POST', base, 'supplier', { onbehalfof: 'kunde-1', name: 'Kunde 1' });
    expect(await api('POST', base, 'supplier', { onbehalfof: 'kunde-1', name: 'Igjen' })).toMatchObject({ status: 400, body: { error: 'invalid_client_metadata', error_description: expect.stringMatching(/registered already/) } });
    expect(await api('PUT', `${base}/kunde-1`, 'supplier', { onbehalfof: 'kunde-2', name: 'X' })).toMatchObject({ status: 400, body: { error_description: expect.stringMatching(/cannot be changed/) } });
    expect(await api('POST', base, 'supplier', { onbehalfof: 'kunde-3' })).toMatchObject({ status: 400, body: { error_description: expect.stringMatching(/onbehalfof\.1\.name/) } });
    expect(await api('POST', base, 'supplier', { onbehalfof: 'ugyldig verdi', name: 'X' })).toMatchObject({ status: 400 });
    expect((await api('PUT', `${base}/ukjent`, 'supplier', { name: 'X' })).status).toBe(404);
    expect((await api('DELETE', `${base}/ukjent`, 'supplier')).status).toBe(404);
    expect(await api('POST', base, 'a', { onbehalfof: 'kunde-4', name: 'X' })).toMatchObject({ status: 403, body: { error: 'insufficient_scope' } });
    expect((await api('GET', base, 'b')).status).toBe(404);
    expect((await api('GET', base, 'a')).body.map((e: { onbehalfof: string }) => e.onbehalfof)).toEqual(['kunde-1']);
  });
});

describe('bad input', () => {
  it.each([
    ['a missing redirect_uris', webClient({ redirect_uris: [] }), 'redirect_uris'],
    ['an unknown field', webClient({ redirect_uri: 'x' }), 'redirect_uri is not a known field'],
    ['a client_secret', webClient({ client_secret: 'mine' }), 'client_secret is generated by the server'],
    ['a fragment in a redirect URI', webClient({ redirect_uris: ['http://localhost/cb#x'] }), 'fragment'],
    ['a wrong type', webClient({ sso_disabled: 'yes' }), 'sso_disabled'],
    ['a non-object body', [1, 2], 'JSON object'],
    // JSON can escape half a surrogate pair, which PostgreSQL's JSON would refuse as the registration is stored.
    ['a lone surrogate in a value', webClient({ client_name: 'Tjeneste \ud800' }), 'client_name is not valid Unicode text'],
    ['a lone surrogate deep inside', webClient({ onbehalfof: [{ onbehalfof: 'kunde', name: '\udc00' }] }), 'onbehalfof.0.name is not valid Unicode text'],
    ['a lone surrogate in a field name', webClient({ '\ud800': 1 }), 'is not valid Unicode text'],
    ['a NUL character', webClient({ redirect_uris: ['http://localhost:4000/cb\u0000'] }), 'redirect_uris.0 holds a NUL character'],
  ])('%s → 400 naming the field', async (_name, body, mentions) => {
    const answer = await api('POST', '/clients', 'a', body);
    expect(answer.status).toBe(400);
    expect(answer.body.error_description).toContain(mentions);
  });

  it('a client_id with a NUL character is no integration: 404 on every route', async () => {
    for (const [method, path] of [['GET', '/clients/a%00b'], ['GET', '/clients/a%00b/events'], ['GET', '/clients/a%00b/jwks'], ['DELETE', '/clients/a%00b'], ['POST', '/clients/a%00b/secret']] as const) {
      expect((await api(method, path, 'a')).status, `${method} ${path}`).toBe(404);
    }
  });

  it('a key set PUT or POSTed without a body → 400, and the keys stay', async () => {
    const created = (await api('POST', '/clients', 'a', webClient())).body;
    for (const method of ['PUT', 'POST']) {
      const answer = await fetch(`${pv.issuer}/api/v1/clients/${created.client_id}/jwks`, { method, headers: { authorization: `Bearer ${tokens.a}` } });
      expect(answer.status).toBe(400);
      expect(((await answer.json()) as { error_description: string }).error_description).toContain('jwks must be a key set');
    }
    expect((await api('GET', `/clients/${created.client_id}/jwks`, 'a')).body.keys).toEqual([]);
  });

  it('broken JSON → 400', async () => {
    const answer = await api('POST', '/clients', 'a', '{"client_name": ');
    expect(answer.status).toBe(400);
    expect(answer.body.error).toBe('invalid_request');
  });
});

describe('documentation', () => {
  it('serves an OpenAPI document and a docs page', async () => {
    const doc = (await (await fetch(`${pv.issuer}/api/v1/openapi.json`)).json()) as { openapi: string; paths: Record<string, unknown> };
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/v1/clients', '/api/v1/clients/{client_id}', '/api/v1/clients/{client_id}/secret', '/api/v1/clients/{client_id}/jwks', '/api/v1/clients/{client_id}/events']));
    const page = await fetch(`${pv.issuer}/api/v1/docs/`, { redirect: 'follow' });
    expect(page.status).toBe(200);
  });
});
