// The SQL store: one Kysely database over PostgreSQL (pg) or the embedded PGlite.
// Both speak the same SQL, so one set of migrations serves both.
import type { Kysely, Generated, ColumnType, PostgresPool, PostgresPoolClient } from 'kysely';
import type pg from 'pg';
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../config/error.js';
import { openPgliteThread, type PgliteConnection } from './pglite-thread.js';
import { seedFromTemplate } from './pglite-template.js';
import { openPostgresChangeFeed, type ChangeFeed } from './change-feed.js';
import { redactUrl } from './redact-url.js';
import { lockDataDir } from './data-dir-lock.js';
import { introspectingOneSchema } from './one-schema-introspection.js';
import { isDuplicateSchema } from './sql-errors.js';
import { POSTGRES_TIMEOUTS, QUERY_TIMEOUT_MS } from './postgres-timeouts.js';
import { databaseFailure, isStoreUnavailable } from './unavailable.js';

type Timestamp = ColumnType<Date, Date | string, Date | string>;
type Json<T = unknown> = ColumnType<T, string, string>;

export interface SigningKeyTable {
  kid: string;
  alg: string;
  state: 'next' | 'current' | 'retired';
  public_jwk: Json<Record<string, unknown>>;
  private_jwk_sealed: string;
  created_at: Timestamp;
  activated_at: Timestamp | null;
  retired_at: Timestamp | null;
}

export interface ClientTable {
  client_id: string;
  environment: string;
  metadata: Json<Record<string, unknown>>;
  secret_digest: string | null;
  secret_expires_at: Timestamp | null;
  orgno: string | null;
  source: string;
  active: boolean;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface OidcPayloadTable {
  model: string;
  id: string;
  /** oidc-provider's payload as JSON text. */
  payload: string;
  grant_id: string | null;
  uid: string | null;
  /** The person a grant is for (grants only: they are listed by person). */
  account_id: ColumnType<string | null, string | null | undefined, string | null>;
  expires_at: Timestamp | null;
  consumed_at: Timestamp | null;
}

export interface SettingTable {
  name: string;
  value: string;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface ProtocolEventTable {
  id: Generated<string>;
  environment: string;
  client_id: string | null;
  type: string;
  outcome: string;
  detail: Json<Record<string, unknown>>;
  created_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface OrganisationTable {
  orgno: string;
  name: string;
  created_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface PersonTable {
  pid: string;
  name: string | null;
  created_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface RoleTable {
  pid: string;
  scope: string;
  role: 'integration_admin' | 'service_desk';
}

export interface AuditLogTable {
  id: Generated<string>;
  at: ColumnType<Date, Date | string | undefined, Date | string>;
  environment: string;
  actor_kind: string;
  actor: string;
  ip: string | null;
  orgno: string | null;
  client_id: string | null;
  action: string;
  before: Json<Record<string, unknown> | null> | null;
  after: Json<Record<string, unknown> | null> | null;
}

export interface SupportRequestTable {
  id: Generated<string>;
  environment: string;
  orgno: string;
  client_id: string | null;
  subject: string;
  status: string;
  messages: Json<unknown[]>;
  created_at: ColumnType<Date, Date | string | undefined, Date | string>;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface ProductionRequestTable {
  id: Generated<string>;
  environment: string;
  orgno: string;
  status: string;
  /** The client_id the service was verified with in the test environment. */
  test_client_id: string;
  /** The integration asked for, in the self-service API's client format. */
  client: Json<Record<string, unknown>>;
  /** What the operator plans with: go-live date, the service, expected volume (onboarding/production-requests.ts). */
  planning: Json<Record<string, unknown>>;
  requested_by: string;
  decided_by: string | null;
  decided_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  reason: string | null;
  /** The integration made when the request was approved. */
  client_id: string | null;
  credentials_delivered_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  created_at: ColumnType<Date, Date | string | undefined, Date | string>;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface ApiScopeTable {
  environment: string;
  /** prefix:subscope */
  name: string;
  owner_orgno: string | null;
  /** Everything else the scope says, in ID-porten's field names (registry/api-scopes.ts). */
  definition: Json<Record<string, unknown>>;
  active: boolean;
  source: string;
  created_at: ColumnType<Date, Date | string | undefined, Date | string>;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface ApiScopeAccessTable {
  environment: string;
  scope: string;
  consumer_orgno: string;
  state: string;
  created_at: ColumnType<Date, Date | string | undefined, Date | string>;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface ApiScopePrefixTable {
  environment: string;
  prefix: string;
  owner_orgno: string;
  created_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface Database {
  signing_keys: SigningKeyTable;
  clients: ClientTable;
  oidc_payloads: OidcPayloadTable;
  settings: SettingTable;
  protocol_events: ProtocolEventTable;
  organisations: OrganisationTable;
  people: PersonTable;
  roles: RoleTable;
  audit_log: AuditLogTable;
  support_requests: SupportRequestTable;
  production_requests: ProductionRequestTable;
  api_scopes: ApiScopeTable;
  api_scope_access: ApiScopeAccessTable;
  api_scope_prefixes: ApiScopePrefixTable;
}

export type Db = Kysely<Database>;

export interface StoreOptions {
  databaseUrl?: string | undefined;
  /** PostgreSQL schema to work in (created if missing); lets tests and tenants share a server. */
  databaseSchema?: string | undefined;
  dataDir: string;
}

export interface Store {
  /** For requests: with PostgreSQL, a query that gets no answer within QUERY_TIMEOUT_MS fails (postgres-timeouts.ts). */
  db: Db;
  /**
   * The same database without that limit, for work that may rightly take long over a large table
   * and that nobody waits for: migrations, deleting what has expired. (The embedded store has no
   * limit: it is `db`.)
   */
  maintenance: Db;
  kind: 'postgres' | 'pglite';
  /** The PostgreSQL schema in use, when not the default. */
  schema?: string | undefined;
  /** With PostgreSQL (many nodes): how nodes tell each other what changed. The embedded store has one process and needs none. */
  changes?: ChangeFeed | undefined;
  /**
   * Settles when the database is open; queries sent before then wait for it. Rejects with a
   * ConfigError that names the directory when the embedded database cannot be opened.
   */
  opened: Promise<void>;
  close(): Promise<void>;
}

/**
 * Kysely is a few hundred modules: loaded here, after PGlite's thread has started, it loads while
 * the database opens instead of before (the CLI imports this module before anything else).
 */
const loadKysely = () => import('kysely');

/** The store, once its database is open. */
export async function openStore(options: StoreOptions): Promise<Store> {
  const store = await startOpeningStore(options);
  try {
    await store.opened;
  } catch (err) {
    await store.close();
    throw err;
  }
  return store;
}

/**
 * The store as soon as it can take queries, which may be before its database is open: the embedded
 * one opens in its own thread (most of a second), and a caller with other work to do (building the
 * HTTP server) does it meanwhile instead of waiting. Its queries wait for `opened`.
 */
export async function startOpeningStore(options: StoreOptions): Promise<Store> {
  if (options.databaseUrl) return openPostgres(options.databaseUrl, options.databaseSchema);
  return startOpeningPglite(path.join(options.dataDir, 'db'));
}

/**
 * Why PostgreSQL could not be used, for the operator: where (without the password) and what it said
 * (refused, unknown host, wrong password, no such database, no TLS), not a stack trace.
 */
function postgresUnavailable(url: string, err: unknown): ConfigError {
  const { code, message } = (err ?? {}) as { code?: string; message?: string };
  // Network errors say it in their code; PostgreSQL's own (SQLSTATE codes) in their message.
  const reason = code && /^E[A-Z]+$/.test(code) ? code : (message ?? String(err));
  return new ConfigError(`DATABASE_URL: cannot use PostgreSQL at ${redactUrl(url, 'the DATABASE_URL given')} (${reason}). Check that PostgreSQL runs there and that the URL's user, password and database are right, or unset DATABASE_URL to use the embedded database.`);
}

export const poolApplicationName = (schema: string | undefined) => (schema ? `portvakt:${schema}` : 'portvakt').slice(0, 63);

async function openPostgres(url: string, schema: string | undefined): Promise<Store> {
  const [{ default: pg }, { Kysely, PostgresDialect }] = await Promise.all([import('pg'), loadKysely()]);
  if (schema && !/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new Error(`invalid schema name ${schema}`);
  if (schema) {
    const admin = new pg.Client({ connectionString: url, ...POSTGRES_TIMEOUTS });
    await admin.connect().catch((err: unknown) => { throw postgresUnavailable(url, err); });
    try {
      await admin.query(`create schema if not exists "${schema}"`);
    } catch (err) {
      // Nodes starting at once on a new database: "if not exists" is checked before the schema is
      // made, so all but one may find that another made it meanwhile. It is there; that is enough.
      if (!isDuplicateSchema(err)) throw err;
    } finally {
      await admin.end();
    }
  }
  // The schema is set as a startup parameter, so every pooled connection has it before its first query.
  const pool = new pg.Pool({
    connectionString: url,
    max: 10,
    ...POSTGRES_TIMEOUTS,
    // Named in pg_stat_activity, so an operator can tell Portvakt's connections (and each schema's) apart.
    application_name: poolApplicationName(schema),
    ...(schema ? { options: `-c search_path=${schema}` } : {}),
  });
  // A connection that PostgreSQL closes (a restart, a failover, an administrator) is an 'error'
  // event: on the pool while the connection is idle, on the connection itself while it is lent out
  // between two queries. Either would end the process if nobody listened. The pool drops such a
  // connection and opens another when it needs one; a query that fails meanwhile fails alone.
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));
  // Two handles over the one pool, which close() ends: Kysely ends a pool only from a handle that has
  // been used, and a command may never touch one of them.
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: tellingUnavailable(pool, { queryTimeoutMs: QUERY_TIMEOUT_MS }) }) });
  // Migrations run on it: its introspection looks at this schema only (one-schema-introspection.ts).
  const maintenance = new Kysely<Database>({ dialect: introspectingOneSchema(new PostgresDialect({ pool: tellingUnavailable(pool) }), schema) });
  let changes: ChangeFeed;
  try {
    changes = await openPostgresChangeFeed(pg, pool, url, schema); // the first connection
  } catch (err) {
    await pool.end();
    throw postgresUnavailable(url, err);
  }
  let closing: Promise<void> | undefined;
  return {
    db, maintenance, kind: 'postgres', schema, changes, opened: Promise.resolve(),
    close() {
      // Once, however often it is asked (pg refuses to end a pool twice).
      return (closing ??= (async () => {
        await changes.close();
        await maintenance.destroy();
        await db.destroy();
        await pool.end();
      })());
    },
  };
}

interface PoolUse {
  /** Each query's time limit (pg's query_timeout); none if undefined. */
  queryTimeoutMs?: number;
}

/**
 * The pool as Kysely uses it: queries within `queryTimeoutMs`, and a failure to reach PostgreSQL
 * thrown as StoreUnavailableError (unavailable.ts). A connection whose query failed that way is not
 * lent again: it may still be waiting for the answer to that query, and every query after it would
 * wait behind it.
 */
function tellingUnavailable(pool: pg.Pool, { queryTimeoutMs }: PoolUse = {}): PostgresPool {
  const guarded = new WeakMap<pg.PoolClient, PostgresPoolClient>();
  const guard = (client: pg.PoolClient): PostgresPoolClient => {
    let broken = false;
    return {
      async query(sql: string, parameters: unknown[]) {
        try {
          // query_timeout per query is pg's (Client.query reads it), though its typings leave it out.
          return await client.query({ text: sql, values: parameters, query_timeout: queryTimeoutMs } as pg.QueryConfig);
        } catch (err) {
          const failure = databaseFailure(err);
          if (isStoreUnavailable(failure)) broken = true;
          throw failure;
        }
      },
      // Kysely asks for the connection to be destroyed when a ROLLBACK failed (its state unknown).
      release: (destroy?: boolean) => client.release(broken || destroy === true),
    } as unknown as PostgresPoolClient;
  };
  return {
    async connect() {
      const client = await pool.connect().catch((err: unknown) => { throw databaseFailure(err); });
      let wrapped = guarded.get(client);
      if (!wrapped) guarded.set(client, (wrapped = guard(client)));
      return wrapped;
    },
    end: async () => undefined, // the store's close() ends the pool, once
  };
}

async function startOpeningPglite(dir: string): Promise<Store> {
  // Nothing is awaited before PGlite's thread starts (see pglite-template.ts): it opens the
  // database while the caller goes on loading the rest of Portvakt.
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  const lock = lockDataDir(`${dir}.lock`);
  seedFromTemplate(dir);
  fs.mkdirSync(dir, { recursive: true });
  const connecting = openPgliteThread(dir).catch((err: unknown) => {
    throw new ConfigError(`cannot open the embedded database in ${dir} (${(err as Error)?.message ?? err}); if it was made by another version or is damaged, move it away (or point PORTVAKT_DATA_DIR elsewhere) and start again`);
  });
  connecting.catch(() => undefined); // reported through `opened` and every query
  const { Kysely, PostgresDialect } = await loadKysely();
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: singleConnectionPool(connecting) as unknown as PostgresPool }) });
  return {
    db,
    maintenance: db,
    kind: 'pglite',
    opened: connecting.then(() => undefined),
    async close() {
      await db.destroy();
      // Kysely makes its pool at the first query and ends only a pool it made: a start that stops
      // before using the database (Redis unreachable, say) must still close PGlite, or the exit
      // that follows tears its thread down mid-write. (Closing twice is harmless.)
      await (await connecting.catch(() => undefined))?.close();
      lock.release();
    },
  };
}

/**
 * PGlite is one connection (in its own thread, see pglite-thread.ts). Kysely's Postgres driver wants
 * a pool, so this hands out that one connection to one borrower at a time; a transaction therefore
 * never interleaves with another query.
 */
function singleConnectionPool(connecting: Promise<PgliteConnection>) {
  let queue: Promise<void> = Promise.resolve();
  const client = {
    async query(sql: string, parameters: unknown[]) {
      const result = await (await connecting).query(sql, parameters).catch((err: unknown) => { throw databaseFailure(err); });
      return { command: /^\s*(\w+)/.exec(sql)?.[1]?.toUpperCase() as 'SELECT', rowCount: result.affectedRows ?? 0, rows: result.rows };
    },
    release: () => undefined as void,
  };
  return {
    async connect() {
      let release!: () => void;
      const turn = new Promise<void>((resolve) => { release = resolve; });
      const previous = queue;
      queue = queue.then(() => turn);
      await previous;
      return { ...client, release };
    },
    async end() {
      await queue;
      const pglite = await connecting.catch(() => undefined); // one that never opened has nothing to close
      await pglite?.close();
    },
  };
}
