// npm's postinstall: prepares an empty, initialised PGlite data directory next to the installed
// PGlite, so that the first `npm start` copies it (milliseconds) instead of running initdb
// (seconds). src/store/pglite-template.ts reads it from the same place. Plain JavaScript, and it
// never fails the install: without a template, the first start runs initdb itself.
import fs from 'node:fs/promises';

try {
  const pglite = import.meta.resolve('@electric-sql/pglite');
  const { version } = JSON.parse(await fs.readFile(new URL('../package.json', pglite), 'utf8'));
  const template = new URL(`../../../.cache/portvakt/pglite-${version}/`, pglite);
  try {
    await fs.access(new URL('PG_VERSION', template));
  } catch {
    const building = new URL(`../pglite-${version}.${process.pid}/`, template);
    await fs.rm(building, { recursive: true, force: true });
    await fs.mkdir(building, { recursive: true });
    const { PGlite } = await import(pglite);
    const db = await PGlite.create(building.pathname);
    await db.close();
    await fs.rm(template, { recursive: true, force: true });
    await fs.rename(building, template);
    process.stdout.write(`portvakt: prepared an empty embedded database for the first start (${template.pathname})\n`);
  }
} catch (err) {
  process.stdout.write(`portvakt: no embedded database template (${err?.message ?? err}); the first start will create the database itself\n`);
}
