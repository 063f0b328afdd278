// Sessions that requests race for (src/provider/session-store.ts): a save keeps the services the
// stored copy lists, and a destroyed session stays destroyed; in the embedded store's memory, and in
// SQL (PGlite here, the same statements as PostgreSQL's). Redis: redis-adapter.redis.test.ts. In
// real logins: sessions.store.test.ts ("at the same moment", "while the person logs out").
import { beforeAll, describe } from 'vitest';
import { SqlAdapter } from '../src/provider/adapters.js';
import { WriteBehindStore } from '../src/provider/write-behind.js';
import { embeddedStore } from './helpers/embedded-store.js';
import { sessionStoreCases } from './helpers/session-store-cases.js';

const embedded = embeddedStore('sessions');

describe('sessions in SQL', () => sessionStoreCases(() => new SqlAdapter(embedded.store.db, 'Session')));

describe('sessions in the embedded store\'s memory', () => {
  let writeBehind: WriteBehindStore;
  beforeAll(() => { writeBehind = new WriteBehindStore(embedded.store.db, { flushMs: 60_000 }); });
  sessionStoreCases(() => writeBehind.adapter('Session'));
});
