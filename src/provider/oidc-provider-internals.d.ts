// The few helpers of oidc-provider's own grants that a grant of ours reuses (jwt-bearer-grant.ts), so
// that it binds tokens to a DPoP key exactly as client_credentials does. They are not in the
// package's public API: oidc-provider is pinned to one version in package.json, and
// test/jwt-bearer-grant.store.test.ts fails if they change under us.
declare module 'oidc-provider/lib/helpers/validate_dpop.js' {
  import type Provider from 'oidc-provider';
  import type { KoaContextWithOIDC } from 'oidc-provider';

  export interface DPoPProof {
    thumbprint: string;
    jti: string;
    iat: number;
  }
  /** The request's DPoP proof, checked for this endpoint (undefined: none was sent); throws invalid_dpop_proof. */
  export default function validateDpop(provider: Provider, ctx: KoaContextWithOIDC): Promise<DPoPProof | undefined>;
  /** Records the proof's jti; a proof seen before throws invalid_grant. */
  export function checkDpopReplay(provider: Provider, ctx: KoaContextWithOIDC, proof: DPoPProof | undefined, clientId: string): Promise<void>;
}
