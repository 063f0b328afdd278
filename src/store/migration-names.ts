// The schema's migrations by name, in order; their steps are in migrations.ts, whose record must
// have exactly these keys (the type says so). Kept apart so that the start can tell whether a
// prepared database template is one this code can use without loading the SQL builder first
// (see pglite-template.ts).
export const MIGRATION_NAMES = [
  '0001_provider_core',
  '0002_protocol_events',
  '0003_self_service',
  '0004_lighter_provider_payloads',
  '0005_payloads_as_text',
  '0006_token_values_as_digests',
  '0007_failing_clients',
  '0008_error_references',
  '0009_support_requests',
  '0010_production_requests',
  '0011_api_scopes',
  '0012_grants_by_person',
] as const;

export type MigrationName = (typeof MIGRATION_NAMES)[number];

/** False for a migration this code does not have (made by a newer Portvakt, or on another branch). */
export function isKnownMigration(name: string): boolean {
  return (MIGRATION_NAMES as readonly string[]).includes(name);
}
