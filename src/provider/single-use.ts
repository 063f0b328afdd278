// Authorization codes, rotating (ONETIME) refresh tokens, PAR request_uris, client assertions and
// finished interactions are used once — also when two requests race with the same one.
//
// oidc-provider finds the model, validates the request, checks `consumed`, then consumes. Two token
// requests sent at once with one code both pass that check before either has consumed it, and both
// would get tokens (RFC 6749 §4.1.2 says the code MUST NOT be used twice). Our adapters' consume()
// is atomic and answers whether this call was the one that consumed (adapters.ts): the loser is
// treated exactly as oidc-provider treats a second, later use — the grant and every token issued
// from it are revoked, and the request fails with invalid_grant (invalid_request_uri for PAR).
import { hash } from 'node:crypto';
import Provider, { errors } from 'oidc-provider';
import type { StoreAdapter } from './adapters.js';
import { revokeGrant } from './grants.js';

interface Consumable {
  jti: string;
  grantId?: string;
  adapter: StoreAdapter;
  emit(event: string): void;
}

export function makeSingleUse(provider: Provider): void {
  const revokeReused = async (grantId: string | undefined) => {
    if (!grantId) return;
    // What oidc-provider revokes on a reused code or refresh token (its revokeGrantPolicy is on).
    await revokeGrant(provider, grantId);
    const ctx = Provider.ctx;
    if (ctx) provider.emit('grant.revoked', ctx, grantId);
  };

  const once = (model: unknown, lost: (self: Consumable) => Promise<never>) => {
    const prototype = (model as { prototype: { consume(): Promise<void> } }).prototype;
    prototype.consume = async function consume(this: Consumable) {
      if (!(await this.adapter.consume(this.jti))) return lost(this);
      this.emit('consumed'); // as oidc-provider's own consume() does
    };
  };

  once(provider.AuthorizationCode, async (code) => {
    await revokeReused(code.grantId);
    throw new errors.InvalidGrant('authorization code already consumed');
  });
  once(provider.RefreshToken, async (token) => {
    await revokeReused(token.grantId);
    throw new errors.InvalidGrant('refresh token already used');
  });
  once(provider.PushedAuthorizationRequest, async () => {
    throw new errors.InvalidRequestUri('request_uri is invalid, expired, or was already used');
  });

  // A finished login is resumed once. oidc-provider finds the interaction, then destroys it and
  // answers with a code: a browser that sends the resume twice at once (a double click, a retried
  // request) would get a code from each. The one whose delete removed the interaction goes on; the
  // other is answered as a later second resume is.
  const interaction = (provider.Interaction as unknown as { prototype: { destroy(): Promise<void> } }).prototype;
  interaction.destroy = async function destroy(this: Consumable) {
    if (!(await this.adapter.take(this.jti))) throw new errors.SessionNotFound('interaction session not found');
    this.emit('destroyed'); // as oidc-provider's own destroy() does
  };

  // A client assertion's jti (and a DPoP proof's) is accepted once. oidc-provider looks it up, then
  // saves it: two racing requests with one assertion would both find nothing. The adapter's claim()
  // does both at once.
  const replay = provider.ReplayDetection as unknown as { adapter: StoreAdapter; unique(iss: string, jti: string, exp: number): Promise<boolean> };
  replay.unique = async function unique(iss, jti, exp) {
    const id = hash('sha256', `${iss}${jti}`, 'base64url'); // as oidc-provider keys it
    const now = Math.floor(Date.now() / 1000);
    return replay.adapter.claim(id, { iss, jti: id, kind: 'ReplayDetection', iat: now, exp }, Math.max(1, exp - now));
  };
}
