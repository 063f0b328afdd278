// What waits for the service desk: how many requests, and since when the longest has waited. For
// the operator's monitoring (/metrics), where a queue nobody looks at shows before anyone phones.
import { sql } from 'kysely';
import type { Db } from '../store/db.js';

export interface DeskQueue {
  waiting: number;
  /** When the request that has waited longest began waiting (its last change); none when nothing waits. */
  oldest: Date | undefined;
}

/** The requests of `table` in `environment` with `status`, the one that waits for the desk. */
export async function deskQueue(db: Db, table: 'support_requests' | 'production_requests', environment: string, status: string): Promise<DeskQueue> {
  const { rows } = await sql<{ waiting: string | number; oldest: Date | string | null }>`
    select count(*) as waiting, min(updated_at) as oldest from ${sql.table(table)} where environment = ${environment} and status = ${status}
  `.execute(db);
  const row = rows[0];
  return { waiting: Number(row?.waiting ?? 0), oldest: row?.oldest ? new Date(row.oldest) : undefined };
}
