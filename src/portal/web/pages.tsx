// The portal's pages: server-rendered, no script, in the person's language.
import type { ComponentChildren } from 'preact';
import type { Locale } from '../../provider/locale.js';
import { translator, type MessageKey, type Translate } from '../../ui/i18n/index.js';
import { Layout, renderPage } from '../../ui/layout.js';
import { SignedInBar } from '../../ui/signed-in-bar.js';
import { versionOf, type FailingIntegration, type IntegrationView, type ReferencedEvent } from '../../registry/integrations.js';
import type { Organisation } from '../../registry/organisations.js';
import type { AuditEntry } from '../../registry/audit.js';
import type { RecordedEvent } from '../../registry/events.js';
import { MASKINPORTEN_SCOPES } from '../../registry/client-schema.js';
import type { TermsStatus } from '../../onboarding/terms.js';

export const PORTAL_PREFIX = '/portal';

interface Frame {
  locale: Locale;
  title: string;
  pid?: string | undefined;
  csrf?: string | undefined;
  serviceDesk?: boolean;
  children: ComponentChildren;
}

export function Frame({ locale, title, pid, csrf, serviceDesk, children }: Frame) {
  const t = translator(locale);
  return (
    <Layout locale={locale} t={t} title={title} languageHref={(l) => `${PORTAL_PREFIX}?lang=${l}`}>
      {pid && (
        <SignedInBar who={t('portal.loggedInAs', { pid })} logoutAction={`${PORTAL_PREFIX}/logout`} logoutLabel={t('portal.logout')} csrf={csrf ?? ''}>
          <a href={PORTAL_PREFIX}>{t('portal.orgs')}</a>
          {serviceDesk && <a href={`${PORTAL_PREFIX}/desk`}>{t('portal.desk')}</a>}
        </SignedInBar>
      )}
      <h1>{title}</h1>
      {children}
    </Layout>
  );
}

/** What went wrong with a portal request (a stale link, an expired form, a refused change), with the way back. */
export function problemPage(p: { locale: Locale; message: MessageKey; detail?: string | undefined }): string {
  const t = translator(p.locale);
  return renderPage(
    <Frame locale={p.locale} title={t('portal.problem.title')}>
      <div class="ds-alert" data-color="danger">
        <p>{t(p.message)}</p>
        {p.detail && <p lang="en"><code>{p.detail}</code></p>}
      </div>
      <p><a href={PORTAL_PREFIX}>{t('portal.orgs')}</a></p>
    </Frame>,
  );
}

export function loginPage(locale: Locale): string {
  const t = translator(locale);
  return renderPage(
    <Frame locale={locale} title={t('portal.title')}>
      <p>{t('portal.intro')}</p>
      <p><a class="ds-button" data-variant="primary" href={`${PORTAL_PREFIX}/login?lang=${locale}`}>{t('portal.login')}</a></p>
    </Frame>,
  );
}

/** `support`: the organisations' support requests (support-pages.tsx SupportTable, titled by #support-title). */
export function homePage(p: { locale: Locale; pid: string; csrf: string; serviceDesk: boolean; orgs: Organisation[]; support?: ComponentChildren; requests?: ComponentChildren | undefined }): string {
  const t = translator(p.locale);
  return renderPage(
    <Frame locale={p.locale} title={t('portal.orgs')} pid={p.pid} csrf={p.csrf} serviceDesk={p.serviceDesk}>
      {p.orgs.length ? (
        <ul class="org-list">
          {p.orgs.map((org) => <li key={org.orgno}><a href={`${PORTAL_PREFIX}/orgs/${org.orgno}`}>{org.name}</a> <span class="note">({org.orgno})</span></li>)}
        </ul>
      ) : <p>{t('portal.noOrgs')}</p>}
      {p.orgs.length > 0 && p.requests && <section aria-labelledby="requests-title"><h2 id="requests-title">{t('portal.production.requests')}</h2>{p.requests}</section>}
      {p.orgs.length > 0 && p.support && <section aria-labelledby="support-title"><h2 id="support-title">{t('portal.support.requests')}</h2>{p.support}</section>}
    </Frame>,
  );
}

/** A moment as the portal's tables show it: UTC, to the second. */
export const utc = (at: Date) => at.toISOString().replace('T', ' ').slice(0, 19);

/** The order an event's facts are shown in (the store keeps no order); others follow by name. */
const FACT_ORDER = ['reference', 'grant_type', 'login', 'acr', 'scope', 'redirect_uri', 'response_mode', 'active', 'uri', 'route', 'count'];
const factRank = (name: string) => (FACT_ORDER.includes(name) ? FACT_ORDER.indexOf(name) : FACT_ORDER.length);

/** An event's facts: the OAuth error first (what the client was told), then the rest as name=value, one a line. */
function EventDetail({ detail }: { detail: RecordedEvent['detail'] }) {
  const { error, error_description: description, ...rest } = detail;
  const facts = Object.entries(rest).sort(([a], [b]) => factRank(a) - factRank(b) || a.localeCompare(b));
  return (
    <>
      {error !== undefined && <><code>{String(error)}</code>{description !== undefined ? `: ${String(description)}` : ''}{facts.length ? <br /> : null}</>}
      {facts.map(([name, value], i) => <>{i ? <br /> : null}{name}=<code>{String(value)}</code></>)}
    </>
  );
}

function EventTable({ t, events, clientId, failuresOnly }: { t: Translate; events: RecordedEvent[]; clientId: string; failuresOnly: boolean }) {
  const page = `${PORTAL_PREFIX}/clients/${encodeURIComponent(clientId)}`;
  return (
    <section aria-labelledby="events-title">
      <h2 id="events-title">{t('portal.events')}</h2>
      <p class="hint" id="events-intro">{t('portal.events.intro')}</p>
      <nav aria-label={t('portal.events.filter')}>
        <ul class="event-filter">
          <li><a href={`${page}#events-title`} aria-current={failuresOnly ? undefined : 'true'}>{t('portal.events.all')}</a></li>
          <li><a href={`${page}?events=failures#events-title`} aria-current={failuresOnly ? 'true' : undefined}>{t('portal.events.failuresOnly')}</a></li>
        </ul>
      </nav>
      {events.length ? (
        <ScrollingTable labelledBy="events-title" describedBy="events-intro" class="events" id="events" columns={[t('portal.audit.when'), t('portal.events.type'), t('portal.events.outcome'), t('portal.events.detail')]}>
          {events.map((e) => (
            <tr data-outcome={e.outcome}>
              <td class="when">{utc(e.at)}</td>
              <td><code>{e.type}</code></td>
              <td>{t(e.outcome === 'success' ? 'portal.events.success' : 'portal.events.failure')}</td>
              <td class="facts"><EventDetail detail={e.detail} /></td>
            </tr>
          ))}
        </ScrollingTable>
      ) : <p>{t(failuresOnly ? 'portal.events.noFailures' : 'portal.events.none')}</p>}
    </section>
  );
}

/**
 * What a form got wrong, at its top, linking to the field (`anchor`, the control's id: by default
 * the error's field up to its first `.` or `[`, so `redirect_uris[0]` links to `redirect_uris`).
 */
export function ErrorSummary({ t, error, anchor }: { t: Translate; error: { field: string; message: string } | undefined; anchor?: string }) {
  if (!error) return null;
  return (
    <div class="ds-alert" data-color="danger" role="alert">
      <h2>{t('portal.error.title')}</h2>
      <p><a href={`#${anchor ?? error.field.split(/[.[]/)[0]}`}>{error.message}</a></p>
    </div>
  );
}

/**
 * A form field with its label, its help and, when the form broke a rule there, the error beside it;
 * `control` gets what its aria-describedby must name and whether it is invalid. `name` is the
 * control's id, which the error summary links to.
 */
export function HelpedField({ name, label, help, error, control }: {
  name: string; label: string; help: string; error: string | undefined;
  control: (describedBy: string, invalid: boolean) => ComponentChildren;
}) {
  const invalid = error !== undefined;
  return (
    <div class="ds-field">
      <label class="ds-label" for={name}>{label}</label>
      <p id={`${name}-help`} class="hint">{help}</p>
      {invalid && <p id={`${name}-error`} class="ds-validation-message" data-field="validation">{error}</p>}
      {control(`${name}-help${invalid ? ` ${name}-error` : ''}`, invalid)}
    </div>
  );
}

/** aria-describedby and aria-invalid of a control in a HelpedField. */
export const fieldAria = (describedBy: string, invalid: boolean) => ({ 'aria-describedby': describedBy, 'aria-invalid': invalid ? 'true' as const : undefined });

/**
 * A table that scrolls sideways on a narrow screen, in a region that a keyboard can reach (it may
 * have no links of its own to reach it by) and that a screen reader names by its heading.
 */
export function ScrollingTable({ labelledBy, describedBy, id, class: className, columns, children }: {
  labelledBy: string; describedBy?: string; id?: string; class?: string; columns: ComponentChildren[]; children: ComponentChildren;
}) {
  return (
    <div class="table-scroll" tabIndex={0} role="region" aria-labelledby={labelledBy} aria-describedby={describedBy}>
      <table class={className ? `ds-table ${className}` : 'ds-table'} id={id}>
        <thead><tr>{columns.map((column) => <th scope="col">{column}</th>)}</tr></thead>
        <tbody>{children}</tbody>
      </table>
    </div>
  );
}

function IntegrationTable({ t, integrations }: { t: Translate; integrations: IntegrationView[] }) {
  if (!integrations.length) return <p>{t('portal.noIntegrations')}</p>;
  return (
    <div class="table-scroll">
    <table class="ds-table">
      <thead><tr><th scope="col">{t('portal.field.client_name')}</th><th scope="col">client_id</th><th scope="col">{t('portal.field.integration_type')}</th><th scope="col">Status</th></tr></thead>
      <tbody>
        {integrations.map((i) => (
          <tr key={i.client_id}>
            <td><a href={`${PORTAL_PREFIX}/clients/${encodeURIComponent(i.client_id)}`}>{i.client_name ?? i.client_id}</a></td>
            <td><code>{i.client_id}</code></td>
            <td>{i.integration_type}</td>
            <td>{t(i.active ? 'portal.status.active' : 'portal.status.inactive')}</td>
          </tr>
        ))}
      </tbody>
    </table>
    </div>
  );
}

/**
 * The operator's terms of use on an organisation's page: accepted (when, by whom), or a link to read
 * them and the box and button that accept them.
 */
function TermsSection({ t, csrf, orgno, terms, error }: { t: Translate; csrf: string; orgno: string; terms: TermsStatus; error: boolean }) {
  return (
    <section aria-labelledby="terms-title">
      <h2 id="terms-title">{t('portal.terms')}</h2>
      <p><a href={terms.url}>{t('portal.terms.read', { version: terms.version })}</a></p>
      {terms.accepted ? (
        <p id="terms-status">{t('portal.terms.accepted', { date: `${utc(new Date(terms.accepted.at))} UTC`, by: terms.accepted.by })}</p>
      ) : (
        <>
          <p id="terms-status">{t('portal.terms.notAccepted')} {t(terms.required ? 'portal.terms.requiredHere' : 'portal.terms.optionalHere')}</p>
          <form method="post" action={`${PORTAL_PREFIX}/orgs/${orgno}/terms`}>
            <input type="hidden" name="csrf" value={csrf} />
            <div class="ds-field">
              {error && <p id="agree-error" class="ds-validation-message">{t('portal.terms.mustAgree')}</p>}
              <input class="ds-input" type="checkbox" id="agree" name="agree" value="yes" required aria-describedby={error ? 'agree-error' : undefined} aria-invalid={error ? 'true' : undefined} />
              <label class="ds-label" for="agree">{t('portal.terms.confirm')}</label>
            </div>
            <button type="submit" class="ds-button" data-variant="primary">{t('portal.terms.accept')}</button>
          </form>
        </>
      )}
    </section>
  );
}

export function orgPage(p: {
  locale: Locale; pid: string; csrf: string; serviceDesk: boolean; org: Organisation; environment: string; integrations: IntegrationView[]; terms?: TermsStatus | undefined; termsError?: boolean;
  /** Where "New integration" leads: the form (`new`), or a production request (`request`) where the desk approves them. */
  newPath?: 'new' | 'request';
  /** The organisation's production requests, where there are such. */
  requests?: ComponentChildren;
  /** The organisation's API scopes and prefixes. */
  scopes?: ComponentChildren;
}): string {
  const t = translator(p.locale);
  // Where the terms must be accepted first, the way to a new integration is the terms, not a button that would be refused.
  const mayCreate = !p.terms || p.terms.accepted || !p.terms.required;
  return renderPage(
    <Frame locale={p.locale} title={`${p.org.name} (${p.org.orgno})`} pid={p.pid} csrf={p.csrf} serviceDesk={p.serviceDesk}>
      <h2>{t('portal.integrations', { env: p.environment })}</h2>
      <IntegrationTable t={t} integrations={p.integrations} />
      {mayCreate && (
        <p class="actions">
          <a class="ds-button" data-variant="primary" href={`${PORTAL_PREFIX}/orgs/${p.org.orgno}/${p.newPath ?? 'new'}`}>{t(p.newPath === 'request' ? 'portal.production.new' : 'portal.new')}</a>
          <a class="ds-button" data-variant="secondary" href={`${PORTAL_PREFIX}/orgs/${p.org.orgno}/${p.newPath ?? 'new'}?type=${MACHINE_TYPE}`}>{t(p.newPath === 'request' ? 'portal.production.newApiClient' : 'portal.newApiClient')}</a>
        </p>
      )}
      {p.requests && (
        <section aria-labelledby="requests-title">
          <h2 id="requests-title">{t('portal.production.requests')}</h2>
          {p.requests}
        </section>
      )}
      {p.scopes}
      {p.terms && <TermsSection t={t} csrf={p.csrf} orgno={p.org.orgno} terms={p.terms} error={p.termsError ?? false} />}
      <p><a href={`${PORTAL_PREFIX}/support/new?orgno=${p.org.orgno}`}>{t('portal.support.contact')}</a></p>
    </Frame>,
  );
}

/** The form's values: what the person typed, or the integration being edited. */
export interface IntegrationFormValues {
  client_name: string;
  integration_type: string;
  application_type: string;
  token_endpoint_auth_method: string;
  redirect_uris: string;
  post_logout_redirect_uris: string;
  frontchannel_logout_uri: string;
  refresh: boolean;
  sso_disabled: boolean;
  /** A machine client's (maskinporten) access to the self-service API. */
  scopes: string[];
  /** A login integration's scopes, one per line: openid, profile and an api_klient's API scopes. */
  scope_lines: string;
}

/** The integration type of machine clients: the form shows what such a client has, not a login's fields. */
export const MACHINE_TYPE = 'maskinporten';

const SELECTS: Record<string, string[]> = {
  integration_type: ['idporten', 'api_klient'],
  application_type: ['web', 'browser', 'native'],
  token_endpoint_auth_method: ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'],
};

export function integrationFormPage(p: {
  locale: Locale; pid: string; csrf: string; serviceDesk: boolean; title: string; action: string;
  values: IntegrationFormValues; creating: boolean; error?: { field: string; message: string } | undefined;
  integration?: IntegrationView | undefined;
  keys?: Array<{ kid: string }> | undefined;
  keyError?: string | undefined;
  /** Why the customer (onbehalfof) just sent could not be added or removed. */
  onBehalfOfError?: string | undefined;
  events?: RecordedEvent[] | undefined;
  failuresOnly?: boolean;
  /** The integration was changed by someone else while this person edited it: shown as it is now. */
  changedMeanwhile?: boolean;
  /** Where a machine client sends its JWT grant, and the audience it names: shown on its form. */
  issuer: string;
  /** Shown above the form (a production request says what happens to it). */
  intro?: ComponentChildren;
  /** More of the form, before its button (a production request's planning). */
  extraFields?: ComponentChildren;
  /** The button's text, where it does more than create (send a request). */
  submitLabel?: MessageKey;
}): string {
  const t = translator(p.locale);
  const expires = p.integration?.client_secret_expires_at;
  const expiresSoon = expires && Date.parse(expires) - Date.now() < 30 * 86_400_000;
  const machine = p.values.integration_type === MACHINE_TYPE;
  const field = (name: keyof IntegrationFormValues, control: (id: string, describedBy: string, invalid: boolean) => ComponentChildren, help = `portal.help.${name}` as MessageKey) => {
    const invalid = p.error?.field.split(/[.[]/)[0] === name || (name === 'refresh' && p.error?.field === 'grant_types');
    return <HelpedField name={name} label={t(`portal.field.${name}` as MessageKey)} help={t(help)} error={invalid ? p.error!.message : undefined} control={(describedBy, bad) => control(name, describedBy, bad)} />;
  };
  const select = (name: 'integration_type' | 'application_type' | 'token_endpoint_auth_method', disabled = false) =>
    field(name, (id, describedBy, invalid) => (
      <select class="ds-input" id={id} name={name} aria-describedby={describedBy} aria-invalid={invalid ? 'true' : undefined} disabled={disabled}>
        {SELECTS[name]!.map((v) => <option value={v} selected={p.values[name] === v}>{v}</option>)}
      </select>
    ));
  const text = (name: 'client_name' | 'frontchannel_logout_uri', help?: MessageKey) =>
    field(name, (id, describedBy, invalid) => <input type="text" id={id} name={name} value={p.values[name]} aria-describedby={describedBy} aria-invalid={invalid ? 'true' : undefined} class="ds-input wide" />, help);
  const lines = (name: 'redirect_uris' | 'post_logout_redirect_uris') =>
    field(name, (id, describedBy, invalid) => <textarea id={id} name={name} rows={3} aria-describedby={describedBy} aria-invalid={invalid ? 'true' : undefined} class="ds-input wide">{p.values[name]}</textarea>);
  const scopesInvalid = p.error?.field.split(/[.[]/)[0] === 'scopes';
  // A login integration's scopes: its field has the id "scopes", which the error summary links to.
  const loginScopes = (
    <HelpedField name="scopes" label={t('portal.field.loginScopes')} help={t('portal.help.loginScopes')} error={scopesInvalid ? p.error!.message : undefined}
      control={(describedBy, invalid) => <textarea id="scopes" name="scope_lines" rows={3} {...fieldAria(describedBy, invalid)} class="ds-input wide">{p.values.scope_lines}</textarea>} />
  );
  const machineFields = (
    <>
      {/* The type of a new machine client is chosen by the link that opened this form; later it cannot change. */}
      {p.creating && <input type="hidden" name="integration_type" value={MACHINE_TYPE} />}
      {/* How this client gets its tokens: Maskinporten's JWT grant, or (registered so earlier) client credentials. */}
      <p class="note" id="machine-intro">{t(p.integration?.grant_types.includes('client_credentials') ? 'portal.machine.introClientCredentials' : 'portal.machine.intro', { token: `${p.issuer}/token`, issuer: p.issuer })}</p>
      <fieldset class="ds-fieldset" aria-describedby={`scopes-help${scopesInvalid ? ' scopes-error' : ''}`}>
        <legend class="ds-label">{t('portal.field.scopes')}</legend>
        <p id="scopes-help" class="hint">{t('portal.help.scopes')}</p>
        {scopesInvalid && <p id="scopes-error" class="ds-validation-message" data-field="validation">{p.error!.message}</p>}
        {MASKINPORTEN_SCOPES.map((scope, i) => (
          <div class="ds-field">
            {/* The first box has the field's id, which the error summary links to. */}
            <input class="ds-input" type="checkbox" id={i ? `scopes-${i}` : 'scopes'} name="scopes" value={scope} checked={p.values.scopes.includes(scope)} />
            <label class="ds-label" for={i ? `scopes-${i}` : 'scopes'}><code>{scope}</code> – {t(`portal.scope.${scope}` as MessageKey)}</label>
          </div>
        ))}
      </fieldset>
      {p.creating && <p class="hint">{t('portal.machine.keysAfter')}</p>}
    </>
  );
  const check = (name: 'refresh' | 'sso_disabled') => (
    <div class="ds-field">
      <input class="ds-input" type="checkbox" id={name} name={name} value="yes" checked={p.values[name]} aria-describedby={`${name}-help`} />
      <label class="ds-label" for={name}>{t(`portal.field.${name}` as MessageKey)}</label>
      <p id={`${name}-help`} class="hint">{t(`portal.help.${name}` as MessageKey)}</p>
    </div>
  );
  return renderPage(
    <Frame locale={p.locale} title={p.title} pid={p.pid} csrf={p.csrf} serviceDesk={p.serviceDesk}>
      {p.integration && <p>client_id: <code id="client-id">{p.integration.client_id}</code> · {t(p.integration.active ? 'portal.status.active' : 'portal.status.inactive')}</p>}
      {p.integration && (
        <p class="links">
          {!machine && <a href={`${PORTAL_PREFIX}/clients/${encodeURIComponent(p.integration.client_id)}/verification`}>{t('portal.verification')}</a>}
          <a href={`${PORTAL_PREFIX}/support/new?client_id=${encodeURIComponent(p.integration.client_id)}`}>{t('portal.support.contact')}</a>
        </p>
      )}
      {expires && (expiresSoon
        ? <div class="ds-alert" data-color="danger" role="status"><p>{t('portal.secretExpiresSoon', { date: expires.slice(0, 10) })}</p></div>
        : <p class="note">{t('portal.secretExpires', { date: expires.slice(0, 10) })}</p>)}
      {/* grant_types is the refresh token's box on this form. */}
      <ErrorSummary t={t} error={p.error} anchor={p.error?.field.split(/[.[]/)[0] === 'grant_types' ? 'refresh' : undefined} />
      {p.changedMeanwhile && <div class="ds-alert" data-color="warning" role="alert"><p>{t('portal.changedMeanwhile')}</p></div>}
      {p.intro}
      <form method="post" action={p.action} class="portal-form">
        <input type="hidden" name="csrf" value={p.csrf} />
        {/* The version edited: saved only if nobody changed the integration since (If-Match in the API). */}
        {p.integration && <input type="hidden" name="version" value={versionOf(p.integration)} />}
        {text('client_name', machine ? 'portal.help.client_name.machine' : undefined)}
        {machine ? machineFields : (
          <>
            {select('integration_type', !p.creating)}
            {select('application_type')}
            {select('token_endpoint_auth_method')}
            {loginScopes}
            {lines('redirect_uris')}
            {lines('post_logout_redirect_uris')}
            {text('frontchannel_logout_uri')}
            {check('refresh')}
            {check('sso_disabled')}
          </>
        )}
        {p.extraFields}
        <div class="actions"><button type="submit" class="ds-button" data-variant="primary">{t(p.submitLabel ?? (p.creating ? 'portal.create' : 'portal.save'))}</button></div>
      </form>
      {p.integration?.token_endpoint_auth_method === 'private_key_jwt' && (
        <section aria-labelledby="keys-title">
          <h2 id="keys-title">{t('portal.keys')}</h2>
          <RemovableList
            csrf={p.csrf} action={`${PORTAL_PREFIX}/clients/${encodeURIComponent(p.integration.client_id)}/keys/remove`} field="kid" none={t('portal.keys.none')}
            items={(p.keys ?? []).map((key) => ({ value: key.kid, shown: <code>{key.kid}</code>, remove: t('portal.keys.remove', { kid: key.kid }) }))}
          />
          {p.keyError && <div class="ds-alert" data-color="danger" role="alert"><p>{p.keyError}</p></div>}
          <form method="post" action={`${PORTAL_PREFIX}/clients/${encodeURIComponent(p.integration.client_id)}/keys`}>
            <input type="hidden" name="csrf" value={p.csrf} />
            <div class="ds-field">
              <label class="ds-label" for="kid">{t('portal.keys.kid')}</label>
              <input class="ds-input" type="text" id="kid" name="kid" required />
            </div>
            <div class="ds-field">
              <label class="ds-label" for="key">{t('portal.keys.key')}</label>
              <p id="key-help" class="hint">{t('portal.keys.help')}</p>
              <textarea id="key" name="key" rows={6} class="ds-input wide" aria-describedby="key-help" required></textarea>
            </div>
            <button type="submit" class="ds-button" data-variant="secondary">{t('portal.keys.add')}</button>
          </form>
        </section>
      )}
      {p.integration && !machine && <OnBehalfOfSection t={t} csrf={p.csrf} integration={p.integration} error={p.onBehalfOfError} />}
      {p.integration && (
        <div class="actions">
          {p.integration.token_endpoint_auth_method.startsWith('client_secret') && (
            <form method="post" action={`${PORTAL_PREFIX}/clients/${encodeURIComponent(p.integration.client_id)}/secret`}>
              <input type="hidden" name="csrf" value={p.csrf} />
              <button type="submit" class="ds-button" data-variant="secondary">{t('portal.newSecret')}</button>
            </form>
          )}
          <form method="post" action={`${PORTAL_PREFIX}/clients/${encodeURIComponent(p.integration.client_id)}/active`}>
            <input type="hidden" name="csrf" value={p.csrf} />
            <input type="hidden" name="active" value={p.integration.active ? 'no' : 'yes'} />
            <button type="submit" class="ds-button" data-variant="secondary">{t(p.integration.active ? 'portal.deactivate' : 'portal.activate')}</button>
          </form>
          <form method="post" action={`${PORTAL_PREFIX}/clients/${encodeURIComponent(p.integration.client_id)}/delete`}>
            <input type="hidden" name="csrf" value={p.csrf} />
            <button type="submit" class="ds-button" data-variant="secondary" aria-describedby="delete-warning">{t('portal.delete')}</button>
            <p id="delete-warning" class="hint">{t('portal.confirmDelete')}</p>
          </form>
        </div>
      )}
      {p.integration && p.events && <EventTable t={t} events={p.events} clientId={p.integration.client_id} failuresOnly={p.failuresOnly ?? false} />}
    </Frame>,
  );
}

export function secretPage(p: { locale: Locale; pid: string; csrf: string; serviceDesk: boolean; integration: IntegrationView; secret: string }): string {
  const t = translator(p.locale);
  return renderPage(
    <Frame locale={p.locale} title={t('portal.secret.title')} pid={p.pid} csrf={p.csrf} serviceDesk={p.serviceDesk}>
      <p>client_id: <code id="client-id">{p.integration.client_id}</code></p>
      <p>client_secret: <code id="client-secret" class="secret">{p.secret}</code></p>
      <p>{t('portal.secret.body', { expires: p.integration.client_secret_expires_at?.slice(0, 10) ?? '' })}</p>
      <p><a href={`${PORTAL_PREFIX}/clients/${encodeURIComponent(p.integration.client_id)}`}>{t('portal.back')}</a></p>
    </Frame>,
  );
}

/** Things registered one by one (keys, customers), each with a button that removes it by posting its value as `field`. */
export function RemovableList({ csrf, action, field, none, items }: { csrf: string; action: string; field: string; none: string; items: Array<{ value: string; shown: ComponentChildren; remove: string }> }) {
  if (!items.length) return <p>{none}</p>;
  return (
    <ul>
      {items.map((item) => (
        <li key={item.value}>
          {item.shown}{' '}
          <form method="post" action={action} class="inline">
            <input type="hidden" name="csrf" value={csrf} />
            <input type="hidden" name={field} value={item.value} />
            <button type="submit" class="ds-button" data-variant="tertiary">{item.remove}</button>
          </form>
        </li>
      ))}
    </ul>
  );
}

/**
 * A supplier's customers on a login integration (onbehalfof, profile §11): a request that names one
 * shows the customer's name on the login page. Added and removed one at a time, like keys.
 */
function OnBehalfOfSection({ t, csrf, integration, error }: { t: Translate; csrf: string; integration: IntegrationView; error: string | undefined }) {
  const action = `${PORTAL_PREFIX}/clients/${encodeURIComponent(integration.client_id)}/onbehalfof`;
  const entries = integration.onbehalfof ?? [];
  return (
    <section aria-labelledby="onbehalfof-title">
      <h2 id="onbehalfof-title">{t('portal.onbehalfof')}</h2>
      <p class="hint">{t('portal.onbehalfof.intro')}</p>
      <RemovableList
        csrf={csrf} action={`${action}/remove`} field="onbehalfof" none={t('portal.onbehalfof.none')}
        items={entries.map((entry) => ({ value: entry.onbehalfof, shown: <><code>{entry.onbehalfof}</code> – {entry.name}{entry.orgno ? ` (${entry.orgno})` : ''}</>, remove: t('portal.onbehalfof.remove', { value: entry.onbehalfof }) }))}
      />
      {error && <div class="ds-alert" data-color="danger" role="alert"><p>{error}</p></div>}
      <form method="post" action={action}>
        <input type="hidden" name="csrf" value={csrf} />
        <div class="ds-field">
          <label class="ds-label" for="onbehalfof">{t('portal.onbehalfof.value')}</label>
          <p id="onbehalfof-help" class="hint">{t('portal.onbehalfof.valueHelp')}</p>
          <input class="ds-input" type="text" id="onbehalfof" name="onbehalfof" required pattern="[A-Za-z0-9._\-]{1,100}" aria-describedby="onbehalfof-help" />
        </div>
        <div class="ds-field">
          <label class="ds-label" for="onbehalfof-name">{t('portal.onbehalfof.name')}</label>
          <input class="ds-input wide" type="text" id="onbehalfof-name" name="name" required />
        </div>
        <div class="ds-field">
          <label class="ds-label" for="onbehalfof-orgno">{t('portal.onbehalfof.orgno')}</label>
          <input class="ds-input" type="text" id="onbehalfof-orgno" name="orgno" inputmode="numeric" pattern="[0-9]{9}" />
        </div>
        <button type="submit" class="ds-button" data-variant="secondary">{t('portal.onbehalfof.add')}</button>
      </form>
    </section>
  );
}

/** Integrations whose calls failed lately, most failures first: where the service desk looks before the phone rings. */
function FailingTable({ t, failing }: { t: Translate; failing: FailingIntegration[] }) {
  return (
    <section aria-labelledby="failing-title">
      <h2 id="failing-title">{t('portal.desk.failing')}</h2>
      {failing.length ? (
        <>
          <p class="hint" id="failing-intro">{t('portal.desk.failing.intro')}</p>
          <ScrollingTable labelledBy="failing-title" describedBy="failing-intro" id="failing" columns={[t('portal.desk.failing.integration'), t('portal.desk.failing.org'), t('portal.desk.failing.count'), t('portal.desk.failing.lastError'), t('portal.desk.failing.last')]}>
            {failing.map((f) => (
              <tr>
                {/* The name links to the integration's failures; the client_id under it is what a caller quotes. */}
                <td>{f.integration ? <a href={`${PORTAL_PREFIX}/clients/${encodeURIComponent(f.clientId)}?events=failures#events-title`}>{f.integration.client_name ?? f.clientId}</a> : '–'}<br /><code class="client-id">{f.clientId}</code></td>
                <td>{f.integration?.client_orgno ?? ''}</td>
                <td>{f.failures}</td>
                <td>{f.lastError ? <code>{f.lastError}</code> : ''}</td>
                <td class="when">{utc(f.lastAt)}</td>
              </tr>
            ))}
          </ScrollingTable>
        </>
      ) : <p>{t('portal.desk.failing.none')}</p>}
    </section>
  );
}

/**
 * What an error page's reference was about: the page told the person to quote it, and the same
 * reference is in the event of the integration whose request failed.
 */
function ReferenceResult({ t, reference, event }: { t: Translate; reference: string; event: ReferencedEvent | undefined }) {
  // The reference is the heading already.
  const { reference: _shown, ...detail } = event?.detail ?? {};
  return (
    <section aria-labelledby="reference-title">
      <h2 id="reference-title">{t('portal.desk.reference', { reference })}</h2>
      {event ? (
        <dl class="facts" id="reference">
          <dt>{t('portal.audit.when')}</dt><dd>{utc(event.at)} UTC</dd>
          <dt>{t('portal.desk.failing.integration')}</dt>
          <dd>{event.integration ? <a href={`${PORTAL_PREFIX}/clients/${encodeURIComponent(event.clientId)}?events=failures#events-title`}>{event.integration.client_name ?? event.clientId}</a> : '–'}<br /><code class="client-id">{event.clientId}</code></dd>
          {event.integration?.client_orgno && <><dt>{t('portal.desk.failing.org')}</dt><dd>{event.integration.client_orgno}</dd></>}
          <dt>{t('portal.desk.reference.error')}</dt><dd><EventDetail detail={detail} /></dd>
        </dl>
      ) : <p>{t('portal.desk.reference.none')}</p>}
    </section>
  );
}

/** `support`: the requests waiting for the desk (support-pages.tsx SupportTable, titled by #desk-support-title). */
export function deskPage(p: { locale: Locale; pid: string; csrf: string; query: string; results: IntegrationView[]; matches: number; failing: FailingIntegration[]; audit: Array<AuditEntry & { at: Date }>; reference?: { value: string; event: ReferencedEvent | undefined } | undefined; support?: ComponentChildren; requests?: ComponentChildren | undefined; prefixes?: ComponentChildren }): string {
  const t = translator(p.locale);
  return renderPage(
    <Frame locale={p.locale} title={t('portal.desk')} pid={p.pid} csrf={p.csrf} serviceDesk>
      <form method="get" action={`${PORTAL_PREFIX}/desk`} role="search">
        <div class="ds-field">
          <label class="ds-label" for="q">{t('portal.desk.search')}</label>
          <input type="search" id="q" name="q" value={p.query} class="ds-input wide" />
        </div>
        <button type="submit" class="ds-button" data-variant="primary">{t('portal.desk.search').split(' ')[0]}</button>
      </form>
      {p.reference && <ReferenceResult t={t} reference={p.reference.value} event={p.reference.event} />}
      {p.query && (p.matches > 0 || !p.reference) && (<><h2>{t('portal.desk.results')}{p.matches > p.results.length ? ` (${p.results.length} / ${p.matches})` : ''}</h2><IntegrationTable t={t} integrations={p.results} /></>)}
      {p.requests && <section aria-labelledby="desk-requests-title"><h2 id="desk-requests-title">{t('portal.desk.requests')}</h2>{p.requests}</section>}
      {p.support && <section aria-labelledby="desk-support-title"><h2 id="desk-support-title">{t('portal.desk.support')}</h2>{p.support}</section>}
      <FailingTable t={t} failing={p.failing} />
      {p.prefixes && <section aria-labelledby="desk-prefixes-title"><h2 id="desk-prefixes-title">{t('portal.desk.prefixes')}</h2>{p.prefixes}</section>}
      <h2 id="audit-title">{t('portal.desk.audit')}</h2>
      <ScrollingTable labelledBy="audit-title" columns={[t('portal.audit.when'), t('portal.audit.who'), t('portal.audit.what'), 'client_id']}>
        {p.audit.map((e) => (
          <tr><td>{utc(e.at)}</td><td>{e.actor.kind}: {e.actor.id}</td><td>{e.action}</td><td><code>{e.clientId ?? ''}</code></td></tr>
        ))}
      </ScrollingTable>
    </Frame>,
  );
}
