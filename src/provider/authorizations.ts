// A person's authorizations, as ID-porten calls them: what the person has let services do. Each is
// a grant a login left (provider/grants.ts) with its scopes, from the login until the grant expires
// (authorization_lifetime) or is withdrawn. ID-porten shows them to the person, and to the
// organisations whose services or APIs they concern, who may withdraw one on the person's behalf
// (its authorizations API, authorizations-api.ts). Withdrawing revokes the grant and every token
// issued from it: the service's refresh token stops working, and its access tokens are inactive at
// introspection and userinfo (a JWT access token still verifies by its signature until it expires,
// as ID-porten says of its own). The service's next login asks again for what needs consent.
import type { AdapterPayload, Provider } from 'oidc-provider';
import type { ClientRegistry } from '../registry/clients.js';
import type { ApiScopeCatalog } from '../registry/api-scopes.js';
import type { ProtocolEvents } from '../registry/events.js';
import { revokeGrant } from './grants.js';
import type { StoreAdapter } from './adapters.js';

export const VISIBILITIES = ['PUBLIC', 'PRIVATE', 'INTERNAL'] as const;
export type Visibility = (typeof VISIBILITIES)[number];

/** A scope of an authorization, described as ID-porten's API describes it. */
export interface AuthorizationScope {
  name: string;
  description: string;
  long_description?: string;
  requires_user_consent: boolean;
  visibility: Visibility;
  /** The organisation that owns an API scope (Portvakt's own scopes have none). */
  owner_orgno?: string;
}

/** One authorization, in the shape of ID-porten's authorizations API (times in epoch milliseconds). */
export interface Authorization {
  authorization_id: string;
  client_id: string;
  client_name?: string;
  description?: string;
  authorized_at: number;
  expires?: number;
  scopes: AuthorizationScope[];
  /** The browser the person logged in with. */
  user_agent?: string;
  /** The organisation whose service it is (ID-porten's consumer: ISO 6523 0192 and the org number). */
  consumer?: { authority: 'iso6523-actorid-upis'; ID: string };
}

/**
 * Which of a person's authorizations an organisation sees: those given to its own services
 * (clients), those that include a scope of one of its APIs, or either. The person sees all of theirs.
 */
export type Concerning = { clientsOf: string } | { apisOf: string } | { organisation: string } | 'everything';

export interface AuthorizationFilter {
  /**
   * Only authorizations with a scope the person consented to (requires_user_consent), as ID-porten
   * lists by default; false lists every one (plain logins too).
   */
  requireUserConsent: boolean;
  /** Only authorizations with a scope of this visibility. */
  visibility?: Visibility;
}

/** Portvakt's own scopes, as the list describes them (an organisation's API scopes come from the catalog). */
const OWN_SCOPES: Record<string, string> = {
  openid: 'Log in with ID-porten (OpenID Connect)',
  profile: 'The national identity number and language of the person who logged in',
  'idporten:token.introspection': 'Introspect access tokens',
  'idporten:authorizations': 'Read and withdraw the authorizations people have given your services and APIs',
  'idporten:authorizations.read': 'Read the authorizations people have given your services and APIs',
  'idporten:authorizations.revoke': 'Read and withdraw the authorizations people have given your services and APIs',
};

/** Grant ids are oidc-provider's random token ids; anything else names no authorization. */
const AUTHORIZATION_ID = /^[\w-]{20,100}$/;

/** A grant as stored: its own id in authorizationId (adapters.ts namingOwnGrant), its scopes under openid and resources. */
interface StoredGrant extends AdapterPayload {
  authorizationId?: string;
  accountId?: string;
  clientId?: string;
  openid?: { scope?: string };
  resources?: Record<string, string>;
  userAgent?: string;
}

/** The grants' adapter: Portvakt's own (app.ts), which can also list by person. */
const grantStore = (provider: Provider) => provider.Grant.adapter as unknown as StoreAdapter;

/** Who withdraws an authorization, for the service's protocol event. */
export type Withdrawer = { person: true } | { clientId: string };

export interface Authorizations {
  /** The person's live authorizations that `concerning` sees and `filter` keeps, newest first. */
  list(pid: string, concerning: Concerning, filter: AuthorizationFilter): Promise<Authorization[]>;
  /**
   * Withdraws the authorization if it is `pid`'s (when given) and `concerning` sees it; answers
   * false otherwise, or when there is none (the caller learns nothing about others').
   */
  withdraw(authorizationId: string, concerning: Concerning, by: Withdrawer, pid?: string): Promise<boolean>;
}

export interface AuthorizationsOptions {
  /** The provider serving requests now (app.ts makes a new one when keys or scopes change). */
  provider: () => Provider;
  clients: ClientRegistry;
  apiScopes: () => ApiScopeCatalog;
  events: ProtocolEvents;
}

export function createAuthorizations({ provider, clients, apiScopes, events }: AuthorizationsOptions): Authorizations {
  const describeScope = (name: string, catalog: ApiScopeCatalog): AuthorizationScope => {
    const scope = catalog.get(name);
    if (!scope) return { name, description: OWN_SCOPES[name] ?? name, requires_user_consent: false, visibility: 'PUBLIC' };
    return {
      name,
      description: scope.description,
      ...(scope.long_description ? { long_description: scope.long_description } : {}),
      requires_user_consent: scope.requires_user_consent,
      visibility: scope.visibility,
      ...(scope.owner_orgno ? { owner_orgno: scope.owner_orgno } : {}),
    };
  };

  /**
   * The grant as an authorization, with the organisation of its client; undefined for a grant of a
   * client that is gone, or one stored before grants named themselves (it cannot be withdrawn).
   */
  async function describe(grant: StoredGrant): Promise<{ authorization: Authorization; orgno: string | null } | undefined> {
    if (!grant.authorizationId || !grant.clientId) return undefined;
    const client = await clients.find(grant.clientId);
    if (!client) return undefined;
    const names = new Set([grant.openid?.scope, ...Object.values(grant.resources ?? {})].flatMap((scope) => scope?.split(' ') ?? []).filter(Boolean));
    const catalog = apiScopes();
    const { registration, orgno } = client;
    return {
      orgno,
      authorization: {
        authorization_id: grant.authorizationId,
        client_id: grant.clientId,
        ...(registration.client_name ? { client_name: registration.client_name } : {}),
        ...(registration.description ? { description: registration.description } : {}),
        authorized_at: Number(grant.iat) * 1000,
        ...(typeof grant.exp === 'number' ? { expires: grant.exp * 1000 } : {}),
        scopes: [...names].map((name) => describeScope(name, catalog)),
        ...(grant.userAgent ? { user_agent: grant.userAgent } : {}),
        ...(orgno ? { consumer: { authority: 'iso6523-actorid-upis', ID: `0192:${orgno}` } } : {}),
      },
    };
  }

  const sees = (concerning: Concerning, { authorization, orgno }: { authorization: Authorization; orgno: string | null }): boolean => {
    if (concerning === 'everything') return true;
    const ownService = (of: string) => orgno === of;
    const ownApi = (of: string) => authorization.scopes.some((scope) => scope.owner_orgno === of);
    if ('clientsOf' in concerning) return ownService(concerning.clientsOf);
    if ('apisOf' in concerning) return ownApi(concerning.apisOf);
    return ownService(concerning.organisation) || ownApi(concerning.organisation);
  };

  // "It is enough that one of an authorization's scopes matches" (ID-porten's documentation).
  const kept = (filter: AuthorizationFilter, authorization: Authorization): boolean =>
    (!filter.requireUserConsent && !filter.visibility) ||
    authorization.scopes.some((scope) => (!filter.requireUserConsent || scope.requires_user_consent) && (!filter.visibility || scope.visibility === filter.visibility));

  return {
    async list(pid, concerning, filter) {
      const grants = (await grantStore(provider()).findByAccount(pid)) as StoredGrant[];
      const described = await Promise.all(grants.filter((grant) => grant.accountId === pid).map(describe));
      return described
        .filter((entry): entry is NonNullable<typeof entry> => !!entry && sees(concerning, entry) && kept(filter, entry.authorization))
        .map((entry) => entry.authorization)
        .sort((a, b) => b.authorized_at - a.authorized_at);
    },

    async withdraw(authorizationId, concerning, by, pid) {
      if (!AUTHORIZATION_ID.test(authorizationId)) return false;
      const current = provider();
      const grant = (await grantStore(current).find(authorizationId)) as StoredGrant | undefined;
      if (!grant || (pid !== undefined && grant.accountId !== pid)) return false;
      const entry = await describe({ ...grant, authorizationId });
      if (!entry || !sees(concerning, entry)) return false;
      await revokeGrant(current, authorizationId);
      events.record({
        clientId: entry.authorization.client_id,
        type: 'revocation',
        outcome: 'success',
        detail: { withdrawn: 'authorization', by: 'person' in by ? 'the person' : by.clientId },
      });
      return true;
    },
  };
}
