// The routes of the login pages oidc-provider sends people to (its "interactions"): showing a
// page (interaction-pages.ts) and taking its form. TestID is the one login method so far
// (src/login/testid/); with more methods, this becomes the method chooser.
//
// The pages live under the path their authorization resumes at (provider/routes.ts
// interactionPath), so that the browser sends oidc-provider's resume cookie (whose path that is)
// with every form, and an answered form resumes the authorization in the same request
// (LoginOptions.resume) instead of redirecting the browser there: one round trip fewer per login.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import formbody from '@fastify/formbody';
import type Provider from 'oidc-provider';
import { errors } from 'oidc-provider';
import { carryAnswer } from '../provider/resume-in-place.js';
import { INTERACTION_ROUTE } from '../provider/routes.js';
import { isLocale, LANGUAGE_COOKIE } from '../provider/locale.js';
import { readTestIdForm } from './testid/form.js';
import type { Interaction, InteractionPage, InteractionPages } from './interaction-pages.js';

export interface LoginOptions {
  /** The provider, by the time requests come (it is created after the routes, see app.ts). */
  provider: () => Provider;
  pages: InteractionPages;
  secureCookies: boolean;
  /**
   * Answers this request with oidc-provider's resume of the authorization at `returnTo` (its
   * /authorize/<uid>), as if the browser had been redirected there: the request carries its cookies.
   */
  resume: (request: FastifyRequest, reply: FastifyReply, returnTo: string) => FastifyReply;
}

type InteractionResult = Parameters<Provider['interactionResult']>[2];

/** The answer as oidc-provider's interactionResult() would store it (mergeWithLastSubmission): an error replaces what was submitted before. */
const answerOf = (interaction: Interaction, result: InteractionResult): InteractionResult =>
  'error' in result ? result : { ...interaction.lastSubmission, ...result };

const send = (reply: FastifyReply, page: InteractionPage) => reply.code(page.status).type('text/html; charset=utf-8').send(page.html);

export async function loginRoutes(app: FastifyInstance, options: LoginOptions): Promise<void> {
  const { pages } = options;
  await app.register(formbody, { bodyLimit: 8 * 1024 });

  /**
   * Resumes the interaction's authorization in this same request, with the person's answer (which
   * goes along with the request, not through the store: provider/resume-in-place.ts).
   */
  const resumeWith = (request: FastifyRequest, reply: FastifyReply, interaction: Interaction, result: InteractionResult) => {
    carryAnswer(request.raw, interaction, answerOf(interaction, result));
    return options.resume(request, reply, interaction.returnTo);
  };

  app.get<{ Params: { uid: string }; Querystring: { lang?: string } }>(INTERACTION_ROUTE, async (request, reply) => {
    const interaction = await options.provider().interactionDetails(request.raw, reply.raw);
    let locale = pages.localeOf(interaction, request.cookies[LANGUAGE_COOKIE]);
    if (isLocale(request.query.lang)) {
      // The person picked a language: it wins over ui_locales from now on (profile §2.4).
      locale = request.query.lang;
      reply.setCookie(LANGUAGE_COOKIE, locale, { path: '/', maxAge: 31_536_000, sameSite: 'lax', httpOnly: true, secure: options.secureCookies });
    }
    const page = await pages.pageFor(interaction, locale);
    return page ? send(reply, page) : resumeWith(request, reply, interaction, {});
  });

  app.post<{ Params: { uid: string }; Body: Record<string, unknown> }>(INTERACTION_ROUTE, async (request, reply) => {
    const interaction = await options.provider().interactionDetails(request.raw, reply.raw);
    const locale = pages.localeOf(interaction, request.cookies[LANGUAGE_COOKIE]);
    const body = request.body ?? {};
    const answeredByThisPage = pages.csrf.matches(interaction.uid, body.csrf);
    const fullmakt = pages.chooserRequestOf(interaction);
    if (fullmakt) {
      // A chooser without the interaction's token is shown again, unanswered.
      if (!answeredByThisPage) return send(reply, await pages.fullmaktPage(interaction, locale, fullmakt));
      if (body.action === 'cancel') {
        return resumeWith(request, reply, interaction, { error: 'access_denied', error_description: 'The person did not choose whom to represent' });
      }
      const choice = pages.fullmaktChoice(interaction, fullmakt, body.authorizer);
      if (!choice) return send(reply, await pages.fullmaktPage(interaction, locale, fullmakt, true));
      return resumeWith(request, reply, interaction, { fullmakt: choice } as InteractionResult);
    }
    if (pages.consentScopesOf(interaction).length) {
      // A consent form without the interaction's token is shown again, unanswered.
      if (!answeredByThisPage) return send(reply, await pages.consentPage(interaction, locale));
      if (body.action === 'consent') return resumeWith(request, reply, interaction, { consent: { approved: true } } as InteractionResult);
      return resumeWith(request, reply, interaction, { error: 'access_denied', error_description: 'The person did not consent to the requested scopes' });
    }
    if (!answeredByThisPage) return send(reply, await pages.loginPage(interaction, locale, { error: 'login.error.csrf' }));

    const submission = readTestIdForm(body, pages.requiredOf(interaction));
    switch (submission.kind) {
      case 'cancel':
        return resumeWith(request, reply, interaction, { error: 'access_denied', error_description: 'The person cancelled the login' });
      case 'invalid':
        return send(reply, await pages.loginPage(interaction, locale, submission));
      case 'login':
        return resumeWith(request, reply, interaction, {
          login: { accountId: submission.pid, acr: submission.acr, amr: ['TestID'], remember: true },
        });
    }
  });
}

/** oidc-provider's "interaction not found / expired" errors become a clear page, not a 500. */
export function isInteractionError(err: unknown): err is InstanceType<typeof errors.OIDCProviderError> {
  return err instanceof errors.SessionNotFound || err instanceof errors.OIDCProviderError;
}
