// Storage for oidc-provider's models.
//
// Durable models (sessions, grants, tokens) go to the SQL store so they survive restarts and are
// shared by every node. Models that live for seconds and only within one browser round trip
// (interactions, authorization codes, PAR request URIs) stay in process memory when the store is
// the embedded PGlite database: that store is single-process by construction, so memory is just as
// shared, and the hot path of a login then touches SQL only for what must outlast the process.
// With PostgreSQL (many nodes) every model goes to SQL; with REDIS_URL a Redis adapter takes over.
// Whatever is stored outside the process is keyed by digests of the token values (token-digests.ts).
import type { Adapter, AdapterPayload } from 'oidc-provider';
import { sql } from 'kysely';
import type { Db } from '../store/db.js';
import { SESSION_MODEL, mergedSessionPayloadSql } from './session-store.js';

/**
 * oidc-provider's adapter, with one promise more: consume() says whether this call was the one that
 * consumed the model (false: it was consumed already, or is gone). Two requests that race with one
 * authorization code or refresh token both find it unused; only the one whose consume() answers
 * true may go on (single-use.ts).
 */
export interface StoreAdapter extends Omit<Adapter, 'consume'> {
  consume(id: string): Promise<boolean>;
  /**
   * Stores the model only if no live one has this id, and answers whether it did: a replay check
   * (a client assertion's or DPoP proof's jti) that two racing requests cannot both pass.
   */
  claim(id: string, payload: AdapterPayload, expiresIn: number): Promise<boolean>;
  /**
   * Deletes the model and answers whether this call was the one that deleted it: a finished
   * interaction is resumed once, also when a browser sends its resume twice at once.
   */
  take(id: string): Promise<boolean>;
  /**
   * The live models of this kind that are for this person (accountId). Only grants are kept
   * findable by person (PERSON_INDEXED_MODELS): any other model answers [].
   */
  findByAccount(accountId: string): Promise<AdapterPayload[]>;
}

export type AdapterFactory = (name: string) => StoreAdapter;

/** Now in epoch seconds, the unit of oidc-provider's payloads (iat, exp, consumed). */
export const epoch = () => Math.floor(Date.now() / 1000);

export const EPHEMERAL_MODELS = new Set(['Interaction', 'AuthorizationCode', 'PushedAuthorizationRequest']);

/**
 * Models a person's own can be listed of: grants, each an authorization the person gave a service
 * (provider/authorizations.ts). Their stored payload also carries their own id as `authorizationId`
 * (namingOwnGrant), since the store keys them by a digest of it.
 */
export const PERSON_INDEXED_MODELS = new Set(['Grant']);

/**
 * A grant's adapter whose stored payloads carry the grant's own id as `authorizationId`. Found by
 * person, a grant is then known by the id its tokens name (they are stored with it in clear; only
 * token values are digests, token-digests.ts), which revokes them and destroys the grant
 * (grants.ts revokeGrant). Not as `grantId`: that is what binds a token to its grant (a column and
 * an index in SQL, a list in Redis), which the grant itself needs no entry in on every login.
 * oidc-provider reads only the fields it knows, so it never sees this one. Wraps the adapter that
 * digests ids (it needs the id before it is digested).
 */
export function namingOwnGrant(adapter: StoreAdapter): StoreAdapter {
  return {
    upsert: (id, payload, expiresIn) => adapter.upsert(id, { ...payload, authorizationId: id }, expiresIn),
    find: (id) => adapter.find(id),
    findByUid: (uid) => adapter.findByUid(uid),
    findByUserCode: (userCode) => adapter.findByUserCode(userCode),
    consume: (id) => adapter.consume(id),
    claim: (id, payload, expiresIn) => adapter.claim(id, payload, expiresIn),
    take: (id) => adapter.take(id),
    destroy: (id) => adapter.destroy(id),
    revokeByGrantId: (grantId) => adapter.revokeByGrantId(grantId),
    findByAccount: (accountId) => adapter.findByAccount(accountId),
  };
}

/** The person a stored model is listed under, if its model is listed by person. */
export const accountIdOf = (model: string, payload: AdapterPayload): string | null =>
  PERSON_INDEXED_MODELS.has(model) && typeof payload.accountId === 'string' ? payload.accountId : null;

export class SqlAdapter implements StoreAdapter {
  constructor(private readonly db: Db, private readonly model: string) {}

  async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
    const row = {
      payload: JSON.stringify(payload),
      grant_id: payload.grantId ?? null,
      uid: payload.uid ?? null,
      account_id: accountIdOf(this.model, payload),
      expires_at: expiresIn ? new Date(Date.now() + expiresIn * 1000) : null,
    };
    await this.db
      .insertInto('oidc_payloads')
      .values({ model: this.model, id, ...row })
      .onConflict((oc) => {
        if (this.model !== SESSION_MODEL) return oc.columns(['model', 'id']).doUpdateSet(row);
        // A session keeps the services its stored copy lists, and a destroyed one stays destroyed (session-store.ts).
        return oc.columns(['model', 'id']).doUpdateSet({ ...row, payload: mergedSessionPayloadSql() }).where('oidc_payloads.consumed_at', 'is', null);
      })
      .execute();
  }

  async claim(id: string, payload: AdapterPayload, expiresIn: number): Promise<boolean> {
    const row = { payload: JSON.stringify(payload), grant_id: null, uid: null, expires_at: new Date(Date.now() + expiresIn * 1000), consumed_at: null };
    // One statement: of two racing inserts one creates the row, the other finds it and, unless
    // that row has expired (and may be replaced), changes nothing.
    const result = await this.db
      .insertInto('oidc_payloads')
      .values({ model: this.model, id, ...row })
      .onConflict((oc) => oc.columns(['model', 'id']).doUpdateSet(row).where('oidc_payloads.expires_at', '<=', sql<Date>`now()`))
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows) === 1;
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    const row = await this.live()
      .select(['payload', 'consumed_at'])
      .where('id', '=', id)
      .executeTakeFirst();
    return row ? parsePayload(row) : undefined;
  }

  async findByUid(uid: string): Promise<AdapterPayload | undefined> {
    return (await this.findRowByUid(uid))?.payload;
  }

  /**
   * A model by its uid, with the id it is stored under (which its payload does not carry). Only
   * sessions are found by uid; one that was given a new id leaves a tombstone with the same uid
   * under the old (session-store.ts), which is not it.
   */
  async findRowByUid(uid: string): Promise<{ id: string; payload: AdapterPayload } | undefined> {
    const row = await this.live()
      .select(['id', 'payload', 'consumed_at'])
      .where('uid', '=', uid)
      .where('consumed_at', 'is', null)
      .executeTakeFirst();
    return row ? { id: row.id, payload: parsePayload(row) } : undefined;
  }

  async findByAccount(accountId: string): Promise<AdapterPayload[]> {
    if (!PERSON_INDEXED_MODELS.has(this.model)) return [];
    const rows = await this.live().select(['payload', 'consumed_at']).where('account_id', '=', accountId).execute();
    return rows.map(parsePayload);
  }

  /** This model's rows that have not expired. */
  private live() {
    return this.db
      .selectFrom('oidc_payloads')
      .where('model', '=', this.model)
      .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', sql<Date>`now()`)]));
  }

  async findByUserCode(): Promise<AdapterPayload | undefined> {
    return undefined; // the device flow is not part of ID-porten
  }

  async consume(id: string): Promise<boolean> {
    // One statement: PostgreSQL lets one of two racing updates change the row; the other, once the
    // first has committed, finds consumed_at set and changes nothing.
    const result = await this.db
      .updateTable('oidc_payloads')
      .set({ consumed_at: new Date() })
      .where('model', '=', this.model)
      .where('id', '=', id)
      .where('consumed_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async destroy(id: string): Promise<void> {
    await this.take(id);
  }

  async take(id: string): Promise<boolean> {
    // Of two racing deletes PostgreSQL lets one remove the row; the other then finds none.
    const result = await this.db.deleteFrom('oidc_payloads').where('model', '=', this.model).where('id', '=', id).executeTakeFirst();
    return Number(result.numDeletedRows) === 1;
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    await this.db.deleteFrom('oidc_payloads').where('grant_id', '=', grantId).execute();
  }
}

function parsePayload(row: { payload: string; consumed_at: Date | string | null }): AdapterPayload {
  const payload = JSON.parse(row.payload) as AdapterPayload;
  return row.consumed_at ? { ...payload, consumed: Math.floor(new Date(row.consumed_at).getTime() / 1000) } : payload;
}

interface MemoryEntry {
  payload: AdapterPayload;
  expiresAt: number | undefined;
}

/**
 * Entries per model at most. Interactions live 30 minutes, so a flood of authorization requests
 * would otherwise grow memory until the process dies; past the bound the oldest go first (a login
 * that old is abandoned, or gets "expired"). A busy single node starts a few hundred logins a second.
 */
export const MAX_MEMORY_ENTRIES = 100_000;

/** Process-local storage with expiry, for short-lived models of a single-process install. */
export class MemoryAdapter implements StoreAdapter {
  private readonly entries = new Map<string, MemoryEntry>();
  private readonly byUid = new Map<string, string>();

  constructor(private readonly maxEntries = MAX_MEMORY_ENTRIES) {}

  async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
    this.put(id, payload, expiresIn);
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    return this.live(id);
  }

  async findByUid(uid: string): Promise<AdapterPayload | undefined> {
    const id = this.byUid.get(uid);
    return id ? this.find(id) : undefined;
  }

  async claim(id: string, payload: AdapterPayload, expiresIn: number): Promise<boolean> {
    // Looked up and stored without an await between: no other call can run in between.
    if (this.live(id)) return false;
    this.put(id, payload, expiresIn);
    return true;
  }

  async findByUserCode(): Promise<AdapterPayload | undefined> {
    return undefined;
  }

  async consume(id: string): Promise<boolean> {
    const payload = this.live(id); // found and marked in one turn: of racing calls, one wins
    if (!payload || payload.consumed) return false;
    this.entries.get(id)!.payload = { ...payload, consumed: epoch() };
    return true;
  }

  async destroy(id: string): Promise<void> {
    this.remove(id);
  }

  async take(id: string): Promise<boolean> {
    const found = this.live(id) !== undefined; // found and removed in one turn
    this.remove(id);
    return found;
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    for (const [id, entry] of this.entries) if (entry.payload.grantId === grantId) this.remove(id);
  }

  async findByAccount(): Promise<AdapterPayload[]> {
    return []; // only short-lived models are kept here, none of them listed by person
  }

  private put(id: string, payload: AdapterPayload, expiresIn: number): void {
    this.sweep();
    if (!this.entries.has(id) && this.entries.size >= this.maxEntries) this.remove(this.entries.keys().next().value!); // the oldest
    this.entries.set(id, { payload, expiresAt: expiresIn ? epoch() + expiresIn : undefined });
    if (payload.uid) this.byUid.set(payload.uid, id);
  }

  private live(id: string): AdapterPayload | undefined {
    const entry = this.entries.get(id);
    if (!entry) return undefined;
    if (entry.expiresAt !== undefined && entry.expiresAt <= epoch()) {
      this.remove(id);
      return undefined;
    }
    return entry.payload;
  }

  private remove(id: string): void {
    const uid = this.entries.get(id)?.payload.uid;
    if (uid) this.byUid.delete(uid);
    this.entries.delete(id);
  }

  private lastSweep = 0;

  /** Drops expired entries at most once a second, so abandoned logins do not accumulate. */
  private sweep(): void {
    const now = epoch();
    if (now === this.lastSweep) return;
    this.lastSweep = now;
    for (const [id, entry] of this.entries) if (entry.expiresAt !== undefined && entry.expiresAt <= now) this.remove(id);
  }
}

/** Deletes expired rows; run periodically so the table only holds what can still be used. */
export async function deleteExpiredPayloads(db: Db): Promise<number> {
  const result = await db.deleteFrom('oidc_payloads').where('expires_at', '<', sql<Date>`now()`).executeTakeFirst();
  return Number(result.numDeletedRows ?? 0);
}
