// Schema migrations, kept in code so the embedded store and PostgreSQL run exactly the same steps.
import { Migrator, sql, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import { ConfigError } from '../config/error.js';
import type { Db } from './db.js';
import { MIGRATION_NAMES, isKnownMigration, type MigrationName } from './migration-names.js';

export const migrations: Record<MigrationName, Migration> = {
  '0001_provider_core': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('settings')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('value', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .execute();

      await db.schema
        .createTable('signing_keys')
        .addColumn('kid', 'text', (c) => c.primaryKey())
        .addColumn('alg', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull().check(sql`state in ('next', 'current', 'retired')`))
        .addColumn('public_jwk', 'jsonb', (c) => c.notNull())
        .addColumn('private_jwk_sealed', 'text', (c) => c.notNull())
        .addColumn('created_at', 'timestamptz', (c) => c.notNull())
        .addColumn('activated_at', 'timestamptz')
        .addColumn('retired_at', 'timestamptz')
        .execute();

      await db.schema
        .createTable('clients')
        .addColumn('client_id', 'text', (c) => c.primaryKey())
        .addColumn('environment', 'text', (c) => c.notNull())
        .addColumn('metadata', 'jsonb', (c) => c.notNull())
        .addColumn('secret_digest', 'text')
        .addColumn('secret_expires_at', 'timestamptz')
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('active', 'boolean', (c) => c.notNull().defaultTo(true))
        .addColumn('created_at', 'timestamptz', (c) => c.notNull())
        .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('oidc_payloads')
        .addColumn('model', 'text', (c) => c.notNull())
        .addColumn('id', 'text', (c) => c.notNull())
        .addColumn('payload', 'jsonb', (c) => c.notNull())
        .addColumn('grant_id', 'text')
        .addColumn('uid', 'text')
        .addColumn('expires_at', 'timestamptz')
        .addColumn('consumed_at', 'timestamptz')
        .addPrimaryKeyConstraint('oidc_payloads_pk', ['model', 'id'])
        .execute();
      await db.schema.createIndex('oidc_payloads_grant_id').on('oidc_payloads').columns(['grant_id']).execute();
      await db.schema.createIndex('oidc_payloads_uid').on('oidc_payloads').columns(['model', 'uid']).execute();
      await db.schema.createIndex('oidc_payloads_expires_at').on('oidc_payloads').columns(['expires_at']).execute();
    },
  },
  '0002_protocol_events': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('protocol_events')
        .addColumn('id', 'bigserial', (c) => c.primaryKey())
        .addColumn('environment', 'text', (c) => c.notNull())
        .addColumn('client_id', 'text')
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('outcome', 'text', (c) => c.notNull())
        .addColumn('detail', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .execute();
      await db.schema.createIndex('protocol_events_client').on('protocol_events').columns(['environment', 'client_id', 'created_at']).execute();
    },
  },
  '0003_self_service': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('organisations')
        .addColumn('orgno', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .execute();
      await db.schema
        .createTable('people')
        .addColumn('pid', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text')
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .execute();
      // scope: an organisation number, or '*' for a global role (the operator's service desk).
      await db.schema
        .createTable('roles')
        .addColumn('pid', 'text', (c) => c.notNull().references('people.pid').onDelete('cascade'))
        .addColumn('scope', 'text', (c) => c.notNull())
        .addColumn('role', 'text', (c) => c.notNull().check(sql`role in ('integration_admin', 'service_desk')`))
        .addPrimaryKeyConstraint('roles_pk', ['pid', 'scope', 'role'])
        .execute();
      await db.schema.alterTable('clients').addColumn('orgno', 'text').execute();
      await db.schema.createIndex('clients_orgno').on('clients').columns(['environment', 'orgno']).execute();
      await db.schema
        .createTable('audit_log')
        .addColumn('id', 'bigserial', (c) => c.primaryKey())
        .addColumn('at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addColumn('environment', 'text', (c) => c.notNull())
        .addColumn('actor_kind', 'text', (c) => c.notNull())
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('ip', 'text')
        .addColumn('orgno', 'text')
        .addColumn('client_id', 'text')
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('before', 'jsonb')
        .addColumn('after', 'jsonb')
        .execute();
      await db.schema.createIndex('audit_log_client').on('audit_log').columns(['client_id', 'at']).execute();
      await db.schema.createIndex('audit_log_orgno').on('audit_log').columns(['orgno', 'at']).execute();
    },
  },
  '0004_lighter_provider_payloads': {
    // Every login writes a session, a grant and an access token, so these rows are the store's
    // hottest writes. oidc-provider's payloads are read whole by id and never queried inside: json
    // keeps them as text and is cheaper to write than jsonb. Only sessions have a uid and only tokens
    // a grant_id, so partial indexes skip the other rows (lookups by uid or grant_id still use them).
    async up(db: Kysely<unknown>) {
      await sql`alter table oidc_payloads alter column payload type json using payload::json`.execute(db);
      await db.schema.dropIndex('oidc_payloads_grant_id').execute();
      await db.schema.dropIndex('oidc_payloads_uid').execute();
      await db.schema.createIndex('oidc_payloads_grant_id').on('oidc_payloads').column('grant_id').where('grant_id', 'is not', null).execute();
      await db.schema.createIndex('oidc_payloads_uid').on('oidc_payloads').columns(['model', 'uid']).where('uid', 'is not', null).execute();
    },
  },
  '0005_payloads_as_text': {
    // Payloads are written by JSON.stringify and read whole by JSON.parse; json's input check parsed
    // every one again, a quarter of the embedded store's cost per row.
    async up(db: Kysely<unknown>) {
      await sql`alter table oidc_payloads alter column payload type text using payload::text`.execute(db);
    },
  },
  '0006_token_values_as_digests': {
    // Rows are keyed by the SHA-256 of the token value and carry no copy of it
    // (src/provider/token-digests.ts); the rows written before are brought to that form here, so
    // sessions and refresh tokens outlive the upgrade. The id is the base64url digest without
    // padding, as tokenDigest() computes it; `jti` is never a payload's first key (iat is), and an
    // interaction's copy of its session's cookie never its session's first (accountId is).
    async up(db: Kysely<unknown>) {
      await sql`
        update oidc_payloads set
          id = rtrim(translate(encode(sha256(convert_to(id, 'UTF8')), 'base64'), '+/', '-_'), '='),
          payload = case when model = 'Interaction'
            then regexp_replace(replace(payload, ',"jti":"' || id || '"', ''), '("session":\\{[^{}]*),"cookie":"[^"]*"', '\\1')
            else replace(payload, ',"jti":"' || id || '"', '')
          end
      `.execute(db);
    },
  },
  '0007_failing_clients': {
    // The service desk's list of clients failing lately reads one environment's failures of the last
    // day across all clients; successes, most of the table, stay out of the index.
    async up(db: Kysely<unknown>) {
      await db.schema.createIndex('protocol_events_failures').on('protocol_events').columns(['environment', 'created_at']).where(sql.ref('outcome'), '=', 'failure').execute();
    },
  },
  '0008_error_references': {
    // The service desk looks up the reference a person quotes from an error page; only the few
    // events shown on a page carry one.
    async up(db: Kysely<unknown>) {
      await db.schema.createIndex('protocol_events_reference').on('protocol_events').expression(sql`(detail->>'reference')`).where(sql<boolean>`detail ? 'reference'`).execute();
    },
  },
  '0009_support_requests': {
    // A conversation between an organisation and the service desk about an integration (onboarding/support.ts).
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('support_requests')
        .addColumn('id', 'bigserial', (c) => c.primaryKey())
        .addColumn('environment', 'text', (c) => c.notNull())
        .addColumn('orgno', 'text', (c) => c.notNull())
        .addColumn('client_id', 'text')
        .addColumn('subject', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('open', 'answered', 'closed')`))
        .addColumn('messages', 'jsonb', (c) => c.notNull())
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .execute();
      await db.schema.createIndex('support_requests_org').on('support_requests').columns(['environment', 'orgno', 'updated_at']).execute();
      await db.schema.createIndex('support_requests_status').on('support_requests').columns(['environment', 'status', 'updated_at']).execute();
    },
  },
  '0010_production_requests': {
    // An organisation asks for an integration in production; the service desk approves or rejects
    // it, and the organisation's administrator fetches the credentials (onboarding/production-requests.ts).
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('production_requests')
        .addColumn('id', 'bigserial', (c) => c.primaryKey())
        .addColumn('environment', 'text', (c) => c.notNull())
        .addColumn('orgno', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('pending', 'approved', 'rejected', 'withdrawn')`))
        .addColumn('test_client_id', 'text', (c) => c.notNull())
        .addColumn('client', 'jsonb', (c) => c.notNull())
        .addColumn('planning', 'jsonb', (c) => c.notNull())
        .addColumn('requested_by', 'text', (c) => c.notNull())
        .addColumn('decided_by', 'text')
        .addColumn('decided_at', 'timestamptz')
        .addColumn('reason', 'text')
        .addColumn('client_id', 'text')
        .addColumn('credentials_delivered_at', 'timestamptz')
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .execute();
      await db.schema.createIndex('production_requests_org').on('production_requests').columns(['environment', 'orgno', 'updated_at']).execute();
      await db.schema.createIndex('production_requests_status').on('production_requests').columns(['environment', 'status', 'updated_at']).execute();
    },
  },
  '0011_api_scopes': {
    // API scopes (profile §7.3): an organisation's API names scopes under a prefix it owns; clients of
    // organisations with access ask for them, and their access tokens carry them (registry/api-scopes.ts).
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('api_scopes')
        .addColumn('environment', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('owner_orgno', 'text')
        .addColumn('definition', 'jsonb', (c) => c.notNull())
        .addColumn('active', 'boolean', (c) => c.notNull())
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addPrimaryKeyConstraint('api_scopes_pk', ['environment', 'name'])
        .execute();
      await db.schema
        .createTable('api_scope_access')
        .addColumn('environment', 'text', (c) => c.notNull())
        .addColumn('scope', 'text', (c) => c.notNull())
        .addColumn('consumer_orgno', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull().check(sql`state in ('REQUESTED', 'APPROVED', 'DENIED')`))
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addPrimaryKeyConstraint('api_scope_access_pk', ['environment', 'scope', 'consumer_orgno'])
        .execute();
      await db.schema
        .createTable('api_scope_prefixes')
        .addColumn('environment', 'text', (c) => c.notNull())
        .addColumn('prefix', 'text', (c) => c.notNull())
        .addColumn('owner_orgno', 'text', (c) => c.notNull())
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addPrimaryKeyConstraint('api_scope_prefixes_pk', ['environment', 'prefix'])
        .execute();
    },
  },
  // A person's authorizations (grants) can be listed and withdrawn (provider/authorizations.ts):
  // a grant's row names its person (and its payload its own id, which its tokens are bound by).
  // Grants stored before have neither and are not listed; they end by themselves.
  '0012_grants_by_person': {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('oidc_payloads').addColumn('account_id', 'text').execute();
      await db.schema.createIndex('oidc_payloads_account_id').on('oidc_payloads').columns(['account_id']).where(sql.ref('account_id'), 'is not', null).execute();
    },
  },
};

const provider: MigrationProvider = { getMigrations: async () => migrations };

/**
 * `schema` names where the migration bookkeeping lives; Kysely otherwise looks for its tables in
 * every schema and can mistake another tenant's (or test's) for its own.
 */
export async function migrateToLatest(db: Db, schema?: string): Promise<void> {
  const applied = await appliedMigrations(db, schema);
  const unknown = applied?.filter((name) => !isKnownMigration(name)) ?? [];
  if (unknown.length) {
    // Kysely would say "corrupted migrations"; the database is fine, this code is older than it.
    throw new ConfigError(`the database was updated by a newer Portvakt (migration ${unknown.join(', ')}, which this version does not know); run that version or a later one, or start this one with another database`);
  }
  if (applied?.length === MIGRATION_NAMES.length) return; // most starts: up to date, no need for the Migrator
  const migrator = new Migrator({ db, provider, ...(schema ? { migrationTableSchema: schema } : {}) });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error || failed) {
    throw new Error(`database migration ${failed?.migrationName ?? ''} failed: ${String((error as Error)?.message ?? error)}`);
  }
}

/**
 * The names of the migrations recorded as applied, or undefined for a database without the
 * bookkeeping table. One query: the Migrator would first read the catalog to find its tables, which
 * costs PGlite a tenth of a second or more at every start.
 */
async function appliedMigrations(db: Db, schema: string | undefined): Promise<string[] | undefined> {
  const table = schema ? sql.id(schema, 'kysely_migration') : sql.id('kysely_migration');
  try {
    const { rows } = await sql<{ name: string }>`select name from ${table}`.execute(db);
    return rows.map((row) => row.name);
  } catch {
    return undefined; // a new database
  }
}
