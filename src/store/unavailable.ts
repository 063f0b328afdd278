// A store that cannot be reached is not a bug in Portvakt nor a fault of the request: a PostgreSQL
// restarting or failing over, a network partition, a Redis that is down. Such failures are told
// apart where they arise (the PostgreSQL pool, the Redis adapter) and become StoreUnavailableError,
// which the HTTP layers answer with 503 and Retry-After ("try again shortly") instead of a 500 that
// looks like a bug, or a 400 that blames the caller.
import { sqlState } from './sql-errors.js';

export type StoreName = 'database' | 'redis';

export class StoreUnavailableError extends Error {
  constructor(readonly store: StoreName, cause: unknown) {
    super(`the ${store} cannot be reached (${(cause as Error | undefined)?.message ?? String(cause)})`, { cause });
    this.name = 'StoreUnavailableError';
  }
}

export const isStoreUnavailable = (err: unknown): err is StoreUnavailableError => err instanceof StoreUnavailableError;

/** What the operating system says when a connection cannot be made or is lost. */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ENETDOWN']);

/** node-postgres' own words for a connection that ended, never came, or went silent. */
const PG_CONNECTION_MESSAGES = /^(Connection terminated|timeout exceeded when trying to connect|Query read timeout|Client has encountered a connection error and is not queryable|Client was closed and is not queryable|Cannot use a pool after calling end on the pool)/;

/**
 * SQLSTATEs that say the server cannot serve now, whatever was asked: class 08 (connection
 * exception), class 53 (insufficient resources: too many connections, disk full, out of memory),
 * 57P01–57P03 (shutting down, crashed, starting up) and 25006 (a read-only server: a primary that
 * failed over to a standby, or a standby reached by mistake).
 */
const isUnavailableState = (state: string) => state.startsWith('08') || state.startsWith('53') || /^57P0[1-3]$/.test(state) || state === '25006';

/** A PostgreSQL (or PGlite) failure as StoreUnavailableError when it is one; anything else as it is. */
export function databaseFailure(err: unknown): unknown {
  if (err instanceof StoreUnavailableError) return err;
  const state = sqlState(err);
  const { message } = (err ?? {}) as { message?: unknown };
  const unavailable = (state !== undefined && (NETWORK_CODES.has(state) || isUnavailableState(state)))
    || (typeof message === 'string' && PG_CONNECTION_MESSAGES.test(message));
  return unavailable ? new StoreUnavailableError('database', err) : err;
}

/**
 * A Redis failure as StoreUnavailableError unless Redis itself answered with an error (a ReplyError:
 * a refused command, which is a bug to see, not an outage). ioredis' own failures — offline, the
 * connection closed, a command that timed out — all mean Redis cannot be used now.
 */
export function redisFailure(err: unknown): unknown {
  if (err instanceof StoreUnavailableError || !(err instanceof Error)) return err;
  return err.name === 'ReplyError' ? err : new StoreUnavailableError('redis', err);
}
