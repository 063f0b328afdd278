// Keys for private_key_jwt arrive as a JWK, a PEM public key or a PEM X.509 certificate (profile
// §7.3). All become one RSA JWK with a kid; a certificate's chain goes along as x5c.
import crypto from 'node:crypto';
import { DomainError } from './errors.js';

export class KeyUploadError extends DomainError {}

export interface UploadedJwk {
  kty: 'RSA';
  kid: string;
  n: string;
  e: string;
  alg: 'RS256';
  use: 'sig';
  x5c?: string[];
}

const KID = /^[A-Za-z0-9._-]{1,100}$/;
const MIN_BITS = 2048;
const MAX_CERT_DAYS = 366;

export function keyFromUpload(text: string, kid: string): UploadedJwk {
  if (!KID.test(kid)) throw new KeyUploadError('key.invalid_kid', 'kid must be 1 to 100 characters: letters, digits and . _ -');
  const trimmed = text.trim();
  let key: crypto.KeyObject;
  let x5c: string[] | undefined;
  try {
    if (trimmed.startsWith('{')) {
      const jwk = JSON.parse(trimmed) as crypto.JsonWebKey;
      if (jwk.d !== undefined) throw new KeyUploadError('key.private', 'that is a private key: upload only the public key');
      key = crypto.createPublicKey({ key: jwk, format: 'jwk' });
    } else if (trimmed.includes('BEGIN CERTIFICATE')) {
      const certificate = new crypto.X509Certificate(trimmed);
      const days = (Date.parse(certificate.validTo) - Date.parse(certificate.validFrom)) / 86_400_000;
      if (Date.parse(certificate.validTo) < Date.now()) throw new KeyUploadError('key.certificate_expired', `the certificate expired ${certificate.validTo}`);
      if (days > MAX_CERT_DAYS) throw new KeyUploadError('key.certificate_too_long', `the certificate is valid ${Math.round(days)} days; keys may be valid at most a year`);
      key = certificate.publicKey;
      x5c = [certificate.raw.toString('base64')];
    } else if (trimmed.includes('BEGIN PUBLIC KEY') || trimmed.includes('BEGIN RSA PUBLIC KEY')) {
      key = crypto.createPublicKey(trimmed);
    } else {
      throw new KeyUploadError('key.unknown_format', 'paste a JWK (JSON), a PEM public key or a PEM X.509 certificate; never a private key');
    }
  } catch (err) {
    if (err instanceof KeyUploadError) throw err;
    throw new KeyUploadError('key.unreadable', 'the key could not be read; paste a JWK (JSON), a PEM public key or a PEM X.509 certificate');
  }
  if (key.type !== 'public') throw new KeyUploadError('key.private', 'that is a private key: upload only the public key');
  if (key.asymmetricKeyType !== 'rsa') throw new KeyUploadError('key.not_rsa', 'only RSA keys (RS256) are accepted');
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  if (bits < MIN_BITS) throw new KeyUploadError('key.too_short', `the key has ${bits} bits; at least ${MIN_BITS} are required`);
  const jwk = key.export({ format: 'jwk' }) as { n: string; e: string };
  return { kty: 'RSA', kid, n: jwk.n, e: jwk.e, alg: 'RS256', use: 'sig', ...(x5c ? { x5c } : {}) };
}
