// The README is the front door: its client file and its openid-client example are what a new user
// copies first. This runs them as they are written — the file declares the client, the example's
// code logs in with openid-client — so the README cannot drift from what Portvakt does.
import fs from 'node:fs/promises';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CookieBrowser, loginWithTestId } from './helpers/browser.js';
import { PERSON } from './helpers/clients.js';
import { startPortvakt, type TestPortvakt } from './helpers/portvakt.js';

const README = new URL('../README.md', import.meta.url);
const AsyncFunction = (async () => undefined).constructor as new (...args: string[]) => (...args: unknown[]) => Promise<unknown>;

/** The first fenced block of `language` after the heading `heading`. */
function codeBlock(markdown: string, heading: string, language: string): string {
  const section = markdown.indexOf(`\n${heading}\n`);
  if (section === -1) throw new Error(`README has no heading "${heading}"`);
  const block = new RegExp('```' + language + '\\n([\\s\\S]*?)\\n```').exec(markdown.slice(section));
  if (!block) throw new Error(`README has no ${language} block under "${heading}"`);
  return block[1]!;
}

describe('the README', () => {
  let markdown: string;
  let pv: TestPortvakt;

  beforeAll(async () => {
    markdown = await fs.readFile(README, 'utf8');
    const { clients } = JSON.parse(codeBlock(markdown, '## Declaring clients', 'json')) as { clients: unknown[] };
    pv = await startPortvakt({ clients });
  });
  afterAll(() => pv?.close());

  it("logs in with its openid-client example, against its client file", async () => {
    const example = codeBlock(markdown, '## Pointing a client at it', 'ts');
    const browserStep = '// … send the browser to `url`; on the callback:';
    expect(example).toContain(browserStep);
    expect(example).toContain("import * as client from 'openid-client';");
    expect(example).toContain("new URL('http://localhost:8080')");
    const [beforeBrowser, afterCallback] = example
      .replace("import * as client from 'openid-client';", '') // given to the function instead
      .replace("new URL('http://localhost:8080')", `new URL(${JSON.stringify(pv.issuer)})`) // this test's port
      .split(browserStep) as [string, string];
    const logged: unknown[] = [];
    // Where the example sends a browser, the test's plain-HTTP browser fills in the TestID form.
    const login = async (url: URL) => {
      const redirectUri = url.searchParams.get('redirect_uri')!;
      return new URL(await loginWithTestId(new CookieBrowser(), url.href, redirectUri, { pid: PERSON }));
    };
    const run = new AsyncFunction('client', 'console', 'login', `${beforeBrowser}\nconst callbackUrl = await login(url);\n${afterCallback}\nreturn tokens;`);
    const tokens = (await run(client, { log: (value: unknown) => logged.push(value) }, login)) as client.TokenEndpointResponse & client.TokenEndpointResponseHelpers;

    const claims = tokens.claims()!;
    expect(claims).toMatchObject({ iss: pv.issuer, aud: 'min-tjeneste', pid: PERSON, acr: 'idporten-loa-substantial', amr: ['TestID'], locale: 'nb' });
    expect(logged).toEqual([claims]); // what the example prints, with the claims its comment names
    for (const name of ['sub', 'pid', 'acr', 'amr', 'locale']) expect(claims).toHaveProperty(name);
    expect(tokens.refresh_token).toBeTruthy(); // the file's grant_types include refresh_token
  });

  it('its API scopes file works as it says: the scope in the access token, introspected by the API it names', async () => {
    const file = JSON.parse(codeBlock(markdown, '### API scopes', 'json')) as { clients: Array<{ client_id: string; client_secret: string; redirect_uris: string[] }>; scopes: unknown[] };
    const apis = await startPortvakt(file);
    try {
      const [service, api] = file.clients as [typeof file.clients[0], typeof file.clients[0]];
      const config = await client.discovery(new URL(apis.issuer), service.client_id, {}, client.ClientSecretBasic(service.client_secret), { execute: [client.allowInsecureRequests] });
      const verifier = client.randomPKCECodeVerifier();
      const url = client.buildAuthorizationUrl(config, {
        redirect_uri: service.redirect_uris[0]!, scope: 'openid profile nav:sykepenger.read', state: 's', nonce: 'n',
        code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
      });
      const callback = await loginWithTestId(new CookieBrowser(), url.href, service.redirect_uris[0]!, { pid: PERSON });
      const tokens = await client.authorizationCodeGrant(config, new URL(callback), { pkceCodeVerifier: verifier, expectedState: 's', expectedNonce: 'n' });
      expect(tokens.scope).toBe('openid profile nav:sykepenger.read');
      expect(tokens.expires_in).toBe(60); // the scope's at_max_age, under the client's 120 s
      const asApi = await client.discovery(new URL(apis.issuer), api.client_id, {}, client.ClientSecretBasic(api.client_secret), { execute: [client.allowInsecureRequests] });
      expect(await client.tokenIntrospection(asApi, tokens.access_token)).toMatchObject({ active: true, scope: 'openid profile nav:sykepenger.read', pid: PERSON });
    } finally {
      await apis.close();
    }
  });
});
