// Random malformed requests to every route, as a careless or hostile client sends them: wrong
// methods and content types, broken and odd bodies, repeated parameters, NUL characters and half
// surrogate pairs, junk credentials next to real ones (a logged-in portal session, an API token, a
// person's tokens). Whatever comes, the answer is not a 5xx, not a hang and not a stack trace.
// The sequence is fixed by a seed (FUZZ_SEED, printed with any failure), so a failure replays.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as oidc from 'openid-client';
import { exportJWK, generateKeyPair } from 'jose';
import { startPortvakt, type TestPortvakt } from './helpers/portvakt.js';
import { portalLogin } from './helpers/portal.js';
import type { CookieBrowser } from './helpers/browser.js';
import { headlessAuthorizeUrl, headlessCode, redeemCode } from './helpers/headless.js';
import { REDIRECT, testClients, testScopes, secrets } from './helpers/clients.js';
import { testPersons } from '../src/identity/test-persons.js';
import { JWT_BEARER_GRANT } from '../src/registry/client-schema.js';

const SEED = Number(process.env.FUZZ_SEED ?? 20261124);
const REQUESTS = Number(process.env.FUZZ_REQUESTS ?? 1000);
const ORG = '312000008'; // seeded; administered by testPersons[0]

/** mulberry32: a small seeded generator, so that a failing sequence can be replayed. */
function generator(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)]!;
  return { next, pick };
}

let pv: TestPortvakt;
let portal: CookieBrowser;
let portalCsrf: string;
let apiToken: string;
let person: { access_token: string; id_token: string; refresh_token: string };
/** An integration of the organisation, for the portal's and the API's routes that take one. */
let integration: string;

beforeAll(async () => {
  const { clients } = await testClients();
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid: 'fuzz-api-key', alg: 'RS256', use: 'sig' };
  const apiClient = {
    client_id: 'fuzz-api', integration_type: 'maskinporten', token_endpoint_auth_method: 'private_key_jwt', grant_types: ['client_credentials'],
    scopes: ['idporten:dcr.read', 'idporten:dcr.write', 'idporten:dcr.modify', 'idporten:dcr/onbehalfof:write', 'idporten:scopes.read', 'idporten:scopes.write', 'idporten:authorizations'], client_orgno: ORG, jwks: { keys: [jwk] },
  };
  // A machine client of Maskinporten's JWT grant, whose token requests name no client but in the JWT.
  const jwtGrantClient = { ...apiClient, client_id: 'fuzz-mp', grant_types: [JWT_BEARER_GRANT] };
  pv = await startPortvakt({ clients: [...clients, apiClient, jwtGrantClient], scopes: testScopes });

  const config = await oidc.discovery(new URL(pv.issuer), 'fuzz-api', {}, oidc.PrivateKeyJwt({ key: privateKey, kid: jwk.kid }), { execute: [oidc.allowInsecureRequests] });
  apiToken = (await oidc.clientCredentialsGrant(config, { scope: apiClient.scopes.join(' ') })).access_token;

  integration = (await pv.portvakt.integrations.create('all', ORG, { client_name: 'Fuzz', redirect_uris: [REDIRECT] }, { kind: 'cli', id: 'test' })).integration.client_id;
  ({ browser: portal, csrf: portalCsrf } = await portalLogin(pv.issuer, testPersons[0]!.pid));

  const code = (await headlessCode(headlessAuthorizeUrl(pv.issuer, { client_id: 'basic-client', redirect_uri: REDIRECT, scope: 'openid profile' })))!;
  person = await (await redeemCode(pv.issuer, { client_id: 'basic-client', secret: secrets.basic, code, redirect_uri: REDIRECT })).json() as typeof person;
});
afterAll(async () => pv?.close());

// Not fuzz-api, the caller's own: deleting itself would end the API part of the run.
const ids = ['basic-client', 'portvakt-demo', '%00', 'a%00b', '%ED%A0%80', '..%2F..', 'x'.repeat(3000), '%ZZ', '%F0%9F%98%80', ORG, '0', 'null'];
const paths = (id: () => string) => [
  '/authorize', `/authorize/${id()}`, '/par', '/token', '/userinfo', '/jwks.json', '/logout', '/logout/confirm', '/token/revoke', '/token/introspect',
  '/.well-known/openid-configuration', '/.well-known/oauth-authorization-server', `/authorize/${id()}/login`, '/demo', '/demo/login', '/demo/logout', '/demo/logged-out', '/demo/callback', '/demo/logout/frontchannel',
  '/portal', '/portal/login', '/portal/logout', '/portal/callback', '/portal/desk', '/portal/support', '/portal/support/new', `/portal/support/${id()}`, `/portal/support/${id()}/reply`, `/portal/support/${id()}/close`, `/portal/orgs/${id()}`, `/portal/orgs/${id()}/new`, `/portal/orgs/${id()}/terms`, `/portal/orgs/${id()}/request`, `/portal/requests/${id()}`, `/portal/requests/${id()}/approve`, `/portal/requests/${id()}/reject`, `/portal/requests/${id()}/withdraw`, `/portal/requests/${id()}/credentials`,
  `/portal/clients/${id()}`, `/portal/clients/${id()}/verification`, `/portal/clients/${id()}/verification/${id()}`, `/portal/clients/${id()}/keys`, `/portal/clients/${id()}/keys/remove`, `/portal/clients/${id()}/secret`, `/portal/clients/${id()}/active`,
  '/api/v1/clients', `/api/v1/clients/${id()}`, `/api/v1/clients/${id()}/secret`, `/api/v1/clients/${id()}/jwks`, `/api/v1/clients/${id()}/events`, `/api/v1/clients/${id()}/verification`, `/api/v1/clients/${id()}/verification/${id()}`, `/api/v1/clients/${id()}/onbehalfof`, `/api/v1/clients/${id()}/onbehalfof/${id()}`, '/api/v1/production-requests', `/api/v1/production-requests/${id()}`, `/api/v1/production-requests/${id()}/withdraw`, `/api/v1/production-requests/${id()}/credentials`, '/api/v1/openapi.json',
  '/api/v1/scopes', `/api/v1/scopes?scope=${id()}`, '/api/v1/scopes/all', `/api/v1/scopes/access?scope=${id()}`, '/api/v1/scopes/access/all', `/api/v1/scopes/access/${id()}?scope=test%3Aapi`, '/api/v1/prefix',
  '/authorizations/clients/authorizations', '/authorizations/api-provider/authorizations', `/authorizations/authorizations/${id()}`,
  '/brukerprofil', '/brukerprofil/login', '/brukerprofil/callback', '/brukerprofil/withdraw', '/brukerprofil/logout',
  '/health/live', '/health/ready', '/metrics', '/static/portvakt.css', '/nope',
];
const methods = ['GET', 'GET', 'POST', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS'];
/** A JWT grant's assertion as far as the token endpoint reads it before verifying: its iss (no valid signature). */
const unsignedGrant = (payload: object) => `eyJhbGciOiJSUzI1NiIsImtpZCI6ImZ1enotYXBpLWtleSJ9.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.c2ln`;
const values = [encodeURIComponent(JWT_BEARER_GRANT), unsignedGrant({ iss: 'fuzz-mp', scope: 'idporten:dcr.read' }), unsignedGrant({ iss: 'fuzz-api' }), unsignedGrant({ iss: 42 }), '', '%', '%ZZ', '%00', 'a%00b', '%ED%A0%80', '%C0%AE', 'a'.repeat(5000), '%F0%9F%98%80', '__proto__', 'true', '-1', '1e999', 'https%3A%2F%2Fevil.example%2F',
  'javascript%3Aalert(1)', encodeURIComponent(REDIRECT), 'idporten-loa-high', 'openid', 'S256', 'code', 'form_post', 'testid%3A28876895937_idporten-loa-high', 'login', 'none', 'nb', 'se',
  encodeURIComponent('[{"type":"idporten:fullmakt","permission_roles":["arbeid"]}]'), encodeURIComponent('[{"type":"idporten:fullmakt","permission_roles":[{}]}]'), encodeURIComponent('[{"type":{"a":1}}]'), '%5B', 'self', 'PUBLIC', 'false', '28876895937'];
const names = ['client_id', 'redirect_uri', 'response_type', 'scope', 'state', 'nonce', 'code_challenge', 'code_challenge_method', 'acr_values', 'ui_locales', 'prompt',
  'login_hint', 'request_uri', 'request', 'response_mode', 'grant_type', 'code', 'code_verifier', 'refresh_token', 'token', 'token_type_hint', 'client_secret',
  'client_assertion', 'client_assertion_type', 'id_token_hint', 'post_logout_redirect_uri', 'lang', 'csrf', 'pid', 'acr', 'action', 'q', 'events', 'kid', 'key',
  'active', 'limit', 'outcome', 'inactive', 'iss', 'sid', 'resource', 'onbehalfof', 'name', 'orgno', 'xsrf', 'logout', 'client_name', 'redirect_uris', 'integration_type', 'assertion', 'subject', 'text', 'confirmed', 'agree', 'authorization_details', 'portvakt_authorization_details', 'authorizer', 'require_user_consent', 'visibility', 'service'];
const contentTypes = [undefined, 'application/x-www-form-urlencoded', 'application/x-www-form-urlencoded', 'application/json', 'application/json', 'text/plain',
  'multipart/form-data; boundary=x', 'application/json; charset=utf-16', 'application/jwt', 'application/x-www-form-urlencoded, application/json'];
const jsonValues = [null, 0, -1, 1.5, true, '', 'x', 'a\u0000b', '\ud800', [], {}, [null], ['https://a.example/cb'], { keys: [] }, { a: { b: [1] } }];

const assertions = [...values.slice(1, 4), '', '%', 'a.b', 'x'.repeat(3000), unsignedGrant({ iss: 'fuzz-mp', exp: 'soon' }), unsignedGrant({ iss: 'x'.repeat(300) })];

/** A 4xx says what was wrong: JSON with an OAuth error code and description, or a page. */
function saysWhatWasWrong(contentType: string | null, text: string): boolean {
  if (contentType?.startsWith('text/html') || contentType?.startsWith('text/plain')) return text.trim().length > 0;
  try {
    const body = JSON.parse(text) as { error?: unknown; error_description?: unknown };
    return typeof body.error === 'string' && typeof body.error_description === 'string' && body.error_description.length > 0;
  } catch {
    return false;
  }
}

describe('random malformed requests', () => {
  it(`${REQUESTS} requests: no 5xx, no hang, no stack trace (seed ${SEED})`, async () => {
    const { next, pick } = generator(SEED);
    const query = () => Array.from({ length: Math.floor(next() * 5) }, () => `${pick(names)}=${pick(values)}`).join('&');
    const body = () => {
      const r = next();
      if (r < 0.1) return undefined;
      if (r < 0.15) return '{'.repeat(Math.floor(next() * 5000));
      if (r < 0.4) return JSON.stringify(Object.fromEntries(Array.from({ length: 1 + Math.floor(next() * 4) }, () => [pick(names), pick(jsonValues)])));
      if (r < 0.45) return 'x'.repeat(70_000);
      if (r < 0.5) return '--x\r\nContent-Disposition: form-data; name="a"\r\n\r\nb\r\n--x--';
      return `${query()}${next() < 0.4 ? `&csrf=${portalCsrf}` : ''}${next() < 0.2 ? '&state=a&state=b' : ''}`;
    };
    const authorizations = [undefined, 'Basic', 'Basic !!!', 'Basic Og==', `Basic ${Buffer.from('basic-client:wrong').toString('base64')}`,
      `Basic ${Buffer.from(`basic-client:${secrets.basic}`).toString('base64')}`, `Basic ${Buffer.from('basic\u0000client:x').toString('base64')}`,
      'Bearer', 'Bearer x.y.z', `Bearer ${apiToken}`, `Bearer ${person.access_token}`, `DPoP ${person.access_token}`, `Bearer ${person.refresh_token}`];
    const expectedAuthorization = (path: string) => {
      if (path.startsWith('/api') || path.startsWith('/authorizations')) return `Bearer ${apiToken}`;
      if (path === '/userinfo') return `Bearer ${person.access_token}`;
      if (path.startsWith('/token') || path === '/par') return `Basic ${Buffer.from(`basic-client:${secrets.basic}`).toString('base64')}`;
      return undefined;
    };
    const failures: string[] = [];
    /** Which paths answered with success: proof that the requests got past the checks in front. */
    const succeeded = new Set<string>();
    for (let i = 0; i < REQUESTS; i++) {
      // Half the requests use the route's own method, so that they reach its handler.
      let method = next() < 0.5 ? '(expected)' : pick(methods);
      // Half the ids are real ones, so that requests get past "no such client" to the code behind.
      const path = pick(paths(() => (next() < 0.5 ? pick(['basic-client', integration, ORG]) : pick(ids))));
      const qs = next() < 0.6 ? query() : '';
      const headers: Record<string, string> = {};
      if (method === '(expected)') method = /^\/(token|par|portal\/clients\/[^/]+\/|authorizations\/[a-z-]+\/authorizations)|\/(new|secret|logout|withdraw)$/.test(path) ? 'POST' : 'GET';
      // Mostly what the route expects (its content type, its credentials), sometimes anything.
      const contentType = next() < 0.5 ? (path.startsWith('/api') ? 'application/json' : 'application/x-www-form-urlencoded') : pick(contentTypes);
      if (contentType) headers['content-type'] = contentType;
      const authorization = next() < 0.5 ? expectedAuthorization(path) : pick(authorizations);
      if (authorization) headers.authorization = authorization;
      if (next() < 0.4) headers.accept = 'text/html';
      // Not to /portal/logout: logging out would end the portal part of the run.
      if (next() < 0.9 && path.startsWith('/portal') && path !== '/portal/logout') headers.cookie = portal.cookieHeader();
      if (next() < 0.05) headers.cookie = pick(['_session=%00', '_session=;;;', 'portvakt_lang=%00', '_interaction=x; _interaction.sig=y']);
      if (next() < 0.05) headers.dpop = pick(['x', 'a.b.c', person.id_token]);
      let sent = ['GET', 'HEAD'].includes(method) ? undefined : body();
      // Maskinporten's JWT grant names no client but inside its JWT, and is read before oidc-provider
      // reads it (http/jwt-bearer-client.ts): often that shape, with no credentials and anything around it.
      if (path === '/token' && method === 'POST' && next() < 0.5) {
        sent = `grant_type=${encodeURIComponent(JWT_BEARER_GRANT)}&assertion=${pick(assertions)}${next() < 0.5 ? `&${query()}` : ''}`;
        if (next() < 0.8) delete headers.authorization;
        if (next() < 0.8) headers['content-type'] = 'application/x-www-form-urlencoded';
      }
      const url = `${pv.issuer}${path}${qs ? `?${qs}` : ''}`;
      const what = `#${i} ${method} ${url.slice(pv.issuer.length, pv.issuer.length + 160)} content-type=${contentType} body=${String(sent).slice(0, 100)}`;
      try {
        const response = await fetch(url, { method, headers, body: sent, redirect: 'manual', signal: AbortSignal.timeout(10_000) });
        const text = await response.text();
        if (response.status < 300) succeeded.add(path.split('/').slice(0, 3).join('/'));
        if (response.status >= 500) failures.push(`${what} → ${response.status} ${text.slice(0, 200)}`);
        else if (/\n\s+at .+:\d+:\d+/.test(text)) failures.push(`${what} → a stack trace`);
        else if (response.status >= 400 && method !== 'HEAD' && !saysWhatWasWrong(response.headers.get('content-type'), text)) failures.push(`${what} → ${response.status} without an error and its description: ${text.slice(0, 200)}`);
      } catch (err) {
        failures.push(`${what} → ${(err as Error).name}: ${(err as Error).message}`);
      }
    }
    expect(failures, `seed ${SEED}`).toEqual([]);
    // Behind each login: the portal's session (a page only a logged-in person gets), an API token, a person's token.
    expect([...succeeded]).toEqual(expect.arrayContaining(['/portal/clients', '/api/v1', '/userinfo']));
  }, 30_000 + REQUESTS * 20); // a longer run (FUZZ_REQUESTS) gets the time it needs
});
