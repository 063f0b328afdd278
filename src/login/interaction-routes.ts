// The login pages oidc-provider sends people to (its "interactions"). TestID is the one login
// method so far (src/login/testid/); with more methods, this becomes the method chooser.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { KeyObject } from 'node:crypto';
import formbody from '@fastify/formbody';
import type Provider from 'oidc-provider';
import { errors } from 'oidc-provider';
import { requiredAcr, type Acr } from '../provider/acr.js';
import { epoch } from '../provider/adapters.js';
import { onBehalfOfEntry } from '../provider/onbehalfof.js';
import { chooseLocale, isLocale, LANGUAGE_COOKIE, type Locale } from '../provider/locale.js';
import type { MessageKey } from '../ui/i18n/index.js';
import { createCsrf } from './csrf.js';
import { levelsFor, readTestIdForm } from './testid/form.js';
import { renderTestIdPage, testPersonsOfToday } from './testid/page.js';
import { SlottedPages } from '../ui/slotted-pages.js';
import { renderConsentPage, type ConsentScope } from './consent-page.js';
import { MYSELF, renderFullmaktPage } from './fullmakt-page.js';
import { FULLMAKT_TYPE, type FullmaktRegister } from '../identity/fullmakt.js';
import type { FullmaktChoice, FullmaktRequest } from '../provider/fullmakt.js';

export const INTERACTION_PREFIX = '/login';

export interface LoginOptions {
  /** The provider, by the time requests come (it is created after the routes, see app.ts). */
  provider: () => Provider;
  /** Keys the CSRF token of each login form. */
  csrfKeys: [KeyObject, ...KeyObject[]];
  secureCookies: boolean;
  /** Who may represent whom, for fullmakt logins (identity/fullmakt.ts). */
  fullmakter: FullmaktRegister;
}

type Details = Awaited<ReturnType<Provider['interactionDetails']>>;
type InteractionResult = Parameters<Provider['interactionResult']>[2];

/**
 * Stores the result on the interaction this request has loaded and checked (interactionDetails)
 * and returns where the browser goes on, as oidc-provider's interactionResult() does — which would
 * look the interaction up and check it again: one more store round trip per login, a network one
 * with Redis.
 */
async function finish(details: Details, result: InteractionResult): Promise<string> {
  // As interactionResult() with mergeWithLastSubmission: an error replaces what was submitted before.
  details.result = 'error' in result ? result : { ...details.lastSubmission, ...result };
  await details.save(details.exp - epoch());
  return details.returnTo;
}

export async function loginRoutes(app: FastifyInstance, options: LoginOptions): Promise<void> {
  const csrf = createCsrf(options.csrfKeys);
  await app.register(formbody, { bodyLimit: 8 * 1024 });

  const localeOf = (request: FastifyRequest, details: Details): Locale =>
    chooseLocale(details.params.ui_locales as string | undefined, request.cookies[LANGUAGE_COOKIE]);
  const requiredOf = (details: Details) => requiredAcr(details.params.acr_values as string | undefined);

  // A fresh login page differs between logins only in the interaction's path and CSRF token.
  const freshPages = new SlottedPages(['path', 'csrf']);

  /** The service the person logs in to, as the pages name it: a supplier's customer by its own name (profile §11). */
  async function serviceNameOf(details: Details): Promise<string> {
    const client = await options.provider().Client.find(String(details.params.client_id));
    return onBehalfOfEntry(client, details.params.onbehalfof as string | undefined)?.name ?? client?.clientName ?? String(details.params.client_id);
  }

  /** The API scopes this interaction asks the person to consent to (provider/profile.ts), if any. */
  const consentScopesOf = (details: Details): ConsentScope[] =>
    details.prompt.name === 'consent' ? ((details.prompt.details as { consentScopes?: ConsentScope[] }).consentScopes ?? []) : [];

  async function renderConsent(reply: FastifyReply, details: Details, locale: Locale) {
    const action = `${INTERACTION_PREFIX}/${details.uid}`;
    return reply.type('text/html; charset=utf-8').send(renderConsentPage({
      locale, action, csrf: csrf.tokenFor(details.uid), serviceName: await serviceNameOf(details), scopes: consentScopesOf(details),
      languageHref: (l) => `${action}?lang=${l}`,
    }));
  }

  /** The fullmakt request this interaction asks the person to choose for (provider/fullmakt.ts), if any. */
  const chooserRequestOf = (details: Details): FullmaktRequest | undefined =>
    details.prompt.name === 'consent' && details.prompt.reasons.includes('fullmakt_chooser')
      ? (details.prompt.details as { fullmakt?: FullmaktRequest }).fullmakt
      : undefined;

  const relationsFor = (details: Details, request: FullmaktRequest) =>
    options.fullmakter.representable(String(details.session?.accountId ?? ''), request.permissionRoles);

  async function renderFullmakt(reply: FastifyReply, details: Details, locale: Locale, request: FullmaktRequest, missingChoice = false) {
    const action = `${INTERACTION_PREFIX}/${details.uid}`;
    const relations = relationsFor(details, request);
    const status = !relations.length ? 403 : missingChoice ? 400 : 200;
    return reply.code(status).type('text/html; charset=utf-8').send(renderFullmaktPage({
      locale, action, csrf: csrf.tokenFor(details.uid), serviceName: await serviceNameOf(details),
      representative: String(details.session?.accountId ?? ''), relations, missingChoice,
      languageHref: (l) => `${action}?lang=${l}`,
    }));
  }

  /** The chosen representation, checked against the register again: a form can say anything. */
  function fullmaktChoice(details: Details, request: FullmaktRequest, authorizer: unknown): FullmaktChoice | undefined {
    const relations = relationsFor(details, request);
    // With no relation at all there is nothing to choose, not even oneself: only the way back.
    if (!relations.length) return undefined;
    if (authorizer === MYSELF) return { details: [] };
    const relation = relations.find((r) => r.authorizer.pid === authorizer);
    if (!relation) return undefined;
    return { details: [{ type: FULLMAKT_TYPE, authorizer: relation.authorizer, permissions: relation.permissions, authorized_representative: relation.authorized_representative }] };
  }

  /** Today's test population, those who may act for someone (fullmakt) marked; made once a day. */
  let marked: ReturnType<typeof testPersonsOfToday> | undefined;
  function populationOfToday(): ReturnType<typeof testPersonsOfToday> {
    const today = testPersonsOfToday();
    if (marked?.today !== today.today) marked = { today: today.today, persons: today.persons.map((p) => ({ ...p, representative: options.fullmakter.represents(p.pid) })) };
    return marked;
  }

  async function renderLogin(reply: FastifyReply, details: Details, locale: Locale, state: { pid?: string; error?: MessageKey; acr?: Acr | undefined } = {}) {
    const serviceName = await serviceNameOf(details);
    const levels = levelsFor(requiredOf(details));
    const population = populationOfToday();
    const page = (path: string, csrfToken: string) => renderTestIdPage({
      locale,
      action: path,
      csrf: csrfToken,
      serviceName,
      levels,
      selectedLevel: state.acr && levels.includes(state.acr) ? state.acr : levels[0]!,
      pid: state.pid,
      error: state.error,
      ...population,
      languageHref: (l) => `${path}?lang=${l}`,
    });
    const values = { path: `${INTERACTION_PREFIX}/${details.uid}`, csrf: csrf.tokenFor(details.uid) };
    const html = state.error || state.pid || state.acr
      ? page(values.path, values.csrf)
      : freshPages.render(
        [locale, String(details.params.client_id), serviceName, levels.join(' '), population.today].join('\u0000'),
        (slot) => page(slot.path, slot.csrf),
        values,
      );
    return reply.code(state.error ? 400 : 200).type('text/html; charset=utf-8').send(html);
  }

  app.get<{ Params: { uid: string }; Querystring: { lang?: string } }>(`${INTERACTION_PREFIX}/:uid`, async (request, reply) => {
    const details = await options.provider().interactionDetails(request.raw, reply.raw);
    let locale = localeOf(request, details);
    if (isLocale(request.query.lang)) {
      // The person picked a language: it wins over ui_locales from now on (profile §2.4).
      locale = request.query.lang;
      reply.setCookie(LANGUAGE_COOKIE, locale, { path: '/', maxAge: 31_536_000, sameSite: 'lax', httpOnly: true, secure: options.secureCookies });
    }
    const fullmakt = chooserRequestOf(details);
    if (fullmakt) return renderFullmakt(reply, details, locale, fullmakt);
    if (consentScopesOf(details).length) return renderConsent(reply, details, locale);
    if (details.prompt.name !== 'login') {
      // Consent is otherwise implicit in ID-porten; the grant is made when the request resumes.
      return reply.redirect(await finish(details, {}), 303);
    }
    return renderLogin(reply, details, locale);
  });

  app.post<{ Params: { uid: string }; Body: Record<string, unknown> }>(`${INTERACTION_PREFIX}/:uid`, async (request, reply) => {
    const details = await options.provider().interactionDetails(request.raw, reply.raw);
    const locale = localeOf(request, details);
    const body = request.body ?? {};
    const fullmakt = chooserRequestOf(details);
    if (fullmakt) {
      // A chooser without the interaction's token is shown again, unanswered.
      if (!csrf.matches(details.uid, body.csrf)) return renderFullmakt(reply, details, locale, fullmakt);
      if (body.action === 'cancel') {
        return reply.redirect(await finish(details, { error: 'access_denied', error_description: 'The person did not choose whom to represent' }), 303);
      }
      const choice = fullmaktChoice(details, fullmakt, body.authorizer);
      if (!choice) return renderFullmakt(reply, details, locale, fullmakt, true);
      return reply.redirect(await finish(details, { fullmakt: choice } as InteractionResult), 303);
    }
    if (consentScopesOf(details).length) {
      // A consent form without the interaction's token is shown again, unanswered.
      if (!csrf.matches(details.uid, body.csrf)) return renderConsent(reply, details, locale);
      if (body.action === 'consent') return reply.redirect(await finish(details, { consent: { approved: true } } as InteractionResult), 303);
      return reply.redirect(await finish(details, { error: 'access_denied', error_description: 'The person did not consent to the requested scopes' }), 303);
    }
    if (!csrf.matches(details.uid, body.csrf)) return renderLogin(reply, details, locale, { error: 'login.error.csrf' });

    const submission = readTestIdForm(body, requiredOf(details));
    switch (submission.kind) {
      case 'cancel':
        return reply.redirect(await finish(details, { error: 'access_denied', error_description: 'The person cancelled the login' }), 303);
      case 'invalid':
        return renderLogin(reply, details, locale, submission);
      case 'login':
        return reply.redirect(await finish(details, {
          login: { accountId: submission.pid, acr: submission.acr, amr: ['TestID'], remember: true },
        }), 303);
    }
  });
}

/** oidc-provider's "interaction not found / expired" errors become a clear page, not a 500. */
export function isInteractionError(err: unknown): err is InstanceType<typeof errors.OIDCProviderError> {
  return err instanceof errors.SessionNotFound || err instanceof errors.OIDCProviderError;
}
