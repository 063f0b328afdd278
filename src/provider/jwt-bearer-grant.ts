// Maskinporten's JWT grant (RFC 7523 §2.1, profile §7.1 and §7.3): a machine client POSTs
// `grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&assertion=<JWT>` to /token, signed with one
// of its registered keys, and gets an access token for the scopes the JWT names. oidc-provider
// implements the endpoint (parameters, errors, token storage); this is the grant's own check, as
// Maskinporten makes it:
//   header: alg RS256, RS384 or RS512; kid of a registered key, or x5c, the certificate of one.
//           (Maskinporten takes any business certificate its CAs issued and reads the organisation
//           from it; Portvakt keeps no CAs, so the certificate's key must be registered to the
//           client, as the portal registers an uploaded certificate.)
//   claims: iss = client_id; aud = this issuer (also with Maskinporten's trailing slash) or the token
//           endpoint; iat within 10 s of our clock; exp at most 120 s after iat; scope, every one
//           registered to the client; jti, or failing that the JWT itself, used once
//   DPoP:   a proof beside the grant binds the token to its key, as at the rest of /token
// Such clients send no client_id (the JWT's iss names them); http/jwt-bearer-client.ts adds it so
// that oidc-provider can find them.
import crypto from 'node:crypto';
import { createLocalJWKSet, decodeProtectedHeader, errors as joseErrors, jwtVerify, type JSONWebKeySet, type JWK, type JWTPayload } from 'jose';
import Provider, { errors, type KoaContextWithOIDC } from 'oidc-provider';
import validateDpop, { checkDpopReplay } from 'oidc-provider/lib/helpers/validate_dpop.js';
import { JWT_BEARER_GRANT } from '../registry/client-schema.js';
import { MAX_ASSERTION_LIFETIME } from './client-assertion.js';
import { epoch } from './adapters.js';

/** Maskinporten accepts grants whose iat is at most this far from its clock, either way. */
export const IAT_SKEW_SECONDS = 10;
const ALGORITHMS = ['RS256', 'RS384', 'RS512'];
/** Maskinporten claims that ask for something Portvakt does not do; refused by name rather than ignored. */
const UNSUPPORTED_CLAIMS: Record<string, string> = {
  resource: 'audience-restricted tokens (resource) are not supported',
  consumer_org: 'tokens on behalf of another organisation (consumer_org, Altinn delegation) are not supported',
  iss_onbehalfof: 'tokens on behalf of a sub-client (iss_onbehalfof) are not supported',
  pid: 'tokens for an end user (pid) are not supported',
};

/**
 * invalid_grant saying which rule the JWT broke. oidc-provider's own says only "grant request is
 * invalid"; a JWT grant is the caller's own work, and Maskinporten too tells what is wrong with it.
 */
const invalidGrant = (description: string) => Object.assign(new errors.InvalidGrant(description), { error_description: description });

interface GrantHeader { kid?: unknown; x5c?: unknown }

/** The grant's header, read without trusting it yet. */
function readHeader(assertion: string): GrantHeader {
  try {
    return decodeProtectedHeader(assertion) as GrantHeader;
  } catch {
    throw invalidGrant('assertion must be a signed JWT (three base64url parts)');
  }
}

type RegisteredKey = JWK & { kid?: string };

/**
 * The registered keys that may have signed the grant: the one its kid names (which wins when both
 * are given, as ID-porten has it), or the one whose public key is in the leaf certificate of its
 * x5c, a certificate still valid now.
 */
function candidateKeys(header: GrantHeader, registered: RegisteredKey[]): JSONWebKeySet {
  if (typeof header.kid === 'string' && header.kid) return { keys: registered.filter((key) => key.kid === header.kid) } as JSONWebKeySet;
  if (header.x5c === undefined) throw invalidGrant('the assertion must name the registered key that signed it (kid), or carry its certificate (x5c)');
  let certificate: crypto.X509Certificate;
  try {
    const [leaf] = header.x5c as unknown[];
    if (typeof leaf !== 'string') throw new TypeError('no certificate');
    certificate = new crypto.X509Certificate(Buffer.from(leaf, 'base64'));
  } catch {
    throw invalidGrant('the assertion\'s x5c must hold the signing certificate, base64 DER first');
  }
  const now = Date.now();
  if (Date.parse(certificate.validTo) < now || Date.parse(certificate.validFrom) > now) throw invalidGrant(`the certificate in x5c is not valid now (${certificate.validFrom} – ${certificate.validTo})`);
  const { n, e } = certificate.publicKey.export({ format: 'jwk' });
  const keys = registered.filter((key) => key.n === n && key.e === e).map(({ kid: _kid, ...key }) => key); // matched by the key itself
  if (!keys.length) throw invalidGrant('the certificate in x5c holds none of the client\'s registered keys: upload the certificate to the client first');
  return { keys } as JSONWebKeySet;
}

async function verifySignature(assertion: string, jwks: JSONWebKeySet, audiences: string[]): Promise<JWTPayload> {
  try {
    // Lifetime and iat are checked below with Maskinporten's own rules and messages.
    const { payload } = await jwtVerify(assertion, createLocalJWKSet(jwks), { algorithms: ALGORITHMS, audience: audiences, clockTolerance: IAT_SKEW_SECONDS });
    return payload;
  } catch (err) {
    if (err instanceof joseErrors.JWKSNoMatchingKey) throw invalidGrant('none of the client\'s registered keys matches the assertion\'s kid and alg');
    if (err instanceof joseErrors.JWSSignatureVerificationFailed) throw invalidGrant('the assertion\'s signature does not verify with the client\'s key');
    if (err instanceof joseErrors.JWTExpired) throw invalidGrant('the assertion has expired (exp)');
    if (err instanceof joseErrors.JWTClaimValidationFailed && err.claim === 'aud') {
      throw invalidGrant(`the assertion's aud must be this issuer (${audiences[0]}) or its token endpoint`);
    }
    if (err instanceof joseErrors.JOSEAlgNotAllowed) throw invalidGrant(`the assertion must be signed with ${ALGORITHMS.join(', ')}`);
    if (err instanceof joseErrors.JOSEError) throw invalidGrant(`the assertion is not valid: ${err.message}`);
    throw err;
  }
}

function checkClaims(payload: JWTPayload, clientId: string, now: number): void {
  if (payload.iss !== clientId) throw invalidGrant('the assertion\'s iss must be the client_id');
  if (typeof payload.iat !== 'number') throw invalidGrant('the assertion must say when it was made (iat)');
  if (Math.abs(payload.iat - now) > IAT_SKEW_SECONDS) throw invalidGrant(`the assertion's iat must be within ${IAT_SKEW_SECONDS} seconds of the server's clock (check the client's clock)`);
  if (typeof payload.exp !== 'number') throw invalidGrant('the assertion must say when it expires (exp)');
  if (payload.exp - payload.iat > MAX_ASSERTION_LIFETIME) throw invalidGrant(`the assertion may live at most ${MAX_ASSERTION_LIFETIME} seconds (exp - iat)`);
  if (payload.jti !== undefined && (typeof payload.jti !== 'string' || !payload.jti)) throw invalidGrant('the assertion\'s jti must be a non-empty string');
  for (const [claim, why] of Object.entries(UNSUPPORTED_CLAIMS)) {
    if (payload[claim] !== undefined) throw invalidGrant(why);
  }
}

/** The scopes asked for: the JWT's scope claim (Maskinporten), or the form's scope (RFC 7523). */
function requestedScopes(payload: JWTPayload, formScope: string | undefined, registered: Set<string>): string[] {
  const claim = payload.scope;
  if (claim !== undefined && typeof claim !== 'string') throw invalidGrant('the assertion\'s scope must be a string of space-separated scopes');
  if (claim !== undefined && formScope !== undefined && claim !== formScope) throw new errors.InvalidRequest('scope is sent both in the assertion and in the form, with different values');
  const scopes = [...new Set((claim ?? formScope ?? '').split(' ').filter(Boolean))];
  if (!scopes.length) throw new errors.InvalidScope('the assertion must name the scopes it wants (scope)', '');
  const unregistered = scopes.filter((scope) => !registered.has(scope));
  if (unregistered.length) throw new errors.InvalidScope(`the client is not registered for ${unregistered.join(', ')}`, unregistered.join(' '));
  return scopes;
}

export function registerJwtBearerGrant(provider: Provider): void {
  provider.registerGrantType(JWT_BEARER_GRANT, async (ctx: KoaContextWithOIDC) => {
    const client = ctx.oidc.client!;
    const assertion = ctx.oidc.params!.assertion;
    if (typeof assertion !== 'string' || !assertion) throw new errors.InvalidRequest('missing required parameter \'assertion\' (the signed JWT grant)');
    const keys = candidateKeys(readHeader(assertion), ((client.jwks as JSONWebKeySet | undefined)?.keys ?? []) as RegisteredKey[]);

    const issuer = provider.issuer;
    const audiences = [issuer, `${issuer}/`, ...ctx.oidc.clientJwtAuthExpectedAudience()];
    const payload = await verifySignature(assertion, keys, [...new Set(audiences)]);
    const now = epoch();
    checkClaims(payload, client.clientId, now);
    const scopes = requestedScopes(payload, ctx.oidc.params!.scope as string | undefined, new Set(String(client.scope ?? '').split(' ')));

    // A DPoP proof binds the token to the client's key (token_type DPoP, RFC 9449), as
    // oidc-provider's client_credentials does, with its own checks; without one it is a bearer token.
    // Checked before the JWT is taken, so that a broken proof does not use the JWT up.
    const proof = await validateDpop(provider, ctx);

    // "A JWT cannot be reused": by its jti, or, when it has none, by the JWT itself.
    const once = (payload.jti as string | undefined) ?? `jwt:${crypto.hash('sha256', assertion, 'base64url')}`;
    if (!(await provider.ReplayDetection.unique(client.clientId, once, payload.exp! + IAT_SKEW_SECONDS))) {
      throw invalidGrant('this assertion (its jti) has been used already; make a new one for every token request');
    }

    const token = new provider.ClientCredentials({ client, scope: scopes.join(' ') });
    if (proof) {
      await checkDpopReplay(provider, ctx, proof, client.clientId);
      token.setThumbprint('jkt', proof.thumbprint);
    }
    ctx.oidc.entity('ClientCredentials', token);
    const value = await token.save();
    ctx.body = { access_token: value, token_type: token.tokenType, expires_in: token.expiration, scope: token.scope };
  }, ['assertion', 'scope']);
}
