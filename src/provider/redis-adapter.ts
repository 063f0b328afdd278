// oidc-provider's models in Redis (REDIS_URL): what several stateless nodes share when a login
// starts on one and continues on another.
//
// Keys, all under the installation's prefix:
//   <Model>:<id>        a hash: `payload` (oidc-provider's payload as JSON) and, once used, `consumed`
//                       (for a session: destroyed; session-store.ts)
//   grant:<grantId>     a list of the keys bound to that grant, so revoking it finds them all
//   uid:<Model>:<uid>   the id of the model with that uid (sessions are found by uid)
//   account:<Model>:<accountId>  a sorted set of the ids of that person's grants, scored by when
//                       each expires (adapters.ts PERSON_INDEXED_MODELS), so they can be listed
// The ids it is given are digests of the token values (app.ts wraps it in token-digests.ts).
// Each expires with its model (Redis deletes it; nothing sweeps), a grant's list with the last of
// its members. Every write is one round trip (MULTI), every read one or two.
import type { AdapterPayload } from 'oidc-provider';
import type { ChainableCommander, Redis } from 'ioredis';
import type { RedisStore } from '../store/redis.js';
import { accountIdOf, epoch, PERSON_INDEXED_MODELS, type StoreAdapter } from './adapters.js';
import { SAVE_SESSION_LUA, SESSION_MODEL } from './session-store.js';

// Scripts for what must be atomic and has no single Redis command.
const SCRIPTS = {
  /**
   * Marks a stored model consumed and answers 1, or 0 if it was consumed already (a script runs
   * alone, so of two racing calls one gets 1) or is gone: a model that has expired meanwhile is not
   * brought back without a TTL.
   */
  portvaktConsume: {
    numberOfKeys: 1,
    lua: "if redis.call('exists', KEYS[1]) == 1 then return redis.call('hsetnx', KEYS[1], 'consumed', ARGV[1]) end return 0",
  },
  /** Stores a model (a hash with its payload) only if the key is free, with a TTL; answers 1 if it did. */
  portvaktClaim: {
    numberOfKeys: 1,
    lua: "if redis.call('exists', KEYS[1]) == 1 then return 0 end redis.call('hset', KEYS[1], 'payload', ARGV[1]) redis.call('expire', KEYS[1], ARGV[2]) return 1",
  },
  /**
   * Adds a key to its grant's list; the list lives as long as its longest-lived member (0: a member
   * that never expires, so the list does not either). EXPIRE's GT option would need Redis 7.
   */
  portvaktBindToGrant: {
    numberOfKeys: 1,
    lua: "local length = redis.call('rpush', KEYS[1], ARGV[1]) local ttl = tonumber(ARGV[2]) if ttl == 0 then redis.call('persist', KEYS[1]) return length end local current = redis.call('ttl', KEYS[1]) if length == 1 or (current >= 0 and current < ttl) then redis.call('expire', KEYS[1], ttl) end return length",
  },
  /**
   * Adds a model to its person's set, scored by when it expires (0: never), drops the members that
   * have expired, and lets the set live as long as its longest-lived member.
   */
  portvaktIndexByAccount: {
    numberOfKeys: 1,
    lua: "redis.call('zremrangebyscore', KEYS[1], '-inf', ARGV[3]) local expires = ARGV[2] if expires == '0' then expires = '+inf' end redis.call('zadd', KEYS[1], expires, ARGV[1]) local last = redis.call('zrange', KEYS[1], -1, -1, 'WITHSCORES') if last[2] == 'inf' then redis.call('persist', KEYS[1]) else redis.call('expireat', KEYS[1], math.ceil(tonumber(last[2]))) end return 1",
  },
  /** Saves a session's payload, keeping what the stored one lists (session-store.ts). */
  portvaktSaveSession: { numberOfKeys: 2, lua: SAVE_SESSION_LUA },
  /** Deletes everything bound to a grant and the list itself, so no token issued meanwhile escapes. */
  portvaktRevokeGrant: {
    numberOfKeys: 1,
    lua: "local keys = redis.call('lrange', KEYS[1], 0, -1) for _, key in ipairs(keys) do redis.call('del', key) end redis.call('del', KEYS[1]) return #keys",
  },
} as const;

type ScriptCommands = {
  [name in keyof typeof SCRIPTS]: (key: string, ...args: (string | number)[]) => Promise<unknown>;
};
type ScriptedRedis = Redis & ScriptCommands;
type ScriptedMulti = ChainableCommander & { [name in keyof typeof SCRIPTS]: (key: string, ...args: (string | number)[]) => ScriptedMulti };

const defined = new WeakSet<Redis>();

/** The scripts above, loaded once per connection (ioredis sends them by SHA, and the source only when Redis has not seen it). */
function withScripts(client: Redis): ScriptedRedis {
  if (!defined.has(client)) {
    for (const [name, script] of Object.entries(SCRIPTS)) client.defineCommand(name, script);
    defined.add(client);
  }
  return client as ScriptedRedis;
}

/** MULTI's answer is a list of [error, result]; the first error is the transaction's. */
async function execAll(multi: ChainableCommander): Promise<void> {
  const results = await multi.exec();
  if (!results) throw new Error('Redis discarded the transaction');
  for (const [err] of results) if (err) throw err;
}

export class RedisAdapter implements StoreAdapter {
  private readonly client: ScriptedRedis;
  private readonly prefix: string;

  constructor(redis: RedisStore, private readonly model: string) {
    this.client = withScripts(redis.client);
    this.prefix = redis.prefix;
  }

  private key(id: string): string {
    return `${this.prefix}${this.model}:${id}`;
  }

  private grantKey(grantId: string): string {
    return `${this.prefix}grant:${grantId}`;
  }

  private uidKey(uid: string): string {
    return `${this.prefix}uid:${this.model}:${uid}`;
  }

  private accountKey(accountId: string): string {
    return `${this.prefix}account:${this.model}:${accountId}`;
  }

  async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
    const key = this.key(id);
    const ttl = expiresIn > 0 ? Math.ceil(expiresIn) : undefined;
    const multi = this.client.multi() as ScriptedMulti;
    // A model saved again keeps `consumed` (as the SQL store keeps consumed_at); a session keeps
    // the services the stored one lists, and a destroyed one stays destroyed, its uid not pointing
    // to it (session-store.ts).
    const session = this.model === SESSION_MODEL;
    if (session) multi.portvaktSaveSession(key, this.uidKey(String(payload.uid ?? '')), JSON.stringify(payload), id, ttl ?? 0);
    else multi.hset(key, 'payload', JSON.stringify(payload));
    if (ttl) multi.expire(key, ttl);
    else multi.persist(key);
    if (payload.grantId) {
      multi.portvaktBindToGrant(this.grantKey(payload.grantId), key, ttl ?? 0);
    }
    const accountId = accountIdOf(this.model, payload);
    if (accountId) multi.portvaktIndexByAccount(this.accountKey(accountId), id, ttl ? epoch() + ttl : 0, epoch());
    if (payload.uid && !session) {
      if (ttl) multi.set(this.uidKey(payload.uid), id, 'EX', ttl);
      else multi.set(this.uidKey(payload.uid), id);
    }
    await execAll(multi);
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    const stored = await this.client.hgetall(this.key(id));
    if (!stored.payload) return undefined;
    const payload = JSON.parse(stored.payload) as AdapterPayload;
    return stored.consumed ? { ...payload, consumed: Number(stored.consumed) } : payload;
  }

  async claim(id: string, payload: AdapterPayload, expiresIn: number): Promise<boolean> {
    return (await this.client.portvaktClaim(this.key(id), JSON.stringify(payload), Math.max(1, Math.ceil(expiresIn)))) === 1;
  }

  async findByUid(uid: string): Promise<AdapterPayload | undefined> {
    const id = await this.client.get(this.uidKey(uid));
    return id ? this.find(id) : undefined;
  }

  async findByUserCode(): Promise<AdapterPayload | undefined> {
    return undefined; // the device flow is not part of ID-porten
  }

  async consume(id: string): Promise<boolean> {
    return (await this.client.portvaktConsume(this.key(id), epoch())) === 1;
  }

  async destroy(id: string): Promise<void> {
    await this.take(id);
  }

  async take(id: string): Promise<boolean> {
    return (await this.client.del(this.key(id))) === 1; // DEL answers how many keys it removed
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    await this.client.portvaktRevokeGrant(this.grantKey(grantId));
  }

  async findByAccount(accountId: string): Promise<AdapterPayload[]> {
    if (!PERSON_INDEXED_MODELS.has(this.model)) return [];
    const ids = await this.client.zrangebyscore(this.accountKey(accountId), `(${epoch()}`, '+inf');
    if (!ids.length) return [];
    // Members whose model is gone (withdrawn, or revoked with its tokens) stay until they would have expired.
    const pipeline = this.client.pipeline();
    for (const id of ids) pipeline.hget(this.key(id), 'payload');
    const stored = (await pipeline.exec()) ?? [];
    return stored.flatMap(([err, payload]) => {
      if (err) throw err;
      return typeof payload === 'string' ? [JSON.parse(payload) as AdapterPayload] : [];
    });
  }
}
