// A database belongs to the environment that first started on it (src/store/environment-binding.ts):
// a production node pointed at a test environment's database, whose keys sign TestID logins, is
// refused with a message that says what to do — and the test environment carries on unharmed.
import { describe, expect, it } from 'vitest';
import { decodeProtectedHeader } from 'jose';
import { REDIRECT, portvaktWithTestClients, secrets } from './helpers/clients.js';
import { headlessAuthorizeUrl, headlessCode, redeemCode } from './helpers/headless.js';

const env = portvaktWithTestClients();

async function signingKid(issuer: string) {
  const code = (await headlessCode(headlessAuthorizeUrl(issuer, { client_id: 'basic-client', redirect_uri: REDIRECT })))!;
  const tokens = (await (await redeemCode(issuer, { client_id: 'basic-client', secret: secrets.basic, code, redirect_uri: REDIRECT })).json()) as { id_token: string };
  return decodeProtectedHeader(tokens.id_token).kid;
}

describe('a database belongs to one environment', () => {
  it('a prod node on a test environment\'s database does not start, and says why', async () => {
    const kid = await signingKid(env.pv.issuer);
    await expect(env.pv.restart({ PORTVAKT_ENVIRONMENT: 'prod', PORTVAKT_DEMO: 'true', PORTVAKT_SECRET: 'a-production-root-secret-0123456789abcdef' })).rejects.toThrow(
      /PORTVAKT_ENVIRONMENT=prod, but this database belongs to the test environment.*of its own, or start with PORTVAKT_ENVIRONMENT=test/,
    );
    env.pv = await env.pv.restart({ PORTVAKT_ENVIRONMENT: 'test', PORTVAKT_DEMO: '', PORTVAKT_SECRET: '' });
    expect(await signingKid(env.pv.issuer)).toBe(kid);
  });
});
