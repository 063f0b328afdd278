// Everything Portvakt keeps secret at rest hangs on one root secret (PORTVAKT_SECRET): it seals
// (encrypts) the signing keys and the data keys below, and keys cookies and form tokens. In a test
// environment without PORTVAKT_SECRET, a random root secret is generated once and kept in the data
// directory, so a restart keeps keys readable.
//
// Some keys must never change, or every client secret would stop working and every pairwise `sub`
// would change: the client-secret digest key and the pairwise key (and, so that access tokens live
// through a change of root secret, the access-token handle key). They are data keys, made once
// (from the root secret of that day, so an installation that predates them keeps its subjects),
// kept sealed in the database, and loaded at start (`loadDataKeys`). The root secret can then be
// changed: start with the new one as PORTVAKT_SECRET and the old one as PORTVAKT_PREVIOUS_SECRET,
// and what is sealed under the old one is opened and sealed again under the new. Nodes changed one by
// one first get the new one as PORTVAKT_NEXT_SECRET beside the old, so that a node already changed
// and one not yet changed read what the other signs and seals (OtherSecrets).
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { ConfigError } from '../config/error.js';
import type { Db } from './db.js';

const hkdf = promisify(crypto.hkdf);

export interface Secrets {
  /** Encrypts a small value (AES-256-GCM) under the root secret; the output is self-describing text. */
  seal(plaintext: string): string;
  unseal(sealed: string): string;
  /** Opens a sealed value and says whether it was sealed under the previous root secret (and so is worth sealing again). */
  open(sealed: string): { plaintext: string; sealedWithPrevious: boolean };
  /** A keyed digest for high-entropy values such as client secrets (compare with `digestMatches`). */
  digest(value: string): string;
  digestMatches(value: string, digest: string): boolean;
  /** Stable, opaque identifier for `value` within `sector` (pairwise subject identifiers). */
  pairwise(sector: string, value: string): string;
  /** Sign oidc-provider's cookies: the first signs, all verify (the previous or next root secret's too). */
  cookieKeys: crypto.KeyObject[];
  /** Sign the CSRF tokens of our forms: the first signs, all verify (so a form shown before the root secret changed, or by a node already on the next one, can be sent). */
  formKeys: [crypto.KeyObject, ...crypto.KeyObject[]];
  /** Turns an access token's public jti into the handle it is stored under (access-token-jwt.ts). */
  accessTokenKey: crypto.KeyObject;
  /**
   * Loads the data keys from the database (making them the first time) and seals them again if they
   * were sealed under the previous root secret. `digest`, `pairwise` and `accessTokenKey` need them.
   */
  loadDataKeys(db: Db): Promise<void>;
}

/** Where the data keys are kept (the settings table), sealed. */
const DATA_KEYS = 'data-keys';

interface DataKeys {
  digest: string; // base64url, 32 bytes
  pairwise: string;
  accessToken: string;
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

/**
 * Besides the root secret, while it is being changed on many nodes (README, *Operating it*): the one
 * it replaces (`previous`: still read, what it sealed is sealed again under the root), or the one
 * that is to replace it (`next`: already read, so that nodes moved on to it and nodes not yet moved
 * understand each other's cookies, forms and sealed keys while they are changed one by one).
 */
export interface OtherSecrets {
  previous?: string | undefined;
  next?: string | undefined;
}

const ROOT_KEY_PURPOSES = ['seal-v1', 'cookies-v1', 'forms-v1'];
const rootKeys = (secret: string) => Promise.all(ROOT_KEY_PURPOSES.map(async (p) => crypto.createSecretKey(await derive(secret, p))));

export async function createSecrets(root: string, { previous, next }: OtherSecrets = {}): Promise<Secrets> {
  let self: Secrets;
  const [sealKey, cookieKey, formKey] = await rootKeys(root);
  const [previousSealKey, previousCookieKey, previousFormKey] = previous ? await rootKeys(previous) : [];
  const [nextSealKey, nextCookieKey, nextFormKey] = next ? await rootKeys(next) : [];
  const alsoRead = <T>(...keys: Array<T | undefined>) => keys.filter((key): key is T => key !== undefined);
  let digestKey: crypto.KeyObject | undefined;
  let pairwiseKey: crypto.KeyObject | undefined;
  let accessTokenKey: crypto.KeyObject | undefined;
  const loaded = <T>(key: T | undefined): T => {
    if (!key) throw new Error('the data keys are not loaded yet (Secrets.loadDataKeys)');
    return key;
  };

  self = {
    seal(plaintext) {
      const iv = crypto.randomBytes(12);
      const cipher = crypto.createCipheriv('aes-256-gcm', sealKey!, iv);
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return ['v1', iv.toString('base64url'), body.toString('base64url'), cipher.getAuthTag().toString('base64url')].join('.');
    },
    open(sealed) {
      const [version, iv, body, tag] = sealed.split('.');
      if (version !== 'v1' || !iv || !body || !tag) throw new Error('sealed value has an unknown format');
      const current = openWith(sealKey!, iv, body, tag);
      if (current !== undefined) return { plaintext: current, sealedWithPrevious: false };
      // Sealed by a node already on the next secret: read, and left so (sealing it again under this
      // node's root would undo that node's work).
      const ahead = nextSealKey && openWith(nextSealKey, iv, body, tag);
      if (ahead !== undefined) return { plaintext: ahead, sealedWithPrevious: false };
      const plaintext = previousSealKey && openWith(previousSealKey, iv, body, tag);
      if (plaintext === undefined) {
        throw new ConfigError(
          previous || next
            ? `cannot decrypt a stored key with PORTVAKT_SECRET or ${previous ? 'PORTVAKT_PREVIOUS_SECRET' : 'PORTVAKT_NEXT_SECRET'}: neither is the secret it was sealed with`
            : 'cannot decrypt a stored key: PORTVAKT_SECRET differs from the one it was sealed with (to change it, give the old one as PORTVAKT_PREVIOUS_SECRET)',
        );
      }
      return { plaintext, sealedWithPrevious: true };
    },
    unseal: (sealed) => self.open(sealed).plaintext,
    digest(value) {
      return `hmac-sha256:${hmacSha256(loaded(digestKey), value).toString('base64url')}`;
    },
    digestMatches(value, digest) {
      return equalInConstantTime(self.digest(value), digest);
    },
    pairwise(sector, value) {
      return hmacSha256(loaded(pairwiseKey), `${sector}\u0000${value}`).toString('base64url');
    },
    cookieKeys: [cookieKey!, ...alsoRead(previousCookieKey, nextCookieKey)],
    formKeys: [formKey!, ...alsoRead(previousFormKey, nextFormKey)],
    get accessTokenKey() {
      return loaded(accessTokenKey);
    },
    async loadDataKeys(db) {
      const stored = async () => (await db.selectFrom('settings').select('value').where('name', '=', DATA_KEYS).executeTakeFirst())?.value;
      let sealed = await stored();
      if (sealed === undefined) {
        // The first start of a version that keeps them: the keys the root secret gave until now
        // (the previous one, if it is being replaced at this very start).
        const origin = previous ?? root;
        const [digest, pairwise, accessToken] = await Promise.all(['client-secret-digest-v1', 'pairwise-v1', 'access-token-handles-v1'].map((p) => derive(origin, p)));
        const made: DataKeys = { digest: digest!.toString('base64url'), pairwise: pairwise!.toString('base64url'), accessToken: accessToken!.toString('base64url') };
        await db.insertInto('settings').values({ name: DATA_KEYS, value: self.seal(JSON.stringify(made)) }).onConflict((oc) => oc.column('name').doNothing()).execute();
        sealed = (await stored())!; // ours, or another node's that came first
      }
      const { plaintext, sealedWithPrevious } = self.open(sealed);
      if (sealedWithPrevious) {
        await db.updateTable('settings').set({ value: self.seal(plaintext), updated_at: new Date() }).where('name', '=', DATA_KEYS).where('value', '=', sealed).execute();
      }
      const keys = JSON.parse(plaintext) as DataKeys;
      digestKey = crypto.createSecretKey(Buffer.from(keys.digest, 'base64url'));
      pairwiseKey = crypto.createSecretKey(Buffer.from(keys.pairwise, 'base64url'));
      accessTokenKey = crypto.createSecretKey(Buffer.from(keys.accessToken, 'base64url'));
    },
  };
  return self;
}

/** The plaintext of a sealed value if `key` sealed it, else undefined. */
function openWith(key: crypto.KeyObject, iv: string, body: string, tag: string): string | undefined {
  const decipher = crypto.createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
  decipher.setAuthTag(Buffer.from(tag, 'base64url'));
  try {
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
  } catch {
    return undefined;
  }
}
