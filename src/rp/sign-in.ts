// How Portvakt's own services that people log in to (the portal, the person's overview of their
// authorizations) sign them in: as first-party clients of this provider, with the code flow and
// PKCE, keeping the login in a sealed (encrypted, authenticated) cookie. Any node behind the load
// balancer can read such a cookie and nothing is stored per session. It carries the person's pid,
// the id_token for logout, and the CSRF token of every form.
import crypto from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ClientInput } from '../registry/client-schema.js';
import { equalInConstantTime, type Secrets } from '../store/secrets.js';
import { StoreUnavailableError } from '../store/unavailable.js';
import { isLocale, type Locale } from '../provider/locale.js';
import { servedOverHttps } from '../config/index.js';
import type { ProviderBackChannel } from './first-party.js';

const LIFETIME_SECONDS = 30 * 60; // like ID-porten's own idle limit: services must end idle sessions
const FLOW_SECONDS = 600;

export interface SignedInSession {
  pid: string;
  idToken: string;
  csrf: string;
  exp: number;
}

interface Flow {
  state: string;
  nonce: string;
  verifier: string;
  exp: number;
}

export interface SignInOptions {
  issuer: string;
  client: ClientInput;
  backChannel: ProviderBackChannel;
  secrets: Secrets;
  /** Where the service lives (its cookies' path); its routes are <prefix>/login and <prefix>/callback. */
  prefix: string;
  /** The session cookie's name; the login under way is kept in `<name>_flow`. */
  cookie: string;
  /** The scopes the service asks for. */
  scope: string;
}

export interface SignIn {
  /** The language the person chose: `?lang=`, or the one they chose before (a cookie), or Bokmål. */
  localeOf(request: FastifyRequest): Locale;
  /** Remembers a language chosen with `?lang=` for the service's later pages. */
  keepLocale(request: FastifyRequest, reply: FastifyReply): void;
  /** The signed-in person's session, if the cookie holds one that is valid now. */
  session(request: FastifyRequest): SignedInSession | undefined;
  /** Whether a form sent in `session` carries its CSRF token. */
  formIsGenuine(request: FastifyRequest, session: SignedInSession): boolean;
  /** Ends the session here and sends the browser to the provider's logout, which returns to <prefix>. */
  signOut(reply: FastifyReply, session: SignedInSession, locale: Locale): FastifyReply;
  readonly cookieOptions: { path: string; httpOnly: true; sameSite: 'lax'; secure: boolean };
}

/** Registers <prefix>/login and <prefix>/callback on `app`, and answers for the sessions they make. */
export function firstPartySignIn(app: FastifyInstance, o: SignInOptions): SignIn {
  const flowCookie = `${o.cookie}_flow`;
  const langCookie = `${o.cookie}_lang`;
  const cookieOptions = { path: o.prefix, httpOnly: true as const, sameSite: 'lax' as const, secure: servedOverHttps(o.issuer) };
  const seal = (data: object, seconds: number) => o.secrets.seal(JSON.stringify({ ...data, exp: Math.floor(Date.now() / 1000) + seconds }));
  const open = <T extends { exp: number }>(value: string | undefined): T | undefined => {
    if (!value) return undefined;
    try {
      const data = JSON.parse(o.secrets.unseal(value)) as T;
      return data.exp > Date.now() / 1000 ? data : undefined;
    } catch {
      return undefined; // tampered, expired or sealed under another secret: not a session
    }
  };

  const localeOf = (request: FastifyRequest): Locale => {
    const asked = (request.query as { lang?: string } | undefined)?.lang;
    if (isLocale(asked)) return asked;
    const kept = request.cookies[langCookie];
    return isLocale(kept) ? kept : 'nb';
  };

  app.get(`${o.prefix}/login`, async (request, reply) => {
    const flow = { state: crypto.randomBytes(16).toString('base64url'), nonce: crypto.randomBytes(16).toString('base64url'), verifier: crypto.randomBytes(32).toString('base64url') };
    reply.setCookie(flowCookie, seal(flow, FLOW_SECONDS), { ...cookieOptions, maxAge: FLOW_SECONDS });
    const url = new URL(`${o.issuer}/authorize`);
    url.search = new URLSearchParams({
      client_id: o.client.client_id, response_type: 'code', scope: o.scope, redirect_uri: o.client.redirect_uris[0]!,
      state: flow.state, nonce: flow.nonce, code_challenge: crypto.createHash('sha256').update(flow.verifier).digest('base64url'),
      code_challenge_method: 'S256', ui_locales: localeOf(request), acr_values: 'idporten-loa-substantial',
    }).toString();
    return reply.redirect(url.toString(), 303);
  });

  app.get<{ Querystring: Record<string, string | undefined> }>(`${o.prefix}/callback`, async (request, reply) => {
    const flow = open<Flow>(request.cookies[flowCookie]);
    reply.clearCookie(flowCookie, { path: o.prefix });
    const { code, state, error } = request.query;
    // Portvakt itself could not log the person in for want of its store: say so (a 503 page), not
    // the front page again as if nothing had been tried.
    if (flow && state === flow.state && error === 'temporarily_unavailable') throw new StoreUnavailableError('database', new Error('the provider answered temporarily_unavailable'));
    if (!flow || !code || state !== flow.state) return reply.redirect(o.prefix, 303);
    const exchanged = await o.backChannel.exchangeCode(o.client, { code, verifier: flow.verifier, nonce: flow.nonce });
    if ('error' in exchanged || typeof exchanged.claims.pid !== 'string') return reply.redirect(o.prefix, 303);
    const session = { pid: exchanged.claims.pid, idToken: exchanged.idToken, csrf: crypto.randomBytes(18).toString('base64url') };
    reply.setCookie(o.cookie, seal(session, LIFETIME_SECONDS), { ...cookieOptions, maxAge: LIFETIME_SECONDS });
    return reply.redirect(o.prefix, 303);
  });

  return {
    localeOf,
    keepLocale(request, reply) {
      const asked = (request.query as { lang?: string } | undefined)?.lang;
      if (isLocale(asked)) reply.setCookie(langCookie, asked, { ...cookieOptions, maxAge: 31_536_000 });
    },
    session: (request) => open<SignedInSession>(request.cookies[o.cookie]),
    formIsGenuine: (request, session) => equalInConstantTime((request.body as Record<string, unknown> | undefined)?.csrf, session.csrf),
    signOut(reply, session, locale) {
      reply.clearCookie(o.cookie, { path: o.prefix });
      const url = new URL(`${o.issuer}/logout`);
      url.search = new URLSearchParams({ id_token_hint: session.idToken, post_logout_redirect_uri: o.client.post_logout_redirect_uris[0]!, ui_locales: locale }).toString();
      return reply.redirect(url.toString(), 303);
    },
    cookieOptions,
  };
}
