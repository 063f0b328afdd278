// npm's postinstall: prepares an empty, initialised PGlite data directory next to the installed
// PGlite, so that the first `npm start` copies it (milliseconds) instead of running initdb
// (seconds), and then a copy of it with Portvakt's schema migrated (half a second less again).
// src/store/pglite-template.ts reads them from the same place. Plain JavaScript, and it never fails
// the install: without a template, the first start does the work itself.
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { NODE_ESM } from './esbuild-node.mjs';

// As for the CLI's short commands: no optimising compilation of PGlite for a process this short.
setFlagsFromString('--wasm-tiering-budget=1000000000');

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

// The schema template: src/store/prepare-template.ts, bundled by esbuild (a dev dependency: an
// install without dev dependencies keeps the empty template, and the first start migrates).
const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const bundle = path.join(root, 'node_modules', '.cache', 'portvakt', `prepare-template.${process.pid}.mjs`);
try {
  const { build } = await import('esbuild');
  await build({
    entryPoints: [path.join(root, 'src', 'store', 'prepare-template.ts')],
    outfile: bundle,
    bundle: true,
    ...NODE_ESM,
    external: ['@electric-sql/pglite'],
    logLevel: 'error',
  });
  const { prepareSchemaTemplate } = await import(bundle);
  if (await prepareSchemaTemplate()) process.stdout.write('portvakt: prepared the embedded database with its schema for the first start\n');
} catch (err) {
  process.stdout.write(`portvakt: no embedded database with the schema prepared (${err?.message ?? err}); the first start will migrate it\n`);
} finally {
  await fs.rm(bundle, { force: true });
}
