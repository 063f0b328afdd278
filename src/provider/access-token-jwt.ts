// ID-porten's access tokens are JWTs (profile §4.4) that are also usable at userinfo and can be
// introspected and revoked. oidc-provider issues JWT access tokens only for resource servers (with
// an audience) and refuses JWTs at userinfo, introspection and revocation. So Portvakt keeps
// oidc-provider's own opaque access token (stored, revocable) and hands the client a signed JWT
// that names that opaque handle. Wherever oidc-provider looks an access token up by its value (at
// userinfo), a JWT we signed is found as its handle; introspection and revocation refuse JWTs before
// they look anything up, so there the JWT is exchanged for its handle in the request body. Everything
// after that is oidc-provider's certified code, DPoP's proof of possession at userinfo included: it
// sees the token the client presented.
//
// A token with an API scope registered as OPAQUE (profile §4.4) stays the handle: the API must
// introspect it. One with a scope that requires pseudonymous tokens carries no pid; introspection,
// which reads what is stored, still tells the API whose it is.
//
// The JWT's `jti` is not the handle itself but names it: the handle is `<jti>.<HMAC of jti>`.
// Resource servers log a jti and treat it as public; were it the handle, a jti alone would be an
// access token at userinfo (the person's pid). Only Portvakt can turn a jti into its handle.
import { Readable } from 'node:stream';
import { CompactSign, createLocalJWKSet, jwtVerify, type JWK } from 'jose';
import type { KoaContextWithOIDC, Provider } from 'oidc-provider';
import { hmacSha256, type Secrets } from '../store/secrets.js';
import type { SigningKeys } from './keys.js';

const JWT_SHAPE = /^[\w-]+\.[\w-]+\.[\w-]+$/;
/** What a JWT that is not one of our access tokens is exchanged for: a value no token has. */
const NOT_ACTIVE = 'not-an-active-token';
const BODY_LIMIT = 56 * 1024; // oidc-provider's own limit for these endpoints
const utf8 = new TextEncoder();

interface StoredAccessToken {
  jti: string;
  iat: number;
  exp: number;
  clientId: string;
  accountId?: string;
  scope?: string;
  aud?: string | string[];
  /** Thumbprint of the DPoP key the token is bound to (RFC 9449). */
  jkt?: string;
  extra?: Record<string, unknown>;
  /** A fullmakt login's chosen representation (fullmakt.ts). */
  rar?: unknown[];
}

/** An access token's handle (what oidc-provider stores it under) for its JWT's jti, and back. */
const handleOf = (jti: string, secrets: Secrets) => `${jti}.${hmacSha256(secrets.accessTokenKey, jti).toString('base64url')}`;
const jtiOf = (handle: string) => {
  const dot = handle.indexOf('.');
  return dot === -1 ? handle : handle.slice(0, dot); // (a handle made before handles had two parts)
};

/** What a token's API scopes ask of its form (registry/api-scopes.ts). */
export interface AccessTokenForm {
  /** By reference (an opaque handle) rather than a JWT. */
  opaque(scope: string | undefined): boolean;
  /** Without the person's pid in the JWT. */
  pseudonymous(scope: string | undefined): boolean;
}

export function issueAccessTokensAsJwt(provider: Provider, keys: SigningKeys, secrets: Secrets, form: AccessTokenForm): void {
  const [currentJwk] = keys.privateJwks;
  const signingKey = crypto.subtle.importKey('jwk', { ...currentJwk, key_ops: ['sign'] } as JsonWebKey, { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, false, ['sign']);
  const AccessToken = provider.AccessToken.prototype as unknown as {
    generateTokenId(): string;
    getValueAndPayload(): Promise<{ value: string; payload?: StoredAccessToken }>;
  };
  const opaque = AccessToken.getValueAndPayload;
  const randomId = AccessToken.generateTokenId;

  // oidc-provider's random id (256 bits) becomes the jti; it also settles the token's format.
  AccessToken.generateTokenId = function generateTokenId() {
    return handleOf(randomId.call(this), secrets);
  };

  AccessToken.getValueAndPayload = async function getValueAndPayload() {
    const result = await opaque.call(this);
    const stored = result.payload;
    if (!stored || form.opaque(stored.scope)) return result;
    const { pid: _pid, ...withoutPid } = stored.extra ?? {};
    const pseudonymous = form.pseudonymous(stored.scope);
    const claims: Record<string, unknown> = {
      ...(pseudonymous ? withoutPid : stored.extra),
      // Both people of a fullmakt login by pid: a pseudonymous token leaves them to introspection.
      ...(stored.rar?.length && !pseudonymous ? { authorization_details: stored.rar } : {}),
      ...(stored.accountId ? { sub: secrets.pairwise(stored.clientId, stored.accountId) } : { sub: stored.clientId }),
      client_id: stored.clientId,
      ...(stored.scope ? { scope: stored.scope } : {}),
      ...(stored.aud ? { aud: stored.aud } : {}),
      ...(stored.jkt ? { cnf: { jkt: stored.jkt } } : {}),
      iss: provider.issuer,
      iat: stored.iat,
      exp: stored.exp,
      jti: jtiOf(stored.jti),
    };
    // CompactSign over our own serialisation, as oidc-provider signs its JWTs: SignJWT would
    // structuredClone the claims first, on every token.
    const value = await new CompactSign(utf8.encode(JSON.stringify(claims)))
      .setProtectedHeader({ alg: 'RS256', kid: keys.currentKid, typ: 'at+jwt' })
      .sign(await signingKey);
    return { value, payload: stored };
  };
}

/**
 * Makes a JWT access token we signed stand for its handle: AccessToken.find takes it as it is, and
 * the returned Koa middleware (before oidc-provider's routes) exchanges it in the body of
 * introspection and revocation requests.
 */
export function acceptJwtAccessTokens(provider: Provider, keys: SigningKeys, secrets: Secrets) {
  const publicKeys = createLocalJWKSet({
    keys: keys.privateJwks.map(({ kty, n, e, kid, alg }) => ({ kty, n, e, kid, alg }) as JWK),
  });
  const bodies = new Set([new URL(provider.issuer + '/token/introspect').pathname, new URL(provider.issuer + '/token/revoke').pathname]);

  async function handleFor(token: string): Promise<string | undefined> {
    if (!JWT_SHAPE.test(token)) return undefined;
    try {
      const { payload } = await jwtVerify(token, publicKeys, { issuer: provider.issuer, typ: 'at+jwt', algorithms: ['RS256'] });
      return typeof payload.jti === 'string' ? handleOf(payload.jti, secrets) : NOT_ACTIVE;
    } catch {
      // Not one of ours (or tampered with): not an active token, whatever it claims.
      return NOT_ACTIVE;
    }
  }

  // Anything else (not JWT-shaped) is looked up as it is: a handle nobody outside knows, or a value
  // that finds nothing (a bare jti among them).
  const AccessToken = provider.AccessToken as unknown as { find(value: unknown, options?: unknown): Promise<unknown> };
  const findByValue = AccessToken.find.bind(AccessToken);
  AccessToken.find = async (value, options) => {
    const handle = typeof value === 'string' ? await handleFor(value) : undefined;
    if (handle === NOT_ACTIVE) return undefined; // no need to ask the store
    return findByValue(handle ?? value, options);
  };

  return async function exchangeJwtForHandle(ctx: KoaContextWithOIDC, next: () => Promise<void>) {
    if (ctx.method === 'POST' && bodies.has(ctx.path) && ctx.is('application/x-www-form-urlencoded')) {
      const raw = await readBody(ctx);
      if (raw === undefined) {
        ctx.status = 413;
        ctx.body = { error: 'invalid_request', error_description: 'request body too large' };
        return;
      }
      const params = new URLSearchParams(raw.toString('utf8'));
      const tokens = params.getAll('token');
      const handle = tokens.length === 1 ? await handleFor(tokens[0]!) : undefined;
      if (handle) params.set('token', handle);
      replaceBody(ctx, Buffer.from(handle ? params.toString() : raw));
    }
    await next();
  };
}

async function readBody(ctx: KoaContextWithOIDC): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req) {
    size += (chunk as Buffer).length;
    if (size > BODY_LIMIT) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** Hands oidc-provider's body parser a fresh stream with the (possibly rewritten) body. */
function replaceBody(ctx: KoaContextWithOIDC, body: Buffer): void {
  const stream = Readable.from([body]);
  ctx.req.headers['content-length'] = String(body.length);
  Object.defineProperty(ctx.req, 'readable', { value: true, configurable: true });
  Object.defineProperty(ctx.req, 'iterator', { value: stream.iterator.bind(stream), configurable: true });
}
