// Which store failures are an outage (StoreUnavailableError: 503, try again) and which are not
// (a refused value, a bug: they stay what they are). The outage itself, end to end, is in
// store-outage.postgres.test.ts.
import { describe, expect, it } from 'vitest';
import { ReplyError } from 'ioredis';
import { databaseFailure, isStoreUnavailable, redisFailure } from '../src/store/unavailable.js';

const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });

describe('database failures', () => {
  it.each([
    ['connection refused', withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED')],
    ['connection reset', withCode('read ECONNRESET', 'ECONNRESET')],
    ['unknown host', withCode('getaddrinfo ENOTFOUND db', 'ENOTFOUND')],
    ['connection ended by the server', new Error('Connection terminated unexpectedly')],
    ['no connection within the limit', new Error('timeout exceeded when trying to connect')],
    ['server shutting down (57P01)', withCode('terminating connection due to administrator command', '57P01')],
    ['server starting up (57P03)', withCode('the database system is starting up', '57P03')],
    ['too many connections (53300)', withCode('sorry, too many clients already', '53300')],
    ['connection failure (08006)', withCode('connection failure', '08006')],
    ['a read-only standby after a failover (25006)', withCode('cannot execute INSERT in a read-only transaction', '25006')],
  ])('%s is an outage', (_name, err) => {
    const failure = databaseFailure(err);
    expect(isStoreUnavailable(failure)).toBe(true);
    expect((failure as Error).cause).toBe(err);
  });

  it.each([
    ['a unique violation (23505)', withCode('duplicate key value', '23505')],
    ['a value refused (22P05)', withCode('unsupported Unicode escape sequence', '22P05')],
    ['a syntax error (42601)', withCode('syntax error at or near "selec"', '42601')],
    ['an error of ours', new TypeError('x is not a function')],
  ])('%s is not', (_name, err) => {
    expect(databaseFailure(err)).toBe(err);
  });
});

describe('Redis failures', () => {
  it('ioredis failing to reach Redis is an outage', () => {
    for (const err of [new Error('Connection is closed.'), new Error("Stream isn't writeable and enableOfflineQueue options is false"), new Error('Command timed out')]) {
      expect(isStoreUnavailable(redisFailure(err))).toBe(true);
    }
  });

  it('an error Redis answered with is not', () => {
    const err = new ReplyError('NOSCRIPT No matching script');
    expect(redisFailure(err)).toBe(err);
  });
});
