// The embedded store: PGlite in its own thread (src/store/pglite-thread.ts), started from the
// template npm's postinstall prepares (src/store/pglite-template.ts).
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openPgliteThread, PgliteError } from '../src/store/pglite-thread.js';
import { openStore } from '../src/store/db.js';
import { ConfigError } from '../src/config/index.js';
import { chooseTemplate, emptyTemplateDir, seedFromTemplate } from '../src/store/pglite-template.js';
import { MIGRATION_NAMES } from '../src/store/migration-names.js';
import { prepareSchemaTemplate } from '../src/store/prepare-template.js';
import { migrateToLatest } from '../src/store/migrations.js';
import { sql } from 'kysely';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'portvakt-embedded-'));
  dirs.push(dir);
  return dir;
}
afterAll(async () => {
  await Promise.all(dirs.map((dir) => fs.rm(dir, { recursive: true, force: true })));
});

describe('embedded database template', () => {
  it('a new data directory starts as a copy of the template (npm ci prepares it)', async () => {
    const dir = path.join(await tempDir(), 'db');
    expect(seedFromTemplate(dir), 'no template: `npm ci` runs scripts/prepare-embedded-db.mjs').toBe(true);
    await expect(fs.access(path.join(dir, 'PG_VERSION'))).resolves.toBeUndefined();
    expect(seedFromTemplate(dir)).toBe(false); // a database is there: left alone
  });

  it('two processes seeding at once end with one complete directory and no leftovers', async () => {
    const parent = await tempDir();
    const dir = path.join(parent, 'db');
    const seedInAnotherProcess = () => new Promise<string>((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e',
        `import { seedFromTemplate } from ${JSON.stringify(new URL('../src/store/pglite-template.ts', import.meta.url).href)}; process.stdout.write(String(seedFromTemplate(${JSON.stringify(dir)})));`]);
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => { out += chunk.toString(); });
      child.on('error', reject);
      child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`seeding process exited with ${code}`))));
    });
    const results = await Promise.all([seedInAnotherProcess(), seedInAnotherProcess()]);
    expect(results.filter((r) => r === 'true').length).toBeGreaterThanOrEqual(1);
    expect(results.every((r) => r === 'true' || r === 'false')).toBe(true);
    expect(await fs.readdir(parent)).toEqual(['db']);
    const db = await openPgliteThread(dir);
    expect((await db.query('select 1 as one', [])).rows).toEqual([{ one: 1 }]);
    await db.close();
  });
});

describe('templates', () => {
  it('a schema template is used only if this code knows all its migrations', async () => {
    const root = await tempDir();
    const schema = path.join(root, 'schema');
    const empty = path.join(root, 'empty');
    await fs.mkdir(path.join(schema, 'db'), { recursive: true });
    await fs.mkdir(empty, { recursive: true });
    await fs.writeFile(path.join(schema, 'db', 'PG_VERSION'), '17\n');
    await fs.writeFile(path.join(empty, 'PG_VERSION'), '17\n');
    expect(chooseTemplate(schema, empty)).toBe(empty); // no list of migrations: not a finished one
    await fs.writeFile(path.join(schema, 'migrations.json'), JSON.stringify(MIGRATION_NAMES.slice(0, 3)));
    expect(chooseTemplate(schema, empty)).toBe(path.join(schema, 'db')); // older: the start migrates the rest
    await fs.writeFile(path.join(schema, 'migrations.json'), JSON.stringify([...MIGRATION_NAMES, '9999_from_another_branch']));
    expect(chooseTemplate(schema, empty)).toBe(empty);
    await fs.rm(path.join(empty, 'PG_VERSION'));
    expect(chooseTemplate(schema, empty)).toBeUndefined(); // then PGlite runs initdb
  });

  it("the schema template has this code's migrations, and the empty one migrates to the same", async () => {
    const recorded = async (dataDir: string) => {
      const store = await openStore({ dataDir });
      try {
        await migrateToLatest(store.db);
        return (await sql<{ name: string }>`select name from kysely_migration order by name`.execute(store.db)).rows.map((r) => r.name);
      } finally {
        await store.close();
      }
    };
    const template = path.join(await tempDir(), 'schema'); // as npm's postinstall makes it, in a place of its own
    expect(await prepareSchemaTemplate(template)).toBe(true);
    expect(await prepareSchemaTemplate(template)).toBe(false); // up to date: left as it is
    expect(JSON.parse(await fs.readFile(path.join(template, 'migrations.json'), 'utf8'))).toEqual([...MIGRATION_NAMES]);
    const fromSchema = await tempDir();
    await fs.cp(path.join(template, 'db'), path.join(fromSchema, 'db'), { recursive: true });
    expect(await recorded(fromSchema)).toEqual([...MIGRATION_NAMES]);
    const fromEmpty = await tempDir(); // a fresh database through the Migrator, as without the schema template
    await fs.cp(emptyTemplateDir(), path.join(fromEmpty, 'db'), { recursive: true });
    expect(await recorded(fromEmpty)).toEqual([...MIGRATION_NAMES]);
  });
});

describe('opening the embedded store', () => {
  it('a directory PGlite cannot open stops the start with a message that names it', async () => {
    const dataDir = await tempDir();
    await fs.mkdir(path.join(dataDir, 'db'));
    await fs.writeFile(path.join(dataDir, 'db', 'PG_VERSION'), '99\n'); // not a database this PGlite can read
    const failure = await openStore({ dataDir }).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(ConfigError);
    expect((failure as Error).message).toContain(`cannot open the embedded database in ${path.join(dataDir, 'db')}`);
  });

  it('a database a newer Portvakt has migrated is refused with a message that says so, and left as it is', async () => {
    const store = await openStore({ dataDir: await tempDir() });
    try {
      await migrateToLatest(store.db);
      await sql`insert into kysely_migration (name, timestamp) values ('9999_from_the_future', '2030-01-01T00:00:00.000Z')`.execute(store.db);
      const failure = await migrateToLatest(store.db).catch((err: unknown) => err);
      expect(failure).toBeInstanceOf(ConfigError);
      expect((failure as Error).message).toContain('updated by a newer Portvakt (migration 9999_from_the_future');
      const recorded = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(store.db);
      expect(recorded.rows.at(-1)?.name).toBe('9999_from_the_future');
    } finally {
      await store.close();
    }
  });
});

describe('PGlite thread', () => {
  it('returns rows with their types, and PostgreSQL errors with their SQLSTATE', async () => {
    const dir = path.join(await tempDir(), 'db');
    seedFromTemplate(dir);
    const db = await openPgliteThread(dir);
    await db.query('create table t (id text primary key, at timestamptz, doc jsonb)', []);
    const at = new Date('2026-01-02T03:04:05Z');
    const inserted = await db.query('insert into t values ($1, $2, $3)', ['a', at, JSON.stringify({ x: [1, 'two'] })]);
    expect(inserted.affectedRows).toBe(1);
    expect((await db.query('select * from t', [])).rows).toEqual([{ id: 'a', at, doc: { x: [1, 'two'] } }]);
    const duplicate = await db.query('insert into t values ($1, null, null)', ['a']).catch((err: unknown) => err);
    expect(duplicate).toBeInstanceOf(PgliteError);
    expect((duplicate as PgliteError).code).toBe('23505');
    await db.close();
    await expect(db.query('select 1', [])).rejects.toThrow(/closed/);
  });
});
