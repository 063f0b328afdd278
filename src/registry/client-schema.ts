// One client format, with ID-porten's field names (profile §7.2), shared by the client file,
// the self-service API and the portal forms. Rules of profile §7.1 live in `validateClient`.
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { ClientValidationError } from './errors.js';
import { isValidOrgno } from './orgno.js';
import { firstSchemaProblem, unstorableTextIn } from './input-checks.js';

const Url = Type.String({ minLength: 1, maxLength: 2000 });

/** Maskinporten's grant (RFC 7523 §2.1): the client's signed JWT is both the request and its authentication. */
export const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
/** What ID-porten's self-service also accepts for it (profile §7.2); stored as the URN. */
const JWT_BEARER_ALIAS = 'jwt_bearer_token';
const Lifetime = (defaultSeconds: number, maximum = 31_536_000) => Type.Integer({ minimum: 1, maximum, default: defaultSeconds });

export const RsaJwk = Type.Object(
  {
    kty: Type.Literal('RSA'),
    kid: Type.String({ pattern: '^[A-Za-z0-9._-]{1,100}$', hint: 'must be 1 to 100 characters: letters, digits and . _ -' }),
    n: Type.String({ minLength: 300 }),
    e: Type.String({ minLength: 1 }),
    alg: Type.Optional(Type.Union([Type.Literal('RS256'), Type.Literal('RS384'), Type.Literal('RS512')])),
    use: Type.Optional(Type.Literal('sig')),
    x5c: Type.Optional(Type.Array(Type.String())),
  },
  { additionalProperties: true },
);

/** A supplier's customer on a client (profile §7.2, §11): the value a login names, and the name shown. */
export const OnBehalfOfSchema = Type.Object({
  onbehalfof: Type.String({ pattern: '^[A-Za-z0-9._-]{1,100}$', hint: 'must be 1 to 100 characters: letters, digits and . _ -' }),
  name: Type.String({ minLength: 1, maxLength: 200 }),
  orgno: Type.Optional(Type.String({ pattern: '^\\d{9}$', hint: 'must be a 9-digit organisation number' })),
  client_uri: Type.Optional(Url),
  description: Type.Optional(Type.String({ maxLength: 2000 })),
}, { additionalProperties: false });

export const ClientInputSchema = Type.Object(
  {
    client_id: Type.String({ pattern: '^[A-Za-z0-9._:~-]{3,200}$', hint: 'must be 3 to 200 characters: letters, digits and . _ : ~ -' }),
    client_secret: Type.Optional(Type.String({ minLength: 1, maxLength: 512 })),
    client_name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    description: Type.Optional(Type.String({ maxLength: 2000 })),
    client_uri: Type.Optional(Url),
    logo_uri: Type.Optional(Url),
    client_orgno: Type.Optional(Type.String({ pattern: '^\\d{9}$', hint: 'must be a 9-digit organisation number' })),
    integration_type: Type.Union([Type.Literal('idporten'), Type.Literal('api_klient'), Type.Literal('maskinporten')], { default: 'idporten' }),
    application_type: Type.Union([Type.Literal('web'), Type.Literal('browser'), Type.Literal('native')], { default: 'web' }),
    token_endpoint_auth_method: Type.Union(
      ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'].map((m) => Type.Literal(m)),
      { default: 'client_secret_basic' },
    ),
    redirect_uris: Type.Array(Url, { maxItems: 100, default: [] }),
    post_logout_redirect_uris: Type.Array(Url, { maxItems: 100, default: [] }),
    frontchannel_logout_uri: Type.Optional(Url),
    frontchannel_logout_session_required: Type.Boolean({ default: false }),
    backchannel_logout_uri: Type.Optional(Url),
    scopes: Type.Array(Type.String({ pattern: '^[\\x21\\x23-\\x5B\\x5D-\\x7E]+$' }), { default: ['openid', 'profile'], maxItems: 100 }),
    grant_types: Type.Array(Type.Union([
      Type.Literal('authorization_code'), Type.Literal('refresh_token'), Type.Literal('client_credentials'), Type.Literal(JWT_BEARER_GRANT), Type.Literal(JWT_BEARER_ALIAS),
    ]), {
      default: ['authorization_code'],
      minItems: 1,
    }),
    jwks: Type.Optional(Type.Object({ keys: Type.Array(RsaJwk, { minItems: 1, maxItems: 5 }) })),
    /** Legacy (2019) field, kept as given. */
    default_scopes: Type.Optional(Type.Array(Type.String({ maxLength: 200 }), { maxItems: 100 })),
    /** A supplier's customers, each shown by name on the login page when the request names it (profile §11). */
    onbehalfof: Type.Optional(Type.Array(OnBehalfOfSchema, { maxItems: 1000 })),
    refresh_token_usage: Type.Union([Type.Literal('ONETIME'), Type.Literal('REUSE')], { default: 'ONETIME' }),
    access_token_lifetime: Lifetime(120, 86_400), // capped so retired signing keys can leave the JWKS after a day
    refresh_token_lifetime: Lifetime(600),
    authorization_lifetime: Lifetime(7200),
    sso_disabled: Type.Boolean({ default: false }),
    code_challenge_method: Type.Union([Type.Literal('S256'), Type.Literal('none')], { default: 'S256' }),
    active: Type.Boolean({ default: true }),
  },
  { additionalProperties: false },
);

export type ClientInput = Static<typeof ClientInputSchema>;
/** A client as stored: everything but the secret, which is kept only as a digest. */
export type ClientRegistration = Omit<ClientInput, 'client_secret'>;

export interface ValidationContext {
  /** Test environments allow http and localhost redirect URIs. */
  testEnvironment: boolean;
  /** Self-service registers an integration first and takes its keys afterwards. */
  keysLater?: boolean;
}

const SECRET_METHODS = new Set(['client_secret_basic', 'client_secret_post']);

export function usesSecret(client: Pick<ClientInput, 'token_endpoint_auth_method'>): boolean {
  return SECRET_METHODS.has(client.token_endpoint_auth_method);
}

/** Parses and checks a client, filling ID-porten's defaults. Throws ClientValidationError. */
export function validateClient(input: unknown, context: ValidationContext): ClientInput {
  const clientId = typeof (input as { client_id?: unknown })?.client_id === 'string' ? (input as { client_id: string }).client_id : undefined;
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new ClientValidationError(clientId, '(entry)', 'must be a JSON object');
  }
  const unstorable = unstorableTextIn(input);
  if (unstorable) throw new ClientValidationError(clientId, unstorable.path || '(entry)', unstorable.why);
  const candidate = Value.Default(ClientInputSchema, withMaskinportenGrant(structuredClone(input)));
  const problem = firstSchemaProblem(ClientInputSchema, candidate);
  if (problem) throw new ClientValidationError(clientId, problem.field, problem.detail, 'schema');
  const client = candidate as ClientInput;
  client.grant_types = client.grant_types.map((grant) => (grant === JWT_BEARER_ALIAS ? JWT_BEARER_GRANT : grant));
  checkRules(client, context);
  return client;
}

/** A machine client that names no grant gets Maskinporten's (the default login grant would not do for it). */
function withMaskinportenGrant(input: object): object {
  const entry = input as { integration_type?: unknown; grant_types?: unknown };
  return entry.integration_type === 'maskinporten' && entry.grant_types === undefined ? { ...entry, grant_types: [JWT_BEARER_GRANT] } : input;
}

function fail(client: ClientInput, field: string, detail: string, rule?: string, params?: Record<string, string>): never {
  throw new ClientValidationError(client.client_id, field, detail, rule, params);
}

function checkRules(client: ClientInput, context: ValidationContext): void {
  if (client.client_orgno && !isValidOrgno(client.client_orgno)) fail(client, 'client_orgno', 'is not a valid organisation number (the check digit does not match)');
  const publicClient = client.application_type !== 'web';
  if (publicClient && client.token_endpoint_auth_method !== 'none') {
    fail(client, 'token_endpoint_auth_method', `must be "none" for application_type "${client.application_type}" (a browser or native app cannot keep a secret)`, 'auth_none_for_public', { type: client.application_type });
  }
  if (!publicClient && client.token_endpoint_auth_method === 'none') {
    fail(client, 'token_endpoint_auth_method', 'cannot be "none" for application_type "web"; use client_secret_basic, client_secret_post or private_key_jwt', 'auth_not_none_for_web');
  }
  if (publicClient && client.code_challenge_method === 'none') {
    fail(client, 'code_challenge_method', 'must be "S256" for public clients: PKCE is what protects their codes');
  }
  if (usesSecret(client) && !client.client_secret) {
    fail(client, 'client_secret', `is required for token_endpoint_auth_method "${client.token_endpoint_auth_method}"`);
  }
  if (!usesSecret(client) && client.client_secret) {
    fail(client, 'client_secret', `must not be set for token_endpoint_auth_method "${client.token_endpoint_auth_method}"`);
  }
  if (client.token_endpoint_auth_method === 'private_key_jwt' && !client.jwks && !context.keysLater) {
    fail(client, 'jwks', 'is required for token_endpoint_auth_method "private_key_jwt" (up to 5 RSA keys, each with a kid)');
  }
  const kids = client.jwks?.keys.map((k) => k.kid) ?? [];
  if (new Set(kids).size !== kids.length) fail(client, 'jwks', 'has two keys with the same kid');
  if (client.integration_type === 'maskinporten') return checkApiClientRules(client);
  if (!client.redirect_uris.length) fail(client, 'redirect_uris', 'must name at least one URI (where the person returns after login)', 'redirect_required');
  if (!client.grant_types.includes('authorization_code')) {
    fail(client, 'grant_types', 'must include "authorization_code"');
  }
  for (const machineGrant of ['client_credentials', JWT_BEARER_GRANT] as const) {
    if (client.grant_types.includes(machineGrant)) fail(client, 'grant_types', `may include "${machineGrant}" only for integration_type "maskinporten"`);
  }
  if (client.integration_type === 'idporten') {
    if (!client.scopes.includes('openid')) fail(client, 'scopes', 'must include "openid" for integration_type "idporten"');
    const extra = client.scopes.filter((s) => s !== 'openid' && s !== 'profile');
    if (extra.length) fail(client, 'scopes', `of an "idporten" integration may only be openid and profile; use integration_type "api_klient" for ${extra.join(', ')}`);
  }
  client.redirect_uris.forEach((uri, i) => checkRedirectUri(client, `redirect_uris[${i}]`, uri, context));
  client.post_logout_redirect_uris.forEach((uri, i) => checkRedirectUri(client, `post_logout_redirect_uris[${i}]`, uri, context));
  if (client.frontchannel_logout_uri) {
    const url = checkRedirectUri(client, 'frontchannel_logout_uri', client.frontchannel_logout_uri, context);
    const hosts = new Set(client.redirect_uris.map((u) => new URL(u).hostname));
    if (!hosts.has(url.hostname)) {
      fail(client, 'frontchannel_logout_uri', `must be on the domain of one of the redirect_uris (${[...hosts].join(', ')})`, 'same_domain', { hosts: [...hosts].join(', ') });
    }
  }
  if (client.backchannel_logout_uri) {
    const url = checkRedirectUri(client, 'backchannel_logout_uri', client.backchannel_logout_uri, context);
    const hosts = new Set(client.redirect_uris.map((u) => new URL(u).hostname));
    if (!hosts.has(url.hostname)) {
      fail(client, 'backchannel_logout_uri', `must be on the domain of one of the redirect_uris (${[...hosts].join(', ')})`, 'same_domain', { hosts: [...hosts].join(', ') });
    }
  }
  if (client.refresh_token_lifetime > client.authorization_lifetime) {
    fail(client, 'refresh_token_lifetime', `(${client.refresh_token_lifetime}) cannot exceed authorization_lifetime (${client.authorization_lifetime})`);
  }
}

/** Scopes of Portvakt's own self-service API, as ID-porten names them (profile §7.3). */
export const SELF_SERVICE_SCOPES = ['idporten:dcr.read', 'idporten:dcr.write', 'idporten:dcr.modify', 'idporten:dcr/onbehalfof:write', 'idporten:scopes.read', 'idporten:scopes.write'] as const;
/**
 * ID-porten's authorizations API (provider/authorizations-api.ts): the one scope its documentation
 * names now, and the read / revoke pair it named before. A login client (api_klient) asks for one
 * at login to read the person's own; a machine client names the person.
 */
export const AUTHORIZATION_SCOPES = ['idporten:authorizations', 'idporten:authorizations.read', 'idporten:authorizations.revoke'] as const;
/** What a machine client (integration_type maskinporten) may be given. */
export const MASKINPORTEN_SCOPES = [...SELF_SERVICE_SCOPES, ...AUTHORIZATION_SCOPES] as const;

/**
 * A machine client of an organisation (like Maskinporten's): keys, no people. It gets its tokens
 * with Maskinporten's JWT grant, or (as Portvakt first offered) by client credentials with
 * private_key_jwt — one or the other, since the JWT grant is its own authentication.
 */
function checkApiClientRules(client: ClientInput): void {
  if (client.token_endpoint_auth_method !== 'private_key_jwt') {
    fail(client, 'token_endpoint_auth_method', 'must be "private_key_jwt" for integration_type "maskinporten"');
  }
  if (client.grant_types.length !== 1 || (client.grant_types[0] !== JWT_BEARER_GRANT && client.grant_types[0] !== 'client_credentials')) {
    fail(client, 'grant_types', `must be ["${JWT_BEARER_GRANT}"] (Maskinporten's JWT grant) or ["client_credentials"] for integration_type "maskinporten"`);
  }
  if (client.redirect_uris.length) fail(client, 'redirect_uris', 'must be empty for integration_type "maskinporten" (no person logs in)');
  if (!client.client_orgno) fail(client, 'client_orgno', 'is required for integration_type "maskinporten" (the organisation it acts for)');
  const unknown = client.scopes.filter((scope) => !(MASKINPORTEN_SCOPES as readonly string[]).includes(scope));
  if (unknown.length) fail(client, 'scopes', `of a "maskinporten" integration may be ${MASKINPORTEN_SCOPES.join(', ')}; not ${unknown.join(', ')}`);
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

function checkRedirectUri(client: ClientInput, field: string, value: string, context: ValidationContext): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return fail(client, field, `is not an absolute URL (got ${JSON.stringify(value)})`, 'not_absolute', { value });
  }
  if (url.hash || value.includes('#')) fail(client, field, 'must not contain a fragment (#)', 'fragment', { value });
  if (url.username || url.password) fail(client, field, 'must not contain user credentials', 'credentials', { value });
  const loopback = LOOPBACK.has(url.hostname);
  if (url.protocol === 'https:') {
    if (loopback && !context.testEnvironment && client.application_type !== 'native') {
      fail(client, field, 'may use localhost only in test environments (or for native apps)', 'localhost_test_only', { value });
    }
    return url;
  }
  if (url.protocol === 'http:') {
    if (context.testEnvironment) return url;
    if (loopback && client.application_type === 'native') return url;
    fail(client, field, 'must use https outside test environments', 'https_required', { value });
  }
  if (client.application_type === 'native' && /^[a-z][a-z0-9+.-]*\.[a-z0-9+.-]+:$/.test(url.protocol)) {
    return url; // private-use URI scheme of a native app (RFC 8252 §7.1), e.g. no.example.app:/callback
  }
  return fail(client, field, `has an unsupported scheme "${url.protocol}"`, 'scheme_unsupported', { value });
}
