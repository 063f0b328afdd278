// private_key_jwt as ID-porten accepts it (profile §3): oidc-provider already checks the signature,
// iss = client_id, aud, exp and single-use jti; these are the rules it leaves to us.
import { errors, type KoaContextWithOIDC } from 'oidc-provider';

/** ID-porten (like Maskinporten) accepts assertions that live at most 120 seconds. */
export const MAX_ASSERTION_LIFETIME = 120;

export async function assertClientAssertion(
  ctx: KoaContextWithOIDC,
  claims: Record<string, unknown>,
  _header: Record<string, unknown>,
  client: { clientId: string },
): Promise<void> {
  if (claims.sub !== client.clientId) {
    throw new errors.InvalidClientAuth('sub (JWT subject) must be the client_id in the client_assertion JWT');
  }
  if (typeof claims.iat !== 'number') {
    throw new errors.InvalidClientAuth('iat (issued at) must be provided in the client_assertion JWT');
  }
  if (typeof claims.exp !== 'number' || claims.exp - claims.iat > MAX_ASSERTION_LIFETIME) {
    throw new errors.InvalidClientAuth(`the client_assertion JWT may live at most ${MAX_ASSERTION_LIFETIME} seconds (exp - iat)`);
  }
  if (ctx.oidc.params?.client_id !== client.clientId) {
    throw new errors.InvalidRequest('client_id must be sent together with the client_assertion');
  }
}
