// A new embedded database starts as a copy of a data directory that npm's postinstall prepared
// (scripts/prepare-embedded-db.mjs): copying takes milliseconds where initdb takes seconds, and
// migrating the schema half a second. Without a template (installed with --ignore-scripts, say),
// PGlite runs initdb and the start migrates.
//
// Synchronous on purpose: it runs once, at start, before anything is served, and the caller starts
// PGlite's thread right after it without yielding, so that the database opens while the main
// thread loads the rest of Portvakt (Node's ESM loader does not yield while it loads a module graph,
// so a callback awaited here would wait for all of it).
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { isKnownMigration } from './migration-names.js';

/**
 * An initialised database, empty, where the postinstall script leaves it for the installed PGlite
 * version (the schema template lies beside it).
 */
export function emptyTemplateDir(): string {
  // require.resolve rather than import.meta.resolve, which Vitest's module runner (global setup) lacks.
  const pglite = createRequire(import.meta.url).resolve('@electric-sql/pglite'); // node_modules/@electric-sql/pglite/dist/…
  const { version } = JSON.parse(fs.readFileSync(path.join(path.dirname(pglite), '..', 'package.json'), 'utf8')) as { version: string };
  return path.join(path.dirname(pglite), '..', '..', '..', '.cache', 'portvakt', `pglite-${version}`);
}

/**
 * A database with Portvakt's schema already migrated (`db/`), and the names of the migrations it has
 * (`migrations.json`): a first start copies it and skips half a second of DDL. Made by
 * prepare-template.ts, from the postinstall script.
 */
export function schemaTemplateDir(empty = emptyTemplateDir()): string {
  return `${empty}-schema`;
}

/** The migrations a schema template has, or undefined if there is none. */
export function schemaTemplateMigrations(dir: string): string[] | undefined {
  try {
    const names = JSON.parse(fs.readFileSync(path.join(dir, 'migrations.json'), 'utf8')) as unknown;
    return Array.isArray(names) && names.every((name) => typeof name === 'string') && fs.existsSync(path.join(dir, 'db', 'PG_VERSION')) ? names : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The schema template's database if this code knows every migration it has (one made by other code,
 * say on another branch, could have one this code would refuse as newer), else the empty template,
 * else none.
 */
export function chooseTemplate(schemaDir: string, emptyDir: string): string | undefined {
  const migrated = schemaTemplateMigrations(schemaDir);
  if (migrated?.every(isKnownMigration)) return path.join(schemaDir, 'db');
  return fs.existsSync(path.join(emptyDir, 'PG_VERSION')) ? emptyDir : undefined;
}

function templateIfAny(): string | undefined {
  try {
    const empty = emptyTemplateDir();
    return chooseTemplate(schemaTemplateDir(empty), empty);
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
