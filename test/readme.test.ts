// The README is the front door: its client file and its openid-client example are what a new user
// copies first. This runs them as they are written — the file declares the client, the example's
// code logs in with openid-client — so the README cannot drift from what Portvakt does.
import fs from 'node:fs/promises';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CookieBrowser, formField, loginWithTestId } from './helpers/browser.js';
import { PERSON } from './helpers/clients.js';
import { startPortvakt, type TestPortvakt } from './helpers/portvakt.js';

const README = new URL('../README.md', import.meta.url);
const AsyncFunction = (async () => undefined).constructor as new (...args: string[]) => (...args: unknown[]) => Promise<unknown>;

/** The first (or `nth`) fenced block of `language` after the heading `heading`. */
function codeBlock(markdown: string, heading: string, language: string, nth = 0): string {
  const section = markdown.indexOf(`\n${heading}\n`);
  if (section === -1) throw new Error(`README has no heading "${heading}"`);
  const blocks = [...markdown.slice(section).matchAll(new RegExp('```' + language + '\\n([\\s\\S]*?)\\n```', 'g'))];
  const block = blocks[nth];
  if (!block) throw new Error(`README has no ${language} block ${nth} under "${heading}"`);
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

  it('its fullmakt section works as it says: the answer has the shape shown, and a declared relation is offered', async () => {
    const heading = '### Logging in on behalf of someone else (fullmakt)';
    const request = /authorization_details=(\[.*\])/.exec(codeBlock(markdown, heading, ''))![1]!;
    const shown = JSON.parse(`{${codeBlock(markdown, heading, 'json', 0)}}`) as { authorization_details: unknown };
    const file = JSON.parse(codeBlock(markdown, heading, 'json', 1)) as { fullmakter: Array<{ authorizer: { pid: string }; authorized_representative: { pid: string } }> };
    const { clients } = JSON.parse(codeBlock(markdown, '## Declaring clients', 'json')) as { clients: Array<{ client_id: string; client_secret: string; redirect_uris: string[] }> };
    const withRelations = await startPortvakt({ clients, fullmakter: file.fullmakter });
    try {
      const service = clients[0]!;
      const config = await client.discovery(new URL(withRelations.issuer), service.client_id, {}, client.ClientSecretBasic(service.client_secret), { execute: [client.allowInsecureRequests] });
      const fullmaktLogin = async (representative: string, authorizer: string, details: string) => {
        const verifier = client.randomPKCECodeVerifier();
        const url = client.buildAuthorizationUrl(config, {
          redirect_uri: service.redirect_uris[0]!, scope: 'openid profile', state: 's', nonce: 'n', authorization_details: details,
          code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
        });
        const browser = new CookieBrowser();
        const page = await browser.follow(url.href);
        const chooser = await browser.follow((await browser.post(page.action!, { csrf: formField(page.body, 'csrf')!, pid: representative, acr: 'idporten-loa-substantial', action: 'login' })).location!);
        const chosen = await browser.post(chooser.action!, { csrf: formField(chooser.body, 'csrf')!, authorizer, action: 'represent' });
        const callback = await browser.follow(chosen.location!, (u) => u.startsWith(service.redirect_uris[0]!));
        return client.authorizationCodeGrant(config, new URL(callback.location!), { pkceCodeVerifier: verifier, expectedState: 's', expectedNonce: 'n' });
      };
      // The example answer: Kari Nordmann (seeded) acting for Ingrid Bakke, asked as the README asks.
      const seeded = shown.authorization_details as Array<{ authorizer: { pid: string }; authorized_representative: { pid: string } }>;
      expect((await fullmaktLogin(seeded[0]!.authorized_representative.pid, seeded[0]!.authorizer.pid, request)).authorization_details).toEqual(shown.authorization_details);
      // The declared relation.
      const [declared] = file.fullmakter;
      const roles = JSON.stringify([{ type: 'idporten:fullmakt', permission_roles: ['familie'] }]);
      const tokens = await fullmaktLogin(declared!.authorized_representative.pid, declared!.authorizer.pid, roles);
      expect(tokens.authorization_details).toEqual([{ type: 'idporten:fullmakt', ...declared }]);
    } finally {
      await withRelations.close();
    }
  });
  it('lists and withdraws an authorization as its authorizations section shows', async () => {
    const heading = "### A person's authorizations: listing and withdrawing them";
    const file = JSON.parse(codeBlock(markdown, heading, 'json')) as { clients: Array<{ client_id: string; client_secret: string; redirect_uris: string[] }> };
    const example = codeBlock(markdown, heading, 'ts');
    expect(example).toContain("'http://localhost:8080/authorizations'");
    const app = await startPortvakt({ clients: file.clients });
    try {
      const [service] = file.clients;
      const config = await client.discovery(new URL(app.issuer), service!.client_id, service!.client_secret, client.ClientSecretBasic(service!.client_secret), { execute: [client.allowInsecureRequests] });
      // A headless TestID login (profile §9.2) with the scope the section names.
      const verifier = client.randomPKCECodeVerifier();
      const url = client.buildAuthorizationUrl(config, {
        redirect_uri: service!.redirect_uris[0]!, scope: 'openid idporten:authorizations', state: 's', nonce: 'n', login_hint: `testid:${PERSON}_idporten-loa-substantial`,
        code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
      });
      const callback = new URL((await fetch(url, { redirect: 'manual' })).headers.get('location')!);
      const tokens = await client.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedState: 's', expectedNonce: 'n' });

      const logged: unknown[] = [];
      const run = new AsyncFunction('tokens', 'console', example.replace("'http://localhost:8080/authorizations'", JSON.stringify(`${app.issuer}/authorizations`)));
      await run(tokens, { log: (value: unknown) => logged.push(value) });
      expect(logged[0]).toMatchObject({ client_id: 'skatteappen', client_name: 'Skatteappen', consumer: { authority: 'iso6523-actorid-upis', ID: '0192:974760673' } });
      expect(Object.keys(logged[0] as object)).toEqual(expect.arrayContaining(['authorization_id', 'authorized_at', 'expires', 'scopes', 'user_agent']));
      // The DELETE it ends with withdrew it: the refresh token is done for.
      await expect(client.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    } finally {
      await app.close();
    }
  });
});
