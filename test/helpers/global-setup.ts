// Prepares one initialised PGlite data directory that every test copies (initdb takes seconds;
// a copy takes milliseconds), and says plainly which store suites run.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { seedFromTemplate } from '../../src/store/pglite-template.js';

export default async function setup(project: TestProject) {
  const template = path.join(os.tmpdir(), `portvakt-pglite-template-${process.pid}`);
  await fs.mkdir(template, { recursive: true });
  // From the template npm's postinstall prepared, if there is one (as `npm start` does); else initdb.
  seedFromTemplate(path.join(template, 'db'));
  const { PGlite } = await import('@electric-sql/pglite');
  const db = await PGlite.create(path.join(template, 'db'));
  await db.close();
  project.provide('pgliteTemplate', template);

  const skipped = [
    !process.env.DATABASE_URL && 'DATABASE_URL is not set: the PostgreSQL suites (test/**/*.store.test.ts, test/**/*.postgres.test.ts) are SKIPPED; only PGlite runs.',
    !process.env.REDIS_URL && 'REDIS_URL is not set: the Redis suites (test/**/*.redis.test.ts, and the store suites with the provider\'s state in Redis) are SKIPPED.',
  ].filter((message): message is string => !!message);
  for (const message of skipped) {
    if (process.env.CI) throw new Error(`${message} CI must test it (see .ci/run).`);
    process.stderr.write(`\n[portvakt] ${message}\n\n`);
  }
  return async () => {
    await fs.rm(template, { recursive: true, force: true });
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    pgliteTemplate: string;
  }
}
