// Support requests: "contact the service desk, give the client_id and the environment, and explain
// the problem" (the onboarding guides). In Portvakt the request is made where the integration is,
// so the client_id and the environment come with it, and the desk sees the integration's recent
// failures beside the question instead of asking for them. A request is a conversation between
// the organisation and the desk: opened, answered, replied to, closed.
import { sql } from 'kysely';
import type { Db } from '../store/db.js';
import { DomainError } from '../registry/errors.js';
import type { Actor, AuditLog } from '../registry/audit.js';
import { canSee, type Access, type Integrations } from '../registry/integrations.js';
import { checkedText } from './text.js';
import { deskQueue, type DeskQueue } from './desk-queue.js';

export const SUPPORT_STATUSES = ['open', 'answered', 'closed'] as const;
export type SupportStatus = (typeof SUPPORT_STATUSES)[number];

export interface SupportMessage {
  at: string;
  /** The organisation asks, the desk answers. */
  from: 'organisation' | 'desk';
  author: string;
  text: string;
}

export interface SupportRequest {
  id: string;
  environment: string;
  orgno: string;
  /** The integration it is about, if any. */
  client_id: string | undefined;
  subject: string;
  /** open: waiting for the desk; answered: waiting for the organisation; closed. */
  status: SupportStatus;
  created: string;
  last_updated: string;
  messages: SupportMessage[];
}

export interface NewSupportRequest {
  orgno: string;
  clientId?: string | undefined;
  subject: string;
  text: string;
}

export class SupportNotFoundError extends DomainError {
  constructor(id: string) {
    super('support.not_found', `no support request ${id.slice(0, 40)} that you can see`);
  }
}

export interface Support {
  open(access: Access, request: NewSupportRequest, actor: Actor): Promise<SupportRequest>;
  /** The caller's organisations' requests (the desk: everyone's), unanswered first, then newest. */
  list(access: Access, filter?: { status?: SupportStatus; clientId?: string; limit?: number }): Promise<SupportRequest[]>;
  get(access: Access, id: string): Promise<SupportRequest>;
  /** Adds to the conversation; the desk's answer makes it `answered`, the organisation's `open` again. */
  reply(access: Access, id: string, text: string, actor: Actor): Promise<SupportRequest>;
  close(access: Access, id: string, actor: Actor): Promise<SupportRequest>;
  /** The open requests: waiting for the desk. */
  waiting(): Promise<DeskQueue>;
}

export const SUBJECT_MAX = 200;
export const TEXT_MAX = 5000;
const ID = /^[1-9][0-9]{0,15}$/;

export function createSupport(db: Db, integrations: Integrations, audit: AuditLog, environment: string): Support {
  async function find(access: Access, id: string): Promise<SupportRequest> {
    if (!ID.test(id)) throw new SupportNotFoundError(id);
    const row = await db.selectFrom('support_requests').selectAll().where('environment', '=', environment).where('id', '=', id).executeTakeFirst();
    // One the caller may not see is reported exactly like one that does not exist.
    if (!row || !canSee(access, row.orgno)) throw new SupportNotFoundError(id);
    return view(row);
  }

  /** Appends a message and sets the status in one statement, so two replies at once both stay. */
  async function append(id: string, message: SupportMessage, status: SupportStatus): Promise<SupportRequest> {
    const row = await db
      .updateTable('support_requests')
      .set({
        messages: sql`messages || ${JSON.stringify([message])}::jsonb`,
        status,
        updated_at: sql`now()`,
      })
      .where('environment', '=', environment)
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
    return view(row);
  }

  return {
    async open(access, { orgno, clientId, subject, text }, actor) {
      if (!canSee(access, orgno)) throw new SupportNotFoundError(orgno);
      if (clientId !== undefined) {
        const integration = await integrations.get(access, clientId);
        if (integration.client_orgno !== orgno) throw new DomainError('support.client_orgno', `integration ${clientId} does not belong to ${orgno}`);
      }
      const cleanSubject = checkedText('support', 'subject', subject, { max: SUBJECT_MAX });
      // The desk may open one for an organisation (after a phone call, say): then it waits for the organisation.
      const { message, status } = written(access, actor, text);
      const row = await db
        .insertInto('support_requests')
        .values({ environment, orgno, client_id: clientId ?? null, subject: cleanSubject, status, messages: JSON.stringify([message]) })
        .returningAll()
        .executeTakeFirstOrThrow();
      const opened = view(row);
      await audit.record({ actor, action: 'support.open', orgno, clientId, after: { id: opened.id, subject: cleanSubject } });
      return opened;
    },

    async list(access, { status, clientId, limit = 100 } = {}) {
      if (access !== 'all' && access.orgnos.size === 0) return [];
      const rows = await db
        .selectFrom('support_requests')
        .selectAll()
        .where('environment', '=', environment)
        .$if(access !== 'all', (q) => q.where('orgno', 'in', [...(access as { orgnos: ReadonlySet<string> }).orgnos]))
        .$if(status !== undefined, (q) => q.where('status', '=', status!))
        .$if(clientId !== undefined, (q) => q.where('client_id', '=', clientId!))
        .orderBy(sql`case status when 'open' then 0 when 'answered' then 1 else 2 end`)
        .orderBy('updated_at', 'desc')
        .limit(limit)
        .execute();
      return rows.map(view);
    },

    get: find,

    async reply(access, id, text, actor) {
      const request = await find(access, id);
      const { message, status } = written(access, actor, text);
      const replied = await append(request.id, message, status);
      await audit.record({ actor, action: 'support.reply', orgno: request.orgno, clientId: request.client_id, after: { id: request.id, from: message.from } });
      return replied;
    },

    waiting: () => deskQueue(db, 'support_requests', environment, 'open'),

    async close(access, id, actor) {
      const request = await find(access, id);
      if (request.status === 'closed') return request;
      const row = await db
        .updateTable('support_requests')
        .set({ status: 'closed', updated_at: sql`now()` })
        .where('environment', '=', environment)
        .where('id', '=', request.id)
        .returningAll()
        .executeTakeFirstOrThrow();
      await audit.record({ actor, action: 'support.close', orgno: request.orgno, clientId: request.client_id, after: { id: request.id } });
      return view(row);
    },
  };
}

/**
 * A message as written by `actor`, and the status it leaves the request in: the desk (access to
 * all) has answered, so it waits for the organisation; the organisation has asked, so it waits for the desk.
 */
function written(access: Access, actor: Actor, text: string): { message: SupportMessage; status: SupportStatus } {
  const fromDesk = access === 'all';
  return {
    message: { at: new Date().toISOString(), from: fromDesk ? 'desk' : 'organisation', author: actor.id, text: checkedText('support', 'text', text, { max: TEXT_MAX }) },
    status: fromDesk ? 'answered' : 'open',
  };
}

interface SupportRow {
  id: string;
  environment: string;
  orgno: string;
  client_id: string | null;
  subject: string;
  status: string;
  messages: unknown;
  created_at: Date | string;
  updated_at: Date | string;
}

function view(row: SupportRow): SupportRequest {
  return {
    id: String(row.id),
    environment: row.environment,
    orgno: row.orgno,
    client_id: row.client_id ?? undefined,
    subject: row.subject,
    status: row.status as SupportStatus,
    created: new Date(row.created_at).toISOString(),
    last_updated: new Date(row.updated_at).toISOString(),
    messages: (typeof row.messages === 'string' ? JSON.parse(row.messages) : row.messages) as SupportMessage[],
  };
}
