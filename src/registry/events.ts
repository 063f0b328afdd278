// Protocol events per client and environment: what the provider did for each client — authorization
// answers, token calls, userinfo, introspection, revocation, logout and back-channel logout, and
// their errors — so the service owner, the service desk and the verification tests can read what
// really happened, with the OAuth error the client was given.
//
// Recording never waits for the database: record() queues, and the queue is written a moment later
// as one statement, so a login pays no round trip for its events. The price is that a crash loses
// the last flush window's events, which is acceptable for a diagnostic record (the audit log, which
// is not, is written as it happens). The queue is bounded: with the database away, the oldest events
// give way rather than memory.
import { sql } from 'kysely';
import type { Db } from '../store/db.js';
import { isDataError } from '../store/sql-errors.js';
import type { EventRecording } from '../config/index.js';

export const PROTOCOL_EVENT_TYPES = [
  'authorize', 'par', 'token', 'userinfo', 'introspection', 'revocation', 'logout', 'backchannel_logout', 'server_error',
  // Stands for the failures of a minute past the per-client limit (detail.count says how many).
  'suppressed',
  // Another service logged in by SSO on the login made at this client (verification tests 1 and 2).
  'sso',
  // This client's front-channel logout URI was loaded in a logout (verification test 7).
  'frontchannel_logout',
] as const;
export type ProtocolEventType = (typeof PROTOCOL_EVENT_TYPES)[number];

export interface ProtocolEvent {
  clientId: string;
  type: ProtocolEventType;
  outcome: 'success' | 'failure';
  /** Small facts about the event (error, error_description, grant_type, …); never tokens or personal data. */
  detail?: Record<string, string | number | boolean | undefined>;
}

export interface RecordedEvent extends ProtocolEvent {
  at: Date;
  detail: Record<string, string | number | boolean>;
}

export interface EventQuery {
  /** How many at most (50). */
  limit?: number;
  /** Only successes, or only failures. */
  outcome?: ProtocolEvent['outcome'];
}

/** A client whose calls failed lately: how often, when last, and the error it was given last. */
export interface FailingClient {
  clientId: string;
  failures: number;
  lastAt: Date;
  lastError: string | undefined;
}

/** The service desk's view across clients: the last `hours` (24), the `limit` (50) clients failing most. */
export interface FailingQuery {
  hours?: number;
  limit?: number;
}

/**
 * Which events count as evidence of something (onboarding/verification-tests.ts): a type, an
 * outcome, and conditions on detail values — equal to a value, not equal to one (or absent), present,
 * or a number at least so big.
 */
export interface EventFilter {
  type: ProtocolEventType;
  outcome?: ProtocolEvent['outcome'];
  detail?: Record<string, DetailCondition>;
}
export type DetailCondition = string | { not: string } | { present: true } | { atLeast: number };

export interface ProtocolEventsOptions {
  recording?: EventRecording;
  flushMs?: number;
  /** Events waiting for the database at most; beyond it the oldest are dropped (and counted). */
  maxQueued?: number;
  /** Failures recorded per client and minute at most; the rest are counted in one `suppressed` event. */
  failuresPerMinute?: number;
  /** A write failed; `lost` events were given up (refused by the database, or pushed out of a full queue). */
  onError?: (err: unknown, lost: number) => void;
}

export interface ProtocolEvents {
  /** Events recorded and not yet written (the batch being written included). */
  readonly pending: number;
  /** Queues an event (if the recording keeps it); returns at once. */
  record(event: ProtocolEvent): void;
  /** The client's latest events, newest first, including those still queued here. */
  forClient(clientId: string, query?: EventQuery): Promise<RecordedEvent[]>;
  /** The clients with the most failures lately, most first (a minute's suppressed failures counted too). */
  failing(query?: FailingQuery): Promise<FailingClient[]>;
  /** The event an error page's reference names (the page and the event share it), if it is kept. */
  withReference(reference: string): Promise<RecordedEvent | undefined>;
  /** For each named filter, when the client's latest event matching it happened (undefined: none kept). */
  latestMatching<Name extends string>(clientId: string, filters: Record<Name, EventFilter>): Promise<Record<Name, Date | undefined>>;
  /** Writes what is queued now. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

export const DEFAULT_EVENT_FLUSH_MS = 250;
export const DEFAULT_MAX_QUEUED_EVENTS = 10_000;
/**
 * A failure needs no credentials — anyone who knows a client_id can send it a wrong redirect_uri
 * or secret as fast as they like — so failures are limited per client, or such a stream would fill
 * the database. Ten a second on average is more than any integration makes by mistake.
 */
export const DEFAULT_FAILURES_PER_MINUTE = 600;
const MAX_TEXT = 500;

interface Queued {
  event: ProtocolEvent;
  at: Date;
}

export function createProtocolEvents(db: Db, environment: string, options: ProtocolEventsOptions = {}): ProtocolEvents {
  const recording = options.recording ?? 'all';
  const flushMs = options.flushMs ?? DEFAULT_EVENT_FLUSH_MS;
  const maxQueued = options.maxQueued ?? DEFAULT_MAX_QUEUED_EVENTS;
  let queue: Queued[] = [];
  let dropped = 0;
  let timer: NodeJS.Timeout | undefined;
  let writing: Promise<void> | undefined;
  let writingCount = 0;

  /** The queue's bound: the oldest events give way, and are counted. */
  const trimQueue = () => {
    if (queue.length <= maxQueued) return;
    dropped += queue.length - maxQueued;
    queue = queue.slice(queue.length - maxQueued);
  };

  const enqueue = (event: ProtocolEvent) => {
    queue.push({ event, at: new Date() });
    trimQueue();
    schedule();
  };

  // Failures per client in the current minute; those past the limit are counted, and when the
  // minute ends one `suppressed` event per client says how many there were.
  const failuresPerMinute = options.failuresPerMinute ?? DEFAULT_FAILURES_PER_MINUTE;
  let failures = new Map<string, number>();
  let minuteTimer: NodeJS.Timeout | undefined;
  const closeMinute = () => {
    minuteTimer = undefined;
    const ended = failures;
    failures = new Map();
    for (const [clientId, count] of ended) {
      if (count > failuresPerMinute) enqueue({ clientId, type: 'suppressed', outcome: 'failure', detail: { count: count - failuresPerMinute } });
    }
  };
  const failureAllowed = (clientId: string) => {
    const count = (failures.get(clientId) ?? 0) + 1;
    failures.set(clientId, count);
    // The minute starts with its first failure and is ended by a timer, so a quiet client costs nothing.
    if (!minuteTimer) {
      minuteTimer = setTimeout(closeMinute, 60_000);
      minuteTimer.unref();
    }
    return count <= failuresPerMinute;
  };

  const schedule = (delay = flushMs) => {
    timer ??= setTimeout(() => { timer = undefined; void flush(); }, delay);
    timer.unref();
  };

  const requeue = (batch: Queued[]) => {
    queue = [...batch, ...queue];
    trimQueue();
  };

  // One statement per batch, its rows as one array per column: PostgreSQL parses and plans a
  // statement of six parameters however many events it carries (a VALUES list of hundreds of rows
  // cost the embedded database a third more per event).
  async function write(batch: Queued[]): Promise<void> {
    const column = <T>(pick: (queued: Queued) => T) => batch.map(pick);
    await sql`
      insert into protocol_events (environment, client_id, type, outcome, detail, created_at)
      select ${environment}, * from unnest(
        ${column((q) => q.event.clientId)}::text[], ${column((q) => q.event.type)}::text[], ${column((q) => q.event.outcome)}::text[],
        ${column((q) => JSON.stringify(cleanDetail(q.event.detail)))}::jsonb[], ${column((q) => q.at.toISOString())}::timestamptz[])
    `.execute(db);
  }

  async function flush(): Promise<void> {
    while (writing) await writing;
    clearTimeout(timer);
    timer = undefined;
    if (!queue.length) return;
    const batch = queue;
    queue = [];
    writingCount = batch.length;
    writing = write(batch).then(
      () => {
        if (dropped) {
          options.onError?.(new Error('the protocol event queue was full'), dropped);
          dropped = 0;
        }
      },
      (err: unknown) => {
        // What the database refuses as data would be refused again: give it up. Anything else (the
        // database away) is tried again later, as long as the queue has room.
        if (isDataError(err)) options.onError?.(err, batch.length);
        else {
          requeue(batch);
          options.onError?.(err, 0);
          schedule(1000);
        }
      },
    );
    try {
      await writing;
    } finally {
      writing = undefined;
      writingCount = 0;
    }
  }

  return {
    get pending() {
      return queue.length + writingCount;
    },
    record(event) {
      if (recording === 'off' || (recording === 'errors' && event.outcome === 'success')) return;
      if (event.outcome === 'failure' && !failureAllowed(event.clientId)) return;
      enqueue(event);
    },
    async forClient(clientId, { limit = 50, outcome } = {}) {
      await flush();
      const rows = await db
        .selectFrom('protocol_events')
        .selectAll()
        .where('environment', '=', environment)
        .where('client_id', '=', clientId)
        .$if(outcome !== undefined, (query) => query.where('outcome', '=', outcome!))
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .limit(limit)
        .execute();
      return rows.map(recorded);
    },
    async failing({ hours = 24, limit = 50 } = {}) {
      await flush();
      const { rows } = await sql<{ client_id: string; failures: number; last_at: Date | string; last_error: string | null }>`
        select client_id,
          sum(case when type = 'suppressed' then coalesce((detail->>'count')::int, 0) else 1 end)::int as failures,
          max(created_at) as last_at,
          (array_agg(detail->>'error' order by created_at desc, id desc) filter (where type <> 'suppressed'))[1] as last_error
        from protocol_events
        where environment = ${environment} and outcome = 'failure' and client_id is not null
          and created_at > now() - make_interval(hours => ${hours})
        group by client_id
        order by failures desc, last_at desc
        limit ${limit}
      `.execute(db);
      return rows.map((r) => ({ clientId: r.client_id, failures: r.failures, lastAt: new Date(r.last_at), lastError: r.last_error ?? undefined }));
    },
    async withReference(reference) {
      await flush();
      const row = await db
        .selectFrom('protocol_events')
        .selectAll()
        .where('environment', '=', environment)
        .where(sql<boolean>`detail ? 'reference'`)
        .where(sql<string>`detail->>'reference'`, '=', reference)
        .orderBy('id', 'desc')
        .limit(1)
        .executeTakeFirst();
      return row && recorded(row);
    },
    async latestMatching(clientId, filters) {
      await flush();
      const names = Object.keys(filters) as Array<keyof typeof filters>;
      if (!names.length) return {} as Record<keyof typeof filters, Date | undefined>;
      // One scan of the client's events, one aggregate per filter (columns named by position, so no
      // caller's name ever becomes SQL).
      const latest = names.map((name, i) => sql`max(created_at) filter (where ${matches(filters[name])}) as ${sql.ref(`f${i}`)}`);
      const { rows } = await sql<Record<string, Date | string | null>>`
        select ${sql.join(latest)} from protocol_events
        where environment = ${environment} and client_id = ${clientId} and type in (${sql.join([...new Set(names.map((name) => filters[name].type))])})
      `.execute(db);
      const row = rows[0] ?? {};
      return Object.fromEntries(names.map((name, i) => {
        const at = row[`f${i}`];
        return [name, at ? new Date(at) : undefined];
      })) as Record<keyof typeof filters, Date | undefined>;
    },
    flush,
    async close() {
      clearTimeout(minuteTimer);
      closeMinute();
      await flush();
    },
  };
}

/** A row of protocol_events as the registry hands it out. */
function recorded(r: { client_id: string | null; type: string; outcome: string; detail: unknown; created_at: Date | string }): RecordedEvent {
  return {
    clientId: r.client_id ?? '',
    type: r.type as ProtocolEventType,
    outcome: r.outcome as 'success' | 'failure',
    detail: r.detail as Record<string, string | number | boolean>,
    at: new Date(r.created_at),
  };
}

/** An EventFilter as SQL over protocol_events' columns (values always as parameters). */
function matches(filter: EventFilter) {
  const conditions = [sql`type = ${filter.type}`];
  if (filter.outcome) conditions.push(sql`outcome = ${filter.outcome}`);
  for (const [key, condition] of Object.entries(filter.detail ?? {})) {
    const value = sql`detail->>${key}`;
    if (typeof condition === 'string') conditions.push(sql`${value} = ${condition}`);
    else if ('not' in condition) conditions.push(sql`${value} is distinct from ${condition.not}`);
    else if ('present' in condition) conditions.push(sql`detail ? ${key}`);
    // (case: SQL does not promise to test the type before it casts)
    else conditions.push(sql`case when jsonb_typeof(detail->${key}) = 'number' then (detail->>${key})::numeric >= ${condition.atLeast} else false end`);
  }
  return sql.join(conditions, sql` and `);
}

/** Deletes the events (of every environment) older than `days`; returns how many. */
export async function deleteProtocolEventsOlderThan(db: Db, days: number): Promise<number> {
  const result = await db
    .deleteFrom('protocol_events')
    .where('created_at', '<', sql<Date>`now() - make_interval(days => ${days})`)
    .executeTakeFirst();
  return Number(result.numDeletedRows ?? 0);
}

/**
 * Detail values as the database will take them: no undefined, strings cut to a readable length and
 * free of what JSON in PostgreSQL refuses (NUL) or what would break a page (control characters,
 * lone surrogates) — an error description can quote a request's own parameters.
 */
function cleanDetail(detail: ProtocolEvent['detail']): Record<string, string | number | boolean> {
  const clean: Record<string, string | number | boolean> = {};
  for (const [key, value] of Object.entries(detail ?? {})) {
    if (value === undefined) continue;
    clean[key] = typeof value === 'string' ? cleanText(value) : value;
  }
  return clean;
}

function cleanText(text: string): string {
  const cut = text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT)}…` : text;
  // eslint-disable-next-line no-control-regex
  return cut.replace(/[\u0000-\u001f\u007f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
}
