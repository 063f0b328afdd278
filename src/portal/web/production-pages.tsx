// The portal's pages for production requests (onboarding/production-requests.ts): the request form
// (the integration's own form, with the test client_id and the planning below it), the request as
// the organisation and the desk see it, and the lists of requests.
import type { ComponentChildren } from 'preact';
import type { Locale } from '../../provider/locale.js';
import { translator, type MessageKey, type Translate } from '../../ui/i18n/index.js';
import { renderPage } from '../../ui/layout.js';
import type { Organisation } from '../../registry/organisations.js';
import { DESCRIPTION_MAX, REASON_MAX, TEST_CLIENT_ID_MAX, VOLUME_MAX, type ProductionRequest } from '../../onboarding/production-requests.js';
import { fieldAria, Frame, HelpedField, integrationFormPage, MACHINE_TYPE, PORTAL_PREFIX, ScrollingTable, utc, type IntegrationFormValues } from './pages.js';

interface Person {
  locale: Locale;
  pid: string;
  csrf: string;
  serviceDesk: boolean;
}

/** What the request adds to the integration's fields. */
export interface PlanningValues {
  test_client_id: string;
  go_live: string;
  description: string;
  volume: string;
}
export const PLANNING_FIELDS = ['test_client_id', 'go_live', 'description', 'volume'] as const;

type FieldError = { field: string; message: string } | undefined;

function PlanningFields({ t, values, error }: { t: Translate; values: PlanningValues; error: FieldError }) {
  const field = (name: keyof PlanningValues, control: (describedBy: string, invalid: boolean) => ComponentChildren) => (
    <HelpedField name={name} label={t(`portal.production.field.${name}` as MessageKey)} help={t(`portal.production.help.${name}` as MessageKey)}
      error={error?.field === name ? error.message : undefined} control={control} />
  );
  const aria = fieldAria;
  return (
    <fieldset class="ds-fieldset" aria-labelledby="planning-title">
      <legend id="planning-title" class="ds-label">{t('portal.production.planning')}</legend>
      {field('test_client_id', (d, i) => <input class="ds-input wide" type="text" id="test_client_id" name="test_client_id" value={values.test_client_id} required maxLength={TEST_CLIENT_ID_MAX} autocomplete="off" spellcheck={false} {...aria(d, i)} />)}
      {field('go_live', (d, i) => <input class="ds-input" type="date" id="go_live" name="go_live" value={values.go_live} required {...aria(d, i)} />)}
      {field('description', (d, i) => <textarea class="ds-input wide" id="description" name="description" rows={4} required maxLength={DESCRIPTION_MAX} {...aria(d, i)}>{values.description}</textarea>)}
      {field('volume', (d, i) => <textarea class="ds-input wide" id="volume" name="volume" rows={3} maxLength={VOLUME_MAX} {...aria(d, i)}>{values.volume}</textarea>)}
    </fieldset>
  );
}

export function requestFormPage(p: Person & {
  org: Organisation; environment: string; issuer: string; values: IntegrationFormValues; planning: PlanningValues; error?: FieldError;
}): string {
  const t = translator(p.locale);
  const machine = p.values.integration_type === MACHINE_TYPE;
  return integrationFormPage({
    ...p,
    title: `${t(machine ? 'portal.production.newApiClient' : 'portal.production.new')} – ${p.org.name}`,
    action: `${PORTAL_PREFIX}/orgs/${p.org.orgno}/request`,
    creating: true,
    intro: <p id="request-intro">{t('portal.production.intro', { env: p.environment })}</p>,
    extraFields: <PlanningFields t={t} values={p.planning} error={p.error} />,
    submitLabel: 'portal.production.send',
  });
}

/** The integration a request asks for, as a list of its fields (only those it sets). */
function RequestedIntegration({ t, client }: { t: Translate; client: Record<string, unknown> }) {
  const shown = ['client_name', 'integration_type', 'application_type', 'token_endpoint_auth_method', 'redirect_uris', 'post_logout_redirect_uris', 'frontchannel_logout_uri', 'grant_types', 'scopes', 'sso_disabled'];
  const text = (value: unknown) => (Array.isArray(value) ? value.map(String) : [String(value)]);
  return (
    <dl class="facts" id="requested-integration">
      {shown.filter((name) => client[name] !== undefined && !(Array.isArray(client[name]) && !(client[name] as unknown[]).length)).map((name) => (
        <>
          <dt>{name}</dt>
          <dd>{text(client[name]).map((line, i) => <>{i > 0 && <br />}<code>{line}</code></>)}</dd>
        </>
      ))}
    </dl>
  );
}

export function productionRequestPage(p: Person & {
  request: ProductionRequest; org: string; environment: string;
  /** Where the desk reads the test integration's verification tests (PORTVAKT_TEST_PORTAL_URL). */
  testVerification: string | undefined;
  error?: string | undefined;
}): string {
  const t = translator(p.locale);
  const { request } = p;
  const action = `${PORTAL_PREFIX}/requests/${request.id}`;
  const method = String(request.client.token_endpoint_auth_method ?? (request.client.integration_type === MACHINE_TYPE ? 'private_key_jwt' : 'client_secret_basic'));
  const integrationLink = request.client_id && `${PORTAL_PREFIX}/clients/${encodeURIComponent(request.client_id)}`;
  return renderPage(
    <Frame locale={p.locale} title={t('portal.production.case', { id: request.id, name: String(request.client.client_name ?? request.test_client_id) })} pid={p.pid} csrf={p.csrf} serviceDesk={p.serviceDesk}>
      <p>{t('portal.support.aboutOrg', { org: p.org, env: p.environment })}</p>
      <p>{t('portal.support.status')}: <strong id="request-status">{t(`portal.production.status.${request.status}`)}</strong></p>
      {p.error && <div class="ds-alert" data-color="danger" role="alert"><p>{p.error}</p></div>}
      {request.status === 'rejected' && <div class="ds-alert" data-color="warning" role="status"><p id="request-reason">{t('portal.production.rejectedBecause', { reason: request.reason ?? '' })}</p></div>}
      {request.status === 'approved' && integrationLink && (
        <section aria-labelledby="credentials-title">
          <h2 id="credentials-title">{t('portal.production.credentials')}</h2>
          <p>{t('portal.production.approved')} <a href={integrationLink}>client_id <code id="approved-client-id">{request.client_id}</code></a></p>
          {!method.startsWith('client_secret')
            ? <p>{t('portal.production.uploadKey')}</p>
            : request.credentials_delivered
              ? <p id="credentials-delivered">{t('portal.production.delivered', { date: utc(new Date(request.credentials_delivered)) })}</p>
              : p.serviceDesk
                ? <p>{t('portal.production.awaitingPickup')}</p>
                : (
                  <form method="post" action={`${action}/credentials`}>
                    <input type="hidden" name="csrf" value={p.csrf} />
                    <p id="pickup-help" class="hint">{t('portal.production.pickupHelp')}</p>
                    <button type="submit" class="ds-button" data-variant="primary" aria-describedby="pickup-help">{t('portal.production.pickup')}</button>
                  </form>
                )}
        </section>
      )}
      <h2 id="planning-title">{t('portal.production.planning')}</h2>
      <dl class="facts">
        <dt>{t('portal.production.field.test_client_id')}</dt>
        <dd>
          <code id="test-client-id">{request.test_client_id}</code>
          {p.serviceDesk && p.testVerification && <> · <a href={p.testVerification}>{t('portal.production.testVerification')}</a></>}
        </dd>
        <dt>{t('portal.production.field.go_live')}</dt>
        <dd>{request.go_live}</dd>
        <dt>{t('portal.production.field.description')}</dt>
        <dd class="support-text">{request.description}</dd>
        {request.volume && <><dt>{t('portal.production.field.volume')}</dt><dd class="support-text">{request.volume}</dd></>}
        <dt>{t('portal.production.requested')}</dt>
        <dd>{utc(new Date(request.created))} UTC{p.serviceDesk && ` (${request.requested_by})`}</dd>
        {request.decided && <><dt>{t('portal.production.decided')}</dt><dd>{utc(new Date(request.decided))} UTC</dd></>}
      </dl>
      <h2 id="requested-title">{t('portal.production.integration')}</h2>
      <RequestedIntegration t={t} client={request.client} />
      {request.status === 'pending' && p.serviceDesk && (
        <>
          <form method="post" action={`${action}/approve`} class="actions">
            <input type="hidden" name="csrf" value={p.csrf} />
            <p id="approve-help" class="hint">{t('portal.production.approveHelp')}</p>
            <button type="submit" class="ds-button" data-variant="primary" aria-describedby="approve-help">{t('portal.production.approve')}</button>
          </form>
          <form method="post" action={`${action}/reject`}>
            <input type="hidden" name="csrf" value={p.csrf} />
            <div class="ds-field">
              <label class="ds-label" for="reason">{t('portal.production.reason')}</label>
              <textarea class="ds-input wide" id="reason" name="reason" rows={3} required maxLength={REASON_MAX}></textarea>
            </div>
            <button type="submit" class="ds-button" data-variant="secondary">{t('portal.production.reject')}</button>
          </form>
        </>
      )}
      {request.status === 'pending' && !p.serviceDesk && (
        <form method="post" action={`${action}/withdraw`} class="actions">
          <input type="hidden" name="csrf" value={p.csrf} />
          <button type="submit" class="ds-button" data-variant="secondary">{t('portal.production.withdraw')}</button>
        </form>
      )}
    </Frame>,
  );
}

/** Requests as a table: the integration asked for (linked), its organisation (the desk's view), status, when last changed. */
export function ProductionRequestTable({ t, requests, id, showOrg }: { t: Translate; requests: ProductionRequest[]; id: string; showOrg: boolean }) {
  if (!requests.length) return <p>{t('portal.production.none')}</p>;
  return (
    <ScrollingTable labelledBy={id} columns={[t('portal.production.integration'), ...(showOrg ? [t('portal.desk.failing.org')] : []), t('portal.production.field.go_live'), t('portal.support.status'), t('portal.support.updated')]}>
      {requests.map((request) => (
        <tr>
          <td><a href={`${PORTAL_PREFIX}/requests/${request.id}`}>{String(request.client.client_name ?? request.test_client_id)}</a></td>
          {showOrg && <td>{request.orgno}</td>}
          <td>{request.go_live}</td>
          <td>{t(`portal.production.status.${request.status}`)}</td>
          <td class="when">{utc(new Date(request.last_updated))}</td>
        </tr>
      ))}
    </ScrollingTable>
  );
}
