// oidc-provider's cookies are signed by our keygrip-compatible signer (src/provider/cookie-signer.ts).
import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CookieSigner } from '../src/provider/cookie-signer.js';

const key = () => crypto.createSecretKey(crypto.randomBytes(32));

describe('cookie signer', () => {
  it('verifies what it signed, and nothing else', () => {
    const signer = new CookieSigner([key()]);
    const signature = signer.sign('_session=abc');
    expect(signature).toMatch(/^[\w-]{43}$/); // HMAC-SHA-256, base64url without padding
    expect(signer.verify('_session=abc', signature)).toBe(true);
    expect(signer.verify('_session=abd', signature)).toBe(false);
    expect(signer.verify('_session=abc', signature.slice(0, -1))).toBe(false);
    expect(signer.verify('_session=abc', `${signature}A`)).toBe(false);
    expect(signer.verify('_session=abc', '')).toBe(false);
  });

  it('signs with the first key and accepts every key, so a key can be rotated in', () => {
    const [current, previous] = [key(), key()];
    const before = new CookieSigner([previous]).sign('_session=abc');
    const rotated = new CookieSigner([current, previous]);
    expect(rotated.index('_session=abc', before)).toBe(1);
    expect(rotated.index('_session=abc', rotated.sign('_session=abc'))).toBe(0);
    expect(new CookieSigner([current]).index('_session=abc', before)).toBe(-1);
  });

  it('refuses to exist without a key', () => {
    expect(() => new CookieSigner([])).toThrow(/at least one key/);
  });
});
