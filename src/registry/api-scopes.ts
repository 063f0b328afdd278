// API scopes (profile §7.3): an organisation that offers an API names scopes under a prefix of its
// own (`nav:sykepenger.read`); clients of organisations with access register them and ask for them
// at login, and their access tokens carry them. The scope decides who may introspect such tokens
// (enforced_aud_for_introspection) and may shorten their lives (at_max_age).
//
// The provider reads scopes from a catalog: a snapshot of all of them held in memory, loaded again
// whenever one changes (on this node at once, on the others through the change feed), so that a
// login reads nothing more from the store for them.
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { sql } from 'kysely';
import type { Db } from '../store/db.js';
import type { ChangeFeed } from '../store/change-feed.js';
import { isStorableText } from '../store/storable-text.js';
import { firstSchemaProblem, unstorableTextIn } from './input-checks.js';
import type { AuditLog, Actor } from './audit.js';
import { ClientValidationError, DomainError } from './errors.js';
import { canSee, ForbiddenError, ifMatchHolds, versionOf, type Access } from './integrations.js';
import { isValidOrgno } from './orgno.js';

/** Integration types that may carry API scopes in ID-porten (profile §7.1). */
export const SCOPE_INTEGRATION_TYPES = ['api_klient', 'maskinporten'] as const;
/** Prefixes Portvakt keeps for its own scopes (idporten:token.introspection, idporten:dcr.*). */
const RESERVED_PREFIXES = new Set(['idporten', 'openid', 'profile']);

const PREFIX_PATTERN = '^[a-z0-9][a-z0-9_-]{0,39}$';
const SUBSCOPE_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._/-]{0,199}$';
const PREFIX_HINT = 'must be 1 to 40 characters: lower-case letters, digits, _ and -, starting with a letter or digit';
const SUBSCOPE_HINT = 'must be 1 to 200 characters: letters, digits and . _ / -, starting with a letter or digit';

/** Refuses a prefix that is not one (a scope's, or one to be given or listed), naming what was sent. */
function checkPrefix(prefix: string, scope?: string): void {
  if (!new RegExp(PREFIX_PATTERN).test(prefix)) throw new ApiScopeValidationError(scope, 'prefix', `${PREFIX_HINT} (got ${JSON.stringify(prefix.slice(0, 50))})`);
}

export const ApiScopeInputSchema = Type.Object(
  {
    /** prefix:subscope; the client file may give this instead of the two parts. */
    name: Type.Optional(Type.String({ maxLength: 241 })),
    prefix: Type.Optional(Type.String({ pattern: PREFIX_PATTERN, hint: PREFIX_HINT })),
    subscope: Type.Optional(Type.String({ pattern: SUBSCOPE_PATTERN, hint: SUBSCOPE_HINT })),
    description: Type.String({ minLength: 1, maxLength: 1000 }),
    long_description: Type.Optional(Type.String({ maxLength: 10_000 })),
    owner_orgno: Type.Optional(Type.String({ pattern: '^\\d{9}$', hint: 'must be a 9-digit organisation number' })),
    visibility: Type.Union([Type.Literal('PUBLIC'), Type.Literal('PRIVATE'), Type.Literal('INTERNAL')], { default: 'PUBLIC' }),
    token_type: Type.Union([Type.Literal('SELF_CONTAINED'), Type.Literal('OPAQUE')], { default: 'SELF_CONTAINED' }),
    at_max_age: Type.Optional(Type.Integer({ minimum: 1, maximum: 86_400 })),
    authorization_max_lifetime: Type.Optional(Type.Integer({ minimum: 1, maximum: 31_536_000 })),
    requires_user_consent: Type.Boolean({ default: false }),
    requires_user_authentication: Type.Boolean({ default: false }),
    requires_pseudonymous_tokens: Type.Boolean({ default: false }),
    accessible_for_all: Type.Boolean({ default: false }),
    allowed_integration_types: Type.Array(Type.Union(SCOPE_INTEGRATION_TYPES.map((t) => Type.Literal(t))), { minItems: 1, maxItems: 2, default: ['api_klient'] }),
    /** The client_ids of the APIs that may introspect tokens with this scope (profile §4.9). */
    enforced_aud_for_introspection: Type.Union([
      Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { maxItems: 20 }),
      Type.String({ minLength: 1, maxLength: 200 }),
    ], { default: [] }),
    active: Type.Boolean({ default: true }),
  },
  { additionalProperties: false },
);

export type ApiScopeInput = Static<typeof ApiScopeInputSchema>;

/** A scope as registered: its name and parts always set, enforced_aud_for_introspection always a list. */
export interface ApiScope extends Omit<ApiScopeInput, 'name' | 'prefix' | 'subscope' | 'enforced_aud_for_introspection'> {
  name: string;
  prefix: string;
  subscope: string;
  enforced_aud_for_introspection: string[];
  created?: string;
  last_updated?: string;
}

/** A scope definition that breaks a rule; names the scope and the field. */
export class ApiScopeValidationError extends DomainError {
  constructor(readonly scope: string | undefined, readonly field: string, detail: string) {
    super('scope.invalid_field', `${scope ? `scope "${scope}"` : 'scope'}: ${field} ${detail}`);
  }
}

/** Parses and checks a scope definition, filling ID-porten's defaults. Throws ApiScopeValidationError. */
export function validateApiScope(input: unknown): ApiScope {
  const given = input as { name?: unknown; prefix?: unknown; subscope?: unknown } | null;
  const label = typeof given?.name === 'string' ? given.name : typeof given?.prefix === 'string' && typeof given?.subscope === 'string' ? `${given.prefix}:${given.subscope}` : undefined;
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new ApiScopeValidationError(label, '(entry)', 'must be a JSON object');
  const unstorable = unstorableTextIn(input);
  if (unstorable) throw new ApiScopeValidationError(label, unstorable.path || '(entry)', unstorable.why);
  const candidate = Value.Default(ApiScopeInputSchema, structuredClone(input)) as ApiScopeInput;
  const problem = firstSchemaProblem(ApiScopeInputSchema, candidate);
  if (problem) throw new ApiScopeValidationError(label, problem.field, problem.detail);
  const { name, prefix, subscope } = namedParts(candidate, label);
  const fail = (field: string, detail: string): never => { throw new ApiScopeValidationError(name, field, detail); };
  if (RESERVED_PREFIXES.has(prefix)) fail('prefix', `"${prefix}" is reserved for Portvakt's own scopes`);
  if (candidate.owner_orgno && !isValidOrgno(candidate.owner_orgno)) fail('owner_orgno', 'is not a valid organisation number (the check digit does not match)');
  const audiences = [candidate.enforced_aud_for_introspection].flat();
  return {
    ...candidate, name, prefix, subscope,
    allowed_integration_types: [...new Set(candidate.allowed_integration_types)],
    enforced_aud_for_introspection: [...new Set(audiences)],
  };
}

function namedParts(candidate: ApiScopeInput, label: string | undefined): { name: string; prefix: string; subscope: string } {
  let { prefix, subscope } = candidate;
  if (candidate.name !== undefined) {
    const colon = candidate.name.indexOf(':');
    if (colon < 0) throw new ApiScopeValidationError(label, 'name', `must be prefix:subscope (got ${JSON.stringify(candidate.name)})`);
    const [fromName, subFromName] = [candidate.name.slice(0, colon), candidate.name.slice(colon + 1)];
    if ((prefix !== undefined && prefix !== fromName) || (subscope !== undefined && subscope !== subFromName)) {
      throw new ApiScopeValidationError(label, 'name', 'does not match prefix and subscope; give one or the other');
    }
    prefix = fromName;
    subscope = subFromName;
    checkPrefix(prefix, label);
    if (!new RegExp(SUBSCOPE_PATTERN).test(subscope)) throw new ApiScopeValidationError(label, 'subscope', `${SUBSCOPE_HINT} (got ${JSON.stringify(subscope.slice(0, 210))})`);
  }
  if (prefix === undefined) throw new ApiScopeValidationError(label, 'prefix', 'is required (or name, as prefix:subscope)');
  if (subscope === undefined) throw new ApiScopeValidationError(label, 'subscope', 'is required (or name, as prefix:subscope)');
  return { name: `${prefix}:${subscope}`, prefix, subscope };
}

/** What a client is, as far as its API scopes go. */
export interface ScopeConsumer {
  integration_type: string;
  /** The organisation the client belongs to; a client without one was declared by the operator. */
  client_orgno?: string | undefined;
}

/**
 * Every API scope of an environment at one moment, and the organisations with access to each:
 * what the provider needs to know about scopes, without asking the store.
 */
export class ApiScopeCatalog {
  readonly #scopes: ReadonlyMap<string, ApiScope>;
  readonly #access: ReadonlyMap<string, ReadonlySet<string>>;

  constructor(scopes: Iterable<ApiScope>, access: Iterable<{ scope: string; consumer_orgno: string }> = []) {
    this.#scopes = new Map([...scopes].map((scope) => [scope.name, scope]));
    const byScope = new Map<string, Set<string>>();
    for (const { scope, consumer_orgno } of access) {
      if (!byScope.has(scope)) byScope.set(scope, new Set());
      byScope.get(scope)!.add(consumer_orgno);
    }
    this.#access = byScope;
  }

  static readonly EMPTY = new ApiScopeCatalog([]);

  /** What the catalog holds, in one string: two loads with the same fingerprint hold the same. */
  get fingerprint(): string {
    const scopes = [...this.#scopes.values()].map((s) => `${s.name} ${s.active} ${s.last_updated ?? ''}`).sort();
    const access = [...this.#access].flatMap(([scope, orgnos]) => [...orgnos].map((orgno) => `${scope} ${orgno}`)).sort();
    return JSON.stringify([scopes, access]);
  }

  /** This catalog with `scopes` added or replacing those of their names (what a start is about to declare). */
  withScopes(scopes: ApiScope[]): ApiScopeCatalog {
    const access = [...this.#access].flatMap(([scope, orgnos]) => [...orgnos].map((consumer_orgno) => ({ scope, consumer_orgno })));
    return new ApiScopeCatalog([...this.#scopes.values(), ...scopes], access);
  }

  get(name: string): ApiScope | undefined {
    return this.#scopes.get(name);
  }

  /** The active scopes' names: the scopes the provider knows besides its own. */
  activeNames(): string[] {
    return [...this.#scopes.values()].filter((scope) => scope.active).map((scope) => scope.name);
  }

  /**
   * Why `consumer` may not have the scope `name`, or undefined if it may: the scope exists and is
   * active, is meant for the client's integration type, and the client's organisation owns it, has
   * been given access, or the scope is accessible for all. A client without an organisation was
   * declared by the operator (client file, command line), who decides for it.
   */
  refusal(name: string, consumer: ScopeConsumer): string | undefined {
    const scope = this.#scopes.get(name);
    if (!scope) return `"${name}" is not a registered API scope`;
    if (!scope.active) return `"${name}" is no longer active`;
    if (!(scope.allowed_integration_types as string[]).includes(consumer.integration_type)) {
      return `"${name}" is not for integration_type "${consumer.integration_type}" (it allows ${scope.allowed_integration_types.join(', ')})`;
    }
    const orgno = consumer.client_orgno;
    if (!orgno || scope.accessible_for_all || scope.owner_orgno === orgno || this.#access.get(name)?.has(orgno)) return undefined;
    return `"${name}" is not open to organisation ${orgno}: its owner gives access (or makes it accessible_for_all)`;
  }

  /** The shortest at_max_age among `scope`'s API scopes (profile §4.4: the lowest cap wins), if any sets one. */
  accessTokenMaxAge(scope: string | undefined): number | undefined {
    return this.#lowest(scope, (s) => s.at_max_age);
  }

  /** The shortest authorization_max_lifetime among `scope`'s API scopes, if any sets one. */
  authorizationMaxLifetime(scope: string | undefined): number | undefined {
    return this.#lowest(scope, (s) => s.authorization_max_lifetime);
  }

  /** Whether one of `scope`'s API scopes names `clientId` among those that may introspect its tokens (profile §4.9). */
  introspectableBy(scope: string | undefined, clientId: string): boolean {
    return this.#within(scope).some((s) => s.enforced_aud_for_introspection.includes(clientId));
  }

  /** Whether one of `scope`'s API scopes wants access tokens by reference, which APIs introspect (token_type OPAQUE, profile §4.4). */
  opaqueTokens(scope: string | undefined): boolean {
    return this.#within(scope).some((s) => s.token_type === 'OPAQUE');
  }

  /** Whether one of `scope`'s API scopes keeps the pid out of tokens and userinfo; introspection still gives it (profile §11). */
  pseudonymous(scope: string | undefined): boolean {
    return this.#within(scope).some((s) => s.requires_pseudonymous_tokens);
  }

  /** The API scopes among `scope` that the person is asked to consent to (requires_user_consent, profile §11). */
  needingConsent(scope: string | undefined): ApiScope[] {
    return this.#within(scope).filter((s) => s.requires_user_consent);
  }

  /** Whether one of `scope`'s API scopes wants a fresh login, also within an SSO session (profile §5). */
  requiresAuthentication(scope: string | undefined): boolean {
    return this.#within(scope).some((s) => s.requires_user_authentication);
  }

  #within(scope: string | undefined): ApiScope[] {
    if (!scope) return [];
    return scope.split(' ').map((name) => this.#scopes.get(name)).filter((s): s is ApiScope => !!s?.active);
  }

  #lowest(scope: string | undefined, pick: (s: ApiScope) => number | undefined): number | undefined {
    const values = this.#within(scope).map(pick).filter((v): v is number => v !== undefined);
    return values.length ? Math.min(...values) : undefined;
  }
}

/**
 * Refuses a client whose API scopes it may not have, naming the first such scope (registration:
 * client file, command line, portal and API alike). Portvakt's own scopes are left to the client rules.
 */
export function checkClientApiScopes(client: ScopeConsumer & { client_id: string; scopes: string[] }, catalog: ApiScopeCatalog, ownScopes: readonly string[]): void {
  if (client.integration_type !== 'api_klient') return; // other types' scopes are fixed by the client rules
  client.scopes.forEach((name, index) => {
    if (ownScopes.includes(name)) return;
    const refusal = catalog.refusal(name, client);
    if (refusal) throw new ClientValidationError(client.client_id, `scopes[${index}]`, `names ${refusal}`);
  });
}

/** No scope of that name that the caller owns (one it may not see is reported the same way). */
export class ScopeNotFoundError extends DomainError {
  constructor(name: string) {
    super('scope.not_found', `no API scope ${JSON.stringify(name.slice(0, 250))} that you own`);
  }
}

/** The scope changed since the caller read it (If-Match named another version). */
export class ScopeChangedError extends DomainError {
  constructor(name: string, current: string) {
    super('scope.changed', `the scope ${name} was changed since you read it (it is ${current} now); read it again and make your change on what is there`);
  }
}

/** A scope's version, as the API's ETag says it (the same form as an integration's). */
export const scopeVersion = (scope: Pick<ApiScope, 'last_updated'>): string => versionOf({ last_updated: scope.last_updated ?? '' });

/** An organisation's access to a scope (ID-porten's scope ACL). */
export interface ScopeAccess {
  scope: string;
  consumer_orgno: string;
  state: 'APPROVED';
  created: string;
  last_updated: string;
}

export interface ApiScopes {
  /** Registers a scope, or changes the one of that name, as the operator (the client file). */
  upsert(scope: ApiScope, actor: Actor): Promise<ApiScope>;
  find(name: string): Promise<ApiScope | undefined>;
  list(filter?: { includeInactive?: boolean; prefix?: string; owner?: string }): Promise<ApiScope[]>;
  /** The prefixes an organisation may name scopes under. */
  prefixes(orgno: string): Promise<string[]>;
  /** Every prefix given, and to whom (the service desk's overview). */
  allPrefixes(): Promise<Array<{ prefix: string; owner_orgno: string }>>;
  /** Gives an organisation a prefix (the operator or the service desk; ID-porten's Digdir does). */
  assignPrefix(prefix: string, orgno: string, actor: Actor): Promise<void>;
  /** A new scope of `orgno`'s, under a prefix it has (the API's POST /scopes). */
  create(access: Access, orgno: string, input: unknown, actor: Actor): Promise<ApiScope>;
  /**
   * Replaces what an owned scope says; its name and owner stay (PUT /scopes?scope=). With `ifMatch`
   * (its version, as scopeVersion says it), only if nobody changed it since (else ScopeChangedError).
   */
  change(access: Access, name: string, input: unknown, actor: Actor, ifMatch?: string): Promise<ApiScope>;
  /** An owned scope, active or not. */
  owned(access: Access, name: string): Promise<ApiScope>;
  /** Who has been given access to an owned scope. */
  accessList(access: Access, name: string): Promise<ScopeAccess[]>;
  /** Gives `consumer` access to an owned scope; its clients may then register it. */
  grantAccess(access: Access, name: string, consumer: string, actor: Actor): Promise<ScopeAccess>;
  /** Takes access back: the consumer's clients are no longer given the scope (their registration keeps it). */
  revokeAccess(access: Access, name: string, consumer: string, actor: Actor): Promise<void>;
  /** The scopes `orgno` has been given access to, and with `accessibleForAll` those open to all. */
  accessOf(orgno: string, options?: { accessibleForAll?: boolean }): Promise<ScopeAccess[]>;
  /** Every scope and access now, for the provider. */
  catalog(): Promise<ApiScopeCatalog>;
  /** `listener` runs after every change on any node (awaited when the change is this node's). */
  onChange(listener: () => Promise<void>): void;
}

const TOPIC = 'api_scopes';

const checkOrgno = (field: string, orgno: string) => {
  if (!isValidOrgno(orgno)) throw new DomainError('scope.invalid_orgno', `${field} ${JSON.stringify(orgno.slice(0, 20))} is not a valid organisation number (9 digits, mod-11 check digit)`);
};

interface AccessRow { scope: string; consumer_orgno: string; created_at: Date; updated_at: Date }
const toAccess = (row: AccessRow): ScopeAccess => ({
  scope: row.scope, consumer_orgno: row.consumer_orgno, state: 'APPROVED', created: new Date(row.created_at).toISOString(), last_updated: new Date(row.updated_at).toISOString(),
});

interface ApiScopeRow {
  name: string;
  owner_orgno: string | null;
  definition: Record<string, unknown>;
  active: boolean;
  created_at: Date;
  updated_at: Date;
}

function toScope(row: ApiScopeRow): ApiScope {
  return {
    ...(row.definition as Omit<ApiScope, 'name' | 'active'>),
    name: row.name,
    ...(row.owner_orgno ? { owner_orgno: row.owner_orgno } : {}),
    active: row.active,
    created: new Date(row.created_at).toISOString(),
    last_updated: new Date(row.updated_at).toISOString(),
  };
}

export function createApiScopes(db: Db, audit: AuditLog, environment: string, changes?: ChangeFeed): ApiScopes {
  const listeners: Array<() => Promise<void>> = [];
  const tell = async () => { for (const listener of listeners) await listener(); };
  changes?.subscribe(TOPIC, (key) => {
    if (key === undefined || key === environment) void tell().catch(() => undefined);
  });
  // This node's listeners are awaited, so that what changed is in use when the change returns; the
  // feed tells the other nodes (and this one again, which loads the same once more).
  const changed = async () => {
    await tell();
    await changes?.publish(TOPIC, environment).catch(() => undefined);
  };

  /**
   * Writes a scope, audits it and tells every node, unless it is as it was. `create` writes only a
   * scope of a new name: of two creations of one name at once, one wins and the other is told the
   * scope exists (an upsert would let the second overwrite the first).
   */
  async function save(scope: ApiScope, actor: Actor, mode: 'create' | 'upsert', unchangedSince?: ApiScope): Promise<ApiScope> {
    const before = mode === 'upsert' ? await scopes.find(scope.name) : undefined;
    const { name, owner_orgno, active, created: _c, last_updated: _u, ...definition } = scope;
    const now = new Date();
    const row = { owner_orgno: owner_orgno ?? null, definition: JSON.stringify(definition), active, source: actor.kind };
    const result = await db
      .insertInto('api_scopes')
      .values({ environment, name, ...row, created_at: now, updated_at: now })
      .onConflict((oc) => mode === 'create'
        ? oc.columns(['environment', 'name']).doNothing()
        : oc.columns(['environment', 'name'])
          .doUpdateSet({ ...row, updated_at: sql<Date>`greatest(${now}::timestamptz, api_scopes.updated_at + interval '1 millisecond')` })
          // Every change moves updated_at on, so "as it was when read" is its updated_at then.
          .$call((update) => unchangedSince ? update.where(sql<Date>`date_trunc('milliseconds', api_scopes.updated_at)`, '=', new Date(unchangedSince.last_updated!)) : update))
      .executeTakeFirst();
    if (Number(result.numInsertedOrUpdatedRows) === 0) {
      if (mode === 'create') throw new DomainError('scope.exists', `the scope "${name}" exists already; change it with PUT /scopes?scope=${name}`);
      throw new ScopeChangedError(name, scopeVersion((await scopes.find(name)) ?? {}));
    }
    const after = (await scopes.find(name))!;
    const same = before && JSON.stringify({ ...before, last_updated: undefined }) === JSON.stringify({ ...after, last_updated: undefined });
    if (!same) {
      await audit.record({ actor, action: before ? 'scope.update' : 'scope.create', orgno: after.owner_orgno ?? null, before: before ? { ...before } : null, after: { ...after } });
      await changed();
    }
    return after;
  }

  const scopes: ApiScopes = {
    upsert: (scope, actor) => save(scope, actor, 'upsert'),

    async find(name) {
      if (!isStorableText(name)) return undefined; // no scope has such a name (and the database would answer with an error)
      const row = await db.selectFrom('api_scopes').select(['name', 'owner_orgno', 'definition', 'active', 'created_at', 'updated_at'])
        .where('environment', '=', environment).where('name', '=', name).executeTakeFirst();
      return row ? toScope(row) : undefined;
    },

    async list({ includeInactive = false, prefix, owner } = {}) {
      let query = db.selectFrom('api_scopes').select(['name', 'owner_orgno', 'definition', 'active', 'created_at', 'updated_at']).where('environment', '=', environment);
      if (!includeInactive) query = query.where('active', '=', true);
      if (prefix !== undefined) checkPrefix(prefix);
      if (owner !== undefined) query = query.where('owner_orgno', '=', owner);
      if (prefix !== undefined) query = query.where('name', 'like', `${prefix.replace(/[\\%_]/g, '\\$&')}:%`);
      return (await query.orderBy('name').execute()).map(toScope);
    },

    async prefixes(orgno) {
      const rows = await db.selectFrom('api_scope_prefixes').select('prefix').where('environment', '=', environment).where('owner_orgno', '=', orgno).orderBy('prefix').execute();
      return rows.map((row) => row.prefix);
    },

    async allPrefixes() {
      return db.selectFrom('api_scope_prefixes').select(['prefix', 'owner_orgno']).where('environment', '=', environment).orderBy('prefix').execute();
    },

    async assignPrefix(prefix, orgno, actor) {
      checkPrefix(prefix);
      if (RESERVED_PREFIXES.has(prefix)) throw new ApiScopeValidationError(undefined, 'prefix', `"${prefix}" is reserved for Portvakt's own scopes`);
      checkOrgno('orgno', orgno);
      // The insert decides: of two organisations given one prefix at once, the first keeps it.
      const result = await db.insertInto('api_scope_prefixes').values({ environment, prefix, owner_orgno: orgno })
        .onConflict((oc) => oc.columns(['environment', 'prefix']).doNothing()).executeTakeFirst();
      if (Number(result.numInsertedOrUpdatedRows) === 1) {
        await audit.record({ actor, action: 'scope.prefix.assign', orgno, after: { prefix } });
        return;
      }
      const held = await db.selectFrom('api_scope_prefixes').select('owner_orgno').where('environment', '=', environment).where('prefix', '=', prefix).executeTakeFirst();
      if (held && held.owner_orgno !== orgno) throw new ForbiddenError('scope.prefix_taken', `the prefix "${prefix}" belongs to ${held.owner_orgno}`);
    },

    async create(access, orgno, input, actor) {
      if (!canSee(access, orgno)) throw new ForbiddenError('organisation.forbidden', `you cannot register scopes for ${orgno}`);
      const scope = validateApiScope(input);
      if (scope.owner_orgno !== undefined && scope.owner_orgno !== orgno) throw new ForbiddenError('scope.owner_mismatch', `owner_orgno must be your organisation (${orgno})`);
      if (!(await scopes.prefixes(orgno)).includes(scope.prefix)) {
        throw new ForbiddenError('scope.prefix_not_owned', `the prefix "${scope.prefix}" is not your organisation's; the service desk gives prefixes (GET /prefix lists yours)`);
      }
      return save({ ...scope, owner_orgno: orgno }, actor, 'create');
    },

    async change(access, name, input, actor, ifMatch) {
      const before = await scopes.owned(access, name);
      if (!ifMatchHolds(ifMatch, scopeVersion(before))) throw new ScopeChangedError(name, scopeVersion(before));
      if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new ApiScopeValidationError(name, '(body)', 'must be a JSON object');
      // What GET shows but nobody sets may come back in a PUT (read, change, write back); the name stays.
      const { created: _c, last_updated: _u, name: givenName, prefix: givenPrefix, subscope: givenSubscope, ...body } = input as Record<string, unknown>;
      if ((givenName !== undefined && givenName !== name) || (givenPrefix !== undefined && givenPrefix !== before.prefix) || (givenSubscope !== undefined && givenSubscope !== before.subscope)) {
        throw new ApiScopeValidationError(name, 'name', 'cannot be changed (its prefix and subscope stay)');
      }
      const scope = validateApiScope({ ...body, prefix: before.prefix, subscope: before.subscope });
      if (scope.owner_orgno !== undefined && scope.owner_orgno !== before.owner_orgno) throw new ForbiddenError('scope.owner_mismatch', `owner_orgno cannot be changed (it is ${before.owner_orgno})`);
      return save({ ...scope, owner_orgno: before.owner_orgno }, actor, 'upsert', ifMatch === undefined ? undefined : before);
    },

    async owned(access, name) {
      const scope = await scopes.find(name);
      if (!scope || !canSee(access, scope.owner_orgno)) throw new ScopeNotFoundError(name);
      return scope;
    },

    async accessList(access, name) {
      await scopes.owned(access, name);
      const rows = await db.selectFrom('api_scope_access').select(['scope', 'consumer_orgno', 'created_at', 'updated_at'])
        .where('environment', '=', environment).where('scope', '=', name).where('state', '=', 'APPROVED').orderBy('consumer_orgno').execute();
      return rows.map(toAccess);
    },

    async grantAccess(access, name, consumer, actor) {
      const scope = await scopes.owned(access, name);
      checkOrgno('consumer_orgno', consumer);
      const now = new Date();
      await db.insertInto('api_scope_access').values({ environment, scope: name, consumer_orgno: consumer, state: 'APPROVED', created_at: now, updated_at: now })
        .onConflict((oc) => oc.columns(['environment', 'scope', 'consumer_orgno']).doUpdateSet({ state: 'APPROVED', updated_at: now }))
        .execute();
      await audit.record({ actor, action: 'scope.access.grant', orgno: scope.owner_orgno ?? null, after: { scope: name, consumer_orgno: consumer } });
      await changed();
      return (await scopes.accessList(access, name)).find((entry) => entry.consumer_orgno === consumer)!;
    },

    async revokeAccess(access, name, consumer, actor) {
      const scope = await scopes.owned(access, name);
      checkOrgno('consumer_orgno', consumer);
      const result = await db.deleteFrom('api_scope_access').where('environment', '=', environment).where('scope', '=', name).where('consumer_orgno', '=', consumer).executeTakeFirst();
      if (Number(result.numDeletedRows) === 0) return; // not there: what was asked is so
      await audit.record({ actor, action: 'scope.access.revoke', orgno: scope.owner_orgno ?? null, before: { scope: name, consumer_orgno: consumer } });
      await changed();
    },

    async accessOf(orgno, { accessibleForAll = false } = {}) {
      const rows = await db.selectFrom('api_scope_access').select(['scope', 'consumer_orgno', 'created_at', 'updated_at'])
        .where('environment', '=', environment).where('consumer_orgno', '=', orgno).where('state', '=', 'APPROVED').orderBy('scope').execute();
      const given = rows.map(toAccess);
      if (!accessibleForAll) return given;
      const open = (await scopes.list()).filter((scope) => scope.accessible_for_all && !given.some((entry) => entry.scope === scope.name));
      return [...given, ...open.map((scope) => ({ scope: scope.name, consumer_orgno: orgno, state: 'APPROVED' as const, created: scope.created!, last_updated: scope.last_updated! }))]
        .sort((a, b) => a.scope.localeCompare(b.scope));
    },

    async catalog() {
      const [all, access] = await Promise.all([
        scopes.list({ includeInactive: true }),
        db.selectFrom('api_scope_access').select(['scope', 'consumer_orgno']).where('environment', '=', environment).where('state', '=', 'APPROVED').execute(),
      ]);
      return new ApiScopeCatalog(all, access);
    },

    onChange(listener) {
      listeners.push(listener);
    },
  };
  return scopes;
}
