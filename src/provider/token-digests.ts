// Token values never reach the store as they are.
//
// oidc-provider keys every model by its value — the session cookie, refresh tokens, authorization
// codes, the handle behind each access token, the interaction cookie — and repeats it in the payload
// (`jti`; an interaction also copies its session's cookie value). Stored like that, whoever reads a
// database dump, a backup or Redis could use them. So every model that leaves the process is keyed
// by the SHA-256 of its value and stored without `jti` (and without the interaction's copy); find()
// was asked for the value and puts it back.
//
// Why no key: the values are 43 random characters (258 bits), whose hash can be neither reversed
// nor guessed; a plain hash also keeps the store readable after PORTVAKT_SECRET changes, and is
// what migration 0006 computes in SQL for rows written before.
import { hash } from 'node:crypto';
import type { AdapterPayload } from 'oidc-provider';
import type { StoreAdapter } from './adapters.js';

/** The id a model is stored under: base64url SHA-256 of its value (no padding, 43 characters). */
export const tokenDigest = (value: string): string => hash('sha256', value, 'base64url');

/** The payload as it is stored: without the value it is keyed by, nor an interaction's copy of its session's. */
export function storedPayload(payload: AdapterPayload): AdapterPayload {
  const { jti: _value, ...stored } = payload;
  const session = stored.session as { cookie?: unknown } | undefined;
  if (session?.cookie !== undefined) {
    const { cookie: _cookie, ...rest } = session;
    stored.session = rest as AdapterPayload['session'];
  }
  return stored;
}

/** `adapter`, storing digests of ids and payloads without them (see above). */
export function storingDigests(adapter: StoreAdapter): StoreAdapter {
  return {
    upsert: (id, payload, expiresIn) => adapter.upsert(tokenDigest(id), storedPayload(payload), expiresIn),
    async find(id) {
      const stored = await adapter.find(tokenDigest(id));
      return stored ? { ...stored, jti: id } : undefined;
    },
    // Found by uid, a session comes back without its cookie value, which the store does not know.
    // oidc-provider only checks such a session (its account, its grants) and never saves it.
    findByUid: (uid) => adapter.findByUid(uid),
    findByUserCode: (userCode) => adapter.findByUserCode(userCode),
    consume: (id) => adapter.consume(tokenDigest(id)),
    claim: (id, payload, expiresIn) => adapter.claim(tokenDigest(id), storedPayload(payload), expiresIn),
    destroy: (id) => adapter.destroy(tokenDigest(id)),
    take: (id) => adapter.take(tokenDigest(id)),
    revokeByGrantId: (grantId) => adapter.revokeByGrantId(grantId),
    // Listed, models come as stored (a grant names itself in authorizationId; adapters.ts namingOwnGrant).
    findByAccount: (accountId) => adapter.findByAccount(accountId),
  };
}
