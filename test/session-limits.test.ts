// The SSO session's timers (profile §5): 30 minutes idle, restarted by every authorization request,
// and never past 120 minutes after the login.
import { describe, expect, it } from 'vitest';
import { sessionTtl } from '../src/provider/sessions.js';

const ttl = sessionTtl({ idleSeconds: 30 * 60, maxSeconds: 120 * 60 });
const now = () => Math.floor(Date.now() / 1000);
const ctx = {} as never;

describe('session lifetime at each save', () => {
  it('a fresh login lives 30 minutes idle', () => {
    expect(ttl(ctx, { loginTs: now() })).toBe(30 * 60);
  });
  it('late in the absolute window, the idle time is cut to what is left', () => {
    expect(ttl(ctx, { loginTs: now() - 110 * 60 })).toBeGreaterThanOrEqual(10 * 60 - 1);
    expect(ttl(ctx, { loginTs: now() - 110 * 60 })).toBeLessThanOrEqual(10 * 60);
  });
  it('past the absolute limit it lives at most a second more (then the store forgets it)', () => {
    expect(ttl(ctx, { loginTs: now() - 121 * 60 })).toBe(1);
  });
  it('a session without a login (e.g. a logout in progress) lives the idle time', () => {
    expect(ttl(ctx, {})).toBe(30 * 60);
  });
});
