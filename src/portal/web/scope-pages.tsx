// The portal's pages for API scopes (registry/api-scopes.ts): an organisation that offers an API
// registers its scopes under the prefixes the service desk gave it, changes them, and gives other
// organisations access; the organisation's page lists them.
import type { ComponentChildren } from 'preact';
import type { Locale } from '../../provider/locale.js';
import { translator, type MessageKey, type Translate } from '../../ui/i18n/index.js';
import { renderPage } from '../../ui/layout.js';
import { scopeVersion, type ApiScope, type ScopeAccess } from '../../registry/api-scopes.js';
import type { Organisation } from '../../registry/organisations.js';
import { ErrorSummary, fieldAria, Frame, HelpedField, PORTAL_PREFIX, RemovableList, ScrollingTable } from './pages.js';

interface Person {
  locale: Locale;
  pid: string;
  csrf: string;
  serviceDesk: boolean;
}

/** The scope form's values: what the person typed, or the scope being changed. */
export interface ScopeFormValues {
  prefix: string;
  subscope: string;
  description: string;
  long_description: string;
  accessible_for_all: boolean;
  at_max_age: string;
  /** client_ids, one per line. */
  enforced_aud_for_introspection: string;
  requires_user_authentication: boolean;
  /** Access tokens by reference (token_type OPAQUE). */
  opaque: boolean;
  requires_pseudonymous_tokens: boolean;
  requires_user_consent: boolean;
  active: boolean;
}

type FieldError = { field: string; message: string } | undefined;

export const scopeUrl = (name: string) => `${PORTAL_PREFIX}/scopes?scope=${encodeURIComponent(name)}`;

/** The organisation's scopes and prefixes, for its page. */
export function ScopeSection({ t, org, scopes, prefixes, serviceDesk, csrf, prefixError }: {
  t: Translate; org: Organisation; scopes: ApiScope[]; prefixes: string[]; serviceDesk: boolean; csrf: string; prefixError?: string | undefined;
}) {
  const offersApis = scopes.length > 0 || prefixes.length > 0;
  return (
    <section aria-labelledby="scopes-title">
      <h2 id="scopes-title">{t('portal.scopes.title')}</h2>
      {!offersApis && <p>{t('portal.scopes.none')}</p>}
      {prefixes.length > 0 && <p id="prefixes">{t('portal.scopes.prefixes')} {prefixes.map((prefix, i) => <>{i > 0 && ', '}<code>{prefix}:</code></>)}</p>}
      {scopes.length > 0 && (
        <ScrollingTable labelledBy="scopes-title" id="scope-table" columns={[t('portal.scopes.name'), t('portal.scopes.field.description'), 'Status']}>
          {scopes.map((scope) => (
            <tr>
              <td><a href={scopeUrl(scope.name)}><code>{scope.name}</code></a></td>
              <td>{scope.description}</td>
              <td>{t(scope.active ? 'portal.status.active' : 'portal.status.inactive')}</td>
            </tr>
          ))}
        </ScrollingTable>
      )}
      {prefixes.length > 0 && <p class="actions"><a class="ds-button" data-variant="secondary" href={`${PORTAL_PREFIX}/orgs/${org.orgno}/scopes/new`}>{t('portal.scopes.new')}</a></p>}
      {serviceDesk && (
        <form method="post" action={`${PORTAL_PREFIX}/orgs/${org.orgno}/prefixes`} class="portal-form">
          <input type="hidden" name="csrf" value={csrf} />
          <div class="ds-field">
            <label class="ds-label" for="prefix">{t('portal.scopes.assignPrefix')}</label>
            <p id="prefix-help" class="hint">{t('portal.scopes.assignPrefixHelp')}</p>
            {prefixError && <p id="prefix-error" class="ds-validation-message" data-field="validation">{prefixError}</p>}
            <input class="ds-input" type="text" id="prefix" name="prefix" required maxLength={40} autocomplete="off" spellcheck={false} aria-describedby={`prefix-help${prefixError ? ' prefix-error' : ''}`} aria-invalid={prefixError ? 'true' : undefined} />
          </div>
          <button type="submit" class="ds-button" data-variant="secondary">{t('portal.scopes.assign')}</button>
        </form>
      )}
    </section>
  );
}

/** Every prefix given, and to which organisation: the service desk's overview. */
export function PrefixTable({ t, prefixes }: { t: Translate; prefixes: Array<{ prefix: string; owner_orgno: string }> }) {
  if (!prefixes.length) return <p>{t('portal.scopes.noPrefixes')}</p>;
  return (
    <ScrollingTable labelledBy="desk-prefixes-title" id="prefix-table" columns={[t('portal.scopes.field.prefix'), t('portal.scopes.owner')]}>
      {prefixes.map((entry) => (
        <tr>
          <td><code>{entry.prefix}:</code></td>
          <td><a href={`${PORTAL_PREFIX}/orgs/${entry.owner_orgno}#scopes-title`}>{entry.owner_orgno}</a></td>
        </tr>
      ))}
    </ScrollingTable>
  );
}

function ScopeFields({ t, values, error, prefixes }: { t: Translate; values: ScopeFormValues; error: FieldError; prefixes: string[] | undefined }) {
  const field = (name: keyof ScopeFormValues, control: (describedBy: string, invalid: boolean) => ComponentChildren) => (
    <HelpedField name={name} label={t(`portal.scopes.field.${name}` as MessageKey)} help={t(`portal.scopes.help.${name}` as MessageKey)}
      error={error?.field.split(/[.[]/)[0] === name ? error.message : undefined} control={control} />
  );
  const aria = fieldAria;
  const check = (name: 'accessible_for_all' | 'requires_user_authentication' | 'requires_user_consent' | 'opaque' | 'requires_pseudonymous_tokens' | 'active') => (
    <div class="ds-field">
      <input class="ds-input" type="checkbox" id={name} name={name} value="yes" checked={values[name]} aria-describedby={`${name}-help`} />
      <label class="ds-label" for={name}>{t(`portal.scopes.field.${name}` as MessageKey)}</label>
      <p id={`${name}-help`} class="hint">{t(`portal.scopes.help.${name}` as MessageKey)}</p>
    </div>
  );
  return (
    <>
      {/* A new scope's name: one of the organisation's prefixes and a subscope; later it cannot change. */}
      {prefixes && field('prefix', (d, i) => (
        <select class="ds-input" id="prefix" name="prefix" {...aria(d, i)}>
          {prefixes.map((prefix) => <option value={prefix} selected={values.prefix === prefix}>{prefix}:</option>)}
        </select>
      ))}
      {prefixes && field('subscope', (d, i) => <input class="ds-input wide" type="text" id="subscope" name="subscope" value={values.subscope} required maxLength={200} autocomplete="off" spellcheck={false} {...aria(d, i)} />)}
      {field('description', (d, i) => <input class="ds-input wide" type="text" id="description" name="description" value={values.description} required maxLength={1000} {...aria(d, i)} />)}
      {field('long_description', (d, i) => <textarea class="ds-input wide" id="long_description" name="long_description" rows={3} maxLength={10_000} {...aria(d, i)}>{values.long_description}</textarea>)}
      {check('accessible_for_all')}
      {field('enforced_aud_for_introspection', (d, i) => <textarea class="ds-input wide" id="enforced_aud_for_introspection" name="enforced_aud_for_introspection" rows={2} spellcheck={false} {...aria(d, i)}>{values.enforced_aud_for_introspection}</textarea>)}
      {field('at_max_age', (d, i) => <input class="ds-input" type="text" inputMode="numeric" id="at_max_age" name="at_max_age" value={values.at_max_age} maxLength={6} {...aria(d, i)} />)}
      {check('requires_user_authentication')}
      {check('requires_user_consent')}
      {check('opaque')}
      {check('requires_pseudonymous_tokens')}
      {!prefixes && check('active')}
    </>
  );
}

export function newScopePage(p: Person & { org: Organisation; prefixes: string[]; values: ScopeFormValues; error?: FieldError }): string {
  const t = translator(p.locale);
  return renderPage(
    <Frame locale={p.locale} title={`${t('portal.scopes.new')} – ${p.org.name}`} pid={p.pid} csrf={p.csrf} serviceDesk={p.serviceDesk}>
      <p class="hint">{t('portal.scopes.intro')}</p>
      <ErrorSummary t={t} error={p.error} />
      <form method="post" action={`${PORTAL_PREFIX}/orgs/${p.org.orgno}/scopes/new`} class="portal-form">
        <input type="hidden" name="csrf" value={p.csrf} />
        <ScopeFields t={t} values={p.values} error={p.error} prefixes={p.prefixes} />
        <div class="actions"><button type="submit" class="ds-button" data-variant="primary">{t('portal.create')}</button></div>
      </form>
    </Frame>,
  );
}

export function scopePage(p: Person & {
  scope: ApiScope; org: Organisation | undefined; values: ScopeFormValues; access: ScopeAccess[]; error?: FieldError; accessError?: string | undefined;
  /** Someone else saved the scope after this person opened it: the form now shows what is there. */
  changedMeanwhile?: boolean;
}): string {
  const t = translator(p.locale);
  const action = scopeUrl(p.scope.name);
  const accessAction = `${PORTAL_PREFIX}/scopes/access?scope=${encodeURIComponent(p.scope.name)}`;
  return renderPage(
    <Frame locale={p.locale} title={p.scope.name} pid={p.pid} csrf={p.csrf} serviceDesk={p.serviceDesk}>
      <p>{p.org ? `${p.org.name} (${p.org.orgno})` : p.scope.owner_orgno} · {t(p.scope.active ? 'portal.status.active' : 'portal.status.inactive')}</p>
      <p class="hint">{t('portal.scopes.use', { name: p.scope.name })}</p>
      <ErrorSummary t={t} error={p.error} />
      {p.changedMeanwhile && <div class="ds-alert" data-color="warning" role="alert"><p>{t('portal.scopes.changedMeanwhile')}</p></div>}
      <form method="post" action={action} class="portal-form">
        <input type="hidden" name="csrf" value={p.csrf} />
        {/* The version this form shows: a save made on an older one is refused (as the API's If-Match). */}
        <input type="hidden" name="version" value={scopeVersion(p.scope)} />
        <ScopeFields t={t} values={p.values} error={p.error} prefixes={undefined} />
        <div class="actions"><button type="submit" class="ds-button" data-variant="primary">{t('portal.save')}</button></div>
      </form>
      <section aria-labelledby="access-title">
        <h2 id="access-title">{t('portal.scopes.access')}</h2>
        <p class="hint">{t(p.scope.accessible_for_all ? 'portal.scopes.accessAll' : 'portal.scopes.accessHelp')}</p>
        <RemovableList
          csrf={p.csrf} action={`${PORTAL_PREFIX}/scopes/access/remove?scope=${encodeURIComponent(p.scope.name)}`} field="consumer_orgno" none={t('portal.scopes.accessNone')}
          items={p.access.map((entry) => ({ value: entry.consumer_orgno, shown: <code>{entry.consumer_orgno}</code>, remove: t('portal.scopes.revoke', { orgno: entry.consumer_orgno }) }))}
        />
        <form method="post" action={accessAction}>
          <input type="hidden" name="csrf" value={p.csrf} />
          <div class="ds-field">
            <label class="ds-label" for="consumer_orgno">{t('portal.scopes.grantOrgno')}</label>
            {p.accessError && <p id="consumer_orgno-error" class="ds-validation-message" data-field="validation">{p.accessError}</p>}
            <input class="ds-input" type="text" inputMode="numeric" id="consumer_orgno" name="consumer_orgno" required maxLength={9} autocomplete="off" aria-describedby={p.accessError ? 'consumer_orgno-error' : undefined} aria-invalid={p.accessError ? 'true' : undefined} />
          </div>
          <button type="submit" class="ds-button" data-variant="secondary">{t('portal.scopes.grant')}</button>
        </form>
      </section>
    </Frame>,
  );
}
