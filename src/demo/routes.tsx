// A small demo service, a real relying party of this provider (like ID-porten's demo client in its
// test environment): log in, see the id_token and userinfo claims. Test environments only.
import crypto from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import type { ClientInput } from '../registry/client-schema.js';
import { renderPage } from '../ui/layout.js';

export const DEMO_PREFIX = '/demo';
export const DEMO_CLIENT_ID = 'portvakt-demo';

/** The demo client; its secret is new at every start and known only to this process. */
export function demoClient(issuer: string): ClientInput {
  return {
    client_id: DEMO_CLIENT_ID,
    client_secret: crypto.randomBytes(32).toString('base64url'),
    client_name: 'Portvakt demo',
    integration_type: 'idporten',
    application_type: 'web',
    token_endpoint_auth_method: 'client_secret_basic',
    redirect_uris: [`${issuer}${DEMO_PREFIX}/callback`],
    post_logout_redirect_uris: [`${issuer}${DEMO_PREFIX}`],
    frontchannel_logout_session_required: false,
    scopes: ['openid', 'profile'],
    grant_types: ['authorization_code'],
    refresh_token_usage: 'ONETIME',
    access_token_lifetime: 120,
    refresh_token_lifetime: 600,
    authorization_lifetime: 7200,
    sso_disabled: false,
    code_challenge_method: 'S256',
    active: true,
  };
}

const FLOW_COOKIE = 'portvakt_demo_flow';

export async function demoRoutes(app: FastifyInstance, { issuer, client }: { issuer: string; client: ClientInput }) {
  const jwks = createRemoteJWKSet(new URL(`${issuer}/jwks.json`));
  const page = (title: string, body: preact.ComponentChildren) =>
    renderPage(
      <html lang="en">
        <head><meta charset="utf-8" /><meta name="viewport" content="width=device-width, initial-scale=1" /><title>{title}</title><link rel="stylesheet" href="/static/portvakt.css" /></head>
        <body><main id="main"><h1>{title}</h1>{body}</main></body>
      </html>,
    );

  app.get(DEMO_PREFIX, async (_request, reply) =>
    reply.type('text/html; charset=utf-8').send(page('Portvakt demo service', (
      <>
        <p>A relying party of this Portvakt. Log in to see what a service receives.</p>
        <ul>
          <li><a href={`${DEMO_PREFIX}/login`}>Log in (substantial)</a></li>
          <li><a href={`${DEMO_PREFIX}/login?acr=idporten-loa-high`}>Log in (high)</a></li>
          <li><a href={`${DEMO_PREFIX}/login?lang=en`}>Log in (English)</a></li>
        </ul>
      </>
    ))));

  app.get<{ Querystring: { acr?: string; lang?: string } }>(`${DEMO_PREFIX}/login`, async (request, reply) => {
    const state = crypto.randomBytes(16).toString('base64url');
    const nonce = crypto.randomBytes(16).toString('base64url');
    const verifier = crypto.randomBytes(32).toString('base64url');
    const challenge = crypto.createHash('sha256').update(verifier).digest('base64url');
    const url = new URL(`${issuer}/authorize`);
    url.search = new URLSearchParams({
      client_id: client.client_id,
      response_type: 'code',
      scope: 'openid profile',
      redirect_uri: client.redirect_uris[0]!,
      state,
      nonce,
      code_challenge: challenge,
      code_challenge_method: 'S256',
      acr_values: request.query.acr === 'idporten-loa-high' ? 'idporten-loa-high' : 'idporten-loa-substantial',
      ui_locales: ['nb', 'nn', 'en', 'se'].includes(request.query.lang ?? '') ? request.query.lang! : 'nb',
    }).toString();
    reply.setCookie(FLOW_COOKIE, `${state}.${nonce}.${verifier}`, { path: DEMO_PREFIX, httpOnly: true, sameSite: 'lax', maxAge: 1800, secure: issuer.startsWith('https:') });
    return reply.redirect(url.toString(), 303);
  });

  app.get<{ Querystring: Record<string, string | undefined> }>(`${DEMO_PREFIX}/callback`, async (request, reply) => {
    const flow = request.cookies[FLOW_COOKIE]?.split('.');
    const { code, state, error, error_description: description } = request.query;
    reply.type('text/html; charset=utf-8');
    if (error) return reply.code(400).send(page('Login did not complete', <p><code>{error}</code>: {description}</p>));
    if (!flow || flow[0] !== state || !code) return reply.code(400).send(page('Login did not complete', <p>The state does not match this browser's login; start again at <a href={DEMO_PREFIX}>the demo</a>.</p>));
    const response = await fetch(`${issuer}/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${encodeURIComponent(client.client_id)}:${encodeURIComponent(client.client_secret!)}`).toString('base64')}`,
      },
      body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: client.redirect_uris[0]!, code_verifier: flow[2]! }),
    });
    const tokens = (await response.json()) as Record<string, string>;
    if (!response.ok) return reply.code(502).send(page('Token request failed', <pre>{JSON.stringify(tokens, null, 2)}</pre>));
    const { payload } = await jwtVerify(tokens.id_token!, jwks, { issuer, audience: client.client_id });
    if (payload.nonce !== flow[1]) return reply.code(400).send(page('Login did not complete', <p>The nonce does not match.</p>));
    const userinfo = await fetch(`${issuer}/userinfo`, { headers: { authorization: `Bearer ${tokens.access_token}` } }).then((r) => r.json());
    reply.clearCookie(FLOW_COOKIE, { path: DEMO_PREFIX });
    return reply.send(page('Logged in', (
      <>
        <p>Level: <code>{String(payload.acr)}</code>, identity number <code>{String(payload.pid)}</code>.</p>
        <h2>id_token claims</h2>
        <pre>{JSON.stringify(payload, null, 2)}</pre>
        <h2>userinfo</h2>
        <pre>{JSON.stringify(userinfo, null, 2)}</pre>
        <p><a href={DEMO_PREFIX}>Back to the demo</a></p>
      </>
    )));
  });
}
