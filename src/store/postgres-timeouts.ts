// How long Portvakt waits for PostgreSQL. Without limits, a database that stops answering without
// closing its connections (a network partition, a host that froze, a firewall that drops packets)
// made a start wait forever without a word, and every request that needed the database hang.
// With them a start fails with a message naming the database, and a request fails (503) in
// seconds, so a load balancer's readiness check can take the node out.
export const POSTGRES_TIMEOUTS = {
  /** To open a connection: well above what a reachable server takes, also across a network. */
  connectionTimeoutMillis: 10_000,
  /** For one query's answer (client-side, so it also covers a server that is gone). */
  query_timeout: 15_000,
} as const;
