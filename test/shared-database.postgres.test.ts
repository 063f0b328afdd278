// Several installations in one PostgreSQL database, a schema each (as operators run tenants, and as
// the tests run in parallel): installations set up and taken down beside it must not stop another
// from starting. Kysely's migrator asks its dialect which schemas and tables exist, and PostgreSQL's
// own answer looks at every table of every schema by name: a schema dropped while it looked failed
// a first start with `schema "…" does not exist` (store/one-schema-introspection.ts). The window is
// a race, so the test makes it wide: schemas come and go all the time while ten installations
// start for the first time; before the fix, three to five of the ten failed. Without a schema of its
// own, Kysely took any schema's migration table for Portvakt's, and a first start beside another
// Kysely application failed with `relation "kysely_migration" does not exist`.
import crypto from 'node:crypto';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore, poolApplicationName } from '../src/store/db.js';
import { migrateToLatest } from '../src/store/migrations.js';

const url = process.env.DATABASE_URL!;
const schemaName = (what: string) => `t_${what}_${crypto.randomBytes(4).toString('hex')}`;
const admin = new pg.Client({ connectionString: url });
const left: string[] = [];

afterAll(async () => {
  for (const schema of left) await admin.query(`drop schema if exists "${schema}" cascade`);
  await admin.end();
});

/** Another installation's schema, made and dropped over and over until `stop()`; how often it was. */
function churn(client: pg.Client) {
  let stopping = false;
  let cycles = 0;
  const running = (async () => {
    while (!stopping) {
      const schema = schemaName('churn');
      left.push(schema);
      await client.query(`create schema "${schema}"; create table "${schema}".payloads (id serial primary key, body text); create table "${schema}".keys (id serial primary key, kid text)`);
      await client.query(`drop schema "${schema}" cascade`);
      cycles++;
    }
  })();
  return { stop: async () => { stopping = true; await running; return cycles; } };
}

describe('one database, an installation per schema', () => {
  it('first starts migrate while other installations\' schemas come and go', async () => {
    await admin.connect();
    const other = new pg.Client({ connectionString: url });
    await other.connect();
    const comingAndGoing = churn(other);
    const failures: string[] = [];
    try {
      for (let i = 0; i < 10; i++) {
        const schema = schemaName('starting');
        left.push(schema);
        const store = await openStore({ databaseUrl: url, databaseSchema: schema, dataDir: '' });
        try {
          await migrateToLatest(store.maintenance, store.schema);
        } catch (err) {
          failures.push((err as Error).message);
        } finally {
          await store.close();
        }
      }
    } finally {
      expect(await comingAndGoing.stop()).toBeGreaterThan(10); // the other schemas did come and go meanwhile
      await other.end();
    }
    expect(failures).toEqual([]);
  });

  it('a store closed after it only migrated (as a command may) leaves no connection open', async () => {
    const schema = schemaName('closed');
    left.push(schema);
    const store = await openStore({ databaseUrl: url, databaseSchema: schema, dataDir: '' });
    await migrateToLatest(store.maintenance, store.schema);
    await store.close();
    await store.close(); // a second close is harmless
    const open = async () => (await admin.query('select count(*)::int as n from pg_stat_activity where application_name = $1', [poolApplicationName(schema)])).rows[0].n as number;
    // The server sees a connection go a moment after the client has closed it.
    await expect.poll(open, { timeout: 3_000, interval: 100 }).toBe(0);
  });

  it('without a schema (DATABASE_URL alone), a first start migrates in the current schema, beside another Kysely application\'s bookkeeping', async () => {
    const database = `portvakt_${crypto.randomBytes(4).toString('hex')}`;
    await admin.query(`create database ${database}`);
    const databaseUrl = Object.assign(new URL(url), { pathname: `/${database}` }).toString();
    const neighbour = new pg.Client({ connectionString: databaseUrl });
    try {
      // Another application in the same database keeps its own migrations in a schema of its own.
      await neighbour.connect();
      await neighbour.query('create schema other_app; create table other_app.kysely_migration (name varchar(255) primary key, timestamp varchar(255) not null)');
      for (let start = 0; start < 2; start++) {
        const store = await openStore({ databaseUrl, dataDir: '' });
        try {
          await migrateToLatest(store.maintenance, store.schema);
        } finally {
          await store.close();
        }
      }
      const { rows } = await neighbour.query("select table_schema from information_schema.tables where table_name in ('kysely_migration', 'oidc_payloads') order by 1");
      expect(rows.map((row) => row.table_schema)).toEqual(['other_app', 'public', 'public']);
    } finally {
      await neighbour.end();
      await admin.query(`drop database ${database} with (force)`);
    }
  });
});
