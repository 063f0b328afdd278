// The embedded store's adapter for durable models: memory in front, PGlite behind.
//
// PGlite answers from its own thread (src/store/pglite-thread.ts), but each statement still costs a
// round trip to it and a fixed price per transaction, and a login would wait for every one of them.
// An embedded install is a single process by construction, so memory can be the authority for
// reads, and writes can reach the database a few milliseconds later, coalesced: a session saved
// three times during one login is written once, and a batch of many logins' tokens is one statement
// per model. A restart reads what it misses from SQL.
// The cost is that a crash loses the last flush window (DEFAULT_FLUSH_MS) of writes; PostgreSQL
// deployments write through instead (SqlAdapter).
import type { AdapterPayload } from 'oidc-provider';
import { sql, type CompiledQuery } from 'kysely';
import type { Db } from '../store/db.js';
import { SqlAdapter, accountIdOf, epoch, type StoreAdapter } from './adapters.js';
import { isDataError, isUniqueViolation } from '../store/sql-errors.js';
import { SESSION_MODEL, withStoredAuthorizations } from './session-store.js';

export const DEFAULT_FLUSH_MS = 200;
/**
 * Entries kept in memory once written. A login reads back what it wrote within a second or two, so
 * a few seconds' worth of logins is plenty; a larger cache only costs garbage-collection time (V8
 * marks every live entry) and memory. Misses are answered by SQL.
 */
export const DEFAULT_MAX_CACHED = 10_000;

interface Entry {
  payload: AdapterPayload;
  expiresAt: number | undefined; // epoch seconds
}

/** What the database still has to learn about one key: its latest state, or null for "delete". */
interface PendingWrite {
  model: string;
  id: string;
  entry: Entry | null;
  /**
   * First written by this process and never read from nor written to SQL: the row cannot exist
   * (ids are random, and an embedded store has one process). A batch of only such rows is a plain
   * INSERT, which PostgreSQL executes for less than an upsert; should a row be there after all,
   * the batch is written again as upserts.
   */
  isNew: boolean;
}


const keyOf = (model: string, id: string) => `${model}\u0000${id}`;

export interface WriteBehindOptions {
  flushMs?: number;
  maxCached?: number;
  /** A write failed as a whole; it is retried a second later. */
  onError?: (err: unknown) => void;
  /** The database refused this entry's values (a data exception); it stays in memory only. */
  onDropped?: (model: string, id: string, err: unknown) => void;
}

export class WriteBehindStore {
  private readonly cache = new Map<string, Entry>();
  private readonly byUid = new Map<string, string>();
  /** What the database still has to learn, by key. */
  private dirty = new Map<string, PendingWrite>();
  private revokedGrants = new Set<string>();
  /** The batch being written right now; still consulted, so nothing flickers back from SQL meanwhile. */
  private inFlight = new Map<string, PendingWrite>();
  private inFlightGrants = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private readonly flushMs: number;
  private readonly maxCached: number;
  private evictAbove: number;

  constructor(private readonly db: Db, private readonly options: WriteBehindOptions = {}) {
    this.flushMs = options.flushMs ?? DEFAULT_FLUSH_MS;
    this.maxCached = options.maxCached ?? DEFAULT_MAX_CACHED;
    this.evictAbove = this.maxCached;
  }

  /** Entries (and revoked grants) the database has not learnt yet, including the batch being written. */
  get pendingWrites(): number {
    return this.dirty.size + this.inFlight.size + this.revokedGrants.size + this.inFlightGrants.size;
  }

  /** How many entries memory holds now (written or waiting to be). */
  get cachedEntries(): number {
    return this.cache.size;
  }

  adapter(model: string): StoreAdapter {
    const sqlAdapter = new SqlAdapter(this.db, model);
    const store = this;
    /**
     * What SQL had for an id that memory did not know, unless memory learnt something while SQL
     * answered (another call wrote or consumed it): then memory's newer state, which a stale row
     * must not overwrite. null or undefined: there is none.
     */
    const learn = (id: string, stored: AdapterPayload | undefined) => {
      const meanwhile = store.read(model, id);
      if (meanwhile !== undefined) return meanwhile;
      if (stored) store.remember(model, id, { payload: stored, expiresAt: typeof stored.exp === 'number' ? stored.exp : undefined });
      return stored;
    };
    const lookUp = async (id: string) => {
      const known = store.read(model, id);
      return known !== undefined ? known : learn(id, store.unlessRevoked(await sqlAdapter.find(id)));
    };
    return {
      async upsert(id, payload, expiresIn) {
        let saved = payload;
        if (model === SESSION_MODEL) {
          // A session keeps the services its stored copy lists, and a destroyed one stays destroyed
          // (session-store.ts), decided on memory: a session saved again was found by this request
          // first, which brought it into memory; one memory does not know is new (its id is random),
          // and asking SQL about it would put a round trip on every login.
          const stored = store.read(model, id);
          if (stored?.consumed) return;
          saved = withStoredAuthorizations(payload, stored);
        }
        store.write(model, id, { payload: saved, expiresAt: expiresIn ? epoch() + expiresIn : undefined });
      },
      async find(id) {
        return (await lookUp(id)) ?? undefined;
      },
      async findByUid(uid) {
        const key = store.byUid.get(`${model}\u0000${uid}`);
        if (key) {
          const hit = store.read(model, key.slice(model.length + 1));
          if (hit) return hit;
        }
        const row = await sqlAdapter.findRowByUid(uid);
        return row ? learn(row.id, store.unlessRevoked(row.payload)) ?? undefined : undefined;
      },
      async findByUserCode() {
        return undefined;
      },
      // claim(), consume() and take() first bring what SQL has into memory, then decide on memory's
      // state and write it without awaiting in between (memory is the authority in a single
      // process): whatever another call did while SQL answered is seen, so of racing calls one wins.
      async claim(id, payload, expiresIn) {
        await lookUp(id);
        if (store.read(model, id)) return false;
        store.write(model, id, { payload, expiresAt: expiresIn ? epoch() + expiresIn : undefined });
        return true;
      },
      async consume(id) {
        await lookUp(id);
        const found = store.read(model, id);
        if (!found || found.consumed) return false;
        const entry = store.cache.get(keyOf(model, id));
        store.write(model, id, { payload: { ...found, consumed: epoch() }, expiresAt: entry?.expiresAt ?? (typeof found.exp === 'number' ? found.exp : undefined) });
        return true;
      },
      async take(id) {
        await lookUp(id);
        const found = !!store.read(model, id);
        store.remove(model, id);
        return found;
      },
      async destroy(id) {
        store.remove(model, id);
      },
      async revokeByGrantId(grantId) {
        store.revokeGrant(grantId);
      },
      // Rare (a person looks at their authorizations): what memory has not written yet (a withdrawn
      // grant's deletion among it) is written first, and SQL answers.
      async findByAccount(accountId) {
        await store.flush();
        return sqlAdapter.findByAccount(accountId);
      },
    };
  }

  /** undefined: not cached (ask SQL); null: known to be gone. */
  private read(model: string, id: string): AdapterPayload | null | undefined {
    const key = keyOf(model, id);
    const pending = this.dirty.get(key) ?? this.inFlight.get(key);
    if (pending && pending.entry === null) return null;
    const entry = this.cache.get(key) ?? pending?.entry ?? undefined;
    if (!entry) return undefined;
    if (entry.expiresAt !== undefined && entry.expiresAt <= epoch()) return null;
    return this.unlessRevoked(entry.payload) ?? null;
  }

  private unlessRevoked(payload: AdapterPayload | undefined | void): AdapterPayload | undefined {
    const grantId = payload?.grantId;
    if (grantId && (this.revokedGrants.has(grantId) || this.inFlightGrants.has(grantId))) return undefined;
    return payload ?? undefined;
  }

  private remember(model: string, id: string, entry: Entry): void {
    const key = keyOf(model, id);
    this.cache.delete(key); // re-insert: Map order is our LRU order
    this.cache.set(key, entry);
    // A consumed session is the tombstone of one given a new id; its uid is the live one's (session-store.ts).
    if (entry.payload.uid && !entry.payload.consumed) this.byUid.set(`${model}\u0000${entry.payload.uid}`, key);
    if (this.cache.size > this.evictAbove) this.evict();
  }

  private write(model: string, id: string, entry: Entry): void {
    const key = keyOf(model, id);
    const pending = this.dirty.get(key);
    const isNew = pending ? pending.isNew : !this.cache.has(key) && !this.inFlight.has(key);
    this.dirty.set(key, { model, id, entry, isNew }); // first, so that remember() cannot evict it
    this.remember(model, id, entry);
    this.schedule();
  }

  private remove(model: string, id: string): void {
    const key = keyOf(model, id);
    const uid = this.cache.get(key)?.payload.uid;
    if (uid) this.byUid.delete(`${model}\u0000${uid}`);
    this.cache.delete(key);
    this.dirty.set(key, { model, id, entry: null, isNew: false });
    this.schedule();
  }

  private revokeGrant(grantId: string): void {
    this.revokedGrants.add(grantId);
    for (const [key, entry] of this.cache) {
      if (entry.payload.grantId === grantId) {
        const [model, id] = key.split('\u0000') as [string, string];
        this.remove(model, id);
      }
    }
    this.schedule();
  }

  /** Oldest first, down to 90 %; entries SQL has not learnt yet stay (unless they have expired). */
  private evict(): void {
    const now = epoch();
    for (const [key, entry] of this.cache) {
      if (this.cache.size <= this.maxCached * 0.9) break;
      const unwritten = this.dirty.has(key) || this.inFlight.has(key);
      if (unwritten && !(entry.expiresAt !== undefined && entry.expiresAt <= now)) continue;
      this.cache.delete(key);
      if (entry.payload.uid) this.byUid.delete(`${key.split('\u0000')[0]}\u0000${entry.payload.uid}`);
    }
    // While the database is unreachable nothing is evictable; scan again only after 10 % more
    // entries, not at every write (which would make each write walk the whole cache).
    this.evictAbove = Math.max(this.maxCached, this.cache.size + Math.ceil(this.maxCached * 0.1));
  }

  private schedule(): void {
    if (!this.timer) {
      this.timer = setTimeout(() => void this.flush().catch(() => undefined), this.flushMs);
    }
  }

  /** Writes everything pending in one transaction. Safe to call at any time; close() calls it. */
  async flush(): Promise<void> {
    if (this.flushing) await this.flushing;
    clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.dirty.size && !this.revokedGrants.size) return;
    const batch = this.dirty;
    const grants = this.revokedGrants;
    this.inFlight = batch;
    this.inFlightGrants = grants;
    this.dirty = new Map();
    this.revokedGrants = new Set();
    this.flushing = this.writeBatch([...batch.values()], [...grants]).then(
      () => {
        this.inFlight = new Map();
        this.inFlightGrants = new Set();
        if (this.cache.size > this.maxCached) this.evict(); // what was held back is evictable now
      },
      (err: unknown) => {
        // Put back what nobody has changed since, and try again a little later.
        this.inFlight = new Map();
        this.inFlightGrants = new Set();
        for (const [key, op] of batch) if (!this.dirty.has(key)) this.dirty.set(key, op);
        for (const grant of grants) this.revokedGrants.add(grant);
        this.options.onError?.(err);
        this.timer = setTimeout(() => void this.flush().catch(() => undefined), 1000);
      },
    );
    await this.flushing;
    this.flushing = undefined;
  }

  private async writeBatch(ops: PendingWrite[], grants: string[]): Promise<void> {
    const revoked = new Set(grants);
    try {
      await this.executeWrites(this.grantDeletion(grants), ops, revoked);
    } catch (err) {
      if (!isDataError(err) || ops.length === 0) throw err;
      // The database refused a value in the batch. Retried as it is, it would fail forever and keep
      // every later write out too: write the entries one by one, and drop (and report) only what is
      // refused again.
      await this.execute(this.grantDeletion(grants));
      for (const op of ops) {
        try {
          await this.executeWrites([], [op], revoked);
        } catch (rowErr) {
          if (!isDataError(rowErr)) throw rowErr;
          this.options.onDropped?.(op.model, op.id, rowErr);
        }
      }
    }
  }

  /** `first`, then the writes of `ops`; if a row taken for new was there after all, as upserts. */
  private async executeWrites(first: CompiledQuery[], ops: PendingWrite[], revoked: ReadonlySet<string>): Promise<void> {
    try {
      await this.execute([...first, ...this.writesFor(ops, revoked)]);
    } catch (err) {
      if (!isUniqueViolation(err) || !ops.some((op) => op.isNew)) throw err;
      // e.g. a row evicted from memory after it was written, then saved again without being read
      for (const op of ops) op.isNew = false;
      await this.execute([...first, ...this.writesFor(ops, revoked)]);
    }
  }

  private async execute(statements: CompiledQuery[]): Promise<void> {
    // A single statement is atomic by itself: the usual batch (new rows or upserts only) is one round trip.
    if (statements.length === 1) await this.db.executeQuery(statements[0]!);
    else if (statements.length) await this.db.transaction().execute(async (trx) => { for (const statement of statements) await trx.executeQuery(statement); });
  }

  private grantDeletion(grants: string[]): CompiledQuery[] {
    return grants.length ? [this.db.deleteFrom('oidc_payloads').where('grant_id', 'in', grants).compile()] : [];
  }

  /** Deletes and upserts for `ops`; entries of a revoked grant are left out (their grant takes them along). */
  private writesFor(ops: PendingWrite[], revoked: ReadonlySet<string>): CompiledQuery[] {
    const statements: CompiledQuery[] = [];
    const removed = ops.filter((op) => op.entry === null);
    for (const model of new Set(removed.map((op) => op.model))) {
      const ids = removed.filter((op) => op.model === model).map((op) => op.id);
      statements.push(this.db.deleteFrom('oidc_payloads').where('model', '=', model).where('id', 'in', ids).compile());
    }
    // One VALUES list with each payload as a parameter of its own: PostgreSQL's json input keeps the
    // text as it is. (json_to_recordset over one JSON document would decode every string and reject
    // the whole batch, and every later one, over a single lone surrogate from a request object.)
    const writes = ops
      .filter((op): op is PendingWrite & { entry: Entry } => op.entry !== null)
      .filter((op) => !(op.entry.payload.grantId && revoked.has(op.entry.payload.grantId)));
    const rows = writes.map(({ model, id, entry }) => ({
      model,
      id,
      payload: JSON.stringify(entry.payload),
      grant_id: entry.payload.grantId ?? null,
      uid: entry.payload.uid ?? null,
      account_id: accountIdOf(model, entry.payload),
      expires_at: entry.expiresAt ? new Date(entry.expiresAt * 1000) : null,
      consumed_at: typeof entry.payload.consumed === 'number' ? new Date(entry.payload.consumed * 1000) : null,
    }));
    if (rows.length) {
      const insert = this.db.insertInto('oidc_payloads').values(rows);
      statements.push(
        writes.every((op) => op.isNew)
          ? insert.compile()
          : insert
              .onConflict((oc) =>
                oc.columns(['model', 'id']).doUpdateSet({
                  payload: sql`excluded.payload`,
                  grant_id: sql`excluded.grant_id`,
                  uid: sql`excluded.uid`,
                  account_id: sql`excluded.account_id`,
                  expires_at: sql`excluded.expires_at`,
                  consumed_at: sql`excluded.consumed_at`,
                }),
              )
              .compile(),
      );
    }
    return statements;
  }

  async close(): Promise<void> {
    await this.flush();
    if (this.dirty.size || this.revokedGrants.size) await this.flush();
  }
}
