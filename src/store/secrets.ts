// Everything Portvakt keeps secret at rest is derived from one root secret (PORTVAKT_SECRET):
// sealed (encrypted) signing keys, digests of client secrets, pairwise subjects and cookie keys.
// In a test environment without PORTVAKT_SECRET, a random root secret is generated once and kept
// in the data directory, so a restart keeps keys readable and subjects stable.
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const hkdf = promisify(crypto.hkdf);

export interface Secrets {
  /** Encrypts a small value (AES-256-GCM); the output is self-describing text. */
  seal(plaintext: string): string;
  unseal(sealed: string): string;
  /** A keyed digest for high-entropy values such as client secrets (compare with `digestMatches`). */
  digest(value: string): string;
  digestMatches(value: string, digest: string): boolean;
  /** Stable, opaque identifier for `value` within `sector` (pairwise subject identifiers). */
  pairwise(sector: string, value: string): string;
  /** Signs oidc-provider's cookies. */
  cookieKey: crypto.KeyObject;
  /** Signs the CSRF tokens of our forms. */
  formKey: crypto.KeyObject;
  /** Turns an access token's public jti into the handle it is stored under (access-token-jwt.ts). */
  accessTokenKey: crypto.KeyObject;
}

export async function resolveRootSecret(configured: string | undefined, dataDir: string): Promise<string> {
  if (configured) return configured;
  const file = path.join(dataDir, 'secret');
  try {
    return (await fs.readFile(file, 'utf8')).trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  await fs.mkdir(dataDir, { recursive: true });
  const generated = crypto.randomBytes(32).toString('base64url');
  // 'wx' fails if another process won the race; then read what it wrote.
  try {
    await fs.writeFile(file, generated + '\n', { mode: 0o600, flag: 'wx' });
    return generated;
  } catch {
    return (await fs.readFile(file, 'utf8')).trim();
  }
}

/** Compares a presented value with the expected one in constant time; anything not a string is unequal. */
export function equalInConstantTime(presented: unknown, expected: string): boolean {
  const a = Buffer.from(typeof presented === 'string' ? presented : '');
  const b = Buffer.from(expected);
  return a.length === b.length && crypto.timingSafeEqual(a, b);
}

async function derive(root: string, purpose: string): Promise<Buffer> {
  return Buffer.from(await hkdf('sha256', root, 'portvakt', purpose, 32));
}

/** HMAC-SHA-256 under a prepared key (a KeyObject: a raw Buffer key costs five times as much per call). */
export function hmacSha256(key: crypto.KeyObject, value: string): Buffer {
  return crypto.createHmac('sha256', key).update(value).digest();
}

export async function createSecrets(root: string): Promise<Secrets> {
  let self: Secrets;
  const [sealKey, digestKey, pairwiseKey, cookieKey, formKey, accessTokenKey] = await Promise.all(
    ['seal-v1', 'client-secret-digest-v1', 'pairwise-v1', 'cookies-v1', 'forms-v1', 'access-token-handles-v1'].map(async (p) => crypto.createSecretKey(await derive(root, p))),
  );

  self = {
    seal(plaintext) {
      const iv = crypto.randomBytes(12);
      const cipher = crypto.createCipheriv('aes-256-gcm', sealKey!, iv);
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return ['v1', iv.toString('base64url'), body.toString('base64url'), cipher.getAuthTag().toString('base64url')].join('.');
    },
    unseal(sealed) {
      const [version, iv, body, tag] = sealed.split('.');
      if (version !== 'v1' || !iv || !body || !tag) throw new Error('sealed value has an unknown format');
      const decipher = crypto.createDecipheriv('aes-256-gcm', sealKey!, Buffer.from(iv, 'base64url'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      try {
        return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
      } catch {
        throw new Error('cannot decrypt a stored key: PORTVAKT_SECRET differs from the one it was sealed with');
      }
    },
    digest(value) {
      return `hmac-sha256:${hmacSha256(digestKey!, value).toString('base64url')}`;
    },
    digestMatches(value, digest) {
      return equalInConstantTime(self.digest(value), digest);
    },
    pairwise(sector, value) {
      return hmacSha256(pairwiseKey!, `${sector}\u0000${value}`).toString('base64url');
    },
    cookieKey: cookieKey!,
    formKey: formKey!,
    accessTokenKey: accessTokenKey!,
  };
  return self;
}
