// Every endpoint meets malformed requests calmly: a 4xx that says what was wrong, never a 5xx,
// a hang, a stack trace or a changed record.
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { REDIRECT, secrets, portvaktWithTestClients } from './helpers/clients.js';

const env = portvaktWithTestClients();

const basic = `Basic ${Buffer.from(`basic-client:${secrets.basic}`).toString('base64')}`;
const form = 'application/x-www-form-urlencoded';

interface Case {
  name: string;
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
  /** The OAuth error code the body must carry (JSON endpoints), or a text the page must contain. */
  expect: { error?: RegExp; text?: RegExp; status?: number };
}

const big = 'x'.repeat(70 * 1024);
const fakeJwt = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl';

const cases: Case[] = [
  // token
  { name: 'token: GET', method: 'GET', path: '/token', expect: { status: 405, error: /invalid_request/ } },
  { name: 'token: JSON body', method: 'POST', path: '/token', headers: { 'content-type': 'application/json', authorization: basic }, body: '{"grant_type":"authorization_code"}', expect: { error: /invalid_request/ } },
  { name: 'token: no grant_type', method: 'POST', path: '/token', headers: { 'content-type': form, authorization: basic }, body: 'code=x', expect: { error: /invalid_request/ } },
  { name: 'token: unsupported grant_type', method: 'POST', path: '/token', headers: { 'content-type': form, authorization: basic }, body: 'grant_type=password&username=a&password=b', expect: { error: /unsupported_grant_type/ } },
  { name: 'token: client_credentials (not ID-porten)', method: 'POST', path: '/token', headers: { 'content-type': form, authorization: basic }, body: 'grant_type=client_credentials', expect: { error: /invalid_request/, text: /grant type is not allowed for this client/ } },
  { name: 'token: duplicated code', method: 'POST', path: '/token', headers: { 'content-type': form, authorization: basic }, body: `grant_type=authorization_code&code=a&code=b&redirect_uri=${encodeURIComponent(REDIRECT)}`, expect: { error: /invalid_request/ } },
  { name: 'token: unknown code', method: 'POST', path: '/token', headers: { 'content-type': form, authorization: basic }, body: `grant_type=authorization_code&code=nope&redirect_uri=${encodeURIComponent(REDIRECT)}&code_verifier=${'a'.repeat(43)}`, expect: { error: /invalid_grant/ } },
  { name: 'token: oversized body', method: 'POST', path: '/token', headers: { 'content-type': form, authorization: basic }, body: `grant_type=authorization_code&code=${big}`, expect: { error: /invalid_request/ } },
  { name: 'token: broken base64 in Basic', method: 'POST', path: '/token', headers: { 'content-type': form, authorization: 'Basic %%%' }, body: 'grant_type=authorization_code&code=x', expect: { error: /invalid_(request|client)/ } },
  { name: 'token: Basic without colon', method: 'POST', path: '/token', headers: { 'content-type': form, authorization: `Basic ${Buffer.from('nocolon').toString('base64')}` }, body: 'grant_type=authorization_code&code=x', expect: { error: /invalid_(request|client)/ } },
  { name: 'token: unknown client', method: 'POST', path: '/token', headers: { 'content-type': form, authorization: `Basic ${Buffer.from('ghost:secret').toString('base64')}` }, body: 'grant_type=authorization_code&code=x', expect: { error: /invalid_client/ } },
  { name: 'token: broken client_assertion', method: 'POST', path: '/token', headers: { 'content-type': form }, body: 'grant_type=authorization_code&code=x&client_id=jwt-client&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion=not.a.jwt', expect: { error: /invalid_(request|client)/ } },
  { name: 'token: unsigned-looking client_assertion', method: 'POST', path: '/token', headers: { 'content-type': form }, body: `grant_type=authorization_code&code=x&client_id=jwt-client&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion=${fakeJwt}`, expect: { error: /invalid_(request|client)/ } },
  { name: 'token: no client authentication', method: 'POST', path: '/token', headers: { 'content-type': form }, body: 'grant_type=authorization_code&code=x', expect: { error: /invalid_(request|client)/ } },
  { name: 'token: refresh with unknown token', method: 'POST', path: '/token', headers: { 'content-type': form, authorization: basic }, body: 'grant_type=refresh_token&refresh_token=nope', expect: { error: /invalid_grant/ } },
  // par
  { name: 'par: GET', method: 'GET', path: '/par', expect: { error: /invalid_request/ } },
  { name: 'par: no client auth', method: 'POST', path: '/par', headers: { 'content-type': form }, body: 'response_type=code', expect: { error: /invalid_(request|client)/ } },
  { name: 'par: request_uri inside PAR', method: 'POST', path: '/par', headers: { 'content-type': form, authorization: basic }, body: 'request_uri=urn:x&client_id=basic-client', expect: { error: /invalid_request|request_uri_not_supported/ } },
  { name: 'par: oversized body', method: 'POST', path: '/par', headers: { 'content-type': form, authorization: basic }, body: `state=${big}`, expect: { error: /invalid_request/ } },
  // userinfo
  { name: 'userinfo: no token', method: 'GET', path: '/userinfo', expect: { error: /invalid_(token|request)/ } },
  { name: 'userinfo: garbage token', method: 'GET', path: '/userinfo', headers: { authorization: 'Bearer garbage' }, expect: { error: /invalid_token/ } },
  { name: 'userinfo: forged JWT', method: 'GET', path: '/userinfo', headers: { authorization: `Bearer ${fakeJwt}` }, expect: { error: /invalid_token/ } },
  { name: 'userinfo: two tokens', method: 'GET', path: '/userinfo?access_token=a', headers: { authorization: 'Bearer b' }, expect: { error: /invalid_request/ } },
  // revoke / introspect
  { name: 'revoke: no token', method: 'POST', path: '/token/revoke', headers: { 'content-type': form, authorization: basic }, body: '', expect: { error: /invalid_request/ } },
  { name: 'revoke: duplicated token', method: 'POST', path: '/token/revoke', headers: { 'content-type': form, authorization: basic }, body: 'token=a&token=b', expect: { error: /invalid_request/ } },
  { name: 'revoke: oversized body', method: 'POST', path: '/token/revoke', headers: { 'content-type': form, authorization: basic }, body: `token=${big}`, expect: { status: 413, error: /invalid_request/ } },
  { name: 'revoke: wrong content type', method: 'POST', path: '/token/revoke', headers: { 'content-type': 'text/plain', authorization: basic }, body: 'token=a', expect: { error: /invalid_request/ } },
  { name: 'introspect: unknown client', method: 'POST', path: '/token/introspect', headers: { 'content-type': form, authorization: `Basic ${Buffer.from('ghost:x').toString('base64')}` }, body: 'token=a', expect: { error: /invalid_client/ } },
  { name: 'introspect: GET', method: 'GET', path: '/token/introspect', expect: { error: /invalid_request/ } },
  // authorize
  { name: 'authorize: no parameters', method: 'GET', path: '/authorize', headers: { accept: 'text/html' }, expect: { text: /invalid_request/ } },
  { name: 'authorize: duplicated client_id', method: 'GET', path: '/authorize?client_id=basic-client&client_id=post-client', headers: { accept: 'text/html' }, expect: { text: /invalid_request/ } },
  { name: 'authorize: PUT', method: 'PUT', path: '/authorize', expect: { error: /invalid_request/ } },
  { name: 'authorize: huge query', method: 'GET', path: `/authorize?client_id=basic-client&state=${'y'.repeat(20_000)}`, expect: { status: 431, error: /invalid_request/ } },
  { name: 'huge headers', method: 'GET', path: '/health/live', headers: { 'x-padding': 'z'.repeat(20_000) }, expect: { status: 431, error: /invalid_request/ } },
  // logout, jwks, discovery
  { name: 'logout: broken id_token_hint', method: 'GET', path: `/logout?id_token_hint=${fakeJwt}`, headers: { accept: 'text/html' }, expect: { text: /invalid_(client|request)/ } },
  { name: 'jwks: POST', method: 'POST', path: '/jwks.json', expect: { error: /invalid_request/ } },
  { name: 'discovery: POST', method: 'POST', path: '/.well-known/openid-configuration', expect: { error: /invalid_request/ } },
  // login pages
  { name: 'login: unknown interaction', method: 'GET', path: '/authorize/does-not-exist/login', headers: { accept: 'text/html' }, expect: { text: /Noe gikk galt/ } },
  { name: 'login: POST to unknown interaction', method: 'POST', path: '/authorize/does-not-exist/login', headers: { 'content-type': form, accept: 'text/html' }, body: 'pid=1', expect: { text: /Noe gikk galt/ } },
  { name: 'login: oversized form', method: 'POST', path: '/authorize/x/login', headers: { 'content-type': form, accept: 'text/html' }, body: `pid=${big}`, expect: { status: 413 } },
  { name: 'login: JSON body', method: 'POST', path: '/authorize/x/login', headers: { 'content-type': 'application/json', accept: 'text/html' }, body: '{', expect: { status: 400, text: /JSON/ } },
  { name: 'unknown path', method: 'GET', path: '/nope', expect: { status: 404, error: /not_found/ } },
  { name: 'unknown path, from a browser', method: 'GET', path: '/nope', headers: { accept: 'text/html' }, expect: { status: 404, text: /<h1>Noe gikk galt<\/h1>[\s\S]*no page or endpoint at GET \/nope/ } },
  { name: 'a malformed %-escape in the path', method: 'GET', path: '/api/v1/clients/%ZZ', expect: { status: 400, error: /invalid_request/ } },
  { name: 'a malformed %-escape in the path, from a browser', method: 'GET', path: '/portal/clients/%ZZ', headers: { accept: 'text/html' }, expect: { status: 400, text: /<h1>Noe gikk galt<\/h1>/ } },
  // A NUL (%00) in a client_id: no client has one, and the database would refuse to look it up.
  { name: 'authorize: NUL in client_id', method: 'GET', path: '/authorize?client_id=basic%00client&response_type=code&scope=openid', headers: { accept: 'text/html' }, expect: { text: /invalid_client/ } },
  { name: 'token: NUL in client_id', method: 'POST', path: '/token', headers: { 'content-type': form }, body: 'grant_type=authorization_code&code=x&client_id=%00&client_secret=x', expect: { error: /invalid_client/ } },
  { name: 'token: NUL in the Basic user', method: 'POST', path: '/token', headers: { 'content-type': form, authorization: `Basic ${Buffer.from('basic\u0000client:x').toString('base64')}` }, body: 'grant_type=authorization_code&code=x', expect: { error: /invalid_(request|client)/ } },
  { name: 'par: NUL in client_id', method: 'POST', path: '/par', headers: { 'content-type': form }, body: 'client_id=%00&client_secret=x&response_type=code', expect: { error: /invalid_client/ } },
  { name: 'introspect: NUL in client_id', method: 'POST', path: '/token/introspect', headers: { 'content-type': form }, body: 'client_id=%00&client_secret=x&token=%00', expect: { error: /invalid_client/ } },
  { name: 'revoke: NUL in client_id', method: 'POST', path: '/token/revoke', headers: { 'content-type': form }, body: 'client_id=%00&client_secret=x&token=%00', expect: { error: /invalid_client/ } },
  { name: 'logout: NUL in client_id', method: 'GET', path: '/logout?client_id=%00', headers: { accept: 'text/html' }, expect: { text: /invalid_client/ } },
];

describe('bad input gets a clear 4xx', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const response = await fetch(env.pv.issuer + c.path, { method: c.method ?? 'GET', headers: c.headers, body: c.body, redirect: 'manual', signal: AbortSignal.timeout(10_000) });
    const text = await response.text();
    expect(response.status, text.slice(0, 300)).toBeGreaterThanOrEqual(400);
    expect(response.status, text.slice(0, 300)).toBeLessThan(500);
    if (c.expect.status) expect(response.status).toBe(c.expect.status);
    expect(text).not.toMatch(/\n\s+at .+:\d+:\d+/); // no stack trace
    if (c.expect.error) {
      const body = JSON.parse(text) as { error: string; error_description?: string };
      expect(body.error).toMatch(c.expect.error);
      expect(body.error_description, 'says what was wrong').toEqual(expect.any(String));
    }
    if (c.expect.text) expect(text).toMatch(c.expect.text);
  });

  it('a request that is not HTTP gets a 400 in the same shape, and the connection closes', async () => {
    const { port, hostname } = new URL(env.pv.issuer);
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(Number(port), hostname === 'localhost' ? '127.0.0.1' : hostname, () => socket.write('HELLO / THERE\r\n\r\n'));
      let text = '';
      socket.on('data', (chunk) => { text += chunk.toString(); });
      socket.on('close', () => resolve(text));
      socket.on('error', reject);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4))).toEqual({ error: 'invalid_request', error_description: 'the request is not valid HTTP/1.1' });
  });

  it('nothing it sent changed a record', async () => {
    const clients = await env.pv.portvakt.clients.list();
    expect(clients.map((c) => c.registration.client_id)).toContain('basic-client');
    const basicClient = clients.find((c) => c.registration.client_id === 'basic-client')!;
    expect(basicClient.active).toBe(true);
    expect(env.pv.portvakt.secrets.digestMatches(secrets.basic, basicClient.secretDigest!)).toBe(true);
  });
});
