// The portal's pages for support requests: asking the service desk about an integration (its
// client_id and environment come along), the conversation, and the lists of requests.
import type { Locale } from '../../provider/locale.js';
import { translator, type Translate } from '../../ui/i18n/index.js';
import { renderPage } from '../../ui/layout.js';
import type { IntegrationView } from '../../registry/integrations.js';
import type { Organisation } from '../../registry/organisations.js';
import { SUBJECT_MAX, TEXT_MAX, type SupportRequest } from '../../onboarding/support.js';
import { ErrorSummary, Frame, PORTAL_PREFIX, ScrollingTable, utc } from './pages.js';

interface Person {
  locale: Locale;
  pid: string;
  csrf: string;
  serviceDesk: boolean;
}

/** What a support request is about: an integration (with its client_id) or the organisation, in an environment. */
function About({ t, org, integration, environment }: { t: Translate; org: string; integration: IntegrationView | undefined; environment: string }) {
  return (
    <p id="support-about">
      {integration
        ? t('portal.support.aboutIntegration', { name: integration.client_name ?? integration.client_id, clientId: integration.client_id, env: environment })
        : t('portal.support.aboutOrg', { org, env: environment })}
    </p>
  );
}

export function supportNewPage(p: Person & {
  org: Organisation; integration: IntegrationView | undefined; environment: string;
  values: { subject: string; text: string }; error?: { field: 'subject' | 'text'; message: string } | undefined;
}): string {
  const t = translator(p.locale);
  const invalid = (field: 'subject' | 'text') => p.error?.field === field;
  const described = (field: 'subject' | 'text', help?: string) => [help, invalid(field) ? `${field}-error` : undefined].filter(Boolean).join(' ') || undefined;
  return renderPage(
    <Frame locale={p.locale} title={t('portal.support.contact')} pid={p.pid} csrf={p.csrf} serviceDesk={p.serviceDesk}>
      <About t={t} org={`${p.org.name} (${p.org.orgno})`} integration={p.integration} environment={p.environment} />
      <p class="hint">{t('portal.support.new.intro')}</p>
      <ErrorSummary t={t} error={p.error} />
      <form method="post" action={`${PORTAL_PREFIX}/support`} class="portal-form">
        <input type="hidden" name="csrf" value={p.csrf} />
        <input type="hidden" name="orgno" value={p.org.orgno} />
        {p.integration && <input type="hidden" name="client_id" value={p.integration.client_id} />}
        <div class="ds-field">
          <label class="ds-label" for="subject">{t('portal.support.subject')}</label>
          {invalid('subject') && <p id="subject-error" class="ds-validation-message">{p.error!.message}</p>}
          <input class="ds-input wide" type="text" id="subject" name="subject" value={p.values.subject} required maxLength={SUBJECT_MAX} aria-describedby={described('subject')} aria-invalid={invalid('subject') ? 'true' : undefined} />
        </div>
        <div class="ds-field">
          <label class="ds-label" for="text">{t('portal.support.text')}</label>
          <p id="text-help" class="hint">{t('portal.support.textHelp')}</p>
          {invalid('text') && <p id="text-error" class="ds-validation-message">{p.error!.message}</p>}
          <textarea class="ds-input wide" id="text" name="text" rows={8} required maxLength={TEXT_MAX} aria-describedby={described('text', 'text-help')} aria-invalid={invalid('text') ? 'true' : undefined}>{p.values.text}</textarea>
        </div>
        <div class="actions"><button type="submit" class="ds-button" data-variant="primary">{t('portal.support.send')}</button></div>
      </form>
    </Frame>,
  );
}

export function supportRequestPage(p: Person & {
  request: SupportRequest; org: string; integration: IntegrationView | undefined; environment: string; error?: string | undefined;
}): string {
  const t = translator(p.locale);
  const { request } = p;
  const action = `${PORTAL_PREFIX}/support/${request.id}`;
  return renderPage(
    <Frame locale={p.locale} title={t('portal.support.case', { id: request.id, subject: request.subject })} pid={p.pid} csrf={p.csrf} serviceDesk={p.serviceDesk}>
      <About t={t} org={p.org} integration={p.integration} environment={p.environment} />
      <p>{t('portal.support.status')}: <strong id="support-status">{t(`portal.support.status.${request.status}`)}</strong></p>
      {/* The desk reads the question beside what the integration was told lately. */}
      {p.serviceDesk && p.integration && <p><a href={`${PORTAL_PREFIX}/clients/${encodeURIComponent(p.integration.client_id)}?events=failures#events-title`}>{t('portal.support.failures')}</a></p>}
      <ol class="support-messages">
        {request.messages.map((message) => (
          <li data-from={message.from}>
            {/* Who in the organisation wrote is the desk's to know; the organisation sees its own side as "you". */}
            <p class="hint">{message.from === 'desk' ? t('portal.support.from.desk') : p.serviceDesk ? t('portal.support.from.organisation', { author: message.author }) : t('portal.support.from.us')} · {utc(new Date(message.at))} UTC</p>
            <p class="support-text">{message.text}</p>
          </li>
        ))}
      </ol>
      {request.status === 'closed' && <p class="note">{t('portal.support.closed')}</p>}
      {p.error && <div class="ds-alert" data-color="danger" role="alert"><p><a href="#reply">{p.error}</a></p></div>}
      <form method="post" action={`${action}/reply`}>
        <input type="hidden" name="csrf" value={p.csrf} />
        <div class="ds-field">
          <label class="ds-label" for="reply">{t('portal.support.reply')}</label>
          <textarea class="ds-input wide" id="reply" name="text" rows={5} required maxLength={TEXT_MAX} aria-invalid={p.error ? 'true' : undefined}></textarea>
        </div>
        <button type="submit" class="ds-button" data-variant="primary">{t('portal.support.send.reply')}</button>
      </form>
      {request.status !== 'closed' && (
        <form method="post" action={`${action}/close`} class="actions">
          <input type="hidden" name="csrf" value={p.csrf} />
          <button type="submit" class="ds-button" data-variant="secondary">{t('portal.support.close')}</button>
        </form>
      )}
    </Frame>,
  );
}

/** Requests as a table: subject (linked), status, when last changed; the desk also sees whose. */
export function SupportTable({ t, requests, id, showOrg }: { t: Translate; requests: SupportRequest[]; id: string; showOrg: boolean }) {
  if (!requests.length) return <p>{t('portal.support.none')}</p>;
  return (
    <ScrollingTable labelledBy={id} columns={[t('portal.support.subject'), ...(showOrg ? [t('portal.desk.failing.org')] : []), t('portal.support.status'), t('portal.support.updated')]}>
      {requests.map((request) => (
        <tr>
          <td><a href={`${PORTAL_PREFIX}/support/${request.id}`}>{request.subject}</a>{request.client_id && <><br /><code class="client-id">{request.client_id}</code></>}</td>
          {showOrg && <td>{request.orgno}</td>}
          <td>{t(`portal.support.status.${request.status}`)}</td>
          <td class="when">{utc(new Date(request.last_updated))}</td>
        </tr>
      ))}
    </ScrollingTable>
  );
}
