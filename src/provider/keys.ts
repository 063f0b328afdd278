// Signing keys: RS256 keys kept in the store, the private half sealed under the root secret.
// Each key moves next → current → retired. The next key is published in the JWKS a full rotation
// before it signs, so relying parties that cache the JWKS already know it; a retired key stays
// published until every token it signed has expired.
import crypto from 'node:crypto';
import { promisify } from 'node:util';
import { calculateJwkThumbprint, type JWK } from 'jose';
import type { Db } from '../store/db.js';
import type { Secrets } from '../store/secrets.js';

const generateKeyPair = promisify(crypto.generateKeyPair);

/** Longest life of anything we sign (access tokens are capped at a day), plus clock skew. */
export const RETIRED_KEY_GRACE_SECONDS = 86_400 + 300;

export interface SigningKeys {
  /** Private JWKs in the order oidc-provider should use them: the current key first. */
  privateJwks: JWK[];
  currentKid: string;
}

async function newKey(db: Db, secrets: Secrets, state: 'next' | 'current'): Promise<string> {
  const { privateKey } = await generateKeyPair('rsa', { modulusLength: 2048 });
  const privateJwk = privateKey.export({ format: 'jwk' }) as JWK;
  const kid = await calculateJwkThumbprint(privateJwk, 'sha256');
  const { kty, n, e } = privateJwk;
  const now = new Date();
  await db
    .insertInto('signing_keys')
    .values({
      kid,
      alg: 'RS256',
      state,
      public_jwk: JSON.stringify({ kty, n, e, kid, alg: 'RS256', use: 'sig' }),
      private_jwk_sealed: secrets.seal(JSON.stringify({ ...privateJwk, kid, alg: 'RS256', use: 'sig' })),
      created_at: now,
      activated_at: state === 'current' ? now : null,
    })
    .execute();
  return kid;
}

/** Creates the first current and next keys if the store has none. Safe to call on every start. */
export async function ensureSigningKeys(db: Db, secrets: Secrets): Promise<void> {
  const states = await db.selectFrom('signing_keys').select('state').where('state', 'in', ['current', 'next']).execute();
  // Generated side by side: on a first start, RSA key generation is a good part of the wait.
  await Promise.all([
    states.some((s) => s.state === 'current') ? undefined : newKey(db, secrets, 'current'),
    states.some((s) => s.state === 'next') ? undefined : newKey(db, secrets, 'next'),
  ]);
}

export async function loadSigningKeys(db: Db, secrets: Secrets, now = new Date()): Promise<SigningKeys> {
  const rows = await db.selectFrom('signing_keys').selectAll().execute();
  const order = { current: 0, next: 1, retired: 2 } as const;
  const live = rows
    .filter((r) => r.state !== 'retired' || (r.retired_at && now.getTime() - new Date(r.retired_at).getTime() < RETIRED_KEY_GRACE_SECONDS * 1000))
    .sort((a, b) => order[a.state] - order[b.state] || new Date(b.created_at).getTime() - new Date(a.created_at).getTime());
  const current = live.find((r) => r.state === 'current');
  if (!current) throw new Error('no current signing key; run `portvakt migrate` or start once to create one');
  const privateJwks: JWK[] = [];
  for (const row of live) {
    const { plaintext, sealedWithPrevious } = secrets.open(row.private_jwk_sealed);
    // Sealed under the root secret being replaced (PORTVAKT_PREVIOUS_SECRET): seal it under the new one.
    if (sealedWithPrevious) await db.updateTable('signing_keys').set({ private_jwk_sealed: secrets.seal(plaintext) }).where('kid', '=', row.kid).execute();
    privateJwks.push(JSON.parse(plaintext) as JWK);
  }
  return { privateJwks, currentKid: current.kid };
}

export interface RotationResult {
  retired: string;
  current: string;
  next: string;
}

/** The next key starts signing, the current one retires, and a new next key is published. */
export async function rotateSigningKeys(db: Db, secrets: Secrets): Promise<RotationResult> {
  await ensureSigningKeys(db, secrets);
  return db.transaction().execute(async (trx) => {
    const now = new Date();
    const current = await trx.selectFrom('signing_keys').select('kid').where('state', '=', 'current').executeTakeFirstOrThrow();
    const next = await trx.selectFrom('signing_keys').select('kid').where('state', '=', 'next').executeTakeFirstOrThrow();
    await trx.updateTable('signing_keys').set({ state: 'retired', retired_at: now }).where('kid', '=', current.kid).execute();
    await trx.updateTable('signing_keys').set({ state: 'current', activated_at: now }).where('kid', '=', next.kid).execute();
    const fresh = await newKey(trx, secrets, 'next');
    return { retired: current.kid, current: next.kid, next: fresh };
  });
}
