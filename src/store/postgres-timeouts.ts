// How long Portvakt waits for PostgreSQL to take a connection, and to answer. Without a limit, a database that stops
// answering without closing its connections (a network partition, a host that froze, a firewall
// that drops packets) made a start wait forever without a word. With it a start fails with a
// message naming the database, and /health/ready (which bounds its own check, app.ts) lets a load
// balancer take the node out.
//
// A query made for a request gets QUERY_TIMEOUT_MS to be answered: on a connection that went silent
// it would otherwise wait until TCP gives up (hours), and the request with it. It then fails as the
// store being unavailable (503), and its connection is not used again (db.ts). Migrations and
// cleanups, which may rightly take minutes over a large table, use the store's `maintenance`
// handle, without the limit.
/** Far above what any query of a request takes, below what a person or a client waits for. */
export const QUERY_TIMEOUT_MS = 10_000;

export const POSTGRES_TIMEOUTS = {
  /** To open a connection: well above what a reachable server takes, also across a network. */
  connectionTimeoutMillis: 10_000,
  keepAlive: true,
} as const;
