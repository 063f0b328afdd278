// The consent page: a service asks for an API scope whose owner wants the person's consent
// (requires_user_consent, profile §11). It says which service asks, for what, and lets the person
// say yes or no; no makes the login end with access_denied at the service.
import type { Locale } from '../provider/locale.js';
import { translator } from '../ui/i18n/index.js';
import { Layout, renderPage } from '../ui/layout.js';
import { Decision } from '../ui/decision.js';

export interface ConsentScope {
  name: string;
  description: string;
  long_description?: string;
}

export interface ConsentPageProps {
  locale: Locale;
  action: string;
  csrf: string;
  serviceName: string;
  scopes: ConsentScope[];
  languageHref: (locale: Locale) => string;
}

export function renderConsentPage(p: ConsentPageProps): string {
  const t = translator(p.locale);
  return renderPage(
    <Layout locale={p.locale} t={t} title={t('consent.title')} languageHref={p.languageHref}>
      <h1>{t('consent.title')}</h1>
      <p class="lead">{t('consent.intro', { service: p.serviceName })}</p>
      <ul class="consent-scopes" aria-label={t('consent.scopes')}>
        {p.scopes.map((scope) => (
          <li key={scope.name}>
            <strong>{scope.description}</strong>
            {scope.long_description && <p>{scope.long_description}</p>}
            <p class="hint"><code>{scope.name}</code></p>
          </li>
        ))}
      </ul>
      <p>{t('consent.lasts')}</p>
      <form method="post" action={p.action} class="login-form">
        <input type="hidden" name="csrf" value={p.csrf} />
        <Decision proceed={{ value: 'consent', label: t('consent.accept') }} back={{ value: 'deny', label: t('consent.deny') }} />
      </form>
    </Layout>,
  );
}
