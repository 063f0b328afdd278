// Fullmakt login (profile §11): a service asks, with Rich Authorization Requests (RFC 9396),
//   authorization_details=[{"type":"idporten:fullmakt","permission_roles":["arbeid"]}]
// and the person, once logged in as themselves, chooses whom to represent (login/fullmakt-page.tsx).
// The choice belongs to this one authorization: it goes into the code, and from there into the token
// response, the id_token and the access token as `authorization_details`, never into the SSO session
// or the grant, so every fullmakt request shows the chooser again and an ordinary login after it is
// the person's own. Choosing oneself answers `[]`.
//
// oidc-provider's own Rich Authorization Requests feature is not used: it makes every token with
// authorization_details a resource server's (an `aud` the service never asked for, and no userinfo),
// where ID-porten's tokens have no aud unless `resource` was sent. Its models carry `rar` from code to
// refresh token to access token all the same, and its token response, JWT and introspection print it;
// this module parses the request (an authorization parameter), asks the chooser, and puts the choice
// into the code (model-extensions.ts).
//
// One catch: with resource indicators on, oidc-provider refuses any request whose parameters hold
// authorization_details without a resource, feature or not. So the parameter is carried past that
// check under a name of Portvakt's (CARRIED_PARAM, also an authorization parameter, so PAR and the
// interaction keep it): resourceIndicators.defaultResource, which oidc-provider asks just before the
// check, moves it, and the authorization_details validator moves it where that hook is not asked.
import { errors, interactionPolicy, type KoaContextWithOIDC } from 'oidc-provider';
import { FULLMAKT_TYPE, PERMISSION_NAME, type FullmaktParty, type FullmaktPermission } from '../identity/fullmakt.js';

/** What a service asked for: the roles, any of which lets the person choose someone (logical OR). */
export interface FullmaktRequest {
  permissionRoles: string[];
}

/** One chosen representation, as it appears in authorization_details. */
export interface FullmaktDetail {
  type: typeof FULLMAKT_TYPE;
  authorizer: FullmaktParty;
  authorized_representative: FullmaktParty;
  permissions: FullmaktPermission[];
}

/** The interaction result of the chooser: the details to issue ([] when the person chose themselves). */
export interface FullmaktChoice {
  details: FullmaktDetail[];
}

const ROLE = new RegExp(PERMISSION_NAME);
const MAX_ROLES = 50;

/** Where a request's authorization_details travel through oidc-provider (see the top of this file). */
export const CARRIED_PARAM = 'portvakt_authorization_details';

/** Moves authorization_details to CARRIED_PARAM; called before oidc-provider looks at the parameter. */
export function carryAuthorizationDetails(ctx: KoaContextWithOIDC): void {
  const params = ctx.oidc?.params as Record<string, unknown> | undefined;
  if (params?.authorization_details === undefined) return;
  params[CARRIED_PARAM] = params.authorization_details;
  params.authorization_details = undefined;
}

/** The fullmakt request in an authorization request's (already checked) authorization_details, if any. */
export function fullmaktRequestOf(params: Record<string, unknown> | undefined): FullmaktRequest | undefined {
  const raw = params?.[CARRIED_PARAM];
  if (typeof raw !== 'string') return undefined;
  let details: unknown;
  try {
    details = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (!Array.isArray(details)) return undefined;
  const detail = details.find((d) => (d as { type?: unknown })?.type === FULLMAKT_TYPE) as { permission_roles?: string[] } | undefined;
  return detail ? { permissionRoles: [...new Set(detail.permission_roles ?? [])] } : undefined;
}

const fullmaktChoiceOf = (ctx: KoaContextWithOIDC): FullmaktChoice | undefined =>
  (ctx.oidc.result as { fullmakt?: FullmaktChoice } | undefined)?.fullmakt;

const invalid = (message: string) => new errors.InvalidAuthorizationDetails(message);

/**
 * The authorization_details parameter (RFC 9396 §2): a JSON array of objects with a type; the one
 * type is idporten:fullmakt, at most once, with the roles the service accepts. At /authorize and /par.
 */
export function authorizationDetailsParam(ctx: KoaContextWithOIDC): void {
  carryAuthorizationDetails(ctx);
  const value = (ctx.oidc.params as Record<string, unknown>)[CARRIED_PARAM];
  if (value === undefined) return;
  if (typeof value !== 'string') throw invalid('authorization_details must be given once');
  let details: unknown;
  try {
    details = JSON.parse(value);
  } catch {
    throw invalid('could not parse the authorization_details parameter JSON');
  }
  if (!Array.isArray(details)) throw invalid('authorization_details must be a JSON array');
  details.forEach((detail: unknown, index) => {
    if (typeof detail !== 'object' || detail === null || Array.isArray(detail)) throw invalid(`authorization_details[${index}] must be a JSON object`);
    const { type } = detail as { type?: unknown };
    if (typeof type !== 'string' || !type) throw invalid(`authorization_details[${index}] needs a type`);
    if (type !== FULLMAKT_TYPE) throw invalid(`unsupported authorization details type ${JSON.stringify(type)} (authorization_details[${index}]); supported: ${FULLMAKT_TYPE}`);
    const roles = (detail as { permission_roles?: unknown }).permission_roles;
    if (!Array.isArray(roles) || roles.length === 0) {
      throw invalid(`${FULLMAKT_TYPE} needs permission_roles: a non-empty array of the roles the service accepts, e.g. ["arbeid"]`);
    }
    if (roles.length > MAX_ROLES) throw invalid(`${FULLMAKT_TYPE} permission_roles has ${roles.length} roles; at most ${MAX_ROLES}`);
    const bad = roles.find((role) => typeof role !== 'string' || !ROLE.test(role));
    if (bad !== undefined) throw invalid(`${FULLMAKT_TYPE} permission_roles: ${JSON.stringify(bad)} is not a role (letters, digits, _ . -)`);
  });
  if (details.filter((d: { type?: unknown }) => d.type === FULLMAKT_TYPE).length > 1) throw invalid(`authorization_details may hold one ${FULLMAKT_TYPE} request`);
}

/** Codes (and their refresh tokens) of a person who chose themselves: the token response and id_token then say `[]`. */
export const REPRESENTS_SELF = 'representsSelf';

/**
 * What a code made at this request's resume carries: the person's choice, when the request asked
 * for a fullmakt login (model-extensions.ts calls this as the code is saved).
 */
export function choiceForCode(ctx: KoaContextWithOIDC | undefined): { rar?: FullmaktDetail[]; [REPRESENTS_SELF]?: true } {
  if (!ctx?.oidc || !fullmaktRequestOf(ctx.oidc.params)) return {};
  const choice = fullmaktChoiceOf(ctx);
  if (!choice) return {};
  return choice.details.length ? { rar: choice.details } : { [REPRESENTS_SELF]: true };
}

/**
 * What a refresh token made now carries over of "myself": from the code it is made for, or from the
 * refresh token it replaces (oidc-provider copies `rar`, not our mark; model-extensions.ts).
 */
export function selfMarkCarried(ctx: KoaContextWithOIDC | undefined): { [REPRESENTS_SELF]?: true } {
  const entities = ctx?.oidc?.entities as Record<string, { [REPRESENTS_SELF]?: boolean } | undefined> | undefined;
  const from = entities?.AuthorizationCode ?? entities?.RotatedRefreshToken;
  return from?.[REPRESENTS_SELF] ? { [REPRESENTS_SELF]: true } : {};
}

/** For the authorization's protocol event: a fullmakt login, and whether the person acted for another or themselves (no pids). */
export function fullmaktOutcome(ctx: KoaContextWithOIDC | undefined): 'another' | 'self' | undefined {
  const carried = choiceForCode(ctx);
  return carried.rar ? 'another' : carried[REPRESENTS_SELF] ? 'self' : undefined;
}

/**
 * oidc-provider's hooks for details already on a code or token (its RAR feature stays off, see
 * above): the access token and introspection give what the code or refresh token carries.
 */
export const authorizationDetailsHooks = {
  enabled: false,
  authorizationDetailsForAccessToken: async (_ctx: unknown, _token: unknown, source: { rar?: unknown[] } | undefined) => source?.rar,
  authorizationDetailsForIntrospection: async (_ctx: unknown, token: { rar?: unknown[] }) => token.rar,
};

/**
 * The chooser is asked for on every fullmakt request that has no answer yet, also within SSO, as
 * part of the consent prompt. (It replaces oidc-provider's own check for authorization_details,
 * which any consent satisfies, such as an API scope's.)
 */
export const fullmaktChooserCheck = new interactionPolicy.Check(
  'fullmakt_chooser', 'the person has not chosen whom to represent', 'consent_required',
  (ctx) => fullmaktRequestOf(ctx.oidc.params) !== undefined && !fullmaktChoiceOf(ctx),
  (ctx) => ({ fullmakt: fullmaktRequestOf(ctx.oidc.params) }),
);

/**
 * The id_token's authorization_details (ID-porten puts it there as well as in the token response,
 * "for flexibility"): the chosen representation of the code or refresh token being redeemed.
 */
export function authorizationDetailsClaim(ctx: KoaContextWithOIDC): { authorization_details?: unknown[] } {
  const source = (ctx.oidc.entities.AuthorizationCode ?? ctx.oidc.entities.RefreshToken) as { rar?: unknown[]; [REPRESENTS_SELF]?: boolean } | undefined;
  if (source?.rar?.length) return { authorization_details: source.rar };
  if (source?.[REPRESENTS_SELF]) return { authorization_details: [] };
  return {};
}
