// An embedded (PGlite) store of its own for one test file's adapter tests: copied from the migrated
// template before its tests, closed and removed after them.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, inject } from 'vitest';
import { openStore, type Store } from '../../src/store/db.js';
import { migrateToLatest } from '../../src/store/migrations.js';

export function embeddedStore(name: string): { readonly store: Store } {
  const handle = {} as { store: Store };
  let dir: string;
  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), `portvakt-${name}-`));
    await fs.cp(inject('pgliteTemplate'), dir, { recursive: true });
    handle.store = await openStore({ dataDir: dir });
    await migrateToLatest(handle.store.db);
  });
  afterAll(async () => {
    await handle.store?.close();
    await fs.rm(dir, { recursive: true, force: true });
  });
  return handle;
}
