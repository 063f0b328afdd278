// Kysely's migrator asks its dialect whether its schema and its bookkeeping tables exist yet.
// PostgreSQL's introspector answers by listing every column of every table in every schema, and
// names each schema by text along the way (has_schema_privilege, pg_get_serial_sequence): in a
// database that several installations share, a schema each (an operator's tenants, the tests run
// in parallel), a schema dropped while that query runs fails it with `schema "…" does not exist`,
// and another installation's first start fails with it. The migrator needs only names, and only in
// the installation's own schema, so it is asked about that schema alone.
import type { DatabaseIntrospector, DatabaseMetadata, Dialect, Kysely, SchemaMetadata, TableMetadata } from 'kysely';

interface Catalog {
  'pg_catalog.pg_namespace': { oid: number; nspname: string };
  'pg_catalog.pg_class': { relname: string; relkind: string; relnamespace: number };
}

/** `dialect`, whose introspection sees only `schema` (or, without one, the connection's current schema). */
export function introspectingOneSchema(dialect: Dialect, schema: string | undefined): Dialect {
  return {
    createDriver: () => dialect.createDriver(),
    createQueryCompiler: () => dialect.createQueryCompiler(),
    createAdapter: () => dialect.createAdapter(),
    createIntrospector: (db) => new OneSchemaIntrospector(db as unknown as Kysely<Catalog>, schema),
  };
}

class OneSchemaIntrospector implements DatabaseIntrospector {
  constructor(private readonly db: Kysely<Catalog>, private readonly schema: string | undefined) {}

  private namespaces() {
    const query = this.db.selectFrom('pg_catalog.pg_namespace as ns');
    return this.schema ? query.where('ns.nspname', '=', this.schema) : query.where('ns.nspname', '=', (eb) => eb.fn<string>('current_schema'));
  }

  async getSchemas(): Promise<SchemaMetadata[]> {
    return (await this.namespaces().select('ns.nspname').execute()).map((row) => ({ name: row.nspname }));
  }

  /** Tables and views by name; columns are not looked up (the migrator does not read them). */
  async getTables(): Promise<TableMetadata[]> {
    const rows = await this.namespaces()
      .innerJoin('pg_catalog.pg_class as c', 'c.relnamespace', 'ns.oid')
      .where('c.relkind', 'in', ['r', 'p', 'v'])
      .select(['c.relname', 'c.relkind', 'ns.nspname'])
      .execute();
    return rows.map((row) => ({ name: row.relname, schema: row.nspname, isView: row.relkind === 'v', columns: [] }));
  }

  async getMetadata(): Promise<DatabaseMetadata> {
    return { tables: await this.getTables() };
  }
}
