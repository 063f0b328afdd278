// Makes the schema template (see pglite-template.ts): a copy of the empty template, migrated to
// this code's schema, with the names of its migrations beside it. Run by npm's postinstall
// (scripts/prepare-embedded-db.mjs), which bundles this module first. Like the empty template it
// holds no keys, secrets or clients: those are made per data directory at its first start.
import fs from 'node:fs';
import path from 'node:path';
import { openStore } from './db.js';
import { migrateToLatest } from './migrations.js';
import { MIGRATION_NAMES } from './migration-names.js';
import { schemaTemplateDir, schemaTemplateMigrations } from './pglite-template.js';

/** True if it made one; false if the one there already has these migrations. */
export async function prepareSchemaTemplate(target = schemaTemplateDir()): Promise<boolean> {
  if (schemaTemplateMigrations(target)?.join() === MIGRATION_NAMES.join()) return false;
  // Built beside and renamed into place, as the empty template is: a start that copies it meanwhile
  // finds the old one or the new one, never half of one.
  const building = `${target}.${process.pid}`;
  fs.rmSync(building, { recursive: true, force: true });
  const store = await openStore({ dataDir: building }); // from the empty template, or initdb
  try {
    await migrateToLatest(store.db);
  } finally {
    await store.close();
  }
  fs.writeFileSync(path.join(building, 'migrations.json'), `${JSON.stringify(MIGRATION_NAMES)}\n`);
  fs.rmSync(target, { recursive: true, force: true });
  fs.renameSync(building, target);
  return true;
}
