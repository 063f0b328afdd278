// The audit log: every change a person or machine makes to an integration, with who, when, from
// where, and what (before and after, secrets masked).
import type { Db } from '../store/db.js';

export interface Actor {
  kind: 'person' | 'api_client' | 'cli' | 'file';
  id: string;
  ip?: string | undefined;
}

export interface AuditEntry {
  actor: Actor;
  action: string;
  orgno?: string | null | undefined;
  clientId?: string | undefined;
  before?: Record<string, unknown> | null | undefined;
  after?: Record<string, unknown> | null | undefined;
}

const SECRET_FIELDS = new Set(['client_secret', 'secret_digest', 'd', 'p', 'q', 'dp', 'dq', 'qi']);

/** Copies a record with every secret-bearing field replaced by a mask. */
export function maskSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(maskSecrets);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, SECRET_FIELDS.has(k) ? '*****' : maskSecrets(v)]));
  }
  return value;
}

export interface AuditLog {
  record(entry: AuditEntry): Promise<void>;
  list(filter: { orgno?: string; clientId?: string; action?: string; limit?: number }): Promise<Array<AuditEntry & { at: Date }>>;
}

export function createAuditLog(db: Db, environment: string): AuditLog {
  return {
    async record(entry) {
      await db
        .insertInto('audit_log')
        .values({
          environment,
          actor_kind: entry.actor.kind,
          actor: entry.actor.id,
          ip: entry.actor.ip ?? null,
          orgno: entry.orgno ?? null,
          client_id: entry.clientId ?? null,
          action: entry.action,
          before: entry.before ? JSON.stringify(maskSecrets(entry.before)) : null,
          after: entry.after ? JSON.stringify(maskSecrets(entry.after)) : null,
        })
        .execute();
    },
    async list({ orgno, clientId, action, limit = 100 }) {
      let query = db.selectFrom('audit_log').selectAll().where('environment', '=', environment);
      if (orgno) query = query.where('orgno', '=', orgno);
      if (clientId) query = query.where('client_id', '=', clientId);
      if (action) query = query.where('action', '=', action);
      const rows = await query.orderBy('id', 'desc').limit(limit).execute();
      return rows.map((r) => ({
        at: new Date(r.at),
        actor: { kind: r.actor_kind as never, id: r.actor, ip: r.ip ?? undefined },
        action: r.action,
        orgno: r.orgno,
        clientId: r.client_id ?? undefined,
        before: r.before as Record<string, unknown> | null,
        after: r.after as Record<string, unknown> | null,
      }));
    },
  };
}
