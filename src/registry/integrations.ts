// Self-service on integrations (profile §7, issue 5): the domain under both the REST API and the
// portal. Every operation is checked against what the caller may see, validated with the one
// client schema, and written to the audit log. Secrets are generated here, shown once, and kept
// only as digests.
import crypto from 'node:crypto';
import { DomainError, ClientValidationError } from './errors.js';
import { validateClient, usesSecret, type ClientInput, type ValidationContext } from './client-schema.js';
import type { ClientRegistry, StoredClient, UpsertOptions } from './clients.js';
import type { AuditLog, Actor } from './audit.js';
import type { EventQuery, FailingClient, FailingQuery, ProtocolEvents, RecordedEvent } from './events.js';

export const SECRET_LIFETIME_DAYS = 360;
export const KEY_LIFETIME_DAYS = 365;
const DAY = 86_400_000;

/** What a caller may see and change: some organisations, or (service desk) all. */
export type Access = { orgnos: ReadonlySet<string> } | 'all';

/** Whether `access` reaches what belongs to the organisation `orgno` (nothing reaches what belongs to none but the desk). */
export const canSee = (access: Access, orgno: string | null | undefined): boolean => access === 'all' || (!!orgno && access.orgnos.has(orgno));

export class NotFoundError extends DomainError {
  constructor(clientId: string, message = `no integration ${clientId} that you can see`) {
    super('client.not_found', message);
  }
}
export class ForbiddenError extends DomainError {}
/** The integration changed since the caller read it (If-Match named another version). */
export class PreconditionFailedError extends DomainError {
  constructor(clientId: string, current: string) {
    super('client.changed', `integration ${clientId} was changed since you read it (it is ${current} now); read it again and make your change on what is there`);
  }
}

/**
 * An integration's version, as the self-service API's ETag: its last change, to the millisecond
 * (every change moves it on; registry/clients.ts).
 */
export const etagOf = (stored: Pick<StoredClient, 'updatedAt'>): string => `"${stored.updatedAt.getTime().toString(36)}"`;

/** The version (etagOf) of an integration as shown. */
export const versionOf = (integration: Pick<IntegrationView, 'last_updated'>): string => etagOf({ updatedAt: new Date(integration.last_updated) });

/**
 * Whether an If-Match header lets a change of `stored` go on: none given, `*`, or a list naming its
 * ETag (compared as strong tags: a weak one never matches).
 */
function preconditionHolds(ifMatch: string | undefined, stored: StoredClient): boolean {
  return ifMatchHolds(ifMatch, etagOf(stored));
}

/** Whether an If-Match header lets a change of the version `etag` go on (none given, `*`, or a list naming it). */
export function ifMatchHolds(ifMatch: string | undefined, etag: string): boolean {
  if (ifMatch === undefined) return true;
  const tags = ifMatch.split(',').map((tag) => tag.trim());
  return tags.includes('*') || tags.includes(etag);
}

/** An integration as the API and portal show it: ID-porten's fields, no secret. */
export type IntegrationView = Omit<ClientInput, 'client_secret'> & {
  client_orgno?: string;
  created: string;
  last_updated: string;
  client_secret_expires_at?: string;
  source: string;
};

export interface JwksView {
  created: string | undefined;
  last_updated: string | undefined;
  keys: NonNullable<ClientInput['jwks']>['keys'];
}

export interface Integrations {
  list(access: Access, filter?: { orgno?: string; includeInactive?: boolean }): Promise<IntegrationView[]>;
  get(access: Access, clientId: string): Promise<IntegrationView>;
  create(access: Access, orgno: string, input: unknown, actor: Actor): Promise<{ integration: IntegrationView; client_secret?: string }>;
  /** Whether `create` would take `input` as an integration of `orgno` (ClientValidationError if not); creates nothing. */
  check(access: Access, orgno: string, input: unknown): void;
  /** `ifMatch` (the API's If-Match header) makes a change conditional on the version read (etagOf). */
  update(access: Access, clientId: string, input: unknown, actor: Actor, ifMatch?: string): Promise<IntegrationView>;
  remove(access: Access, clientId: string, actor: Actor, ifMatch?: string): Promise<void>;
  newSecret(access: Access, clientId: string, actor: Actor, ifMatch?: string): Promise<{ integration: IntegrationView; client_secret: string }>;
  getJwks(access: Access, clientId: string): Promise<JwksView>;
  setJwks(access: Access, clientId: string, jwks: unknown, actor: Actor, ifMatch?: string): Promise<JwksView>;
  /** What the provider did for this integration lately, newest first (protocol events). */
  events(access: Access, clientId: string, query?: EventQuery): Promise<RecordedEvent[]>;
  /** A supplier's customers registered on the integration (onbehalfof, profile §7.3 and §11). */
  listOnBehalfOf(access: Access, clientId: string): Promise<OnBehalfOf[]>;
  getOnBehalfOf(access: Access, clientId: string, onbehalfof: string): Promise<OnBehalfOf>;
  /** Adds a customer; its onbehalfof value must be new on the integration. */
  addOnBehalfOf(access: Access, clientId: string, input: unknown, actor: Actor, ifMatch?: string): Promise<OnBehalfOf>;
  /** Replaces a customer's registration; its onbehalfof value cannot change. */
  replaceOnBehalfOf(access: Access, clientId: string, onbehalfof: string, input: unknown, actor: Actor, ifMatch?: string): Promise<OnBehalfOf>;
  removeOnBehalfOf(access: Access, clientId: string, onbehalfof: string, actor: Actor, ifMatch?: string): Promise<void>;
  /** The service desk's view across organisations: integrations whose calls failed most lately. */
  failing(access: Access, query?: FailingQuery): Promise<FailingIntegration[]>;
  /** The service desk finds what an error page's reference (quoted by a person) was about. */
  withReference(access: Access, reference: string): Promise<ReferencedEvent | undefined>;
}

/** The event an error page's reference names, with the integration it happened to (if it has one here). */
export type ReferencedEvent = RecordedEvent & { integration: IntegrationView | undefined };

/** What an error page shows as its reference (provider/protocol-events.ts newReference). */
export const ERROR_REFERENCE = /^[0-9a-f]{12}$/;

/** A client failing lately, with its integration (none for Portvakt's own clients, the portal and the demo). */
export type FailingIntegration = FailingClient & { integration: IntegrationView | undefined };

export type OnBehalfOf = NonNullable<ClientInput['onbehalfof']>[number];

type StoredJwks = NonNullable<ClientInput['jwks']> & { created?: string; last_updated?: string };

export function view(stored: StoredClient): IntegrationView {
  const { jwks, ...registration } = stored.registration as ClientInput & { jwks?: StoredJwks };
  return {
    ...registration,
    ...(jwks ? { jwks: { keys: jwks.keys } } : {}),
    ...(stored.orgno ? { client_orgno: stored.orgno } : {}),
    active: stored.active,
    created: stored.createdAt.toISOString(),
    last_updated: stored.updatedAt.toISOString(),
    ...(stored.secretExpiresAt ? { client_secret_expires_at: stored.secretExpiresAt.toISOString() } : {}),
    source: stored.source,
  } as IntegrationView;
}

const READ_ONLY_FIELDS = new Set(['created', 'last_updated', 'client_secret_expires_at', 'source', 'supplier_orgno', 'backchannel_logout_session_required']);

const newSecretValue = () => crypto.randomBytes(32).toString('base64url');

/** What the layers above add to the rules here (app.ts). */
export interface IntegrationHooks {
  /**
   * Refuses a new integration for an organisation, if it may not have one, or not from this caller
   * (onboarding/terms.ts, onboarding/production-requests.ts).
   */
  beforeCreate?(orgno: string, access: Access): Promise<void>;
  /** Refuses an integration, new or changed, that breaks a rule kept outside the client format (its API scopes). */
  checkClient?(client: ClientInput): void;
}

export function createIntegrations(clients: ClientRegistry, audit: AuditLog, context: ValidationContext, protocolEvents?: ProtocolEvents, hooks: IntegrationHooks = {}): Integrations {

  async function visible(access: Access, clientId: string): Promise<StoredClient> {
    const stored = await clients.find(clientId);
    // An integration the caller may not see is reported exactly like one that does not exist.
    if (!stored || !canSee(access, stored.orgno)) throw new NotFoundError(clientId);
    return stored;
  }

  /**
   * The integration as read for a change, once the caller's If-Match is seen to hold for it (a
   * precondition is checked again, atomically, when the change is written: changeExisting).
   */
  async function readForChange(access: Access, clientId: string, ifMatch: string | undefined): Promise<StoredClient> {
    const before = await visible(access, clientId);
    if (!preconditionHolds(ifMatch, before)) throw new PreconditionFailedError(clientId, etagOf(before));
    return before;
  }

  /** One registered customer of an integration, or 404 as for anything the caller cannot see. */
  function entryOf(stored: StoredClient, onbehalfof: string): OnBehalfOf {
    const entry = stored.registration.onbehalfof?.find((e) => e.onbehalfof === onbehalfof);
    if (!entry) throw new NotFoundError(stored.registration.client_id, `no onbehalfof ${JSON.stringify(onbehalfof.slice(0, 100))} on integration ${stored.registration.client_id}`);
    return entry;
  }

  /**
   * Changes an integration's list of customers: `change` makes the new list from the one read, and
   * the result is checked as a whole (field paths onbehalfof.N.name and so on), saved and audited.
   * One customer added or removed must not undo another's added at the same moment, so the list is
   * saved only over the version it was made from, and made again from the newer one otherwise;
   * with the caller's If-Match, a newer version is the caller's 412 instead.
   */
  async function changeOnBehalfOf(access: Access, clientId: string, change: (entries: OnBehalfOf[], before: StoredClient) => OnBehalfOf[], actor: Actor, ifMatch: string | undefined): Promise<StoredClient> {
    for (let attempt = 1; ; attempt++) {
      const before = await readForChange(access, clientId, ifMatch);
      const client = validate({ ...(before.registration as ClientInput), onbehalfof: change(before.registration.onbehalfof ?? [], before) }, clientId, before.orgno!);
      const { client_secret: _placeholder, ...withoutSecret } = client;
      try {
        const stored = await changeExisting(before, withoutSecret as ClientInput, ifMatch ?? etagOf(before));
        await audit.record({ actor, action: 'client.onbehalfof.set', orgno: before.orgno, clientId, before: { onbehalfof: before.registration.onbehalfof ?? [] }, after: { onbehalfof: client.onbehalfof ?? [] } });
        return stored;
      } catch (err) {
        // Each round one of the changes racing saves, so this many rounds serve as many at once.
        if (!(err instanceof PreconditionFailedError) || ifMatch !== undefined || attempt >= ONBEHALFOF_ATTEMPTS) throw err;
      }
    }
  }

  /**
   * Saves a change to `before`, an integration read for it: one deleted meanwhile stays deleted, and
   * with an If-Match one changed meanwhile is not changed again over it.
   */
  async function changeExisting(before: StoredClient, input: ClientInput, ifMatch: string | undefined, options: UpsertOptions = {}): Promise<StoredClient> {
    const stored = await clients.update(input, before.source, { ...options, unchangedSince: ifMatch === undefined ? undefined : before.updatedAt });
    if (stored === 'gone') throw new NotFoundError(input.client_id);
    if (stored === 'changed meanwhile') throw new PreconditionFailedError(input.client_id, 'another version');
    return stored;
  }

  function validate(input: unknown, clientId: string, orgno: string): ClientInput {
    if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new ClientValidationError(clientId, '(body)', 'must be a JSON object');
    // What GET shows but nobody sets may come back in a PUT (read, change, write back); it is ignored.
    const body = Object.fromEntries(Object.entries(input).filter(([key]) => !READ_ONLY_FIELDS.has(key)));
    if ('client_secret' in body) throw new ClientValidationError(clientId, 'client_secret', 'is generated by the server; use POST /clients/{client_id}/secret');
    if (body.client_orgno !== undefined && body.client_orgno !== orgno) throw new ForbiddenError('client.orgno_mismatch', `client_orgno must be your organisation (${orgno})`);
    // The secret is a placeholder here only so the rules for secret methods pass; it is replaced below.
    const client = validateClient({ ...body, client_id: clientId, client_orgno: orgno, ...(usesSecretMethod(body) ? { client_secret: 'generated' } : {}) }, context);
    hooks.checkClient?.(client);
    return client;
  }

  const deskOnly = (access: Access, what: string) => {
    if (access !== 'all') throw new ForbiddenError('desk.forbidden', `only the service desk ${what}`);
  };

  return {
    async list(access, filter = {}) {
      if (filter.orgno && !canSee(access, filter.orgno)) return [];
      const all = await clients.list(filter.orgno ? { orgno: filter.orgno } : {});
      return all.filter((c) => canSee(access, c.orgno) && (filter.includeInactive || c.active)).map(view);
    },

    async get(access, clientId) {
      return view(await visible(access, clientId));
    },

    async create(access, orgno, input, actor) {
      if (!canSee(access, orgno)) throw new ForbiddenError('organisation.forbidden', `you cannot create integrations for ${orgno}`);
      const clientId = crypto.randomUUID();
      const client = validate(input, clientId, orgno);
      await hooks.beforeCreate?.(orgno, access);
      const secret = usesSecret(client) ? newSecretValue() : undefined;
      const stored = await clients.upsert({ ...client, ...(secret ? { client_secret: secret } : {}) }, 'self-service', {
        secretExpiresAt: secret ? new Date(Date.now() + SECRET_LIFETIME_DAYS * DAY) : undefined,
      });
      const integration = view(stored);
      await audit.record({ actor, action: 'client.create', orgno, clientId, after: integration });
      return { integration, ...(secret ? { client_secret: secret } : {}) };
    },

    check(access, orgno, input) {
      if (!canSee(access, orgno)) throw new ForbiddenError('organisation.forbidden', `you cannot create integrations for ${orgno}`);
      validate(input, crypto.randomUUID(), orgno);
    },

    async update(access, clientId, input, actor, ifMatch) {
      const before = await readForChange(access, clientId, ifMatch);
      const orgno = before.orgno!;
      const body = input as Record<string, unknown>;
      if (body && typeof body === 'object' && body.client_id !== undefined && body.client_id !== clientId) {
        throw new ClientValidationError(clientId, 'client_id', 'cannot be changed');
      }
      const { client_id: _ignored, ...rest } = (body ?? {}) as Record<string, unknown>;
      // A machine client's grant is how it gets its tokens: a change that leaves it out keeps it,
      // rather than taking the default (the JWT grant) and locking out a client-credentials client.
      if (rest.grant_types === undefined && before.registration.integration_type === 'maskinporten') rest.grant_types = before.registration.grant_types;
      const client = validate(rest, clientId, orgno);
      if (client.integration_type !== before.registration.integration_type) {
        throw new ClientValidationError(clientId, 'integration_type', `cannot be changed after creation (it is "${before.registration.integration_type}")`, 'immutable_type', { type: before.registration.integration_type });
      }
      // Keep the stored secret when the method still uses one; a switch to a secret method makes a new one.
      const hadSecret = !!before.secretDigest;
      const secret = usesSecret(client) && !hadSecret ? newSecretValue() : undefined;
      const { client_secret: _placeholder, ...withoutSecret } = client;
      const stored = await changeExisting(before, { ...withoutSecret, ...(secret ? { client_secret: secret } : {}), ...(client.jwks ? { jwks: stampJwks(client.jwks, before) } : {}) } as ClientInput, ifMatch, {
        secretExpiresAt: secret ? new Date(Date.now() + SECRET_LIFETIME_DAYS * DAY) : undefined,
      });
      const after = view(stored);
      await audit.record({ actor, action: 'client.update', orgno, clientId, before: view(before), after });
      return after;
    },

    async remove(access, clientId, actor, ifMatch) {
      const before = await readForChange(access, clientId, ifMatch);
      const removed = await clients.remove(clientId, { unchangedSince: ifMatch === undefined ? undefined : before.updatedAt });
      if (removed === 'changed meanwhile') throw new PreconditionFailedError(clientId, 'another version');
      if (removed === 'gone') return; // deleted by someone else meanwhile: what was asked is so
      await audit.record({ actor, action: 'client.delete', orgno: before.orgno, clientId, before: view(before) });
    },

    async newSecret(access, clientId, actor, ifMatch) {
      const before = await readForChange(access, clientId, ifMatch);
      if (!usesSecret(before.registration)) {
        throw new ClientValidationError(clientId, 'token_endpoint_auth_method', `is "${before.registration.token_endpoint_auth_method}", which uses no secret`);
      }
      const secret = newSecretValue();
      const stored = await changeExisting(before, { ...(before.registration as ClientInput), client_secret: secret }, ifMatch, {
        secretExpiresAt: new Date(Date.now() + SECRET_LIFETIME_DAYS * DAY),
      });
      await audit.record({ actor, action: 'client.secret.new', orgno: before.orgno, clientId, after: { client_secret_expires_at: stored.secretExpiresAt?.toISOString() } });
      return { integration: view(stored), client_secret: secret };
    },

    async getJwks(access, clientId) {
      const stored = await visible(access, clientId);
      const jwks = stored.registration.jwks as StoredJwks | undefined;
      return { created: jwks?.created, last_updated: jwks?.last_updated, keys: jwks?.keys ?? [] };
    },

    async setJwks(access, clientId, input, actor, ifMatch) {
      const before = await readForChange(access, clientId, ifMatch);
      // The key set replaces the one there: without one (an empty request) there is nothing to put.
      if (typeof input !== 'object' || input === null || Array.isArray(input)) {
        throw new ClientValidationError(clientId, 'jwks', 'must be a key set: {"keys": [ … ]} with 1 to 5 RSA keys');
      }
      const registration = { ...(before.registration as ClientInput), jwks: input as ClientInput['jwks'] };
      const client = validate(registration, clientId, before.orgno!);
      const { client_secret: _placeholder, ...withoutSecret } = client;
      const stored = await changeExisting(before, { ...withoutSecret, jwks: stampJwks(client.jwks!, before) } as ClientInput, ifMatch);
      await audit.record({ actor, action: 'client.jwks.set', orgno: before.orgno, clientId, before: { keys: before.registration.jwks?.keys ?? [] }, after: { keys: client.jwks?.keys } });
      const jwks = stored.registration.jwks as StoredJwks;
      return { created: jwks.created, last_updated: jwks.last_updated, keys: jwks.keys };
    },

    async listOnBehalfOf(access, clientId) {
      return (await visible(access, clientId)).registration.onbehalfof ?? [];
    },

    async getOnBehalfOf(access, clientId, onbehalfof) {
      return entryOf(await visible(access, clientId), onbehalfof);
    },

    async addOnBehalfOf(access, clientId, input, actor, ifMatch) {
      const value = (input as { onbehalfof?: unknown } | null)?.onbehalfof;
      const stored = await changeOnBehalfOf(access, clientId, (entries) => {
        if (typeof value === 'string' && entries.some((e) => e.onbehalfof === value)) {
          throw new ClientValidationError(clientId, 'onbehalfof', `"${value}" is registered already; change it with PUT …/onbehalfof/${value}`);
        }
        return [...entries, input as OnBehalfOf];
      }, actor, ifMatch);
      return entryOf(stored, String(value));
    },

    async replaceOnBehalfOf(access, clientId, onbehalfof, input, actor, ifMatch) {
      const value = (input as { onbehalfof?: unknown } | null)?.onbehalfof;
      if (value !== undefined && value !== onbehalfof) throw new ClientValidationError(clientId, 'onbehalfof', `cannot be changed (it is "${onbehalfof}"); register the new value and remove this one`);
      const stored = await changeOnBehalfOf(access, clientId, (entries, before) => {
        entryOf(before, onbehalfof);
        return entries.map((e) => (e.onbehalfof === onbehalfof ? { ...(input as object), onbehalfof } as OnBehalfOf : e));
      }, actor, ifMatch);
      return entryOf(stored, onbehalfof);
    },

    async removeOnBehalfOf(access, clientId, onbehalfof, actor, ifMatch) {
      await changeOnBehalfOf(access, clientId, (entries, before) => {
        entryOf(before, onbehalfof);
        return entries.filter((e) => e.onbehalfof !== onbehalfof);
      }, actor, ifMatch);
    },

    async events(access, clientId, { limit = 50, outcome } = {}) {
      await visible(access, clientId);
      return protocolEvents ? protocolEvents.forClient(clientId, { limit: Math.min(Math.max(1, limit), MAX_EVENTS), outcome }) : [];
    },

    async failing(access, query) {
      deskOnly(access, 'sees every organisation\'s failures');
      const failing = protocolEvents ? await protocolEvents.failing(query) : [];
      // Portvakt's own clients (the portal, the demo) have events but no registration here.
      return Promise.all(failing.map(async (f) => {
        const stored = await clients.find(f.clientId);
        return { ...f, integration: stored ? view(stored) : undefined };
      }));
    },

    async withReference(access, reference) {
      deskOnly(access, 'looks up error references');
      if (!ERROR_REFERENCE.test(reference)) return undefined;
      const event = await protocolEvents?.withReference(reference);
      if (!event) return undefined;
      const stored = await clients.find(event.clientId);
      return { ...event, integration: stored ? view(stored) : undefined };
    },
  };
}

/** Rounds a change to an integration's customers makes against changes racing it (see changeOnBehalfOf). */
const ONBEHALFOF_ATTEMPTS = 20;

/** Protocol events one answer lists at most. */
export const MAX_EVENTS = 200;

function usesSecretMethod(body: Record<string, unknown>): boolean {
  const method = body.token_endpoint_auth_method ?? 'client_secret_basic';
  return method === 'client_secret_basic' || method === 'client_secret_post';
}

/** Keys are valid a year from upload; re-posting renews them (profile §7.3). */
function stampJwks(jwks: NonNullable<ClientInput['jwks']>, before: StoredClient | undefined): StoredJwks {
  const now = new Date().toISOString();
  const previous = before?.registration.jwks as StoredJwks | undefined;
  return { keys: jwks.keys, created: previous?.created ?? now, last_updated: now };
}
