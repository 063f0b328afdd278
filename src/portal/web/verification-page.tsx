// The page of an integration's verification tests (onboarding/verification-tests.ts): how to do
// each test, whether Portvakt has seen it done, and the owner's confirmation of the one it cannot see.
import type { Locale } from '../../provider/locale.js';
import { translator, type MessageKey } from '../../ui/i18n/index.js';
import { renderPage } from '../../ui/layout.js';
import type { IntegrationView } from '../../registry/integrations.js';
import type { VerificationReport } from '../../onboarding/verification-tests.js';
import { Frame, PORTAL_PREFIX, utc } from './pages.js';

/**
 * ID-porten's verification tests for one integration: how to do each, and whether Portvakt has
 * seen it done. `demo` is the demo service's address (the "other service" of the SSO and logout
 * tests), where this environment has one.
 */
export function verificationPage(p: { locale: Locale; pid: string; csrf: string; serviceDesk: boolean; integration: IntegrationView; report: VerificationReport; demo: string | undefined; api: string;
  /** The production request to send next, once the mandatory tests have passed (PORTVAKT_PRODUCTION_PORTAL_URL). */
  production?: string | undefined;
}): string {
  const t = translator(p.locale);
  const left = p.report.tests.filter((test) => test.mandatory && test.status !== 'passed' && test.status !== 'confirmed').map((test) => String(test.test));
  const page = `${PORTAL_PREFIX}/clients/${encodeURIComponent(p.integration.client_id)}`;
  return renderPage(
    <Frame locale={p.locale} title={t('portal.verification.title', { service: p.integration.client_name ?? p.integration.client_id })} pid={p.pid} csrf={p.csrf} serviceDesk={p.serviceDesk}>
      <p>client_id: <code id="client-id">{p.integration.client_id}</code> · <a href={page}>{t('portal.back')}</a></p>
      <p>{t('portal.verification.intro')}</p>
      {p.demo && <p>{t('portal.verification.demo')} <a class="address" href={p.demo}>{p.demo}</a></p>}
      <div class="ds-alert" data-color={left.length ? 'info' : 'success'} role="status" id="verification-summary">
        <p>{left.length ? t('portal.verification.left', { tests: left.join(', ') }) : t('portal.verification.allPassed')}</p>
        {p.production && <p><a id="production-request" href={p.production}>{t('portal.verification.requestProduction')}</a></p>}
      </div>
      <ol class="verification-tests">
        {p.report.tests.map((test) => (
          <li id={`test-${test.test}`} data-status={test.status}>
            <h2>{test.test}. {t(`portal.verification.test.${test.name}` as MessageKey)}</h2>
            <p class="hint">{t(test.mandatory ? 'portal.verification.mandatory' : 'portal.verification.optional')}</p>
            <p class="verification-status"><strong>{
              test.status === 'passed' ? t('portal.verification.status.passed', { at: `${utc(new Date(test.passed_at!))} UTC` })
                : test.status === 'confirmed' ? t('portal.verification.status.confirmed', { at: `${utc(new Date(test.confirmed_at!))} UTC` })
                  : t(`portal.verification.status.${test.status}`)}</strong></p>
            {test.needs && <p class="ds-validation-message">{t(`portal.verification.needs.${test.needs}`)} <a href={`${page}#frontchannel_logout_uri`}>{t('portal.edit')}</a></p>}
            <p>{t(`portal.verification.how.${test.name}` as MessageKey)}</p>
            {/* What Portvakt cannot see, the owner confirms (or takes back), with who and when in the audit log. */}
            {(test.status === 'check_yourself' || test.status === 'confirmed') && (
              <form method="post" action={`${page}/verification/${test.name}`}>
                <input type="hidden" name="csrf" value={p.csrf} />
                <input type="hidden" name="confirmed" value={test.status === 'confirmed' ? 'no' : 'yes'} />
                <button type="submit" class="ds-button" data-variant={test.status === 'confirmed' ? 'tertiary' : 'secondary'}>{t(test.status === 'confirmed' ? 'portal.verification.unconfirm' : 'portal.verification.confirm')}</button>
              </form>
            )}
          </li>
        ))}
      </ol>
      <p class="note">{t('portal.verification.kept', { days: String(p.report.evidence_kept_days) })}</p>
      <p class="note address">{t('portal.verification.api', { path: `GET ${p.api}` })}</p>
    </Frame>,
  );
}
