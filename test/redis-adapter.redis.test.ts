// The Redis adapter against the machine's real Redis (REDIS_URL), each test under its own key
// prefix so runs never collide: what oidc-provider relies on an adapter for (find what was saved,
// expiry, consume once, revoke a grant with everything bound to it, sessions by uid).
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { RedisAdapter } from '../src/provider/redis-adapter.js';
import { openRedis, type RedisStore } from '../src/store/redis.js';
import { ConfigError } from '../src/config/error.js';
import { deleteRedisPrefix } from '../src/store/redis.js';
import { freePort, startPortvakt } from './helpers/portvakt.js';
import { headlessAuthorizeUrl, headlessCode } from './helpers/headless.js';
import { within } from './helpers/wait.js';
import { sessionStoreCases } from './helpers/session-store-cases.js';

let redis: RedisStore;

beforeAll(async () => {
  redis = await openRedis(process.env.REDIS_URL!, `portvakt-test-${crypto.randomBytes(6).toString('hex')}:`);
});
afterAll(async () => {
  await deleteRedisPrefix(redis.client, redis.prefix);
  await redis.close();
});

const keysUnderPrefix = async () => (await redis.client.keys(`${redis.prefix}*`)).map((key) => key.slice(redis.prefix.length)).sort();
const newId = () => crypto.randomBytes(16).toString('base64url');

describe('RedisAdapter', () => {
  sessionStoreCases(() => new RedisAdapter(redis, 'Session'));

  it('finds what was saved, with the TTL it was saved for, and nothing after destroy', async () => {
    const sessions = new RedisAdapter(redis, 'Session');
    const id = newId();
    await sessions.upsert(id, { jti: id, uid: 'u-1', accountId: '28876895937', kind: 'Session' }, 1800);
    expect(await sessions.find(id)).toEqual({ jti: id, uid: 'u-1', accountId: '28876895937', kind: 'Session' });
    const ttl = await redis.client.ttl(`${redis.prefix}Session:${id}`);
    expect(ttl).toBeGreaterThan(1790);
    expect(ttl).toBeLessThanOrEqual(1800);
    expect(await sessions.findByUid('u-1')).toMatchObject({ jti: id });

    await sessions.destroy(id);
    expect(await sessions.find(id)).toBeUndefined();
    expect(await sessions.findByUid('u-1')).toBeUndefined();
    expect(await sessions.find('never-saved')).toBeUndefined();
  });

  it('finds a person\'s grants: the live ones, while the set lives as long as the longest of them', async () => {
    const grants = new RedisAdapter(redis, 'Grant');
    const [short, long, gone] = [newId(), newId(), newId()];
    const pid = '12848500095';
    await grants.upsert(short, { authorizationId: short, accountId: pid, clientId: 'a', kind: 'Grant' }, 1);
    await grants.upsert(long, { authorizationId: long, accountId: pid, clientId: 'b', kind: 'Grant' }, 7200);
    await grants.upsert(long, { authorizationId: long, accountId: pid, clientId: 'b', kind: 'Grant', locale: 'nn' }, 7100); // saved again: once in the set
    await grants.upsert(gone, { authorizationId: gone, accountId: pid, clientId: 'c', kind: 'Grant' }, 600);
    await grants.destroy(gone);
    await grants.upsert(newId(), { accountId: '03917900077', clientId: 'a', kind: 'Grant' }, 600); // someone else's
    expect((await grants.findByAccount(pid)).map((g) => g.clientId).sort()).toEqual(['a', 'b']);
    const key = `${redis.prefix}account:Grant:${pid}`;
    expect(await redis.client.zcard(key)).toBe(3);
    expect(await redis.client.ttl(key)).toBeGreaterThan(7000);

    await new Promise((resolve) => setTimeout(resolve, 2100));
    expect((await grants.findByAccount(pid)).map((g) => g.clientId)).toEqual(['b']);
    // Other models are not listed by person.
    const tokens = new RedisAdapter(redis, 'AccessToken');
    await tokens.upsert(newId(), { accountId: pid, clientId: 'b', kind: 'AccessToken' }, 60);
    expect(await tokens.findByAccount(pid)).toEqual([]);
  });

  it('lets Redis expire a model with its TTL', async () => {
    const interactions = new RedisAdapter(redis, 'Interaction');
    const id = newId();
    await interactions.upsert(id, { jti: id, kind: 'Interaction' }, 1);
    expect(await interactions.find(id)).toBeDefined();
    await new Promise((resolve) => setTimeout(resolve, 2100));
    expect(await interactions.find(id)).toBeUndefined();
  });

  it('saving again replaces the payload and keeps `consumed`', async () => {
    const refreshTokens = new RedisAdapter(redis, 'RefreshToken');
    const id = newId();
    await refreshTokens.upsert(id, { jti: id, kind: 'RefreshToken', rotations: 0 }, 600);
    await refreshTokens.consume(id);
    await refreshTokens.upsert(id, { jti: id, kind: 'RefreshToken', rotations: 1 }, 600);
    const found = await refreshTokens.find(id);
    expect(found?.rotations).toBe(1);
    expect(found?.consumed).toBeGreaterThan(Date.now() / 1000 - 5);
  });

  it('consume marks a code used; consuming one that has expired or never existed creates nothing', async () => {
    const codes = new RedisAdapter(redis, 'AuthorizationCode');
    const id = newId();
    await codes.upsert(id, { jti: id, kind: 'AuthorizationCode', grantId: 'g-consume' }, 60);
    expect((await codes.find(id))?.consumed).toBeUndefined();
    expect(await Promise.all([codes.consume(id), codes.consume(id), codes.consume(id)])).toEqual([true, false, false]); // once, even at once
    expect(typeof (await codes.find(id))?.consumed).toBe('number');

    const gone = newId();
    expect(await codes.consume(gone)).toBe(false);
    expect(await redis.client.exists(`${redis.prefix}AuthorizationCode:${gone}`)).toBe(0);
  });

  it('take deletes a model and answers true once, even when calls race', async () => {
    const interactions = new RedisAdapter(redis, 'Interaction');
    const id = newId();
    await interactions.upsert(id, { jti: id, kind: 'Interaction', uid: id }, 60);
    expect(await Promise.all([1, 2, 3].map(() => interactions.take(id)))).toEqual([true, false, false]);
    expect(await interactions.find(id)).toBeUndefined();
    expect(await interactions.take(newId())).toBe(false);
  });

  it('claim stores a model only if its id is free, once even when calls race, and with a TTL', async () => {
    const seen = new RedisAdapter(redis, 'ReplayDetection');
    const id = newId();
    const claims = await Promise.all([1, 2, 3].map(() => seen.claim(id, { jti: id, kind: 'ReplayDetection', iss: 'c' }, 60)));
    expect(claims).toEqual([true, false, false]);
    expect(await seen.find(id)).toMatchObject({ iss: 'c' });
    expect(await redis.client.ttl(`${redis.prefix}ReplayDetection:${id}`)).toBeGreaterThan(50);
  });

  it('revokeByGrantId deletes every model bound to the grant, and only those', async () => {
    const grantId = newId();
    const codes = new RedisAdapter(redis, 'AuthorizationCode');
    const accessTokens = new RedisAdapter(redis, 'AccessToken');
    const refreshTokens = new RedisAdapter(redis, 'RefreshToken');
    const [code, access, refresh, other] = [newId(), newId(), newId(), newId()];
    await codes.upsert(code, { jti: code, grantId }, 60);
    await accessTokens.upsert(access, { jti: access, grantId }, 120);
    await refreshTokens.upsert(refresh, { jti: refresh, grantId }, 600);
    await accessTokens.upsert(other, { jti: other, grantId: newId() }, 120);
    // The grant's list lives as long as its longest-lived member.
    const listTtl = await redis.client.ttl(`${redis.prefix}grant:${grantId}`);
    expect(listTtl).toBeGreaterThan(590);

    await accessTokens.revokeByGrantId(grantId);
    expect(await codes.find(code)).toBeUndefined();
    expect(await accessTokens.find(access)).toBeUndefined();
    expect(await refreshTokens.find(refresh)).toBeUndefined();
    expect(await redis.client.exists(`${redis.prefix}grant:${grantId}`)).toBe(0);
    expect(await accessTokens.find(other)).toBeDefined();
  });

  it('a grant list does not expire before a member that never expires', async () => {
    const grantId = newId();
    const tokens = new RedisAdapter(redis, 'AccessToken');
    await tokens.upsert(newId(), { grantId }, 60);
    await tokens.upsert(newId(), { grantId }, 0);
    await tokens.upsert(newId(), { grantId }, 30);
    expect(await redis.client.ttl(`${redis.prefix}grant:${grantId}`)).toBe(-1);
  });

  it('keeps every key under its own prefix: another installation sees nothing', async () => {
    const other = await openRedis(process.env.REDIS_URL!, `${redis.prefix}other:`);
    try {
      const id = newId();
      await new RedisAdapter(redis, 'Session').upsert(id, { jti: id }, 60);
      expect(await new RedisAdapter(other, 'Session').find(id)).toBeUndefined();
      expect((await keysUnderPrefix()).every((key) => /^(Session|Interaction|AuthorizationCode|AccessToken|RefreshToken|ReplayDetection|Grant|grant|uid|account):/.test(key))).toBe(true);
    } finally {
      await deleteRedisPrefix(other.client, other.prefix);
      await other.close();
    }
  });
});

describe('openRedis', () => {
  it('stops the start with a message naming the address (and not the password) when Redis cannot be reached', async () => {
    const attempt = openRedis('redis://:hunter2-secret@127.0.0.1:1/0', 'x:');
    await expect(attempt).rejects.toBeInstanceOf(ConfigError);
    await expect(attempt).rejects.toThrow(/REDIS_URL: cannot use Redis at redis:\/\/127\.0\.0\.1:1\/0 \(ECONNREFUSED\)/);
    await expect(attempt).rejects.not.toThrow(/hunter2/);
  });
});

describe('Portvakt with REDIS_URL', () => {
  it('keeps the provider\'s state in Redis under its prefix, and none of it in the SQL store', async () => {
    const pv = await startPortvakt();
    try {
      const demo = pv.portvakt.demoClient!;
      expect(await headlessCode(headlessAuthorizeUrl(pv.issuer, { client_id: demo.client_id, redirect_uri: demo.redirect_uris[0]! }))).toBeTruthy();

      const models = new Set((await pv.portvakt.redis!.client.keys(`${pv.redisPrefix}*`)).map((key) => key.slice(pv.redisPrefix!.length).split(':')[0]));
      expect([...models]).toEqual(expect.arrayContaining(['Session', 'Grant', 'AuthorizationCode', 'grant', 'uid']));
      const rows = await pv.portvakt.store.db.selectFrom('oidc_payloads').select('model').execute();
      expect(rows).toEqual([]);
    } finally {
      await pv.close();
    }
    expect(await redis.client.keys(`${pv.redisPrefix}*`)).toEqual([]); // a test leaves nothing behind
  });
});

describe('when Redis goes away', () => {
  /** A Redis server of this test's own, so that it can be stopped (Debian's redis-server, as in CI). */
  async function ownRedis(port: number) {
    const server = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    const exited = new Promise((resolve) => server.once('exit', resolve));
    // Listening once a connection is no longer refused (what answers is not HTTP, which is fine).
    await within(5000, () => fetch(`http://127.0.0.1:${port}`).then(() => true, (err: { cause?: { code?: string } }) => err.cause?.code !== 'ECONNREFUSED'));
    return { stop: async () => { server.kill('SIGKILL'); await exited; } };
  }

  it('readiness says 503 and requests fail at once; both recover when Redis is back', async () => {
    const port = await freePort();
    let server = await ownRedis(port);
    const pv = await startPortvakt({ env: { REDIS_URL: `redis://127.0.0.1:${port}` } });
    try {
      const demo = pv.portvakt.demoClient!;
      const login = () => fetch(headlessAuthorizeUrl(pv.issuer, { client_id: demo.client_id, redirect_uri: demo.redirect_uris[0]! }), { redirect: 'manual' });
      expect((await login()).status).toBe(303);

      await server.stop();
      const stderr = vi.spyOn(console, 'error');
      const started = performance.now();
      const unready = await fetch(`${pv.issuer}/health/ready`);
      expect(unready.status).toBe(503);
      expect(await unready.json()).toEqual({ status: 'unavailable', database: 'ok', redis: 'unavailable' });
      const failed = await login(); // an outage, said as one (store-outage.postgres.test.ts has the rest)
      expect(failed.status).toBe(503);
      expect(await failed.json()).toMatchObject({ error: 'temporarily_unavailable' });
      expect(performance.now() - started).toBeLessThan(2000); // not a queue waiting for a reconnect
      expect(stderr).not.toHaveBeenCalled(); // logged through the logger, not printed by Koa
      stderr.mockRestore();

      server = await ownRedis(port);
      expect(await within(10_000, async () => (await fetch(`${pv.issuer}/health/ready`)).status === 200)).toBe(true);
      expect((await login()).status).toBe(303);
    } finally {
      await pv.close();
      await server.stop();
    }
  }, 30_000);
});
