// oidc-provider signs its cookies through Koa's `cookies` module, which accepts any object with
// keygrip's sign / verify / index methods. keygrip itself turns a string into an HMAC key on every
// call and compares with tsscmp, which spends two more HMACs under a fresh random key per
// comparison; together that was a tenth of a login's CPU. This signer keeps prepared keys and
// compares with crypto.timingSafeEqual. Signatures are HMAC-SHA-256 in base64url (keygrip's
// output alphabet), the first key signs and every key verifies, so a key can be rotated in.
import type { KeyObject } from 'node:crypto';
import { equalInConstantTime, hmacSha256 } from '../store/secrets.js';

export class CookieSigner {
  readonly #keys: readonly KeyObject[];

  constructor(keys: readonly KeyObject[]) {
    if (keys.length === 0) throw new Error('a cookie signer needs at least one key');
    this.#keys = keys;
  }

  sign(data: string): string {
    return hmac(this.#keys[0]!, data);
  }

  /** The position of the key that made `digest`, or -1 when none did. */
  index(data: string, digest: string): number {
    return this.#keys.findIndex((key) => equalInConstantTime(digest, hmac(key, data)));
  }

  verify(data: string, digest: string): boolean {
    return this.index(data, digest) !== -1;
  }
}

function hmac(key: KeyObject, data: string): string {
  return hmacSha256(key, data).toString('base64url');
}
