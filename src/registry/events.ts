// Protocol events per client and environment, so support and the verification tests can read what
// really happened (for now: the outcome of each back-channel logout delivery).
import type { Db } from '../store/db.js';

export interface ProtocolEvent {
  clientId: string | undefined;
  type: string;
  outcome: 'success' | 'failure';
  detail?: Record<string, unknown>;
}

export interface ProtocolEvents {
  record(event: ProtocolEvent): Promise<void>;
  forClient(clientId: string, limit?: number): Promise<Array<ProtocolEvent & { at: Date }>>;
}

export function createProtocolEvents(db: Db, environment: string): ProtocolEvents {
  return {
    async record(event) {
      await db
        .insertInto('protocol_events')
        .values({ environment, client_id: event.clientId ?? null, type: event.type, outcome: event.outcome, detail: JSON.stringify(event.detail ?? {}) })
        .execute();
    },
    async forClient(clientId, limit = 50) {
      const rows = await db
        .selectFrom('protocol_events')
        .selectAll()
        .where('environment', '=', environment)
        .where('client_id', '=', clientId)
        .orderBy('id', 'desc')
        .limit(limit)
        .execute();
      return rows.map((r) => ({ clientId: r.client_id ?? undefined, type: r.type, outcome: r.outcome as 'success' | 'failure', detail: r.detail, at: new Date(r.created_at) }));
    },
  };
}
