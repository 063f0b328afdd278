// The resource server's half of DPoP (RFC 9449 §4.3, §7) for Portvakt's own APIs: the self-service
// API and the authorizations API take tokens that the token endpoint issued, and a token bound to a
// key (cnf.jkt, token_type DPoP) is only good together with a fresh proof of that key. Accepted as a
// plain bearer token, it would be as good to a thief as an unbound one.
//
// oidc-provider checks proofs for its own endpoints (userinfo); these APIs are Fastify routes of
// ours, so the same rules are written here with jose: the proof is a JWT of typ dpop+jwt, signed by
// the public key in its header (ES256, Ed25519 or EdDSA, as the token endpoint accepts them), for
// this method and URL, made within the last few minutes, used once, for this very token (ath), by
// the key the token is bound to (jkt).
import crypto from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { calculateJwkThumbprint, EmbeddedJWK, jwtVerify, type JWK } from 'jose';
import type Provider from 'oidc-provider';

/** The proof algorithms, the same at the token endpoint (profile.ts) and at the APIs. */
export const DPOP_ALGORITHMS: ('ES256' | 'Ed25519' | 'EdDSA')[] = ['ES256', 'Ed25519', 'EdDSA'];
/** How far a proof's iat may be from our clock, either way: oidc-provider's window at the token endpoint. */
const DPOP_PROOF_WINDOW_SECONDS = 300;

/** The access token of an Authorization header, and the scheme it came in. */
export interface PresentedToken {
  scheme: 'Bearer' | 'DPoP';
  value: string;
}

const AUTHORIZATION = /^(Bearer|DPoP) ([\w.~+/-]+=*)$/i;

export function presentedToken(authorization: string | undefined): PresentedToken | undefined {
  const match = AUTHORIZATION.exec(authorization ?? '');
  if (!match) return undefined;
  return { scheme: match[1]!.toLowerCase() === 'dpop' ? 'DPoP' : 'Bearer', value: match[2]! };
}

/** Why the presented token may not be used; `scheme` is the WWW-Authenticate challenge to answer with. */
export interface SenderConstraintProblem {
  error: 'invalid_token' | 'invalid_dpop_proof';
  description: string;
  scheme: 'Bearer' | 'DPoP';
}

const problem = (error: SenderConstraintProblem['error'], description: string, scheme: SenderConstraintProblem['scheme'] = 'DPoP'): SenderConstraintProblem => ({ error, description, scheme });

interface ProofRequest {
  method: string;
  /** The URL the request was made to, as the client sees it (the issuer's origin and the path). */
  url: string;
  /** The DPoP header(s). */
  proof: string | string[] | undefined;
}

const invalidProof = (description: string) => problem('invalid_dpop_proof', description);

/**
 * Why `presented` may not be used as it was sent, if it may not: a bound token (`jkt`) only as DPoP
 * with a valid proof of its key, an unbound one only as Bearer. `firstUse` records a proof's jti and
 * says whether it was new (the provider's replay detection, shared by every node).
 */
async function senderConstraintProblem(
  presented: PresentedToken,
  jkt: string | undefined,
  request: ProofRequest,
  firstUse: (jti: string, expiresAt: number) => Promise<boolean>,
): Promise<SenderConstraintProblem | undefined> {
  if (!jkt) {
    return presented.scheme === 'DPoP' ? problem('invalid_token', 'the token is not bound to a DPoP key: send it as Authorization: Bearer', 'Bearer') : undefined;
  }
  if (presented.scheme !== 'DPoP') return problem('invalid_token', 'the token is bound to a DPoP key: send it as Authorization: DPoP, with a DPoP proof of that key');
  if (Array.isArray(request.proof)) return invalidProof('send one DPoP header, not several');
  if (!request.proof) return invalidProof('a DPoP-bound token needs a DPoP proof (the DPoP header)');

  let payload: Record<string, unknown>;
  let key: JWK;
  try {
    const verified = await jwtVerify(request.proof, EmbeddedJWK, { algorithms: DPOP_ALGORITHMS, typ: 'dpop+jwt' });
    payload = verified.payload;
    key = verified.protectedHeader.jwk!;
  } catch {
    return invalidProof(`the DPoP proof must be a JWT of typ dpop+jwt, signed (${DPOP_ALGORITHMS.join(', ')}) by the public key in its jwk header`);
  }
  const { iat, jti, htm, htu, ath } = payload;
  if (typeof jti !== 'string' || !jti) return invalidProof('the DPoP proof must have a jti');
  const now = Math.floor(Date.now() / 1000);
  if (typeof iat !== 'number' || Math.abs(now - iat) > DPOP_PROOF_WINDOW_SECONDS) return invalidProof(`the DPoP proof's iat must be within ${DPOP_PROOF_WINDOW_SECONDS} seconds of the server's clock`);
  if (htm !== request.method) return invalidProof(`the DPoP proof's htm must be the request's method (${request.method})`);
  if (withoutQuery(htu) !== withoutQuery(request.url)) return invalidProof(`the DPoP proof's htu must be the request's URL (${withoutQuery(request.url)})`);
  if (ath !== crypto.hash('sha256', presented.value, 'base64url')) return invalidProof('the DPoP proof\'s ath must be the hash of this access token');
  if ((await calculateJwkThumbprint(key)) !== jkt) return problem('invalid_token', 'the DPoP proof is signed by another key than the one the token is bound to');
  if (!(await firstUse(jti, iat + DPOP_PROOF_WINDOW_SECONDS))) return invalidProof('this DPoP proof (its jti) has been used already; make a new one for every request');
  return undefined;
}

/** The URL without query and fragment (RFC 9449 §4.3), or undefined if it is none. */
function withoutQuery(url: unknown): string | undefined {
  if (typeof url !== 'string') return undefined;
  const parsed = URL.parse(url);
  if (!parsed) return undefined;
  parsed.search = '';
  parsed.hash = '';
  return parsed.href;
}

/** The WWW-Authenticate challenge for a refusal (a DPoP one names the algorithms a proof may use). */
export function challenge(scheme: 'Bearer' | 'DPoP', error: string, description: string, extra = ''): string {
  const algs = scheme === 'DPoP' ? `, algs="${DPOP_ALGORITHMS.join(' ')}"` : '';
  return `${scheme} error="${error}", error_description="${description.replace(/"/g, '\'')}"${extra}${algs}`;
}

/**
 * The check for one of Portvakt's APIs at `issuer`: the request as the client made it (the issuer's
 * origin and the path; the query does not count), and proofs remembered in the provider's replay
 * detection under the token's client. Resolves to why the token may not be used, if it may not.
 */
export function senderConstraintFor(issuer: string, provider: () => Provider) {
  return (request: { method: string; url: string; headers: IncomingHttpHeaders }, presented: PresentedToken, token: { jkt?: string; clientId?: string }) =>
    senderConstraintProblem(presented, token.jkt, { method: request.method, url: `${issuer}${request.url}`, proof: request.headers.dpop }, (jti, expiresAt) =>
      provider().ReplayDetection.unique(`dpop:${token.clientId ?? ''}`, jti, expiresAt));
}
