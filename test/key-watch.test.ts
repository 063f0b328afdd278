// How a node watches its signing keys (src/provider/key-watch.ts), on its own: it applies a key set
// only when it changed, loads once more after a burst of notifications (never in parallel), looks
// by itself on an interval when nobody tells it, and carries on after a failed load. The real
// thing, two nodes and `keys rotate`, is in multinode.postgres.test.ts.
import { describe, expect, it } from 'vitest';
import type { JWK } from 'jose';
import { watchSigningKeys } from '../src/provider/key-watch.js';
import type { SigningKeys } from '../src/provider/keys.js';

const keySet = (current: string, ...others: string[]): SigningKeys => ({
  currentKid: current,
  privateJwks: [current, ...others].map((kid) => ({ kid }) as JWK),
});

const tick = (ms = 0) => new Promise((resolve) => setTimeout(resolve, ms));

describe('watching the signing keys', () => {
  it('applies a key set only when it differs from the one in use', async () => {
    let stored = keySet('a', 'b');
    const applied: string[] = [];
    const watch = watchSigningKeys({ initial: stored, load: async () => stored, onChange: (keys) => applied.push(keys.currentKid), onError: () => undefined, intervalMs: 60_000 });
    await watch.check();
    expect(applied).toEqual([]);
    stored = keySet('b', 'c', 'a'); // rotated
    await watch.check();
    await watch.check();
    expect(applied).toEqual(['b']);
    stored = keySet('b', 'c'); // the retired key's grace has ended
    await watch.check();
    expect(applied).toEqual(['b', 'b']);
    watch.stop();
  });

  it('a burst of notifications during a load makes one more load after it, never two at once', async () => {
    let loads = 0;
    let running = 0;
    let maxRunning = 0;
    const watch = watchSigningKeys({
      initial: keySet('a'),
      load: async () => {
        loads++;
        maxRunning = Math.max(maxRunning, ++running);
        await tick(20);
        running--;
        return keySet('a');
      },
      onChange: () => undefined,
      onError: () => undefined,
      intervalMs: 60_000,
    });
    await Promise.all(Array.from({ length: 10 }, () => watch.check()));
    expect(loads).toBe(2);
    expect(maxRunning).toBe(1);
    watch.stop();
  });

  it('looks by itself on its interval, and goes on after a failed load', async () => {
    let calls = 0;
    const errors: unknown[] = [];
    const applied: string[] = [];
    const watch = watchSigningKeys({
      initial: keySet('a'),
      load: async () => {
        calls++;
        if (calls === 1) throw new Error('database away');
        return keySet('b', 'a');
      },
      onChange: (keys) => applied.push(keys.currentKid),
      onError: (err) => errors.push(err),
      intervalMs: 15,
    });
    await expect.poll(() => applied, { timeout: 2_000, interval: 10 }).toEqual(['b']);
    expect(errors).toHaveLength(1);
    watch.stop();
    const after = calls;
    await tick(60);
    expect(calls).toBe(after); // stopped: no more looking
  });
});
