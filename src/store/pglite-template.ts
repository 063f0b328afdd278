// A new embedded database starts as a copy of the empty, initialised data directory that npm's
// postinstall prepared (scripts/prepare-embedded-db.mjs): copying takes milliseconds where initdb
// takes seconds. Without a template (installed with --ignore-scripts, say), PGlite runs initdb.
//
// Synchronous on purpose: it runs once, at start, before anything is served, and the caller starts
// PGlite's thread right after it without yielding, so that the database opens while the main
// thread loads the rest of Portvakt (Node's ESM loader does not yield while it loads a module graph,
// so a callback awaited here would wait for all of it).
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where the postinstall script leaves the template for the installed PGlite version. */
function templateDir(): string {
  const pglite = import.meta.resolve('@electric-sql/pglite');
  const { version } = JSON.parse(fs.readFileSync(new URL('../package.json', pglite), 'utf8')) as { version: string };
  return fileURLToPath(new URL(`../../../.cache/portvakt/pglite-${version}/`, pglite));
}

function templateIfAny(): string | undefined {
  try {
    const dir = templateDir();
    return fs.existsSync(path.join(dir, 'PG_VERSION')) ? dir : undefined;
  } catch {
    return undefined;
  }
}

/** Fills `dir` from the template when it holds no database yet; true if it did. */
export function seedFromTemplate(dir: string): boolean {
  if (fs.existsSync(path.join(dir, 'PG_VERSION'))) return false;
  const template = templateIfAny();
  if (!template) return false;
  // Copy beside, then rename into place (rename replaces a missing or empty directory, never a
  // full one): a second process starting at the same moment either finds the finished directory
  // or loses the rename, never a half-copied one.
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  const copy = `${dir}.${process.pid}-${crypto.randomBytes(4).toString('hex')}.copy`;
  fs.cpSync(template, copy, { recursive: true });
  try {
    fs.renameSync(copy, dir);
    return true;
  } catch {
    fs.rmSync(copy, { recursive: true, force: true });
    return false;
  }
}
