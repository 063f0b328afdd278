// CSRF tokens for the login forms: an HMAC of the interaction's uid. The uid is itself secret and
// bound to the browser by oidc-provider's interaction cookie; the token proves the form came from
// the page we rendered for that interaction.
import crypto from 'node:crypto';
import { equalInConstantTime, hmacSha256 } from '../store/secrets.js';

export interface Csrf {
  tokenFor(uid: string): string;
  matches(uid: string, presented: unknown): boolean;
}

export function createCsrf(key: crypto.KeyObject, purpose = 'login-form'): Csrf {
  const tokenFor = (uid: string) => hmacSha256(key, `${purpose}:${uid}`).toString('base64url');
  return {
    tokenFor,
    matches: (uid, presented) => equalInConstantTime(presented, tokenFor(uid)),
  };
}
