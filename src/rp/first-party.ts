// What Portvakt's own relying parties (the demo service, the portal) share: their registration as
// clients of this provider, and the code exchange they make with it.
import crypto from 'node:crypto';
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';
import { validateClient, type ClientInput } from '../registry/client-schema.js';

export interface FirstPartyOptions {
  clientId: string;
  clientName: string;
  issuer: string;
  /** Where the service lives, e.g. /demo: its callback is <prefix>/callback. */
  prefix: string;
  postLogoutPath: string;
  frontchannelPath?: string;
}

/** A confidential web client with ID-porten's defaults; its secret is new at every start. */
export function firstPartyClient(o: FirstPartyOptions): ClientInput {
  return validateClient({
    client_id: o.clientId,
    client_name: o.clientName,
    client_secret: crypto.randomBytes(32).toString('base64url'),
    redirect_uris: [`${o.issuer}${o.prefix}/callback`],
    post_logout_redirect_uris: [`${o.issuer}${o.postLogoutPath}`],
    ...(o.frontchannelPath ? { frontchannel_logout_uri: `${o.issuer}${o.frontchannelPath}`, frontchannel_logout_session_required: true } : {}),
  }, { testEnvironment: true });
}

export interface CodeExchange {
  idToken: string;
  accessToken: string;
  claims: JWTPayload;
}

/**
 * How the demo service and the portal reach the provider's token, keys and userinfo endpoints: at
 * this very node, not at the public issuer address. Behind a load balancer a node often cannot reach
 * its own public name (no hairpin routing, DNS only outside), and the provider these services ask
 * is this process anyway (its store is shared, or it is the only node). The id_token's issuer is
 * still the public one.
 */
export function providerBackChannel(issuer: string, localAddress: () => string) {
  let keys: ReturnType<typeof createRemoteJWKSet> | undefined;
  return {
    /** Exchanges a code (with its PKCE verifier) and verifies the id_token. */
    async exchangeCode(client: ClientInput, { code, verifier, nonce }: { code: string; verifier: string; nonce: string }): Promise<CodeExchange | { error: string }> {
      const response = await fetch(`${localAddress()}/token`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${Buffer.from(`${encodeURIComponent(client.client_id)}:${encodeURIComponent(client.client_secret!)}`).toString('base64')}`,
        },
        body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: client.redirect_uris[0]!, code_verifier: verifier }),
      });
      const tokens = (await response.json()) as Record<string, string>;
      if (!response.ok || !tokens.id_token) return { error: JSON.stringify(tokens) };
      keys ??= createRemoteJWKSet(new URL(`${localAddress()}/jwks.json`));
      const { payload } = await jwtVerify(tokens.id_token, keys, { issuer, audience: client.client_id });
      if (payload.nonce !== nonce) return { error: 'the nonce does not match' };
      return { idToken: tokens.id_token, accessToken: tokens.access_token!, claims: payload };
    },
    async userinfo(accessToken: string): Promise<unknown> {
      return (await fetch(`${localAddress()}/userinfo`, { headers: { authorization: `Bearer ${accessToken}` } })).json();
    },
  };
}

export type ProviderBackChannel = ReturnType<typeof providerBackChannel>;
