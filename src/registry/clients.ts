// The client registry: integrations of one environment, as ID-porten registers them.
// Secrets are kept only as keyed digests; the provider reads clients through `find`, which is
// cached in memory and invalidated on every change made through this registry.
import { sql } from 'kysely';
import type { Db } from '../store/db.js';
import type { ChangeFeed } from '../store/change-feed.js';
import type { Secrets } from '../store/secrets.js';
import { isStorableText } from '../store/storable-text.js';
import { type ClientInput, type ClientRegistration, usesSecret } from './client-schema.js';

export interface StoredClient {
  registration: ClientRegistration;
  secretDigest: string | null;
  secretExpiresAt: Date | null;
  /** The organisation that owns the integration, when known. */
  orgno: string | null;
  source: string;
  active: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export interface UpsertOptions {
  /** When a new secret expires (self-service secrets live 360 days); undefined keeps no expiry. */
  secretExpiresAt?: Date | undefined;
}

export interface ChangeOptions extends UpsertOptions {
  /** Change it only if it is still as it was when read (its updatedAt): a change made meanwhile wins. */
  unchangedSince?: Date | undefined;
}

/** What a change of an existing client came to. */
export type ChangeOutcome = StoredClient | 'gone' | 'changed meanwhile';

export interface ClientRegistry {
  upsert(input: ClientInput, source: string, options?: UpsertOptions): Promise<StoredClient>;
  /**
   * Changes a client that exists, and only then ('gone': deleted meanwhile, say; an upsert would
   * bring it back), and with `unchangedSince` only if nobody changed it since ('changed meanwhile').
   * Without a new secret a secret method keeps the stored one as it is at that moment, so a secret
   * made meanwhile is not overwritten by an older one.
   */
  update(input: ClientInput, source: string, options?: ChangeOptions): Promise<ChangeOutcome>;
  find(clientId: string): Promise<StoredClient | undefined>;
  list(filter?: { orgno?: string }): Promise<StoredClient[]>;
  /** Deletes it ('gone': it was not there; 'changed meanwhile': it changed since `unchangedSince`, and stays). */
  remove(clientId: string, options?: Pick<ChangeOptions, 'unchangedSince'>): Promise<'removed' | 'gone' | 'changed meanwhile'>;
}

export interface CacheOptions {
  /**
   * How long a node may serve a client from memory. A single process (PGlite) sees every change
   * itself and caches for good; with many nodes over PostgreSQL, `changes` tells each node at once,
   * and this is how long a node can be wrong should a notification be lost in a way it cannot notice.
   */
  cacheSeconds?: number;
  /** Nodes tell each other which client changed (topic `clients`). */
  changes?: ChangeFeed | undefined;
}

const TOPIC = 'clients';

/** updated_at as JavaScript reads it back (to the millisecond), for comparing with what was read. */
const toTheMillisecond = sql<Date>`date_trunc('milliseconds', updated_at)`;

export function createClientRegistry(db: Db, secrets: Secrets, environment: string, { cacheSeconds = Infinity, changes }: CacheOptions = {}): ClientRegistry {
  const cache = new Map<string, StoredClient & { cachedAt: number }>();
  // Bumped by every invalidation: a read that began before one must not cache what it read.
  let generation = 0;
  const forget = (clientId: string | undefined) => {
    generation++;
    if (clientId === undefined) cache.clear();
    else cache.delete(clientId);
  };
  // The change is made by then: a notification that cannot be sent must not fail it (the other
  // nodes then see it when their cached copy times out).
  const changed = async (clientId: string) => {
    forget(clientId);
    await changes?.publish(TOPIC, `${environment}:${clientId}`).catch(() => undefined);
  };
  changes?.subscribe(TOPIC, (key) => {
    if (key === undefined) forget(undefined);
    else if (key.startsWith(`${environment}:`)) forget(key.slice(environment.length + 1));
  });

  /**
   * What a save writes. A new secret replaces the stored one and a method without secrets deletes it
   * (profile §3); otherwise the secret columns are left out, so the stored secret stays as it is at
   * the moment of writing (a secret made meanwhile is not overwritten by what was read before).
   */
  const columnsFor = (input: ClientInput, source: string, options: UpsertOptions) => {
    const { client_secret: secret, ...registration } = input;
    const secretColumns = !usesSecret(input)
      ? { secret_digest: null, secret_expires_at: null }
      : secret ? { secret_digest: secrets.digest(secret), secret_expires_at: options.secretExpiresAt ?? null } : {};
    return { metadata: JSON.stringify(registration), orgno: input.client_orgno ?? null, source, active: input.active, updated_at: new Date(), ...secretColumns };
  };

  /** Whether the client is there now (asked of the database, not the cache). */
  const exists = async (clientId: string) =>
    !!(await db.selectFrom('clients').select('client_id').where('client_id', '=', clientId).where('environment', '=', environment).executeTakeFirst());

  const registry: ClientRegistry = {
    async upsert(input, source, options = {}) {
      const columns = columnsFor(input, source, options);
      await db
        .insertInto('clients')
        .values({ client_id: input.client_id, environment, secret_digest: null, secret_expires_at: null, created_at: columns.updated_at, ...columns })
        .onConflict((oc) => oc.column('client_id').doUpdateSet({ environment, ...columns }))
        .execute();
      await changed(input.client_id);
      return (await registry.find(input.client_id))!;
    },

    async update(input, source, options = {}) {
      let query = db
        .updateTable('clients')
        // Every change moves updated_at on, also two in the same millisecond: it is what a change
        // made "unchanged since" a time it read checks (and the self-service API's ETag).
        .set({ ...columnsFor(input, source, options), updated_at: sql<Date>`greatest(${new Date()}::timestamptz, updated_at + interval '1 millisecond')` })
        .where('client_id', '=', input.client_id)
        .where('environment', '=', environment);
      if (options.unchangedSince) query = query.where(toTheMillisecond, '=', options.unchangedSince);
      const result = await query.executeTakeFirst();
      if (Number(result.numUpdatedRows) === 0) return (await exists(input.client_id)) ? 'changed meanwhile' : 'gone';
      await changed(input.client_id);
      return (await registry.find(input.client_id)) ?? 'gone';
    },

    async find(clientId) {
      if (!isStorableText(clientId)) return undefined; // no client has such an id (and the database would answer with an error)
      const cached = cache.get(clientId);
      if (cached && Date.now() - cached.cachedAt < cacheSeconds * 1000) return cached;
      const readingSince = generation;
      const row = await db.selectFrom('clients').selectAll().where('client_id', '=', clientId).where('environment', '=', environment).executeTakeFirst();
      if (!row) return undefined; // misses are not cached: unknown ids must not grow memory
      const client = toStored(row);
      if (generation === readingSince) cache.set(clientId, { ...client, cachedAt: Date.now() });
      return client;
    },

    async list(filter = {}) {
      let query = db.selectFrom('clients').selectAll().where('environment', '=', environment);
      if (filter.orgno) query = query.where('orgno', '=', filter.orgno);
      const rows = await query.orderBy('client_id').execute();
      return rows.map(toStored);
    },

    async remove(clientId, { unchangedSince } = {}) {
      let query = db.deleteFrom('clients').where('client_id', '=', clientId).where('environment', '=', environment);
      if (unchangedSince) query = query.where(toTheMillisecond, '=', unchangedSince);
      const result = await query.executeTakeFirst();
      if (Number(result.numDeletedRows) === 0) return (await exists(clientId)) ? 'changed meanwhile' : 'gone';
      await changed(clientId);
      return 'removed';
    },
  };
  return registry;
}

interface ClientRow {
  metadata: Record<string, unknown>;
  secret_digest: string | null;
  secret_expires_at: Date | null;
  orgno: string | null;
  source: string;
  active: boolean;
  created_at: Date;
  updated_at: Date;
}

function toStored(row: ClientRow): StoredClient {
  return {
    registration: row.metadata as unknown as ClientRegistration,
    secretDigest: row.secret_digest,
    secretExpiresAt: row.secret_expires_at && new Date(row.secret_expires_at),
    orgno: row.orgno,
    source: row.source,
    active: row.active,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  };
}
