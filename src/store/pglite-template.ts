// A new embedded database starts as a copy of the empty, initialised data directory that npm's
// postinstall prepared (scripts/prepare-embedded-db.mjs): copying takes milliseconds where initdb
// takes seconds. Without a template (installed with --ignore-scripts, say), PGlite runs initdb.
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where the postinstall script leaves the template for the installed PGlite version. */
async function templateDir(): Promise<string> {
  const pglite = import.meta.resolve('@electric-sql/pglite');
  const { version } = JSON.parse(await fs.readFile(new URL('../package.json', pglite), 'utf8')) as { version: string };
  return fileURLToPath(new URL(`../../../.cache/portvakt/pglite-${version}/`, pglite));
}

async function exists(file: string): Promise<boolean> {
  return fs.access(file).then(() => true, () => false);
}

/** Fills `dir` from the template when it holds no database yet; true if it did. */
export async function seedFromTemplate(dir: string): Promise<boolean> {
  if (await exists(path.join(dir, 'PG_VERSION'))) return false;
  const template = await templateDir().catch(() => undefined);
  if (!template || !(await exists(path.join(template, 'PG_VERSION')))) return false;
  // Copy beside, then rename into place (rename replaces a missing or empty directory, never a
  // full one): a second process starting at the same moment either finds the finished directory
  // or loses the rename, never a half-copied one.
  await fs.mkdir(path.dirname(dir), { recursive: true });
  const copy = `${dir}.${process.pid}-${crypto.randomBytes(4).toString('hex')}.copy`;
  await fs.cp(template, copy, { recursive: true });
  try {
    await fs.rename(copy, dir);
    return true;
  } catch {
    await fs.rm(copy, { recursive: true, force: true });
    return false;
  }
}
