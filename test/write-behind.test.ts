// The embedded store's write-behind adapter: memory answers at once, SQL learns it on flush, and a
// fresh process (a new WriteBehindStore over the same database) sees what was flushed.
import { describe, expect, it } from 'vitest';
import type { AdapterPayload } from 'oidc-provider';
import { WriteBehindStore } from '../src/provider/write-behind.js';
import { SqlAdapter } from '../src/provider/adapters.js';
import { embeddedStore } from './helpers/embedded-store.js';

const embedded = embeddedStore('wb');

const payload = (extra: Partial<AdapterPayload> = {}): AdapterPayload => ({ accountId: '28876895937', iat: 1, exp: Math.floor(Date.now() / 1000) + 600, ...extra });

/** An adapter of a process started after `id` was written and flushed: nothing of it in memory. */
async function afterRestart(model: string, id: string, stored: AdapterPayload) {
  const wb = new WriteBehindStore(embedded.store.db, { flushMs: 60_000 });
  await wb.adapter(model).upsert(id, stored, 600);
  await wb.flush();
  return new WriteBehindStore(embedded.store.db, { flushMs: 60_000 }).adapter(model);
}

describe('write-behind adapter', () => {
  it('consume answers true once, even when calls race for a token it must first read from SQL', async () => {
    const fresh = await afterRestart('RefreshToken', 'rt-race', payload({ grantId: 'g-race' }));
    const answers = await Promise.all([fresh.consume('rt-race'), fresh.consume('rt-race'), fresh.consume('rt-race')]);
    expect(answers.filter(Boolean)).toHaveLength(1);
    expect(await fresh.consume('rt-race')).toBe(false);
    expect(await fresh.consume('never-there')).toBe(false);
  });

  it('a read that SQL answers after a consume does not bring the unconsumed token back', async () => {
    const fresh = await afterRestart('RefreshToken', 'rt-stale', payload({ grantId: 'g-stale' }));
    // Three reads of SQL in flight at once; the consume in the middle wins, the last read answers after it.
    const [, consumed, late] = await Promise.all([fresh.find('rt-stale'), fresh.consume('rt-stale'), fresh.find('rt-stale')]);
    expect(consumed).toBe(true);
    expect(late?.consumed).toEqual(expect.any(Number));
    expect(await fresh.consume('rt-stale')).toBe(false);
  });

  it('claim stores an id once, even when calls race for one it must first look up in SQL', async () => {
    const fresh = await afterRestart('ReplayDetection', 'seen-before', payload({ iss: 'c' }));
    expect(await Promise.all([fresh.claim('seen-before', payload(), 600), fresh.claim('seen-before', payload(), 600)])).toEqual([false, false]);
    expect((await Promise.all([1, 2, 3].map(() => fresh.claim('new-jti', payload(), 600)))).filter(Boolean)).toHaveLength(1);
  });

  it('take answers true once, even when calls race for a model it must first read from SQL; the row is gone after the flush', async () => {
    const seed = new WriteBehindStore(embedded.store.db, { flushMs: 60_000 });
    await seed.adapter('Session').upsert('taken', payload({ uid: 'taken-uid' }), 600);
    await seed.flush();
    const fresh = new WriteBehindStore(embedded.store.db, { flushMs: 60_000 }); // a restarted process: nothing in memory
    const sessions = fresh.adapter('Session');
    expect((await Promise.all([1, 2, 3].map(() => sessions.take('taken')))).filter(Boolean)).toHaveLength(1);
    expect(await sessions.take('taken')).toBe(false);
    expect(await sessions.take('never-there')).toBe(false);
    await fresh.flush();
    expect(await new SqlAdapter(embedded.store.db, 'Session').find('taken')).toBeUndefined();
  });

  it('the SQL adapter\'s take deletes a row and answers true once, even when calls race', async () => {
    const interactions = new SqlAdapter(embedded.store.db, 'Interaction');
    await interactions.upsert('i-race', payload({ uid: 'i-race' }), 600);
    expect((await Promise.all([1, 2, 3].map(() => interactions.take('i-race')))).filter(Boolean)).toHaveLength(1);
    expect(await interactions.find('i-race')).toBeUndefined();
  });

  it('answers from memory at once and persists on flush', async () => {
    const wb = new WriteBehindStore(embedded.store.db, { flushMs: 60_000 });
    const sessions = wb.adapter('Session');
    await sessions.upsert('s1', payload({ uid: 'u1' }), 600);
    expect(await sessions.find('s1')).toMatchObject({ accountId: '28876895937' });
    expect(await sessions.findByUid('u1')).toMatchObject({ uid: 'u1' });
    expect(await new WriteBehindStore(embedded.store.db).adapter('Session').find('s1')).toBeUndefined(); // not yet in SQL
    await wb.flush();
    const fresh = new WriteBehindStore(embedded.store.db).adapter('Session');
    expect(await fresh.find('s1')).toMatchObject({ accountId: '28876895937' });
    expect(await fresh.findByUid('u1')).toMatchObject({ uid: 'u1' });
  });

  it('stores every character of a payload as it was (quotes, backslashes, braces, commas, NUL, non-ASCII, lone surrogates)', async () => {
    const wb = new WriteBehindStore(embedded.store.db, { flushMs: 60_000 });
    // A lone surrogate can arrive in a JSON request object; it must not make the batch fail (and with
    // it every later write): JSON text is stored as it is, never decoded on the way in.
    const tricky = { text: 'a "quoted" \\ back\\slash, {braces} NULL \u0000 æøå ŋ 🙂 lone \ud800 surrogate', list: ['x,y', '"', null] };
    await wb.adapter('Session').upsert('tricky', payload(tricky as never), 600);
    await wb.close();
    expect(await new WriteBehindStore(embedded.store.db).adapter('Session').find('tricky')).toMatchObject(tricky);
  });

  it('an entry the database refuses is dropped and reported; the rest of its batch is written', async () => {
    const dropped: string[] = [];
    const errors: unknown[] = [];
    const wb = new WriteBehindStore(embedded.store.db, { flushMs: 60_000, onDropped: (model, id) => dropped.push(`${model}/${id}`), onError: (err) => errors.push(err) });
    const sessions = wb.adapter('Session');
    await sessions.upsert('refused-before', payload(), 600);
    await sessions.upsert('refused\u0000nul', payload(), 600); // PostgreSQL text cannot hold NUL
    await sessions.upsert('refused-after', payload(), 600);
    const tokens = wb.adapter('AccessToken');
    await tokens.revokeByGrantId('refused-grant');
    await tokens.upsert('refused-late-token', payload({ grantId: 'refused-grant' }), 600); // written after its grant was revoked
    await wb.flush();
    expect(dropped).toEqual(['Session/refused\u0000nul']);
    expect(await new WriteBehindStore(embedded.store.db).adapter('AccessToken').find('refused-late-token')).toBeUndefined();
    expect(errors).toEqual([]);
    const fresh = new WriteBehindStore(embedded.store.db).adapter('Session');
    expect(await fresh.find('refused-before')).toMatchObject({ accountId: '28876895937' });
    expect(await fresh.find('refused-after')).toMatchObject({ accountId: '28876895937' });
    await sessions.upsert('refused-later', payload(), 600); // later writes are not held up
    await wb.close();
    expect(await new WriteBehindStore(embedded.store.db).adapter('Session').find('refused-later')).toBeDefined();
  });

  it('coalesces writes: the last state wins, a destroy before flush never reaches SQL', async () => {
    const wb = new WriteBehindStore(embedded.store.db, { flushMs: 60_000 });
    const grants = wb.adapter('Grant');
    await grants.upsert('g1', payload({ v: 1 } as never), 600);
    await grants.upsert('g1', payload({ v: 2 } as never), 600);
    await grants.upsert('g2', payload(), 600);
    await grants.destroy('g2');
    expect(await grants.find('g2')).toBeUndefined();
    await wb.close();
    const rows = await embedded.store.db.selectFrom('oidc_payloads').select(['id', 'payload']).where('model', '=', 'Grant').execute();
    expect(rows.map((r) => r.id)).toEqual(['g1']);
    expect((JSON.parse(rows[0]!.payload) as { v: number }).v).toBe(2);
  });

  it('a row saved again without being read first (evicted, or by a new process) is updated, not refused as a duplicate', async () => {
    const earlier = new WriteBehindStore(embedded.store.db, { flushMs: 60_000 });
    await earlier.adapter('Grant').upsert('again-1', payload({ v: 1 } as never), 600);
    await earlier.adapter('Grant').upsert('again-2', payload({ v: 1 } as never), 600);
    await earlier.close();
    const errors: unknown[] = [];
    const dropped: string[] = [];
    const later = new WriteBehindStore(embedded.store.db, { flushMs: 60_000, onError: (err) => errors.push(err), onDropped: (model, id) => dropped.push(`${model}/${id}`) });
    const grants = later.adapter('Grant');
    await grants.upsert('again-1', payload({ v: 2 } as never), 600); // the same batch as a new row
    await grants.upsert('again-new', payload({ v: 2 } as never), 600);
    await later.flush();
    await grants.upsert('again-2', payload({ v: 2 } as never), 600); // and in a batch whose other row is refused
    await grants.upsert('again\u0000nul', payload(), 600);
    await later.close();
    expect(errors).toEqual([]);
    expect(dropped).toEqual(['Grant/again\u0000nul']);
    const rows = await embedded.store.db.selectFrom('oidc_payloads').select(['id', 'payload']).where('model', '=', 'Grant').where('id', 'like', 'again-%').orderBy('id').execute();
    expect(rows.map((r) => [r.id, (JSON.parse(r.payload) as { v: number }).v])).toEqual([['again-1', 2], ['again-2', 2], ['again-new', 2]]);
  });

  it('consume is visible at once and after a restart', async () => {
    const wb = new WriteBehindStore(embedded.store.db, { flushMs: 60_000 });
    const tokens = wb.adapter('RefreshToken');
    await tokens.upsert('r1', payload({ grantId: 'grant-r' }), 600);
    await tokens.consume('r1');
    expect((await tokens.find('r1'))?.consumed).toEqual(expect.any(Number));
    await wb.close();
    expect((await new WriteBehindStore(embedded.store.db).adapter('RefreshToken').find('r1'))?.consumed).toEqual(expect.any(Number));
  });

  it('revokeByGrantId removes every model of the grant, in memory and in SQL', async () => {
    const wb = new WriteBehindStore(embedded.store.db, { flushMs: 60_000 });
    await wb.adapter('AccessToken').upsert('a1', payload({ grantId: 'doomed' }), 600);
    await wb.adapter('RefreshToken').upsert('r2', payload({ grantId: 'doomed' }), 600);
    await wb.flush();
    await wb.adapter('AccessToken').upsert('a2', payload({ grantId: 'doomed' }), 600); // not yet flushed
    await wb.adapter('RefreshToken').revokeByGrantId('doomed');
    for (const [model, id] of [['AccessToken', 'a1'], ['AccessToken', 'a2'], ['RefreshToken', 'r2']] as const) {
      expect(await wb.adapter(model).find(id)).toBeUndefined();
    }
    await wb.close();
    const left = await embedded.store.db.selectFrom('oidc_payloads').select('id').where('grant_id', '=', 'doomed').execute();
    expect(left).toEqual([]);
  });

  it('memory holds a bounded number of written entries; unwritten ones are never dropped, and misses come from SQL', async () => {
    const wb = new WriteBehindStore(embedded.store.db, { flushMs: 60_000, maxCached: 10 });
    const sessions = wb.adapter('Session');
    for (let i = 0; i < 30; i++) await sessions.upsert(`bounded-${i}`, payload({ uid: `bounded-uid-${i}` }), 600);
    expect(wb.cachedEntries).toBe(30); // nothing written yet: all of it must stay
    await wb.flush(); // once written, the cache is trimmed
    expect(wb.cachedEntries).toBeLessThanOrEqual(10);
    await sessions.upsert('bounded-after', payload(), 600);
    expect(wb.cachedEntries).toBeLessThanOrEqual(10);
    for (let i = 0; i < 30; i++) expect(await sessions.find(`bounded-${i}`)).toMatchObject({ uid: `bounded-uid-${i}` });
    expect(await sessions.findByUid('bounded-uid-0')).toMatchObject({ uid: 'bounded-uid-0' });
    await wb.close();
  });

  it('expired entries are not returned', async () => {
    const wb = new WriteBehindStore(embedded.store.db, { flushMs: 60_000 });
    const codes = wb.adapter('Session');
    await codes.upsert('old', { ...payload(), exp: 1 }, 0);
    await codes.upsert('gone', payload(), 1);
    await new Promise((r) => setTimeout(r, 1100));
    expect(await codes.find('gone')).toBeUndefined();
  });
});
