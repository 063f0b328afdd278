// The person's overview of their authorizations, as ID-porten has it at brukerprofil.idporten.no:
// log in, see every service one has given access by logging in, and withdraw any of them. A team
// testing how its app meets a withdrawn login (a refresh token that stops working, a consent asked
// for again) does it here as a person would. A first-party client of this provider, signed in like
// the portal (rp/sign-in.ts); every form carries the session's CSRF token.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import formbody from '@fastify/formbody';
import { firstPartyClient, type ProviderBackChannel } from '../rp/first-party.js';
import { firstPartySignIn, type SignedInSession } from '../rp/sign-in.js';
import type { ClientInput } from '../registry/client-schema.js';
import type { Secrets } from '../store/secrets.js';
import type { Authorizations } from '../provider/authorizations.js';
import type { Locale } from '../provider/locale.js';
import { authorizationsPage, byService, PROFILE_PREFIX, signedOutPage, type Notice } from './page.js';

export { PROFILE_PREFIX };
export const PROFILE_CLIENT_ID = 'portvakt-brukerprofil';
const PROFILE_COOKIE = 'portvakt_profile';

/** The overview's own client; its secret is new at every start and known only to this process. */
export function profileClient(issuer: string): ClientInput {
  return firstPartyClient({ clientId: PROFILE_CLIENT_ID, clientName: 'Portvakt brukerprofil', issuer, prefix: PROFILE_PREFIX, postLogoutPath: PROFILE_PREFIX });
}

export interface ProfileOptions {
  issuer: string;
  client: ClientInput;
  backChannel: ProviderBackChannel;
  secrets: Secrets;
  authorizations: Authorizations;
}

export async function profileRoutes(app: FastifyInstance, options: ProfileOptions): Promise<void> {
  await app.register(formbody, { bodyLimit: 4 * 1024 });
  const { authorizations } = options;
  const signIn = firstPartySignIn(app, { ...options, prefix: PROFILE_PREFIX, cookie: PROFILE_COOKIE, scope: 'openid profile' });
  const { localeOf } = signIn;
  const html = (reply: FastifyReply, body: string, status = 200) => reply.code(status).header('cache-control', 'no-store').type('text/html; charset=utf-8').send(body);

  /** The person's authorizations, but not this overview's own login (withdrawing it would change nothing here). */
  const listed = async (session: SignedInSession) =>
    (await authorizations.list(session.pid, 'everything', { requireUserConsent: false })).filter((a) => a.client_id !== PROFILE_CLIENT_ID);

  const page = async (reply: FastifyReply, session: SignedInSession, locale: Locale, notice?: Notice, status = 200) =>
    html(reply, authorizationsPage({ locale, pid: session.pid, csrf: session.csrf, services: byService(await listed(session)), notice }), status);

  app.get<{ Querystring: { lang?: string; withdrawn?: string } }>(PROFILE_PREFIX, async (request, reply) => {
    const locale = localeOf(request);
    signIn.keepLocale(request, reply);
    const session = signIn.session(request);
    if (!session) return html(reply, signedOutPage(locale));
    return page(reply, session, locale, request.query.withdrawn === '1' ? 'withdrawn' : undefined);
  });

  /** The signed-in session of a form that carries its CSRF token; otherwise the answer is sent and undefined returned. */
  async function formSession(request: FastifyRequest, reply: FastifyReply): Promise<SignedInSession | undefined> {
    const session = signIn.session(request);
    if (!session) {
      await reply.redirect(PROFILE_PREFIX, 303);
      return undefined;
    }
    if (!signIn.formIsGenuine(request, session)) {
      await page(reply, session, localeOf(request), 'expired', 403);
      return undefined;
    }
    return session;
  }

  // Withdraws every authorization the person gave the service: to the person it is one service.
  app.post<{ Body: { service?: unknown }; Querystring: { lang?: string } }>(`${PROFILE_PREFIX}/withdraw`, async (request, reply) => {
    const session = await formSession(request, reply);
    if (!session) return reply;
    const locale = localeOf(request);
    const clientId = request.body?.service;
    // Only the person's own are listed, so a service they have not used is as unknown as a made-up one.
    const ids = (await listed(session)).filter((a) => a.client_id === clientId).map((a) => a.authorization_id);
    let withdrawn = 0;
    for (const id of ids) if (await authorizations.withdraw(id, 'everything', { person: true }, session.pid)) withdrawn++;
    if (!withdrawn) return page(reply, session, locale, 'notFound', 404);
    return reply.redirect(`${PROFILE_PREFIX}?withdrawn=1`, 303);
  });

  app.post<{ Querystring: { lang?: string } }>(`${PROFILE_PREFIX}/logout`, async (request, reply) => {
    const session = await formSession(request, reply);
    if (!session) return reply;
    return signIn.signOut(reply, session, localeOf(request));
  });
}
