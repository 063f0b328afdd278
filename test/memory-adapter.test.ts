// The embedded store's memory for short-lived models (interactions, codes, request_uris): expiry,
// single use under racing calls, and a bound that a flood of authorization requests cannot pass.
import { describe, expect, it } from 'vitest';
import { MemoryAdapter } from '../src/provider/adapters.js';

describe('MemoryAdapter', () => {
  it('keeps at most its bound, dropping the oldest first', async () => {
    const memory = new MemoryAdapter(3);
    for (const id of ['a', 'b', 'c', 'd']) await memory.upsert(id, { jti: id, uid: `uid-${id}` }, 600);
    expect(await memory.find('a')).toBeUndefined();
    expect(await memory.findByUid('uid-a')).toBeUndefined();
    expect(await Promise.all(['b', 'c', 'd'].map(async (id) => (await memory.find(id))?.jti))).toEqual(['b', 'c', 'd']);
    await memory.upsert('d', { jti: 'd', changed: true }, 600); // saving again is no new entry
    expect(await memory.find('b')).toBeDefined();
  });

  it('consume answers true once, even to calls made at once; an unknown id is never consumed', async () => {
    const memory = new MemoryAdapter();
    await memory.upsert('code', { jti: 'code' }, 60);
    expect(await Promise.all([memory.consume('code'), memory.consume('code'), memory.consume('code')])).toEqual([true, false, false]);
    expect((await memory.find('code'))?.consumed).toEqual(expect.any(Number));
    expect(await memory.consume('unknown')).toBe(false);
  });

  it('claim stores an id once, even to calls made at once', async () => {
    const memory = new MemoryAdapter();
    expect(await Promise.all([1, 2, 3].map(() => memory.claim('jti', { iss: 'c' }, 60)))).toEqual([true, false, false]);
  });

  it('take deletes an entry and answers true once, even to calls made at once', async () => {
    const memory = new MemoryAdapter();
    await memory.upsert('interaction', { jti: 'interaction', uid: 'interaction' }, 60);
    expect(await Promise.all([1, 2, 3].map(() => memory.take('interaction')))).toEqual([true, false, false]);
    expect(await memory.find('interaction')).toBeUndefined();
    expect(await memory.findByUid('interaction')).toBeUndefined();
    expect(await memory.take('unknown')).toBe(false);
  });

  it('forgets an entry when it expires', async () => {
    const memory = new MemoryAdapter();
    await memory.upsert('short', { jti: 'short' }, -1);
    expect(await memory.find('short')).toBeUndefined();
    expect(await memory.consume('short')).toBe(false);
    expect(await memory.claim('short', { jti: 'short' }, 60)).toBe(true);
  });
});
