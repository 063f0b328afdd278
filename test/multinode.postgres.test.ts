// Two stateless nodes over one PostgreSQL (behind a load balancer: same issuer, same secret): a
// login on one continues on the other, and a client changed on one is seen by the other. Only the
// PostgreSQL run has it (vitest.config.ts); the embedded store is one process by design.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startPortvakt, type TestPortvakt } from './helpers/portvakt.js';
import { CookieBrowser, loginWithTestId } from './helpers/browser.js';
import { CLIENT_CACHE_SECONDS_SHARED } from '../src/app.js';

const SECRET = 'a-shared-root-secret-for-both-nodes-0123456789';
const CHALLENGE = 'b7elB7ZyxIXgFyvBznKvxl7wOB-H17Pz0a3B62NIMFI';
const ORG = '312000008';

let a: TestPortvakt;
let b: TestPortvakt;

beforeAll(async () => {
  const port = await freePort();
  const issuer = `http://localhost:${port}`;
  a = await startPortvakt({ env: { PORT: String(port), PORTVAKT_ISSUER: issuer, PORTVAKT_SECRET: SECRET } });
  b = await startPortvakt({ schema: a.schema!, env: { PORT: String(await freePort()), PORTVAKT_ISSUER: issuer, PORTVAKT_SECRET: SECRET } });
});
afterAll(async () => {
  await b?.close();
  await a?.close();
});

const nodeB = (url: string) => url.replace(a.issuer, `http://localhost:${b.portvakt.config.port}`);

describe('two nodes over one PostgreSQL', () => {
  it('a client created on node A logs people in on node B, and its deactivation reaches B', async () => {
    const { integration, client_secret } = await a.portvakt.integrations.create('all', ORG, { client_name: 'Delt', redirect_uris: ['http://localhost:3000/cb'] }, { kind: 'cli', id: 'test' });
    const authorize = `${a.issuer}/authorize?${new URLSearchParams({ client_id: integration.client_id, response_type: 'code', scope: 'openid', redirect_uri: 'http://localhost:3000/cb', state: 's', nonce: 'n', code_challenge: CHALLENGE, code_challenge_method: 'S256', login_hint: 'testid:28876895937_idporten-loa-substantial' })}`;
    const codeFrom = async () => new URL((await fetch(nodeB(authorize), { redirect: 'manual' })).headers.get('location') ?? 'http://x/').searchParams.get('code');
    expect(await codeFrom()).toBeTruthy();
    expect(client_secret).toBeTruthy();

    await a.portvakt.integrations.update('all', integration.client_id, { ...integration, active: false }, { kind: 'cli', id: 'test' });
    await new Promise((resolve) => setTimeout(resolve, (CLIENT_CACHE_SECONDS_SHARED + 0.5) * 1000));
    expect(await codeFrom()).toBeNull();
  }, 20_000);

  it('a person logged in through node A is logged in on node B (SSO across nodes)', async () => {
    const demo = a.portvakt.demoClient!;
    const browser = new CookieBrowser();
    const url = `${a.issuer}/authorize?${new URLSearchParams({ client_id: demo.client_id, response_type: 'code', scope: 'openid', redirect_uri: demo.redirect_uris[0]!, state: 's', nonce: 'n', code_challenge: CHALLENGE, code_challenge_method: 'S256' })}`;
    await loginWithTestId(browser, url, demo.redirect_uris[0]!);
    const sso = await browser.request(nodeB(url));
    expect(sso.location).toContain('code=');
  });
});
