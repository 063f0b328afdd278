// Test runs share the machine's Redis: each works under its own key prefix and removes it after.
import type { Redis } from 'ioredis';

/** Deletes every key under `prefix` (SCAN, so a large Redis is not blocked). */
export async function deleteRedisPrefix(client: Redis, prefix: string): Promise<void> {
  const pattern = `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`;
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
    if (keys.length) await client.unlink(...keys);
    cursor = next;
  } while (cursor !== '0');
}
