// What every store must do for sessions (src/provider/session-store.ts): a save keeps the services
// the stored copy lists, and a destroyed session stays destroyed. Tests registered for one store.
import crypto from 'node:crypto';
import { expect, it } from 'vitest';
import type { AdapterPayload } from 'oidc-provider';
import type { StoreAdapter } from '../../src/provider/adapters.js';
import { sessionAdapter } from '../../src/provider/session-store.js';

const session = (authorizations: NonNullable<AdapterPayload['authorizations']>, extra: Partial<AdapterPayload> = {}): AdapterPayload => ({
  kind: 'Session', accountId: '28876895937', loginTs: 1_795_000_000, uid: crypto.randomBytes(8).toString('hex'), exp: Math.floor(Date.now() / 1000) + 600, authorizations, ...extra,
});

/** `stored`: the store's adapter for the Session model, as oidc-provider gets it wrapped by sessionAdapter(). */
export function sessionStoreCases(stored: () => StoreAdapter) {
  const sessions = () => sessionAdapter(stored());
  const id = () => crypto.randomBytes(16).toString('base64url');

  it('a session saved over the stored one of the same login keeps the services the stored one lists', async () => {
    const key = id();
    await sessions().upsert(key, session({ one: { sid: 's1', grantId: 'g1' } }), 600);
    await sessions().upsert(key, session({ two: { sid: 's2', grantId: 'g2' } }), 600); // loaded before "one" was added
    expect((await sessions().find(key))?.authorizations).toEqual({ one: { sid: 's1', grantId: 'g1' }, two: { sid: 's2', grantId: 'g2' } });
    await sessions().upsert(key, session({ two: { sid: 's2', grantId: 'g2-new' } }), 600); // the saved entry wins for its own service
    expect((await sessions().find(key))?.authorizations).toEqual({ one: { sid: 's1', grantId: 'g1' }, two: { sid: 's2', grantId: 'g2-new' } });
  });

  it('a session of another person or another login replaces the stored one as it is', async () => {
    const key = id();
    await sessions().upsert(key, session({ one: { sid: 's1' } }), 600);
    await sessions().upsert(key, session({ two: { sid: 's2' } }, { accountId: '12848500095' }), 600);
    expect((await sessions().find(key))?.authorizations).toEqual({ two: { sid: 's2' } });
    await sessions().upsert(key, session({ three: { sid: 's3' } }, { accountId: '12848500095', loginTs: 1_795_000_100 }), 600);
    expect((await sessions().find(key))?.authorizations).toEqual({ three: { sid: 's3' } });
  });

  it('a session holding text that jsonb refuses (a NUL, half a surrogate pair) is saved as it is', async () => {
    const key = id();
    await sessions().upsert(key, session({ one: { sid: 's1' } }, { state: { state: 'a\u0000b' } }), 600);
    await sessions().upsert(key, session({ two: { sid: 's2' } }, { state: { state: '\ud800' } }), 600);
    const found = await sessions().find(key);
    expect(found?.state).toEqual({ state: '\ud800' });
    expect(Object.keys(found?.authorizations ?? {})).toContain('two');
  });

  it('a destroyed session is not found, and a save over it (from a request that loaded it before) is ignored', async () => {
    const key = id();
    await sessions().upsert(key, session({ one: { sid: 's1' } }), 600);
    await sessions().destroy(key);
    expect(await sessions().find(key)).toBeUndefined();
    await sessions().upsert(key, session({ one: { sid: 's1' }, two: { sid: 's2' } }), 600);
    expect(await sessions().find(key)).toBeUndefined();
  });

  it('a session given a new id (as at a new login) is found by its uid, not the tombstone of its old id', async () => {
    const [before, after] = [id(), id()];
    const saved = session({ one: { sid: 's1' } });
    await sessions().upsert(before, saved, 600);
    await sessions().upsert(after, { ...saved, authorizations: { one: { sid: 's1' }, two: { sid: 's2' } } }, 600); // oidc-provider saves the new id first,
    await sessions().destroy(before); // then destroys the old one
    expect(Object.keys((await sessions().findByUid(String(saved.uid)))?.authorizations ?? {})).toEqual(['one', 'two']);
    await sessions().upsert(before, saved, 600); // a request still holding the old id saves it
    expect(Object.keys((await sessions().findByUid(String(saved.uid)))?.authorizations ?? {})).toEqual(['one', 'two']);
    await sessions().destroy(after); // logout
    expect(await sessions().findByUid(String(saved.uid))).toBeUndefined();
  });
}
