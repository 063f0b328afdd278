// Sessions that requests race for (src/provider/session-store.ts): a save keeps the services the
// stored copy lists, and a destroyed session stays destroyed; in the embedded store's memory, and in
// SQL (PGlite here, the same statements as PostgreSQL's). Redis: redis-adapter.redis.test.ts. In
// real logins: sessions.store.test.ts ("at the same moment", "while the person logs out").
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, inject } from 'vitest';
import { openStore, type Store } from '../src/store/db.js';
import { migrateToLatest } from '../src/store/migrations.js';
import { SqlAdapter } from '../src/provider/adapters.js';
import { WriteBehindStore } from '../src/provider/write-behind.js';
import { sessionStoreCases } from './helpers/session-store-cases.js';

let store: Store;
let dir: string;
beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'portvakt-sessions-'));
  await fs.cp(inject('pgliteTemplate'), dir, { recursive: true });
  store = await openStore({ dataDir: dir });
  await migrateToLatest(store.db);
});
afterAll(async () => {
  await store.close();
  await fs.rm(dir, { recursive: true, force: true });
});

describe('sessions in SQL', () => sessionStoreCases(() => new SqlAdapter(store.db, 'Session')));

describe('sessions in the embedded store\'s memory', () => {
  let writeBehind: WriteBehindStore;
  beforeAll(() => { writeBehind = new WriteBehindStore(store.db, { flushMs: 60_000 }); });
  sessionStoreCases(() => writeBehind.adapter('Session'));
});
