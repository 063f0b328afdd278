// Apps (application_type native, profile §2.1): a loopback redirect_uri registered without a port
// (or with port 0) takes whatever port the app listens on at run time (RFC 8252 §7.3), and the token
// call repeats it; a custom scheme works too. Clients whose redirect URIs are on several hosts work
// on a plain-http issuer (a laptop) as on https.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PKCE, headlessAuthorizeUrl } from './helpers/headless.js';
import { startPortvakt, type TestPortvakt } from './helpers/portvakt.js';

let pv: TestPortvakt;
beforeAll(async () => {
  pv = await startPortvakt({
    clients: [
      { client_id: 'native-app', application_type: 'native', token_endpoint_auth_method: 'none', redirect_uris: ['http://127.0.0.1:0/callback', 'no.example.app:/callback'] },
      { client_id: 'two-hosts', application_type: 'browser', token_endpoint_auth_method: 'none', redirect_uris: ['http://localhost:3000/cb', 'http://127.0.0.1:3000/cb'] },
    ],
  });
});
afterAll(async () => pv?.close());

async function codeFor(client_id: string, redirect_uri: string): Promise<{ status: number; location: string | null }> {
  const response = await fetch(headlessAuthorizeUrl(pv.issuer, { client_id, redirect_uri }), { redirect: 'manual' });
  return { status: response.status, location: response.headers.get('location') };
}

async function token(client_id: string, code: string, redirect_uri: string) {
  const response = await fetch(`${pv.issuer}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri, code_verifier: PKCE.verifier, client_id }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('native apps', () => {
  it('a loopback redirect takes the port the app chose, at once (headless), and the token call must repeat it', async () => {
    const redirect = 'http://127.0.0.1:53122/callback';
    const { location } = await codeFor('native-app', redirect);
    expect(location).toMatch(/^http:\/\/127\.0\.0\.1:53122\/callback\?code=/);
    const code = new URL(location!).searchParams.get('code')!;
    expect(await token('native-app', code, 'http://127.0.0.1:53123/callback')).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });

    const again = new URL((await codeFor('native-app', redirect)).location!).searchParams.get('code')!;
    expect(await token('native-app', again, redirect)).toMatchObject({ status: 200, body: { id_token: expect.any(String) } });
  });

  it('a custom scheme works, and another host than the registered loopback is refused', async () => {
    const custom = await codeFor('native-app', 'no.example.app:/callback');
    expect(custom.location).toMatch(/^no\.example\.app:\/callback\?code=/);
    const other = await codeFor('native-app', 'http://localhost:53122/callback');
    expect(other.status).toBe(400); // an error page: the redirect_uri is not the client's
    expect(other.location).toBeNull();
  });
});

describe('redirect URIs on several hosts', () => {
  it('work on a plain-http issuer', async () => {
    for (const redirect of ['http://localhost:3000/cb', 'http://127.0.0.1:3000/cb']) {
      const { location } = await codeFor('two-hosts', redirect);
      expect(location?.startsWith(`${redirect}?code=`), String(location)).toBe(true);
      const code = new URL(location!).searchParams.get('code')!;
      expect((await token('two-hosts', code, redirect)).status).toBe(200);
    }
  });
});
