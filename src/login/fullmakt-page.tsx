// ID-porten's "fullmaktsvelger": after logging in as themselves, a person chooses whom to represent
// at the service that asked for a fullmakt login (provider/fullmakt.ts), or themselves. Someone with
// no relation that fits the service's roles is told so, and can only go back (access_denied).
import type { Locale } from '../provider/locale.js';
import type { Fullmakt } from '../identity/fullmakt.js';
import { translator } from '../ui/i18n/index.js';
import { Layout, renderPage } from '../ui/layout.js';
import { Decision } from '../ui/decision.js';

/** The value of the chooser's radio button for "myself". */
export const MYSELF = 'self';

export interface FullmaktPageProps {
  locale: Locale;
  action: string;
  csrf: string;
  serviceName: string;
  /** The logged-in person's pid. */
  representative: string;
  /** Relations that fit the request's roles, their permissions cut to them. */
  relations: Fullmakt[];
  /** The person sent the form without choosing. */
  missingChoice?: boolean;
  languageHref: (locale: Locale) => string;
}

export function renderFullmaktPage(p: FullmaktPageProps): string {
  const t = translator(p.locale);
  if (!p.relations.length) {
    return renderPage(
      <Layout locale={p.locale} t={t} title={t('fullmakt.none.title')} languageHref={p.languageHref}>
        <h1>{t('fullmakt.none.title')}</h1>
        <p class="lead">{t('fullmakt.none.intro', { service: p.serviceName, pid: p.representative })}</p>
        <p>{t('fullmakt.none.where')}</p>
        <form method="post" action={p.action} class="login-form">
          <input type="hidden" name="csrf" value={p.csrf} />
          <div class="actions">
            <button type="submit" name="action" value="cancel" class="ds-button" data-variant="primary">{t('fullmakt.back')}</button>
          </div>
        </form>
      </Layout>,
    );
  }
  return renderPage(
    <Layout locale={p.locale} t={t} title={t('fullmakt.title')} languageHref={p.languageHref}>
      <h1>{t('fullmakt.title')}</h1>
      <p class="lead">{t('fullmakt.intro', { service: p.serviceName })}</p>
      {p.missingChoice && (
        <div class="ds-error-summary" role="alert" aria-labelledby="error-title">
          <h2 id="error-title">{t('login.error.title')}</h2>
          <p><a href={`#represent-${p.relations[0]!.authorizer.pid}`}>{t('fullmakt.error.choose')}</a></p>
        </div>
      )}
      <form method="post" action={p.action} class="login-form">
        <input type="hidden" name="csrf" value={p.csrf} />
        <fieldset class="ds-fieldset" aria-describedby={p.missingChoice ? 'choice-error' : undefined}>
          <legend class="ds-label">{t('fullmakt.choose')}</legend>
          {p.missingChoice && <p id="choice-error" class="ds-validation-message" data-field="validation">{t('fullmakt.error.choose')}</p>}
          {p.relations.map((relation) => {
            const id = `represent-${relation.authorizer.pid}`;
            const areas = relation.permissions.map((permission) => `${permission.owner}: ${permission.role}`).join(', ');
            return (
              <div class="ds-field" key={id}>
                <input class="ds-input" type="radio" id={id} name="authorizer" value={relation.authorizer.pid} aria-describedby={`${id}-hint`} />
                <label class="ds-label" for={id}>{relation.authorizer.name}</label>
                <p id={`${id}-hint`} class="hint">{t('fullmakt.relation', { pid: relation.authorizer.pid, areas })}</p>
              </div>
            );
          })}
          <div class="ds-field">
            <input class="ds-input" type="radio" id="represent-self" name="authorizer" value={MYSELF} aria-describedby="represent-self-hint" />
            <label class="ds-label" for="represent-self">{t('fullmakt.myself')}</label>
            <p id="represent-self-hint" class="hint">{t('fullmakt.myselfHint', { pid: p.representative })}</p>
          </div>
        </fieldset>
        <Decision proceed={{ value: 'represent', label: t('fullmakt.continue') }} back={{ value: 'cancel', label: t('login.cancel') }} />
      </form>
    </Layout>,
  );
}
