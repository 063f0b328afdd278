// Production requests (produksjonssetting): "when you have done the verification tests and are ready
// for production, send the service desk the client_id you used in the test environment, the
// redirect URIs you want, and whatever else is needed"; "the client_secret of production is not
// given out in plain text by e-mail" (the onboarding guides).
//
// Where the operator asks for it (PORTVAKT_INTEGRATION_APPROVAL=desk, production only), an
// organisation does not create its production integrations itself: its administrator sends a
// request — the integration as the self-service API would take it, the test client_id, and the
// planning the guides ask about (when, what, how much) — and the service desk approves or rejects
// it. Approval creates the integration; its secret is made only when the organisation's own
// administrator fetches it, once, in the portal: nobody at the desk sees it, and nothing is mailed.
import { sql } from 'kysely';
import type { Db } from '../store/db.js';
import { DomainError } from '../registry/errors.js';
import type { Actor, AuditLog } from '../registry/audit.js';
import { canSee, ForbiddenError, type Access, type Integrations, type IntegrationView } from '../registry/integrations.js';
import { checkedText } from './text.js';
import { deskQueue, type DeskQueue } from './desk-queue.js';

export const REQUEST_STATUSES = ['pending', 'approved', 'rejected', 'withdrawn'] as const;
export type RequestStatus = (typeof REQUEST_STATUSES)[number];

export interface ProductionRequest {
  id: string;
  environment: string;
  orgno: string;
  /** pending: waiting for the desk; approved (client_id is the integration made); rejected (reason says why); withdrawn. */
  status: RequestStatus;
  /** The client_id the service was verified with in the test environment. */
  test_client_id: string;
  /** The integration asked for, in the self-service API's format. */
  client: Record<string, unknown>;
  /** The day the service is to be in production (YYYY-MM-DD). */
  go_live: string;
  /** What the service is, and who will log in to it. */
  description: string;
  /** How many logins are expected, and when the busy periods are. */
  volume: string | undefined;
  requested_by: string;
  created: string;
  last_updated: string;
  decided_by: string | undefined;
  decided: string | undefined;
  /** Why the desk rejected it. */
  reason: string | undefined;
  client_id: string | undefined;
  /** When the organisation's administrator fetched the integration's secret. */
  credentials_delivered: string | undefined;
}

export interface NewProductionRequest {
  orgno: string;
  test_client_id: unknown;
  client: unknown;
  go_live: unknown;
  description: unknown;
  volume?: unknown;
}

export class ProductionRequestNotFoundError extends DomainError {
  constructor(id: string) {
    super('production.not_found', `no production request ${id.slice(0, 40)} that you can see`);
  }
}

export interface ProductionRequests {
  /** Whether organisations here get new integrations only by a request the desk approves. */
  readonly required: boolean;
  submit(access: Access, request: NewProductionRequest, actor: Actor): Promise<ProductionRequest>;
  /** The caller's organisations' requests (the desk: everyone's), pending first, then newest. */
  list(access: Access, filter?: { status?: RequestStatus; orgno?: string; limit?: number }): Promise<ProductionRequest[]>;
  get(access: Access, id: string): Promise<ProductionRequest>;
  /** The desk approves: the integration is made, without a secret anyone has seen. */
  approve(access: Access, id: string, actor: Actor): Promise<ProductionRequest>;
  reject(access: Access, id: string, reason: unknown, actor: Actor): Promise<ProductionRequest>;
  withdraw(access: Access, id: string, actor: Actor): Promise<ProductionRequest>;
  /** The organisation's administrator fetches the approved integration's secret, once. */
  deliverCredentials(access: Access, id: string, actor: Actor): Promise<{ request: ProductionRequest; integration: IntegrationView; client_secret: string }>;
  /** The pending requests: waiting for the desk. */
  waiting(): Promise<DeskQueue>;
}

export const TEST_CLIENT_ID_MAX = 200;
export const DESCRIPTION_MAX = 2000;
export const VOLUME_MAX = 1000;
export const REASON_MAX = 2000;
const ID = /^[1-9][0-9]{0,15}$/;
const DAY = /^(\d{4})-(\d\d)-(\d\d)$/;

/**
 * IntegrationHooks.beforeCreate where requests are required: an organisation's own calls (portal,
 * API, its API client) are refused with the way to ask; the desk, approving, makes the integration.
 */
export function refuseUnlessDesk(orgno: string, access: Access): void {
  if (access === 'all') return;
  throw new ForbiddenError('production.request_required', `new integrations for ${orgno} in this environment are made by the service desk from a production request; an administrator of the organisation sends one in the portal (New integration)`);
}

export interface ProductionRequestOptions {
  environment: string;
  /** PORTVAKT_INTEGRATION_APPROVAL=desk. */
  required: boolean;
  /** What else an organisation needs before it gets an integration (the terms of use), checked when it asks. */
  checkMayCreate?(orgno: string): Promise<void>;
}

export function createProductionRequests(db: Db, integrations: Integrations, audit: AuditLog, options: ProductionRequestOptions): ProductionRequests {
  const { environment } = options;

  async function find(access: Access, id: string): Promise<ProductionRequest> {
    if (!ID.test(id)) throw new ProductionRequestNotFoundError(id);
    const row = await db.selectFrom('production_requests').selectAll().where('environment', '=', environment).where('id', '=', id).executeTakeFirst();
    // One the caller may not see is reported exactly like one that does not exist.
    if (!row || !canSee(access, row.orgno)) throw new ProductionRequestNotFoundError(id);
    return view(row);
  }

  /**
   * Decides a pending request, if it still is pending: two desk members approving at once make one
   * integration, and a request withdrawn meanwhile is not approved.
   */
  async function decide(request: ProductionRequest, status: Exclude<RequestStatus, 'pending'>, actor: Actor, reason?: string): Promise<ProductionRequest> {
    const row = await db
      .updateTable('production_requests')
      .set({ status, decided_by: actor.id, decided_at: sql`now()`, reason: reason ?? null, updated_at: sql`now()` })
      .where('environment', '=', environment)
      .where('id', '=', request.id)
      .where('status', '=', 'pending')
      .returningAll()
      .executeTakeFirst();
    if (!row) throw new DomainError('production.decided', `production request ${request.id} is no longer pending (it is ${(await find('all', request.id)).status})`);
    return view(row);
  }

  const deskOnly = (access: Access, what: string) => {
    if (access !== 'all') throw new ForbiddenError('production.desk_only', `only the service desk ${what}`);
  };
  /** Things the organisation does for itself, which the desk does not do for it. */
  const organisationOnly = (access: Access, orgno: string, what: string) => {
    if (access === 'all' || !access.orgnos.has(orgno)) throw new ForbiddenError('production.organisation_only', `only an administrator of ${orgno} ${what}`);
  };

  return {
    required: options.required,

    async submit(access, request, actor) {
      if (!options.required) throw new DomainError('production.not_required', 'this environment needs no production request: organisations create their integrations themselves');
      organisationOnly(access, request.orgno, 'sends its production requests');
      const testClientId = checkedText('production', 'test_client_id', request.test_client_id, { max: TEST_CLIENT_ID_MAX });
      if (/\s/.test(testClientId)) throw new DomainError('production.test_client_id', 'test_client_id is a client_id, without spaces');
      const goLive = checkedDay(request.go_live);
      const description = checkedText('production', 'description', request.description, { max: DESCRIPTION_MAX });
      const volume = checkedText('production', 'volume', request.volume, { max: VOLUME_MAX, required: false });
      // The integration is checked now as the desk's approval will create it, so the desk is not the one to find a wrong redirect URI.
      integrations.check(access, request.orgno, request.client);
      // Refused now rather than at the desk's approval: an organisation that must accept the terms of use first is told so.
      await options.checkMayCreate?.(request.orgno);
      const row = await db
        .insertInto('production_requests')
        .values({
          environment, orgno: request.orgno, status: 'pending', test_client_id: testClientId,
          client: JSON.stringify(request.client), planning: JSON.stringify({ go_live: goLive, description, ...(volume ? { volume } : {}) }),
          requested_by: actor.id,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      const submitted = view(row);
      await audit.record({ actor, action: 'production.request', orgno: request.orgno, after: { id: submitted.id, test_client_id: testClientId, client: submitted.client } });
      return submitted;
    },

    async list(access, { status, orgno, limit = 100 } = {}) {
      if (access !== 'all' && access.orgnos.size === 0) return [];
      if (orgno !== undefined && !canSee(access, orgno)) return [];
      const rows = await db
        .selectFrom('production_requests')
        .selectAll()
        .where('environment', '=', environment)
        .$if(access !== 'all', (q) => q.where('orgno', 'in', [...(access as { orgnos: ReadonlySet<string> }).orgnos]))
        .$if(orgno !== undefined, (q) => q.where('orgno', '=', orgno!))
        .$if(status !== undefined, (q) => q.where('status', '=', status!))
        .orderBy(sql`case status when 'pending' then 0 else 1 end`)
        .orderBy('updated_at', 'desc')
        .limit(limit)
        .execute();
      return rows.map(view);
    },

    get: find,

    waiting: () => deskQueue(db, 'production_requests', environment, 'pending'),

    async approve(access, id, actor) {
      deskOnly(access, 'approves production requests');
      const request = await find(access, id);
      await decide(request, 'approved', actor);
      let integration: IntegrationView;
      try {
        // The secret made here is never shown: the organisation's administrator makes its own (deliverCredentials).
        ({ integration } = await integrations.create('all', request.orgno, request.client, actor));
      } catch (err) {
        // Not made (the terms, or a rule that changed since the request was sent): it is pending again, and the desk is told why.
        await db.updateTable('production_requests').set({ status: 'pending', decided_by: null, decided_at: null, updated_at: sql`now()` })
          .where('environment', '=', environment).where('id', '=', id).execute();
        throw err;
      }
      const row = await db.updateTable('production_requests').set({ client_id: integration.client_id, updated_at: sql`now()` })
        .where('environment', '=', environment).where('id', '=', id).returningAll().executeTakeFirstOrThrow();
      await audit.record({ actor, action: 'production.approve', orgno: request.orgno, clientId: integration.client_id, after: { id, client_id: integration.client_id } });
      return view(row);
    },

    async reject(access, id, reason, actor) {
      deskOnly(access, 'rejects production requests');
      const request = await find(access, id);
      const why = checkedText('production', 'reason', reason, { max: REASON_MAX });
      const rejected = await decide(request, 'rejected', actor, why);
      await audit.record({ actor, action: 'production.reject', orgno: request.orgno, after: { id, reason: why } });
      return rejected;
    },

    async withdraw(access, id, actor) {
      const request = await find(access, id);
      organisationOnly(access, request.orgno, 'withdraws its production requests');
      const withdrawn = await decide(request, 'withdrawn', actor);
      await audit.record({ actor, action: 'production.withdraw', orgno: request.orgno, after: { id } });
      return withdrawn;
    },

    async deliverCredentials(access, id, actor) {
      const request = await find(access, id);
      organisationOnly(access, request.orgno, 'fetches its production credentials');
      if (request.status !== 'approved' || !request.client_id) throw new DomainError('production.not_approved', `production request ${id} is ${request.status}, not approved`);
      const integration = await integrations.get(access, request.client_id);
      if (!integration.token_endpoint_auth_method.startsWith('client_secret')) {
        throw new DomainError('production.no_secret', `integration ${integration.client_id} authenticates with ${integration.token_endpoint_auth_method}: it has no secret; upload its public key on the integration's page`);
      }
      // Claimed before it is made, so that two clicks give one secret, not two of which the first no longer works.
      const claimed = await db.updateTable('production_requests').set({ credentials_delivered_at: sql`now()`, updated_at: sql`now()` })
        .where('environment', '=', environment).where('id', '=', id).where('credentials_delivered_at', 'is', null).returningAll().executeTakeFirst();
      if (!claimed) {
        throw new DomainError('production.delivered', `the secret of production request ${id} was fetched already (${request.credentials_delivered ?? 'just now'}); if it is lost, make a new one on the integration's page`);
      }
      try {
        const { integration: renewed, client_secret } = await integrations.newSecret(access, integration.client_id, actor);
        await audit.record({ actor, action: 'production.credentials', orgno: request.orgno, clientId: integration.client_id, after: { id } });
        return { request: view(claimed), integration: renewed, client_secret };
      } catch (err) {
        await db.updateTable('production_requests').set({ credentials_delivered_at: null }).where('environment', '=', environment).where('id', '=', id).execute();
        throw err;
      }
    },
  };
}

/** A go-live date: a real day, written YYYY-MM-DD, not before today. */
function checkedDay(value: unknown): string {
  const text = typeof value === 'string' ? value.trim() : '';
  if (!text) throw new DomainError('production.go_live', 'go_live is required');
  const match = DAY.exec(text);
  const day = match && new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])));
  if (!match || !day || day.toISOString().slice(0, 10) !== text) throw new DomainError('production.go_live', 'go_live must be a date written YYYY-MM-DD');
  if (text < new Date().toISOString().slice(0, 10)) throw new DomainError('production.go_live', 'go_live is in the past');
  return text;
}

interface ProductionRequestRow {
  id: string;
  environment: string;
  orgno: string;
  status: string;
  test_client_id: string;
  client: unknown;
  planning: unknown;
  requested_by: string;
  decided_by: string | null;
  decided_at: Date | string | null;
  reason: string | null;
  client_id: string | null;
  credentials_delivered_at: Date | string | null;
  created_at: Date | string;
  updated_at: Date | string;
}

const json = (value: unknown) => (typeof value === 'string' ? JSON.parse(value) : value) as Record<string, unknown>;
const iso = (at: Date | string | null) => (at === null ? undefined : new Date(at).toISOString());

function view(row: ProductionRequestRow): ProductionRequest {
  const planning = json(row.planning) as { go_live: string; description: string; volume?: string };
  return {
    id: String(row.id),
    environment: row.environment,
    orgno: row.orgno,
    status: row.status as RequestStatus,
    test_client_id: row.test_client_id,
    client: json(row.client),
    go_live: planning.go_live,
    description: planning.description,
    volume: planning.volume,
    requested_by: row.requested_by,
    created: iso(row.created_at)!,
    last_updated: iso(row.updated_at)!,
    decided_by: row.decided_by ?? undefined,
    decided: iso(row.decided_at),
    reason: row.reason ?? undefined,
    client_id: row.client_id ?? undefined,
    credentials_delivered: iso(row.credentials_delivered_at),
  };
}
