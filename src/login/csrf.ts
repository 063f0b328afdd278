// CSRF tokens for the login forms: an HMAC of the interaction's uid. The uid is itself secret and
// bound to the browser by oidc-provider's interaction cookie; the token proves the form came from
// the page we rendered for that interaction.
import crypto from 'node:crypto';
import { equalInConstantTime, hmacSha256 } from '../store/secrets.js';

export interface Csrf {
  tokenFor(uid: string): string;
  matches(uid: string, presented: unknown): boolean;
}

/** `keys`: the first signs, every one verifies (the previous root secret's key, while it changes). */
export function createCsrf(keys: readonly [crypto.KeyObject, ...crypto.KeyObject[]], purpose = 'login-form'): Csrf {
  const tokenWith = (key: crypto.KeyObject, uid: string) => hmacSha256(key, `${purpose}:${uid}`).toString('base64url');
  return {
    tokenFor: (uid) => tokenWith(keys[0], uid),
    matches: (uid, presented) => keys.some((key) => equalInConstantTime(presented, tokenWith(key, uid))),
  };
}
