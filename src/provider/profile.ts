// The ID-porten profile over oidc-provider: one configuration, read top to bottom.
// Rules oidc-provider lacks are named steps in policies.ts; model differences in model-extensions.ts.
import Provider, { errors, interactionPolicy, type Configuration, type ClientMetadata, type KoaContextWithOIDC } from 'oidc-provider';
import type { Secrets } from '../store/secrets.js';
import { servedOverHttps } from '../config/index.js';
import type { ClientRegistry } from '../registry/clients.js';
import type { ApiScopeCatalog } from '../registry/api-scopes.js';
import { answeringUnavailable, providerErrors, reportingUnavailable } from './unavailable.js';
import { isStoreUnavailable, type StoreUnavailableError } from '../store/unavailable.js';
import type { SigningKeys } from './keys.js';
import type { AdapterFactory } from './adapters.js';
import { toOidcMetadata, IDPORTEN_CLIENT_FIELDS, PROVIDER_SCOPES, type IdportenClientProperties } from './client-mapping.js';
import { ACR_VALUES, requiredAcr, satisfies } from './acr.js';
import { acrValuesSupported, requireNonce, requireState, headlessTestIdLogin, isLoggedInByHint, responseModeSupported, RESPONSE_MODES } from './policies.js';
import { extendModels, PAR_TTL_SECONDS } from './model-extensions.js';
import { makeSingleUse } from './single-use.js';
import { registerJwtBearerGrant } from './jwt-bearer-grant.js';
import { DPOP_ALGORITHMS } from './dpop-resource.js';
import { JWT_BEARER_GRANT } from '../registry/client-schema.js';
import { acceptJwtAccessTokens, issueAccessTokensAsJwt } from './access-token-jwt.js';
import { assertClientAssertion } from './client-assertion.js';
import { CookieSigner } from './cookie-signer.js';
import { securityHeaders } from './security-headers.js';
import { answeringWithFirstPage, type FirstPage } from './first-page.js';
import { takingCarriedAnswers } from './resume-in-place.js';
import { loadOrCreateGrant } from './grants.js';
import { LOCALES } from './locale.js';
import { onBehalfOfClaims, onBehalfOfRegistered } from './onbehalfof.js';
import { backchannelFetch } from './backchannel.js';
import { introspectionRefused } from './protocol-events.js';
import { sessionTtl, ssoIsolationCheck, type SessionLimits } from './sessions.js';
import { authorizationDetailsClaim, authorizationDetailsHooks, authorizationDetailsParam, carryAuthorizationDetails, CARRIED_PARAM, fullmaktChooserCheck } from './fullmakt.js';
import { FULLMAKT_TYPE } from '../identity/fullmakt.js';
import { frontchannelLogout, logoutSource, postLogoutSuccessSource, type LogoutPages } from './logout.js';
import { interactionPath, ROUTES } from './routes.js';

export const DISCOVERY_PATH = '/.well-known/openid-configuration';
/**
 * RFC 8414's name for the same metadata, where tools built for Maskinporten look it up from the
 * issuer (Nimbus' AuthorizationServerMetadata.resolve, say): they read the issuer (their JWT grant's
 * aud) and the token endpoint there.
 */
export const AUTHORIZATION_SERVER_METADATA_PATH = '/.well-known/oauth-authorization-server';

const ALLOWED_METHODS: Record<string, string[]> = {
  [ROUTES.authorization]: ['GET', 'POST'],
  [ROUTES.pushed_authorization_request]: ['POST'],
  [ROUTES.token]: ['POST'],
  [ROUTES.userinfo]: ['GET', 'POST'],
  [ROUTES.jwks]: ['GET'],
  [ROUTES.end_session]: ['GET', 'POST'],
  [ROUTES.revocation]: ['POST'],
  [ROUTES.introspection]: ['POST'],
  [DISCOVERY_PATH]: ['GET'],
  [AUTHORIZATION_SERVER_METADATA_PATH]: ['GET'],
};

/** Words for the few errors oidc-provider sends without a description. */
const DESCRIPTIONS: Record<string, string> = {
  request_uri_not_supported: 'request_uri cannot be used here: push the request parameters themselves',
  request_not_supported: 'request objects are not supported; send the parameters or use PAR',
};

/** Lifetimes ID-porten uses where a client sets none (profile §4.6). */
export const ID_TOKEN_TTL = 120;
export const AUTHORIZATION_CODE_TTL = 60;
export const INTERACTION_TTL = 30 * 60;

export interface ProviderDependencies {
  issuer: string;
  testEnvironment: boolean;
  secrets: Secrets;
  keys: SigningKeys;
  clients: ClientRegistry;
  /** The API scopes at the time the provider is made; a change makes a new provider (app.ts). */
  apiScopes: ApiScopeCatalog;
  adapter: AdapterFactory;
  /** Renders errors that must not go back to the client (unknown client, bad redirect_uri, …). */
  renderError: NonNullable<Configuration['renderError']>;
  /** The store could not be reached in a request (which is answered temporarily_unavailable, 503). */
  onStoreUnavailable: (err: StoreUnavailableError) => void;
  logoutPages: LogoutPages;
  sessions: SessionLimits;
  trustProxy: boolean;
  /** The page an interaction starts with, sent as the answer to the authorization request (first-page.ts). */
  firstPage?: FirstPage;
}

type Client = InstanceType<Provider['Client']> & IdportenClientProperties;

export function createProvider(deps: ProviderDependencies): Provider {
  const { secrets, clients, apiScopes } = deps;
  const toProviderError = providerErrors(deps.onStoreUnavailable);
  const https = servedOverHttps(deps.issuer);

  // Clients come from the registry (cached there), in ID-porten's shape, mapped on the way out;
  // the mapping is remembered per stored record, so a cached client costs no work per request.
  const mapped = new WeakMap<object, ClientMetadata & Record<string, unknown>>();
  // A lookup that found the store unreachable is not made again in the same request: oidc-provider
  // looks the client up once more to render the error, and with a database gone silent each attempt
  // would wait out the query time limit (postgres-timeouts.ts) before the person is answered.
  const unreachableIn = new WeakMap<object, unknown>();
  const clientMetadata = async (id: string) => {
    const ctx = Provider.ctx as object | undefined;
    if (ctx && unreachableIn.has(ctx)) throw unreachableIn.get(ctx);
    const stored = await clients.find(id).catch((err: unknown) => {
      const failure = toProviderError(err);
      if (ctx && isStoreUnavailable(err)) unreachableIn.set(ctx, failure);
      throw failure;
    });
    if (!stored) return undefined;
    let metadata = mapped.get(stored);
    if (!metadata) mapped.set(stored, (metadata = toOidcMetadata(stored, deps.issuer, apiScopes) as ClientMetadata & Record<string, unknown>));
    return metadata;
  };
  const adapter: AdapterFactory = (name) => {
    if (name !== 'Client') return deps.adapter(name);
    return {
      find: clientMetadata,
      upsert: async () => undefined,
      findByUid: async () => undefined,
      findByUserCode: async () => undefined,
      consume: async () => false,
      claim: async () => false,
      take: async () => false,
      destroy: async () => undefined,
      revokeByGrantId: async () => undefined,
      findByAccount: async () => [],
    };
  };

  const policy = interactionPolicy.base();
  const login = policy.get('login')!;
  // acr_values are minimums (profile §2.3): a session at a lower level must log in again (step-up).
  login.checks.add(ssoIsolationCheck);
  login.checks.add(
    new interactionPolicy.Check('acr_below_requested', 'the session does not meet the requested level of assurance', (ctx) => {
      const required = requiredAcr(ctx.oidc.params?.acr_values as string | undefined);
      const session = ctx.oidc.session;
      return !!session?.accountId && !satisfies(session.acr, required);
    }),
  );
  // An API scope may want the person to log in again, also within an SSO session (profile §5); a
  // headless TestID login has just been made.
  login.checks.add(
    new interactionPolicy.Check('scope_requires_authentication', 'a requested scope requires a new login', (ctx) =>
      !ctx.oidc.result?.login && !isLoggedInByHint(ctx) && apiScopes.requiresAuthentication(ctx.oidc.params?.scope as string | undefined)),
  );
  // An API scope may want the person's consent (requires_user_consent): until the grant has it, the
  // consent page shows what each such scope gives access to (login/interaction-routes.ts).
  const awaitingConsent = (ctx: KoaContextWithOIDC) => {
    const granted = new Set(ctx.oidc.grant?.getOIDCScope().split(' ') ?? []);
    return apiScopes.needingConsent(ctx.oidc.params?.scope as string | undefined).filter((scope) => !granted.has(scope.name));
  };
  policy.get('consent')!.checks.add(
    new interactionPolicy.Check('scopes_need_user_consent', 'the person has not consented to a requested scope', 'consent_required',
      (ctx) => awaitingConsent(ctx).length > 0,
      (ctx) => ({ consentScopes: awaitingConsent(ctx).map(({ name, description, long_description }) => ({ name, description, ...(long_description ? { long_description } : {}) })) })),
    0,
  );
  // Beyond such scopes ID-porten asks nobody for consent, and Portvakt grants it as the request resumes
  // (login/interaction-routes.ts); oidc-provider's extra consent round for native apps would only
  // add a redirect, and a headless TestID login of a native app would not answer with its code.
  policy.get('consent')!.checks.remove('native_client_prompt');
  // A fullmakt request asks whom the person represents, every time (fullmakt.ts).
  policy.get('consent')!.checks.remove('rar_prompt');
  policy.get('consent')!.checks.add(fullmaktChooserCheck);

  const configuration: Configuration = {
    // Our adapters' consume() also answers whether it consumed (single-use.ts); oidc-provider's
    // types expect nothing back, and it ignores what comes.
    adapter: reportingUnavailable(adapter, toProviderError) as unknown as Configuration['adapter'],
    clients: [],
    jwks: { keys: deps.keys.privateJwks as never },
    // Over https the cookies are SameSite=None, so the session is present when a relying party
    // POSTs to /authorize or /logout from its own site (ID-porten recommends POST for logout).
    // Browsers refuse SameSite=None without Secure, so plain-http development uses Lax, and such a
    // POST is turned into the same GET before it gets here (src/http/post-as-get.ts).
    cookies: {
      keys: new CookieSigner(secrets.cookieKeys),
      long: { httpOnly: true, sameSite: https ? 'none' : 'lax', secure: https, signed: true },
      short: { httpOnly: true, sameSite: https ? 'none' : 'lax', secure: https, signed: true },
    },
    enableHttpPostMethods: https,
    routes: ROUTES,
    // API scopes are known by name, as oidc-provider knows its own (discovery lists only openid and profile, as ID-porten's does).
    scopes: [...PROVIDER_SCOPES, ...apiScopes.activeNames()],
    // acr, amr and auth_time come from the login, not the account; listing them under openid puts
    // them in every id_token (profile §4.3).
    // client_onbehalfof and aud_onbehalfof only for a login on behalf of a supplier's customer (src/provider/onbehalfof.ts).
    claims: { openid: ['sub', 'pid', 'acr', 'amr', 'auth_time', 'client_onbehalfof', 'aud_onbehalfof', 'authorization_details'], profile: ['locale'], sid: null } as never,
    conformIdTokenClaims: false,
    acrValues: [...ACR_VALUES],
    responseTypes: ['code'],
    subjectTypes: ['public', 'pairwise'],
    pairwiseIdentifier: async (_ctx, accountId, client) => secrets.pairwise(client.clientId, accountId),
    clientAuthMethods: ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'],
    clientDefaults: {
      grant_types: ['authorization_code'],
      response_types: ['code'],
      id_token_signed_response_alg: 'RS256',
      token_endpoint_auth_method: 'client_secret_basic',
    },
    enabledJWA: {
      clientAuthSigningAlgValues: ['RS256'],
      idTokenSigningAlgValues: ['RS256'],
      requestObjectSigningAlgValues: ['RS256'],
      userinfoSigningAlgValues: ['RS256'],
      introspectionSigningAlgValues: ['RS256'],
      authorizationSigningAlgValues: ['RS256'],
      // oidc-provider's defaults, named here because Portvakt's own APIs check proofs against the same list.
      dPoPSigningAlgValues: DPOP_ALGORITHMS,
    },
    extraClientMetadata: { properties: [...IDPORTEN_CLIENT_FIELDS] },
    sectorIdentifierUriValidate: () => false,
    extraParams: {
      state: requireState,
      nonce: requireNonce,
      acr_values: acrValuesSupported,
      login_hint: headlessTestIdLogin(deps.testEnvironment),
      response_mode: responseModeSupported,
      onbehalfof: onBehalfOfRegistered,
      // A fullmakt login; any client may ask for one (ID-porten has no access control on RAR types).
      authorization_details: authorizationDetailsParam,
      // Listed so that it is kept; checked by authorization_details' validator, just above.
      [CARRIED_PARAM]: () => undefined,
    } as never,
    pkce: {
      // PKCE with S256 for every client, unless it is registered with code_challenge_method none (profile §2.2).
      required: (_ctx, client) => (client as Client).code_challenge_method !== 'none',
    },
    features: {
      devInteractions: { enabled: false },
      // DPoP (RFC 9449, profile §4.10): a client that sends a proof gets tokens bound to its key
      // (token_type DPoP, cnf.jkt in the access token); one that does not, bearer tokens as before.
      dPoP: { enabled: true },
      // JARM (profile §1.2): response_mode query.jwt and form_post.jwt deliver the response as a
      // JWT signed with the provider's key (RS256).
      jwtResponseModes: { enabled: true },
      pushedAuthorizationRequests: { enabled: true, requirePushedAuthorizationRequests: false },
      revocation: {
        enabled: true,
        // A client may revoke only its own tokens (profile §4.8).
        allowedPolicy: async (_ctx, caller, token) => {
          if (token.clientId !== caller.clientId) throw new errors.InvalidRequest('a client can only revoke its own tokens');
          return true;
        },
      },
      introspection: {
        enabled: true,
        // ID-porten lets only clients holding idporten:token.introspection introspect (profile §4.9),
        // and only tokens with an API scope that names the caller in enforced_aud_for_introspection:
        // any other token is to it as one that is not active (RFC 7662 §2.2).
        allowedPolicy: async (ctx, caller, token) => {
          const scopes = String((caller as Client).scope ?? '').split(' ');
          if (!scopes.includes('idporten:token.introspection')) {
            throw new errors.UnauthorizedClient('this client may not introspect tokens: it lacks the scope idporten:token.introspection');
          }
          if (apiScopes.introspectableBy(token.scope, caller.clientId)) return true;
          introspectionRefused(ctx, `no API scope of the token (${token.scope || 'none'}) names ${caller.clientId} in enforced_aud_for_introspection`);
          return false;
        },
      },
      userinfo: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: logoutSource(deps.logoutPages),
        postLogoutSuccessSource: postLogoutSuccessSource(deps.logoutPages),
      },
      backchannelLogout: { enabled: true },
      // Only for Portvakt's own self-service API (maskinporten-type clients); not advertised.
      clientCredentials: { enabled: true },
      claimsParameter: { enabled: false },
      requestObjects: { enabled: false },
      // Off, but its hooks carry a fullmakt login's authorization_details to the tokens (fullmakt.ts).
      richAuthorizationRequests: authorizationDetailsHooks as never,
      // resource (RFC 8707) is copied into the access token's aud, as ID-porten does (profile §2.1).
      resourceIndicators: {
        enabled: true,
        defaultResource: async (ctx) => {
          carryAuthorizationDetails(ctx); // before oidc-provider looks at it (fullmakt.ts)
          return undefined;
        },
        useGrantedResource: async () => true,
        getResourceServerInfo: async (_ctx, resource, client) => ({
          scope: String(client.scope ?? ''),
          audience: resource,
          accessTokenFormat: 'opaque',
          accessTokenTTL: (client as Client).access_token_lifetime ?? 120,
        }),
      },
    },
    discovery: {
      ui_locales_supported: [...LOCALES],
      display_values_supported: ['page'],
      claims_parameter_supported: false,
      request_parameter_supported: false,
      request_uri_parameter_supported: false,
      // Front-channel logout is ours (logout.ts), so oidc-provider does not know to say so.
      frontchannel_logout_supported: true,
      frontchannel_logout_session_supported: true,
      // As ID-porten lists them (profile §1.2); oidc-provider refuses any other value.
      prompt_values_supported: ['none', 'login', 'consent'],
    },
    ttl: {
      // The client's lifetime, or less where an API scope of the token caps it (at_max_age, profile §4.4).
      AccessToken: (_ctx, token, client) => Math.min((client as Client).access_token_lifetime ?? 120, apiScopes.accessTokenMaxAge(token.scope) ?? Infinity),
      // The self-service API's tokens (client credentials), by the API client's access_token_lifetime.
      ClientCredentials: (_ctx, _token, client) => (client as Client).access_token_lifetime ?? 120,
      AuthorizationCode: AUTHORIZATION_CODE_TTL,
      IdToken: ID_TOKEN_TTL,
      Interaction: INTERACTION_TTL,
      Session: sessionTtl(deps.sessions) as never,
      // The grant is the authorization: its life is the absolute limit (authorization_lifetime).
      // An API scope may cap it (authorization_max_lifetime).
      Grant: (ctx, grant) => Math.min(
        (ctx?.oidc?.client as Client | undefined)?.authorization_lifetime ?? 7200,
        apiScopes.authorizationMaxLifetime((grant as { openid?: { scope?: string } } | undefined)?.openid?.scope) ?? Infinity,
      ),
      // A refresh token lives refresh_token_lifetime idle, never past the end of its grant.
      RefreshToken: (ctx, _token, client) => {
        const idle = (client as Client).refresh_token_lifetime ?? 600;
        const grantExp = ctx?.oidc?.entities.Grant?.exp;
        return grantExp ? Math.max(1, Math.min(idle, grantExp - Math.floor(Date.now() / 1000))) : idle;
      },
    },
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    // Revoking any token of a grant ends the whole grant of that client; the SSO session stays.
    revokeGrantPolicy: () => true,
    rotateRefreshToken: (ctx) => (ctx.oidc.client as Client).refresh_token_usage !== 'REUSE',
    expiresWithSession: async () => false,
    extraTokenClaims: async (ctx, token) => {
      const source = ctx.oidc.entities.AuthorizationCode ?? ctx.oidc.entities.RefreshToken;
      const client = ctx.oidc.client as Client | undefined;
      const pid = 'accountId' in token ? (token.accountId as string | undefined) : undefined;
      const orgno = client?.client_orgno;
      return {
        ...(source?.acr ? { acr: source.acr } : {}),
        // A client of the JWT grant authenticates with its key, though oidc-provider knows it as "none" (client-mapping.ts).
        ...(client ? { client_amr: client.grantTypeAllowed(JWT_BEARER_GRANT) ? 'private_key_jwt' : client.clientAuthMethod } : {}),
        ...(pid ? { pid } : {}),
        ...(orgno ? { consumer: { authority: 'iso6523-actorid-upis', ID: `0192:${orgno}` } } : {}),
        ...onBehalfOfClaims(ctx.oidc.entities.Grant, 'access_token'),
      };
    },
    findAccount: async (ctx, accountId) => ({
      accountId,
      async claims(use, scope) {
        const grant = ctx.oidc.entities.Grant;
        const locale = (grant as { locale?: string } | undefined)?.locale ?? 'nb';
        // A scope that requires pseudonymous tokens keeps the pid out of the id_token and userinfo (profile §11).
        const pseudonymous = apiScopes.pseudonymous(scope);
        const pid = pseudonymous ? {} : { pid: accountId };
        // A fullmakt login's representation names both people by pid, so a pseudonymous login leaves it to introspection.
        const idTokenOnly = use === 'id_token' ? { ...onBehalfOfClaims(grant, 'id_token'), ...(pseudonymous ? {} : authorizationDetailsClaim(ctx)) } : {};
        return { sub: accountId, ...pid, locale, ...idTokenOnly };
      },
    }),
    loadExistingGrant: (ctx) => loadOrCreateGrant(ctx, (scope) => apiScopes.needingConsent(scope).length > 0) as never,
    assertJwtClientAuthClaimsAndHeader: async (ctx, claims, header, client) => assertClientAssertion(ctx, claims, header, client),
    interactions: { url: (_ctx, interaction) => interactionPath(interaction.uid), policy },
    renderError: deps.renderError,
    allowOmittingSingleRegisteredRedirectUri: false,
    fetch: backchannelFetch(deps.testEnvironment) as never,
  };

  const provider = new Provider(deps.issuer, configuration);
  // Behind a TLS-terminating load balancer, trust its X-Forwarded-* headers (PORTVAKT_TRUST_PROXY).
  provider.proxy = deps.trustProxy;
  extendModels(provider, secrets);
  makeSingleUse(provider);
  takingCarriedAnswers(provider);
  registerJwtBearerGrant(provider);
  rememberBuiltClients(provider, clientMetadata);
  issueAccessTokensAsJwt(provider, deps.keys, secrets, { opaque: (scope) => apiScopes.opaqueTokens(scope), pseudonymous: (scope) => apiScopes.pseudonymous(scope) });
  provider.use(securityHeaders);
  if (deps.firstPage) provider.use(answeringWithFirstPage(deps.firstPage));
  provider.use(answeringUnavailable(deps.renderError));
  provider.use(acceptJwtAccessTokens(provider, deps.keys, secrets));
  provider.use(frontchannelLogout(provider, deps.logoutPages));
  provider.use(async (ctx, next) => {
    // The RFC 8414 document is the discovery document, which also lists the JWT grant (below).
    const asMetadata = ctx.path === AUTHORIZATION_SERVER_METADATA_PATH && ctx.method === 'GET';
    if (asMetadata) ctx.path = DISCOVERY_PATH;
    await next();
    if (ctx.status === 404 && ctx.body === undefined) {
      // oidc-provider's router answers a known path with the wrong method by a bare 404.
      const allowed = ALLOWED_METHODS[ctx.path];
      ctx.status = allowed ? 405 : 404;
      if (allowed) ctx.set('allow', allowed.join(', '));
      ctx.body = { error: 'invalid_request', error_description: allowed ? `${ctx.method} is not allowed on ${ctx.path}; use ${allowed.join(' or ')}` : `no endpoint at ${ctx.path}` };
      return;
    }
    const body = ctx.body && typeof ctx.body === 'object' ? (ctx.body as Record<string, unknown>) : undefined;
    if (!body) return;
    if (typeof body.error === 'string' && !body.error_description) body.error_description = DESCRIPTIONS[body.error] ?? body.error.replace(/_/g, ' ');
    // Report the request_uri lifetime we actually give it (see model-extensions).
    if (ctx.oidc?.route === 'pushed_authorization_request' && ctx.status === 201) body.expires_in = PAR_TTL_SECONDS;
    if (ctx.oidc?.route === 'token' && ctx.status === 200) {
      // A fullmakt login's representation names both people by pid: not for a pseudonymous login.
      // A person who chose to represent themselves: ID-porten answers an empty list (fullmakt.ts).
      if (apiScopes.pseudonymous(body.scope as string | undefined)) delete body.authorization_details;
      else if (body.authorization_details === undefined && authorizationDetailsClaim(ctx as KoaContextWithOIDC).authorization_details) body.authorization_details = [];
    }
    // ID-porten tells how long the refresh token may sit unused (profile §9.2).
    if (ctx.oidc?.route === 'token' && ctx.status === 200 && body.refresh_token) {
      const client = ctx.oidc.client as Client | undefined;
      const grantExp = ctx.oidc.entities.Grant?.exp;
      const idle = client?.refresh_token_lifetime ?? 600;
      body.refresh_token_expires_in = grantExp ? Math.max(0, Math.min(idle, grantExp - Math.floor(Date.now() / 1000))) : idle;
    }
    // oidc-provider always lists fragment (and jwt, fragment.jwt); ID-porten's code flow answers by
    // query or form_post only, plain or as a JWT.
    // ID-porten's discovery lists only the login scopes; the introspection scope is granted by the operator.
    if (ctx.oidc?.route === 'discovery') {
      body.response_modes_supported = [...RESPONSE_MODES];
      body.scopes_supported = ['openid', 'profile'];
      body.authorization_details_types_supported = [FULLMAKT_TYPE];
      // The machine grants serve Portvakt's own API (Maskinporten's job at ID-porten), not logins.
      body.grant_types_supported = (body.grant_types_supported as string[]).filter((g) => g !== 'client_credentials' && g !== JWT_BEARER_GRANT);
      // Maskinporten's own document lists its JWT grant; a tool built for it reads this one.
      if (asMetadata) (body.grant_types_supported as string[]).push(JWT_BEARER_GRANT);
    }
  });
  return provider;
}

/**
 * oidc-provider looks a client up on nearly every request and finds its built Client by a SHA-256
 * of the whole metadata, serialised anew each time. The registry hands out one unchanging metadata
 * object per stored record (a change makes a new one), so the built Client can be remembered by
 * that object: same answers, no hashing.
 */
function rememberBuiltClients(provider: Provider, clientMetadata: (id: string) => Promise<object | undefined>): void {
  const Client = provider.Client;
  const build = Client.find.bind(Client);
  const built = new WeakMap<object, InstanceType<Provider['Client']>>();
  Client.find = async (id: string) => {
    // Unknown ids are not remembered (they must not grow memory); clientIdMetadataDocument is off.
    const metadata = typeof id === 'string' && id.length ? await clientMetadata(id) : undefined;
    if (!metadata) return undefined;
    let client = built.get(metadata);
    if (!client) {
      client = await build(id);
      if (client) built.set(metadata, client);
    }
    return client;
  };
}
