// Signing keys: RS256 keys kept in the store, the private half sealed under the root secret.
// Each key moves next → current → retired. The next key is published in the JWKS a full rotation
// before it signs, so relying parties that cache the JWKS already know it; a retired key stays
// published until every token it signed has expired.
import crypto from 'node:crypto';
import { promisify } from 'node:util';
import { calculateJwkThumbprint, type JWK } from 'jose';
import { sql } from 'kysely';
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

interface NewKey {
  kid: string;
  publicJwk: string;
  privateJwk: string;
}

async function generateKey(): Promise<NewKey> {
  const { privateKey } = await generateKeyPair('rsa', { modulusLength: 2048 });
  const privateJwk = privateKey.export({ format: 'jwk' }) as JWK;
  const kid = await calculateJwkThumbprint(privateJwk, 'sha256');
  const { kty, n, e } = privateJwk;
  return {
    kid,
    publicJwk: JSON.stringify({ kty, n, e, kid, alg: 'RS256', use: 'sig' }),
    privateJwk: JSON.stringify({ ...privateJwk, kid, alg: 'RS256', use: 'sig' }),
  };
}

async function storeKey(db: Db, secrets: Secrets, key: NewKey, state: 'next' | 'current', now = new Date()): Promise<string> {
  await db
    .insertInto('signing_keys')
    .values({
      kid: key.kid,
      alg: 'RS256',
      state,
      public_jwk: key.publicJwk,
      private_jwk_sealed: secrets.seal(key.privateJwk),
      created_at: now,
      activated_at: state === 'current' ? now : null,
    })
    .execute();
  return key.kid;
}

/**
 * Runs `change` in a transaction that holds the installation's key lock: nodes starting at once on
 * an empty database, and rotations run at the same moment, change the keys one after the other,
 * each seeing what the one before did (one current key, one next), never both from the same start.
 */
async function withKeyLock<T>(db: Db, change: (trx: Db) => Promise<T>): Promise<T> {
  return db.transaction().execute(async (trx) => {
    // Scoped by schema: installations sharing a database in schemas of their own do not wait for each other.
    await sql`select pg_advisory_xact_lock(hashtext('portvakt.signing_keys.' || current_schema()))`.execute(trx);
    return change(trx);
  });
}

/** The keys that sign or are about to, newest first. */
const liveKeys = (db: Db) =>
  db.selectFrom('signing_keys').select(['kid', 'state']).where('state', 'in', ['current', 'next']).orderBy('created_at', 'desc').execute();

type LiveKey = Awaited<ReturnType<typeof liveKeys>>[number];
const inState = (keys: LiveKey[], state: 'current' | 'next') => keys.filter((key) => key.state === state);

/**
 * Makes the installation have one current and one next key: creates them on a first start, and
 * settles more than one in a state (left by nodes that started at once before the key lock) by
 * keeping the newest and retiring the others, which stay published until what they signed has
 * expired. Safe to call on every start, on every node at once. Answers whether it changed anything.
 */
export async function ensureSigningKeys(db: Db, secrets: Secrets): Promise<boolean> {
  const keys = await liveKeys(db);
  if (inState(keys, 'current').length === 1 && inState(keys, 'next').length === 1) return false; // every start but the first
  // Generated side by side and before the lock (on a first start, RSA key generation is a good part
  // of the wait); stored only if no other node stored its own meanwhile.
  const [current, next] = await Promise.all(
    (['current', 'next'] as const).map((state) => (inState(keys, state).length ? undefined : generateKey())),
  );
  return withKeyLock(db, async (trx) => {
    const now = await liveKeys(trx);
    const extra = [...inState(now, 'current').slice(1), ...inState(now, 'next').slice(1)];
    if (extra.length) await trx.updateTable('signing_keys').set({ state: 'retired', retired_at: new Date() }).where('kid', 'in', extra.map((key) => key.kid)).execute();
    let changed = extra.length > 0;
    if (current && !inState(now, 'current').length) changed = !!(await storeKey(trx, secrets, current, 'current'));
    if (next && !inState(now, 'next').length) changed = !!(await storeKey(trx, secrets, next, 'next'));
    return changed;
  });
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
  const fresh = await generateKey(); // before the lock: it takes a while, and nothing waits for it
  return withKeyLock(db, async (trx) => {
    const now = new Date();
    const current = await trx.selectFrom('signing_keys').select('kid').where('state', '=', 'current').executeTakeFirstOrThrow();
    const next = await trx.selectFrom('signing_keys').select('kid').where('state', '=', 'next').executeTakeFirstOrThrow();
    await trx.updateTable('signing_keys').set({ state: 'retired', retired_at: now }).where('kid', '=', current.kid).execute();
    await trx.updateTable('signing_keys').set({ state: 'current', activated_at: now }).where('kid', '=', next.kid).execute();
    return { retired: current.kid, current: next.kid, next: await storeKey(trx, secrets, fresh, 'next', now) };
  });
}
