// CSRF tokens for the login forms: an HMAC of the interaction's uid. The uid is itself secret and
// bound to the browser by oidc-provider's interaction cookie; the token proves the form came from
// the page we rendered for that interaction.
import crypto from 'node:crypto';

export interface Csrf {
  tokenFor(uid: string): string;
  matches(uid: string, presented: unknown): boolean;
}

export function createCsrf(key: string): Csrf {
  const tokenFor = (uid: string) => crypto.createHmac('sha256', key).update(`login-form:${uid}`).digest('base64url');
  return {
    tokenFor,
    matches(uid, presented) {
      const expected = Buffer.from(tokenFor(uid));
      const actual = Buffer.from(typeof presented === 'string' ? presented : '');
      return expected.length === actual.length && crypto.timingSafeEqual(expected, actual);
    },
  };
}
