// How long Portvakt waits for PostgreSQL to take a connection. Without a limit, a database that stops
// answering without closing its connections (a network partition, a host that froze, a firewall
// that drops packets) made a start wait forever without a word. With it a start fails with a
// message naming the database, and /health/ready (which bounds its own check, app.ts) lets a load
// balancer take the node out.
//
// Queries get no time limit here: a migration over a large table may rightly take minutes, and
// pg's limit would apply to it too. A query on a connection that went silent ends when TCP
// keepalive finds the peer gone.
export const POSTGRES_TIMEOUTS = {
  /** To open a connection: well above what a reachable server takes, also across a network. */
  connectionTimeoutMillis: 10_000,
  keepAlive: true,
} as const;
