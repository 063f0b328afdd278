// Redis (REDIS_URL): where the provider keeps its state — sessions, interactions, codes, tokens,
// grants — when Portvakt runs as several nodes. Every node of an installation shares one prefix;
// installations (or environments) sharing one Redis must each have their own.
import { Redis } from 'ioredis';
import { ConfigError } from '../config/error.js';
import { redactUrl } from './redact-url.js';

export interface RedisStore {
  client: Redis;
  /** REDIS_URL without its credentials, for messages. */
  location: string;
  /** Put before every key Portvakt writes, e.g. `portvakt:test:`. */
  prefix: string;
  /** Answers PING within the command timeout (for /health/ready). */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

/** Where a request gives up on a Redis that has stopped answering, so that no login hangs on it. */
const COMMAND_TIMEOUT_MS = 3000;

/**
 * Connects, or stops the start with a message that says what is wrong (a provider that cannot keep
 * sessions must not start serving). Once connected, ioredis reconnects by itself after an outage.
 * Meanwhile a command fails at once rather than waiting in a queue (a login waiting on a dead Redis
 * helps nobody, and /health/ready answers 503 so that a load balancer sends people elsewhere), and
 * one sent to a Redis that stops answering fails after COMMAND_TIMEOUT_MS.
 */
export async function openRedis(url: string, prefix: string): Promise<RedisStore> {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 5000,
    commandTimeout: COMMAND_TIMEOUT_MS,
    enableOfflineQueue: false,
  });
  let lastError: (Error & { code?: string }) | undefined;
  // Without a listener ioredis reports a lost connection as an uncaught 'error' event.
  client.on('error', (err: Error) => { lastError = err; });
  try {
    await client.connect();
    await client.ping();
  } catch (err) {
    client.disconnect();
    const reason = lastError?.code ?? lastError?.message ?? (err as Error).message;
    throw new ConfigError(`REDIS_URL: cannot use Redis at ${redactUrl(url, 'the REDIS_URL given')} (${reason}). Start Redis there, or unset REDIS_URL to keep the provider's state in the SQL store.`);
  }
  return {
    client,
    location: redactUrl(url, 'the REDIS_URL given'),
    prefix,
    async ping() {
      return client.ping().then((answer) => answer === 'PONG', () => false);
    },
    async close() {
      await client.quit().catch(() => client.disconnect());
    },
  };
}

/** Deletes every key under `prefix` (SCAN, so a large Redis is not blocked): a test's or a benchmark's keys. */
export async function deleteRedisPrefix(client: Redis, prefix: string): Promise<void> {
  const pattern = `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`;
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
    if (keys.length) await client.unlink(...keys);
    cursor = next;
  } while (cursor !== '0');
}
