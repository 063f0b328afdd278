// Tells every node of an installation what another node changed, over PostgreSQL's LISTEN/NOTIFY,
// so that what they cache (clients) is dropped at once instead of when it times out.
//
// Notifications reach only the connections listening at that moment: after the listening
// connection is lost, it reconnects and tells its subscribers that anything may have changed
// (`undefined`), so they drop everything rather than miss what happened meanwhile.
import { POSTGRES_TIMEOUTS } from './postgres-timeouts.js';
import type pg from 'pg';

/** A key that changed, or undefined: anything may have changed (notifications were missed). */
export type ChangeListener = (key: string | undefined) => void;

export interface ChangeFeed {
  /** Tells every node (this one too) that `key` of `topic` changed. */
  publish(topic: string, key: string): Promise<void>;
  subscribe(topic: string, listener: ChangeListener): void;
  close(): Promise<void>;
}

const CHANNEL = 'portvakt_changes';
/** Shown in pg_stat_activity (with the schema), so an operator (or a test) can tell the listening connections apart. */
export const listenerApplicationName = (schema: string) => `portvakt-changes:${schema}`.slice(0, 63);
const RECONNECT_MS = 1000;

interface Notice {
  schema: string;
  topic: string;
  key: string;
}

/**
 * `schema` scopes the feed: notifications are database-wide, and installations (or test runs) that
 * share a database in different schemas must not act on each other's.
 */
export async function openPostgresChangeFeed(pgModule: typeof pg, pool: pg.Pool, url: string, schema = 'public'): Promise<ChangeFeed> {
  const listeners = new Map<string, Set<ChangeListener>>();
  let closed = false;
  let client: pg.Client | undefined;
  let retry: NodeJS.Timeout | undefined;

  const dispatch = (topic: string | undefined, key: string | undefined) => {
    for (const [name, set] of listeners) if (topic === undefined || topic === name) for (const listener of set) listener(key);
  };

  const connect = async (): Promise<void> => {
    const next = new pgModule.Client({ connectionString: url, application_name: listenerApplicationName(schema), ...POSTGRES_TIMEOUTS });
    next.on('notification', (message) => {
      if (message.channel !== CHANNEL || !message.payload) return;
      let notice: Notice;
      try {
        notice = JSON.parse(message.payload) as Notice;
      } catch {
        return; // not one of ours
      }
      if (notice.schema === schema) dispatch(notice.topic, notice.key);
    });
    const lost = () => {
      if (closed || client !== next) return;
      client = undefined;
      next.end().catch(() => undefined);
      retry = setTimeout(() => void reconnect(), RECONNECT_MS);
    };
    next.on('error', lost);
    next.on('end', lost);
    await next.connect();
    await next.query(`listen ${CHANNEL}`);
    client = next;
  };

  const reconnect = async () => {
    if (closed) return;
    try {
      await connect();
      dispatch(undefined, undefined); // whatever was announced while nobody listened
    } catch {
      retry = setTimeout(() => void reconnect(), RECONNECT_MS);
    }
  };

  await connect();
  return {
    async publish(topic, key) {
      const notice: Notice = { schema, topic, key };
      await pool.query('select pg_notify($1, $2)', [CHANNEL, JSON.stringify(notice)]);
    },
    subscribe(topic, listener) {
      if (!listeners.has(topic)) listeners.set(topic, new Set());
      listeners.get(topic)!.add(listener);
    },
    async close() {
      closed = true;
      clearTimeout(retry);
      await client?.end().catch(() => undefined);
    },
  };
}
