// The integration form's values: read from a posted body, filled from an integration, and turned
// into the self-service API's client format, which the domain validates like any API body; and a
// rule the form broke, said in the person's language.
import { MASKINPORTEN_SCOPES } from '../../registry/client-schema.js';
import type { ClientValidationError } from '../../registry/errors.js';
import type { IntegrationView } from '../../registry/integrations.js';
import type { Locale } from '../../provider/locale.js';
import { catalogues, translator, type MessageKey } from '../../ui/i18n/index.js';
import { MACHINE_TYPE, type IntegrationFormValues } from './pages.js';

const DEFAULT_LOGIN_SCOPES = 'openid\nprofile';

export function emptyValues(integrationType: string): IntegrationFormValues {
  return {
    client_name: '', integration_type: integrationType, application_type: 'web', token_endpoint_auth_method: 'client_secret_basic', redirect_uris: '', post_logout_redirect_uris: '',
    frontchannel_logout_uri: '', refresh: false, sso_disabled: false, scopes: [], scope_lines: DEFAULT_LOGIN_SCOPES,
  };
}

export function formValues(body: Record<string, string> | undefined): IntegrationFormValues {
  const b = body ?? {};
  return {
    client_name: String(b.client_name ?? '').trim(),
    integration_type: String(b.integration_type ?? 'idporten'),
    application_type: String(b.application_type ?? 'web'),
    token_endpoint_auth_method: String(b.token_endpoint_auth_method ?? 'client_secret_basic'),
    redirect_uris: String(b.redirect_uris ?? ''),
    post_logout_redirect_uris: String(b.post_logout_redirect_uris ?? ''),
    frontchannel_logout_uri: String(b.frontchannel_logout_uri ?? '').trim(),
    refresh: b.refresh === 'yes',
    sso_disabled: b.sso_disabled === 'yes',
    // Checked boxes only; a value no box offers is dropped, as a browser could not have sent it.
    scopes: MASKINPORTEN_SCOPES.filter((scope) => [b.scopes ?? []].flat().includes(scope)),
    scope_lines: String(b.scope_lines ?? DEFAULT_LOGIN_SCOPES),
  };
}

export function valuesOf(i: IntegrationView): IntegrationFormValues {
  return {
    client_name: i.client_name ?? '', integration_type: i.integration_type, application_type: i.application_type, token_endpoint_auth_method: i.token_endpoint_auth_method,
    redirect_uris: i.redirect_uris.join('\n'), post_logout_redirect_uris: i.post_logout_redirect_uris.join('\n'), frontchannel_logout_uri: i.frontchannel_logout_uri ?? '',
    refresh: i.grant_types.includes('refresh_token'), sso_disabled: i.sso_disabled, scopes: i.scopes, scope_lines: i.scopes.join('\n'),
  };
}

/** The form in the one client format; the domain validates it like any API body. */
export function toInput(v: IntegrationFormValues): Record<string, unknown> {
  const lines = (text: string) => text.split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
  if (v.integration_type === MACHINE_TYPE) {
    // Its grant is not on the form: a new one gets Maskinporten's JWT grant, an edited one keeps its own.
    return { ...(v.client_name ? { client_name: v.client_name } : {}), integration_type: MACHINE_TYPE, token_endpoint_auth_method: 'private_key_jwt', scopes: v.scopes };
  }
  return {
    ...(v.client_name ? { client_name: v.client_name } : {}),
    integration_type: v.integration_type,
    application_type: v.application_type,
    token_endpoint_auth_method: v.token_endpoint_auth_method,
    // Kept as the integration has them: a form without them would put back the default (openid profile).
    scopes: lines(v.scope_lines.replace(/[ ,]+/g, '\n')),
    redirect_uris: lines(v.redirect_uris),
    post_logout_redirect_uris: lines(v.post_logout_redirect_uris),
    ...(v.frontchannel_logout_uri ? { frontchannel_logout_uri: v.frontchannel_logout_uri } : {}),
    grant_types: v.refresh ? ['authorization_code', 'refresh_token'] : ['authorization_code'],
    sso_disabled: v.sso_disabled,
  };
}

/** The rule a form broke, in the person's language when the catalogue has it, else in the domain's words. */
export function problem(err: ClientValidationError, locale: Locale): { field: string; message: string } {
  const key = `rule.${err.rule}`;
  const message = key in catalogues[locale] ? translator(locale)(key as MessageKey, err.params) : withoutClientName(err.message);
  return { field: err.field, message };
}

/** A domain message without its leading `client "…": `, which a page about that client need not repeat. */
export function withoutClientName(message: string): string {
  return message.replace(/^client "[^"]*": /, '');
}
