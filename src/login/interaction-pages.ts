// The pages of an interaction (oidc-provider's word for the steps where the person is asked
// something): the TestID login, consent to an API's scopes, the fullmakt chooser. Rendered here as
// status and HTML, so that both the login routes (interaction-routes.ts) and the authorization
// request itself (provider/first-page.ts, which answers with the first page instead of a redirect
// to it) can send them.
import type { KeyObject } from 'node:crypto';
import type Provider from 'oidc-provider';
import { requiredAcr, type Acr } from '../provider/acr.js';
import { onBehalfOfEntry } from '../provider/onbehalfof.js';
import { chooseLocale, type Locale } from '../provider/locale.js';
import type { FullmaktChoice, FullmaktRequest } from '../provider/fullmakt.js';
import { interactionPath } from '../provider/routes.js';
import type { MessageKey } from '../ui/i18n/index.js';
import { SlottedPages } from '../ui/slotted-pages.js';
import { FULLMAKT_TYPE, type FullmaktRegister } from '../identity/fullmakt.js';
import { createCsrf, type Csrf } from './csrf.js';
import { levelsFor } from './testid/form.js';
import { renderTestIdPage, testPersonsOfToday } from './testid/page.js';
import { renderConsentPage, type ConsentScope } from './consent-page.js';
import { MYSELF, renderFullmaktPage } from './fullmakt-page.js';

export type Interaction = Awaited<ReturnType<Provider['interactionDetails']>>;

export interface InteractionPage {
  status: number;
  html: string;
}

/** What the TestID page shows again after a submission it refuses. */
export interface LoginFormState {
  pid?: string | undefined;
  error?: MessageKey | undefined;
  acr?: Acr | undefined;
}

export interface InteractionPagesOptions {
  /** The provider, by the time requests come (it is created after the routes, see app.ts). */
  provider: () => Provider;
  /** Keys the CSRF token of each form. */
  csrfKeys: [KeyObject, ...KeyObject[]];
  /** Who may represent whom, for fullmakt logins (identity/fullmakt.ts). */
  fullmakter: FullmaktRegister;
}

export interface InteractionPages {
  csrf: Csrf;
  /** The language to show: the one the person picked (cookie) over the request's ui_locales. */
  localeOf(interaction: Interaction, languageCookie: string | undefined): Locale;
  /** The least level the service asked for. */
  requiredOf(interaction: Interaction): Acr | undefined;
  /** The page the interaction asks its question on, or undefined when it asks nothing (consent is implicit). */
  pageFor(interaction: Interaction, locale: Locale): Promise<InteractionPage | undefined>;
  loginPage(interaction: Interaction, locale: Locale, state?: LoginFormState): Promise<InteractionPage>;
  consentPage(interaction: Interaction, locale: Locale): Promise<InteractionPage>;
  fullmaktPage(interaction: Interaction, locale: Locale, request: FullmaktRequest, missingChoice?: boolean): Promise<InteractionPage>;
  /** The API scopes this interaction asks the person to consent to (provider/profile.ts), if any. */
  consentScopesOf(interaction: Interaction): ConsentScope[];
  /** The fullmakt request this interaction asks the person to choose for (provider/fullmakt.ts), if any. */
  chooserRequestOf(interaction: Interaction): FullmaktRequest | undefined;
  /** The chosen representation, checked against the register again: a form can say anything. */
  fullmaktChoice(interaction: Interaction, request: FullmaktRequest, authorizer: unknown): FullmaktChoice | undefined;
}

export function createInteractionPages(options: InteractionPagesOptions): InteractionPages {
  const csrf = createCsrf(options.csrfKeys);
  // A fresh login page differs between logins only in the interaction's path and CSRF token.
  const freshPages = new SlottedPages(['path', 'csrf']);
  const requiredOf = (interaction: Interaction) => requiredAcr(interaction.params.acr_values as string | undefined);
  const html = (html: string, status = 200): InteractionPage => ({ status, html });

  /** The service the person logs in to, as the pages name it: a supplier's customer by its own name (profile §11). */
  async function serviceNameOf(interaction: Interaction): Promise<string> {
    const client = await options.provider().Client.find(String(interaction.params.client_id));
    return onBehalfOfEntry(client, interaction.params.onbehalfof as string | undefined)?.name ?? client?.clientName ?? String(interaction.params.client_id);
  }

  const consentScopesOf = (interaction: Interaction): ConsentScope[] =>
    interaction.prompt.name === 'consent' ? ((interaction.prompt.details as { consentScopes?: ConsentScope[] }).consentScopes ?? []) : [];

  const chooserRequestOf = (interaction: Interaction): FullmaktRequest | undefined =>
    interaction.prompt.name === 'consent' && interaction.prompt.reasons.includes('fullmakt_chooser')
      ? (interaction.prompt.details as { fullmakt?: FullmaktRequest }).fullmakt
      : undefined;

  const relationsFor = (interaction: Interaction, request: FullmaktRequest) =>
    options.fullmakter.representable(String(interaction.session?.accountId ?? ''), request.permissionRoles);

  /** Today's test population, those who may act for someone (fullmakt) marked; made once a day. */
  let marked: ReturnType<typeof testPersonsOfToday> | undefined;
  function populationOfToday(): ReturnType<typeof testPersonsOfToday> {
    const today = testPersonsOfToday();
    if (marked?.today !== today.today) marked = { today: today.today, persons: today.persons.map((p) => ({ ...p, representative: options.fullmakter.represents(p.pid) })) };
    return marked;
  }

  const pages: InteractionPages = {
    csrf,
    localeOf: (interaction, languageCookie) => chooseLocale(interaction.params.ui_locales as string | undefined, languageCookie),
    requiredOf,
    consentScopesOf,
    chooserRequestOf,

    async pageFor(interaction, locale) {
      const fullmakt = chooserRequestOf(interaction);
      if (fullmakt) return pages.fullmaktPage(interaction, locale, fullmakt);
      if (consentScopesOf(interaction).length) return pages.consentPage(interaction, locale);
      // Consent is otherwise implicit in ID-porten; the grant is made when the request resumes.
      if (interaction.prompt.name !== 'login') return undefined;
      return pages.loginPage(interaction, locale);
    },

    async loginPage(interaction, locale, state = {}) {
      const serviceName = await serviceNameOf(interaction);
      const levels = levelsFor(requiredOf(interaction));
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
      const values = { path: interactionPath(interaction.uid), csrf: csrf.tokenFor(interaction.uid) };
      if (state.error || state.pid || state.acr) return html(page(values.path, values.csrf), state.error ? 400 : 200);
      return html(freshPages.render(
        [locale, String(interaction.params.client_id), serviceName, levels.join(' '), population.today].join('\u0000'),
        (slot) => page(slot.path, slot.csrf),
        values,
      ));
    },

    async consentPage(interaction, locale) {
      const action = interactionPath(interaction.uid);
      return html(renderConsentPage({
        locale, action, csrf: csrf.tokenFor(interaction.uid), serviceName: await serviceNameOf(interaction), scopes: consentScopesOf(interaction),
        languageHref: (l) => `${action}?lang=${l}`,
      }));
    },

    async fullmaktPage(interaction, locale, request, missingChoice = false) {
      const action = interactionPath(interaction.uid);
      const relations = relationsFor(interaction, request);
      return html(renderFullmaktPage({
        locale, action, csrf: csrf.tokenFor(interaction.uid), serviceName: await serviceNameOf(interaction),
        representative: String(interaction.session?.accountId ?? ''), relations, missingChoice,
        languageHref: (l) => `${action}?lang=${l}`,
      }), !relations.length ? 403 : missingChoice ? 400 : 200);
    },

    fullmaktChoice(interaction, request, authorizer) {
      const relations = relationsFor(interaction, request);
      // With no relation at all there is nothing to choose, not even oneself: only the way back.
      if (!relations.length) return undefined;
      if (authorizer === MYSELF) return { details: [] };
      const relation = relations.find((r) => r.authorizer.pid === authorizer);
      if (!relation) return undefined;
      return { details: [{ type: FULLMAKT_TYPE, authorizer: relation.authorizer, permissions: relation.permissions, authorized_representative: relation.authorized_representative }] };
    },
  };
  return pages;
}
