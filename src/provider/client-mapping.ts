// From an ID-porten registration (profile §7.2) to the client metadata oidc-provider understands.
import type { ClientMetadata } from 'oidc-provider';
import type { StoredClient } from '../registry/clients.js';
import { JWT_BEARER_GRANT, MASKINPORTEN_SCOPES } from '../registry/client-schema.js';
import type { ApiScopeCatalog } from '../registry/api-scopes.js';
import { KEY_LIFETIME_DAYS } from '../registry/integrations.js';

/** Keys uploaded by self-service are valid a year from their last upload (profile §7.3). */
function liveJwks(jwks: unknown): { keys: never[] } | undefined {
  const stored = jwks as { keys: never[]; last_updated?: string } | undefined;
  if (!stored) return undefined;
  if (stored.last_updated && Date.now() - Date.parse(stored.last_updated) > KEY_LIFETIME_DAYS * 86_400_000) return undefined;
  return { keys: stored.keys };
}

/**
 * Portvakt's own scopes: login, introspection, and its APIs (self-service, authorizations). API
 * scopes of organisations (prefix:subscope) come from the catalog (registry/api-scopes.ts).
 */
export const PROVIDER_SCOPES = ['openid', 'profile', 'idporten:token.introspection', ...MASKINPORTEN_SCOPES];

/** ID-porten fields oidc-provider does not know; they ride along as extra client metadata. */
import type { OnBehalfOfEntry } from './onbehalfof.js';

export const IDPORTEN_CLIENT_FIELDS = [
  'integration_type',
  'client_orgno',
  'frontchannel_logout_uri',
  'frontchannel_logout_session_required',
  'access_token_lifetime',
  'refresh_token_lifetime',
  'authorization_lifetime',
  'refresh_token_usage',
  'sso_disabled',
  'code_challenge_method',
  'onbehalfof',
] as const;

/** The typed view of those fields on an oidc-provider Client instance (extra metadata keeps its snake_case names). */
export interface IdportenClientProperties {
  integration_type: string;
  client_orgno?: string;
  frontchannel_logout_uri?: string;
  frontchannel_logout_session_required: boolean;
  access_token_lifetime: number;
  refresh_token_lifetime: number;
  authorization_lifetime: number;
  refresh_token_usage: 'ONETIME' | 'REUSE';
  sso_disabled: boolean;
  code_challenge_method: 'S256' | 'none';
  onbehalfof?: OnBehalfOfEntry[];
}

/**
 * How oidc-provider is to authenticate the client at its endpoints. A client of Maskinporten's JWT
 * grant authenticates by the grant itself: it sends no credentials beside it, so to oidc-provider it
 * is a client without any ("none"), which the grant's own check (jwt-bearer-grant.ts) makes good.
 * That grant is the only one such a client may use (client-schema.ts), so "none" opens nothing else:
 * it has no redirect URIs or response types, introspection wants a scope it cannot have, and
 * revoking a token takes the token itself (RFC 7009 lets public clients do that).
 */
function oidcAuthMethod(r: StoredClient['registration']): ClientMetadata['token_endpoint_auth_method'] {
  if (r.grant_types.length === 1 && r.grant_types[0] === JWT_BEARER_GRANT) return 'none';
  return r.token_endpoint_auth_method as ClientMetadata['token_endpoint_auth_method'];
}

/**
 * The client as oidc-provider takes it. Its API scopes are those it may have now (`apiScopes`): one
 * deactivated, or no longer open to its organisation, is left out, and a request for it is refused.
 */
export function toOidcMetadata(stored: StoredClient, issuer: string, apiScopes: ApiScopeCatalog): ClientMetadata | undefined {
  if (!stored.active) return undefined;
  const r = stored.registration;
  const authMethod = oidcAuthMethod(r);
  const hosts = new Set(r.redirect_uris.map((u) => new URL(u).host));
  const metadata: ClientMetadata = {
    client_id: r.client_id,
    client_name: r.client_name ?? r.client_id,
    application_type: r.application_type === 'native' ? 'native' : 'web',
    redirect_uris: r.redirect_uris,
    post_logout_redirect_uris: r.post_logout_redirect_uris,
    response_types: r.integration_type === 'maskinporten' ? [] : ['code'],
    grant_types: r.grant_types,
    token_endpoint_auth_method: authMethod,
    scope: r.scopes.filter((scope) => PROVIDER_SCOPES.includes(scope) || (r.integration_type === 'api_klient' && !apiScopes.refusal(scope, r))).join(' '),
    subject_type: 'pairwise',
    require_auth_time: true,
    id_token_signed_response_alg: 'RS256',
    // oidc-provider wants a sector for pairwise clients with redirect URIs on several hosts (a
    // native app's loopback and custom-scheme URIs, say). Our pairwise subjects are per client (as
    // ID-porten's), so the sector is only a name, never fetched; oidc-provider wants it https, also
    // when the issuer is plain http on a laptop.
    ...(hosts.size > 1 ? { sector_identifier_uri: `https://${new URL(issuer).host}/sector/${encodeURIComponent(r.client_id)}` } : {}),
    ...(authMethod === 'private_key_jwt' ? { token_endpoint_auth_signing_alg: 'RS256' } : {}),
    ...(r.token_endpoint_auth_method === 'private_key_jwt' ? { jwks: liveJwks(r.jwks) ?? { keys: [] } } : {}),
    // ID-porten sets backchannel_logout_session_required itself when a URI is registered (profile §6.3).
    ...(r.backchannel_logout_uri ? { backchannel_logout_uri: r.backchannel_logout_uri, backchannel_logout_session_required: true } : {}),
    // The stored digest stands in for the secret; Client#compareClientSecret compares against it.
    ...(stored.secretDigest ? { client_secret: stored.secretDigest } : {}),
    // oidc-provider refuses an expired secret with a clear invalid_client.
    ...(stored.secretDigest && stored.secretExpiresAt ? { client_secret_expires_at: Math.floor(stored.secretExpiresAt.getTime() / 1000) } : {}),
  };
  for (const field of IDPORTEN_CLIENT_FIELDS) {
    const value = r[field];
    if (value !== undefined) metadata[field] = value;
  }
  return metadata;
}
