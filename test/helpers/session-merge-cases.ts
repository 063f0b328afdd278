// What every store must do when a session is saved over the stored one (src/provider/session-merge.ts),
// as tests registered for one store's adapter.
import crypto from 'node:crypto';
import { expect, it } from 'vitest';
import type { AdapterPayload } from 'oidc-provider';
import type { StoreAdapter } from '../../src/provider/adapters.js';

const session = (authorizations: NonNullable<AdapterPayload['authorizations']>, extra: Partial<AdapterPayload> = {}): AdapterPayload => ({
  kind: 'Session', accountId: '28876895937', loginTs: 1_795_000_000, uid: crypto.randomBytes(8).toString('hex'), exp: Math.floor(Date.now() / 1000) + 600, authorizations, ...extra,
});

export function sessionMergeCases(sessions: () => StoreAdapter) {
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
}
