// The person's own overview: every service they have given access by logging in, with what it may
// do and until when, and a button that withdraws it. ID-porten's is brukerprofil.idporten.no.
import type { Locale } from '../provider/locale.js';
import type { Authorization, AuthorizationScope } from '../provider/authorizations.js';
import { catalogues, translator, type MessageKey, type Translate } from '../ui/i18n/index.js';
import { Layout, renderPage } from '../ui/layout.js';
import { SignedInBar } from '../ui/signed-in-bar.js';

export const PROFILE_PREFIX = '/brukerprofil';

/** How the page says a moment: the person's language, Norwegian time. */
const LOCALE_TAGS: Record<Locale, string> = { nb: 'nb-NO', nn: 'nn-NO', en: 'en-GB', se: 'se-NO' };
const when = (locale: Locale, epochMs: number) =>
  new Intl.DateTimeFormat(LOCALE_TAGS[locale], { dateStyle: 'long', timeStyle: 'short', timeZone: 'Europe/Oslo' }).format(new Date(epochMs));

/** A scope in the person's words: Portvakt's own scopes have texts in every language; an API's, its owner's description. */
function scopeText(locale: Locale, t: Translate, scope: AuthorizationScope): string {
  for (const key of [`profile.scope.${scope.name}`, `portal.scope.${scope.name}`]) {
    if (key in catalogues[locale]) return t(key as MessageKey);
  }
  return scope.description;
}

function Frame({ locale, title, session, children }: { locale: Locale; title: string; session?: { pid: string; csrf: string }; children: preact.ComponentChildren }) {
  const t = translator(locale);
  return (
    <Layout locale={locale} t={t} title={title} languageHref={(l) => `${PROFILE_PREFIX}?lang=${l}`}>
      {session && <SignedInBar who={t('profile.loggedInAs', { pid: session.pid })} logoutAction={`${PROFILE_PREFIX}/logout`} logoutLabel={t('profile.logout')} csrf={session.csrf} />}
      <h1>{title}</h1>
      {children}
    </Layout>
  );
}

export function signedOutPage(locale: Locale): string {
  const t = translator(locale);
  return renderPage(
    <Frame locale={locale} title={t('profile.title')}>
      <p>{t('profile.intro')}</p>
      <p><a class="ds-button" data-variant="primary" href={`${PROFILE_PREFIX}/login?lang=${locale}`}>{t('profile.login')}</a></p>
    </Frame>,
  );
}

export type Notice = 'withdrawn' | 'notFound' | 'expired';
const NOTICES: Record<Notice, { key: MessageKey; color: 'success' | 'danger' }> = {
  withdrawn: { key: 'profile.withdrawn', color: 'success' },
  notFound: { key: 'profile.notFound', color: 'danger' },
  expired: { key: 'profile.expired', color: 'danger' },
};

/**
 * What a person has let one service do: its authorizations (a login each, until it expires) taken
 * together, since to the person it is one service, to be stopped at once.
 */
export interface ServiceAccess {
  client_id: string;
  name: string;
  orgno?: string | undefined;
  /** The latest login. */
  given: number;
  /** When the last of them ends. */
  expires?: number | undefined;
  scopes: AuthorizationScope[];
  browsers: string[];
  logins: number;
}

/** The person's authorizations by service, the service used most lately first. */
export function byService(authorizations: Authorization[]): ServiceAccess[] {
  const services = new Map<string, ServiceAccess>();
  for (const a of authorizations) {
    const service = services.get(a.client_id) ?? { client_id: a.client_id, name: a.client_name ?? a.client_id, orgno: a.consumer?.ID.replace(/^0192:/, ''), given: 0, scopes: [], browsers: [], logins: 0 };
    service.logins++;
    service.given = Math.max(service.given, a.authorized_at);
    if (a.expires !== undefined) service.expires = Math.max(service.expires ?? 0, a.expires);
    for (const scope of a.scopes) if (!service.scopes.some((s) => s.name === scope.name)) service.scopes.push(scope);
    if (a.user_agent && !service.browsers.includes(a.user_agent)) service.browsers.push(a.user_agent);
    services.set(a.client_id, service);
  }
  return [...services.values()].sort((a, b) => b.given - a.given);
}

export function authorizationsPage(p: { locale: Locale; pid: string; csrf: string; services: ServiceAccess[]; notice?: Notice | undefined }): string {
  const { locale } = p;
  const t = translator(locale);
  const notice = p.notice && NOTICES[p.notice];
  return renderPage(
    <Frame locale={locale} title={t('profile.title')} session={p}>
      {notice && <div class="ds-alert" data-color={notice.color} role={notice.color === 'danger' ? 'alert' : 'status'} id="notice"><p>{t(notice.key)}</p></div>}
      <p>{t('profile.lead')}</p>
      {p.services.length === 0 && <p id="no-authorizations">{t('profile.none')}</p>}
      <ul class="authorizations">
        {p.services.map((service, i) => (
          <li key={service.client_id}>
            <h2 id={`service-${i}`}>{service.name}</h2>
            <dl class="facts">
              {service.orgno && <><dt>{t('profile.organisation')}</dt><dd>{service.orgno}</dd></>}
              <dt>{t('profile.given')}</dt><dd>{when(locale, service.given)}{service.logins > 1 && <span class="note"> {t('profile.logins', { count: String(service.logins) })}</span>}</dd>
              {service.expires !== undefined && <><dt>{t('profile.expires')}</dt><dd>{when(locale, service.expires)}</dd></>}
              <dt>{t('profile.scopes')}</dt>
              <dd>
                <ul class="scopes">
                  {service.scopes.map((scope) => (
                    <li key={scope.name}>
                      {scopeText(locale, t, scope)} <code>{scope.name}</code>
                      {scope.requires_user_consent && <span class="ds-tag" data-color="info">{t('profile.consented')}</span>}
                    </li>
                  ))}
                </ul>
              </dd>
              {service.browsers.length > 0 && <><dt>{t('profile.browser')}</dt>{service.browsers.map((b) => <dd key={b}>{b}</dd>)}</>}
            </dl>
            <form method="post" action={`${PROFILE_PREFIX}/withdraw`}>
              <input type="hidden" name="csrf" value={p.csrf} />
              <input type="hidden" name="service" value={service.client_id} />
              <button type="submit" class="ds-button" data-variant="secondary" aria-describedby={`service-${i}`}>{t('profile.withdraw')}</button>
            </form>
          </li>
        ))}
      </ul>
    </Frame>,
  );
}
