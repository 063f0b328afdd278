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
  // Built beside, then swapped in by two renames: a start that copies the template meanwhile finds
  // the old one, the new one, or (between the renames) none and uses the empty one; only a copy
  // already under way at that instant could mix the two.
  const building = `${target}.${process.pid}`;
  const previous = `${target}.${process.pid}.previous`;
  fs.rmSync(building, { recursive: true, force: true });
  // From the best template there is (an older schema template, the empty one), or initdb.
  const store = await openStore({ dataDir: building });
  try {
    await migrateToLatest(store.db);
  } finally {
    await store.close();
  }
  fs.writeFileSync(path.join(building, 'migrations.json'), `${JSON.stringify(MIGRATION_NAMES)}\n`);
  fs.rmSync(previous, { recursive: true, force: true });
  if (fs.existsSync(target)) fs.renameSync(target, previous);
  fs.renameSync(building, target);
  fs.rmSync(previous, { recursive: true, force: true });
  return true;
}
