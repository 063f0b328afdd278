// How SSO sessions are stored, so that requests of one browser that race cannot undo each other.
//
// A save keeps the services the stored copy lists. Two requests that finish at the same moment (a
// page with several services that log in by SSO, each in a frame of its own) each load the session,
// add their service to its `authorizations`, and save it whole: the later save would drop the
// service the earlier one added, and a logout would then neither call that service's front-channel
// logout nor revoke its grant. oidc-provider never removes a service from a session under the same
// id (one service logging out alone, or a new login, gives the session a new id; a logout destroys
// it), so keeping what the stored copy lists loses nothing. A save for another person or another
// login replaces it as it is.
//
// A destroyed session stays destroyed. A request that loaded the session before the person logged
// out saves it when it ends, and would bring it back, with a cookie for whoever uses the browser
// next. So destroying a session marks it consumed (a tombstone that expires with it), a consumed
// session is not found, and a save over it is ignored.
//
// Each store merges and refuses as it writes: memory in one turn, PostgreSQL in the upsert
// statement, Redis in a script.
import type { AdapterPayload } from 'oidc-provider';
import { sql } from 'kysely';
import type { StoreAdapter } from './adapters.js';

export const SESSION_MODEL = 'Session';

type Authorizations = Record<string, unknown>;

/** Sessions as oidc-provider sees them over a store whose upsert merges and refuses as above. */
export function sessionAdapter(stored: StoreAdapter): StoreAdapter {
  const live = (payload: AdapterPayload | undefined | void) => (payload?.consumed ? undefined : payload ?? undefined);
  return {
    upsert: (id, payload, expiresIn) => stored.upsert(id, payload, expiresIn),
    find: async (id) => live(await stored.find(id)),
    findByUid: async (uid) => live(await stored.findByUid(uid)),
    findByUserCode: (userCode) => stored.findByUserCode(userCode),
    consume: (id) => stored.consume(id),
    claim: (id, payload, expiresIn) => stored.claim(id, payload, expiresIn),
    take: (id) => stored.take(id),
    destroy: async (id) => {
      await stored.consume(id); // the tombstone
    },
    revokeByGrantId: (grantId) => stored.revokeByGrantId(grantId),
    findByAccount: (accountId) => stored.findByAccount(accountId),
  };
}

/** `saved`, with the services `stored` lists and `saved` does not, if both are the same login. */
export function withStoredAuthorizations(saved: AdapterPayload, stored: AdapterPayload | null | undefined): AdapterPayload {
  const kept = stored?.authorizations as Authorizations | undefined;
  if (!kept || saved.accountId === undefined || saved.accountId !== stored!.accountId || saved.loginTs !== stored!.loginTs) return saved;
  const own = (saved.authorizations ?? {}) as Authorizations;
  if (Object.keys(kept).every((clientId) => clientId in own)) return saved;
  return { ...saved, authorizations: { ...kept, ...own } } as AdapterPayload;
}

/**
 * The same for a Redis script (KEYS[1] the session's hash, KEYS[2] its uid's key; ARGV[1] the
 * payload to save, ARGV[2] the session's id, ARGV[3] the TTL or 0): sets `payload` and points the
 * uid at the session, unless the session was destroyed. Decodes and encodes only when there is
 * something to keep; a payload lua-cjson cannot read is saved as it is.
 */
export const SAVE_SESSION_LUA = `
if redis.call('hexists', KEYS[1], 'consumed') == 1 then return 0 end
local payload = ARGV[1]
local stored = redis.call('hget', KEYS[1], 'payload')
if stored then
  local ok1, old = pcall(cjson.decode, stored)
  local ok2, new = pcall(cjson.decode, payload)
  if ok1 and ok2 and type(old) == 'table' and type(new) == 'table' and type(old.authorizations) == 'table'
    and old.accountId ~= nil and old.accountId == new.accountId and old.loginTs == new.loginTs then
    local own = type(new.authorizations) == 'table' and new.authorizations or {}
    local added = false
    for clientId, authorization in pairs(old.authorizations) do
      if own[clientId] == nil then own[clientId] = authorization added = true end
    end
    if added then new.authorizations = own payload = cjson.encode(new) end
  end
end
redis.call('hset', KEYS[1], 'payload', payload)
if tonumber(ARGV[3]) > 0 then redis.call('set', KEYS[2], ARGV[2], 'EX', ARGV[3]) else redis.call('set', KEYS[2], ARGV[2]) end
return 1`;

// What jsonb refuses and JSON text may hold: an escaped NUL or half a surrogate pair. A payload with
// one (a logout's `state` is the relying party's text) is saved as it is, unmerged.
const NUL_ESCAPE = '\\u0000';
const LONE_SURROGATE_ESCAPE = '\\\\u[dD][89a-fA-F]';

/**
 * The same for PostgreSQL: the payload an INSERT … ON CONFLICT DO UPDATE of a session writes, from
 * the row's (`oidc_payloads.payload`) and the new one (`excluded.payload`). The statement holds the
 * row's lock, so a save that waited for another merges with what that one wrote.
 */
export function mergedSessionPayloadSql() {
  const unmergeable = (column: ReturnType<typeof sql.ref>) => sql`(strpos(${column}, ${NUL_ESCAPE}) > 0 or ${column} ~ ${LONE_SURROGATE_ESCAPE})`;
  const stored = sql.ref('oidc_payloads.payload');
  const saved = sql.ref('excluded.payload');
  return sql<string>`case
    when ${unmergeable(stored)} or ${unmergeable(saved)} then ${saved}
    when jsonb_typeof(${stored}::jsonb -> 'authorizations') = 'object'
      and (${stored}::jsonb -> 'accountId') = (${saved}::jsonb -> 'accountId')
      and (${stored}::jsonb -> 'loginTs') is not distinct from (${saved}::jsonb -> 'loginTs')
    then jsonb_set(${saved}::jsonb, '{authorizations}', (${stored}::jsonb -> 'authorizations') || coalesce(${saved}::jsonb -> 'authorizations', '{}'::jsonb))::text
    else ${saved}
  end`;
}
