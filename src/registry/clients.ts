// The client registry: integrations of one environment, as ID-porten registers them.
// Secrets are kept only as keyed digests; the provider reads clients through `find`, which is
// cached in memory and invalidated on every change made through this registry.
import type { Db } from '../store/db.js';
import type { Secrets } from '../store/secrets.js';
import { type ClientInput, type ClientRegistration, usesSecret } from './client-schema.js';

export interface StoredClient {
  registration: ClientRegistration;
  secretDigest: string | null;
  secretExpiresAt: Date | null;
  source: string;
  active: boolean;
}

export interface ClientRegistry {
  upsert(input: ClientInput, source: string): Promise<StoredClient>;
  find(clientId: string): Promise<StoredClient | undefined>;
  list(): Promise<StoredClient[]>;
}

export function createClientRegistry(db: Db, secrets: Secrets, environment: string): ClientRegistry {
  const cache = new Map<string, StoredClient>();

  return {
    async upsert(input, source) {
      const { client_secret: secret, ...registration } = input;
      const now = new Date();
      const existing = await db.selectFrom('clients').select(['secret_digest']).where('client_id', '=', input.client_id).executeTakeFirst();
      // A declared secret replaces the stored one; a method without secrets deletes it (profile §3).
      const secretDigest = !usesSecret(input) ? null : secret ? secrets.digest(secret) : (existing?.secret_digest ?? null);
      const row = {
        client_id: input.client_id,
        environment,
        metadata: JSON.stringify(registration),
        secret_digest: secretDigest,
        secret_expires_at: null,
        source,
        active: input.active,
        updated_at: now,
      };
      await db
        .insertInto('clients')
        .values({ ...row, created_at: now })
        .onConflict((oc) => oc.column('client_id').doUpdateSet(row))
        .execute();
      cache.delete(input.client_id);
      return { registration, secretDigest, secretExpiresAt: null, source, active: input.active };
    },

    async find(clientId) {
      const cached = cache.get(clientId);
      if (cached) return cached;
      const row = await db.selectFrom('clients').selectAll().where('client_id', '=', clientId).where('environment', '=', environment).executeTakeFirst();
      if (!row) return undefined; // misses are not cached: unknown ids must not grow memory
      const client = toStored(row);
      cache.set(clientId, client);
      return client;
    },

    async list() {
      const rows = await db.selectFrom('clients').selectAll().where('environment', '=', environment).orderBy('client_id').execute();
      return rows.map(toStored);
    },
  };
}

function toStored(row: { metadata: Record<string, unknown>; secret_digest: string | null; secret_expires_at: Date | null; source: string; active: boolean }): StoredClient {
  return {
    registration: row.metadata as unknown as ClientRegistration,
    secretDigest: row.secret_digest,
    secretExpiresAt: row.secret_expires_at,
    source: row.source,
    active: row.active,
  };
}
