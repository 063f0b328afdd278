// Prometheus metrics at /metrics (prom-client): requests per route, what the provider did (logins,
// codes, tokens, errors by OAuth error code), and the state of the stores. Labels are bounded sets
// (route patterns, event names, OAuth error codes, levels of assurance), never client ids or
// people, so a scrape stays small and says nothing about who logged in.
import crypto from 'node:crypto';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type Provider from 'oidc-provider';
import { LOGIN_EVENT, type LoginEvent } from '../provider/sessions.js';
import type { DeskQueue } from '../onboarding/desk-queue.js';

/** What oidc-provider reports (its events), counted by name and, for errors, by OAuth error code. */
const PROVIDER_EVENTS = [
  'authorization.success', 'authorization.error',
  'pushed_authorization_request.success', 'pushed_authorization_request.error',
  'grant.success', 'grant.error', 'grant.revoked',
  'userinfo.error', 'introspection.error', 'revocation.error',
  'end_session.success', 'end_session.error',
  'backchannel.success', 'backchannel.error',
  'server_error',
] as const;

/** Node's own metrics (CPU, memory, event-loop delay, GC) once per process, however many Portvakts it runs (tests run many). */
let processMetrics: Registry | undefined;
function nodeProcessMetrics(): Registry {
  if (!processMetrics) {
    processMetrics = new Registry();
    collectDefaultMetrics({ register: processMetrics });
  }
  return processMetrics;
}

export interface MetricsOptions {
  environment: string;
  store: 'pglite' | 'postgres';
  sessions: 'memory+sql' | 'sql' | 'redis';
  /** Writes of provider state the database has not seen yet (embedded store), sampled at each scrape. */
  pendingWrites?: () => number;
  /** Protocol events queued for the database, sampled at each scrape. */
  pendingEvents?: () => number;
  /** What waits for the service desk, by queue, read from the database at each scrape. */
  deskQueues?: () => Promise<Record<DeskQueueName, DeskQueue>>;
}

export type DeskQueueName = 'support' | 'production_requests';

export class Metrics {
  private readonly registry = new Registry();
  /** Started with the first Portvakt, so that GC and event-loop figures cover the time before the first scrape. */
  private readonly processRegistry = nodeProcessMetrics();
  private readonly requests = new Counter({ name: 'portvakt_http_requests_total', help: 'HTTP requests answered, by route pattern, method and status', labelNames: ['route', 'method', 'status'] as const, registers: [this.registry] });
  private readonly durations = new Histogram({
    name: 'portvakt_http_request_duration_seconds',
    help: 'Time to answer an HTTP request, by route pattern',
    labelNames: ['route'] as const,
    buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  private readonly events = new Counter({ name: 'portvakt_oidc_events_total', help: 'What the OpenID provider did: oidc-provider events by name, errors by OAuth error code', labelNames: ['event', 'error'] as const, registers: [this.registry] });
  private readonly eventsLost = new Counter({ name: 'portvakt_protocol_events_lost_total', help: 'Protocol events given up: refused by the database, or pushed out of a full queue while it was away', registers: [this.registry] });
  private readonly logins = new Counter({ name: 'portvakt_logins_total', help: 'Completed logins, by login method and level of assurance', labelNames: ['method', 'acr'] as const, registers: [this.registry] });
  private readonly unavailable = new Counter({ name: 'portvakt_store_unavailable_total', help: 'Requests answered 503 because the database or Redis could not be reached', labelNames: ['store'] as const, registers: [this.registry] });
  private readonly deskWaiting = new Gauge({ name: 'portvakt_desk_waiting_requests', help: 'Requests waiting for the service desk: open support requests, pending production requests', labelNames: ['queue'] as const, registers: [this.registry] });
  private readonly deskOldest = new Gauge({ name: 'portvakt_desk_oldest_waiting_seconds', help: 'How long the request that has waited longest for the service desk has waited (0 when none waits)', labelNames: ['queue'] as const, registers: [this.registry] });
  private readonly deskQueues: MetricsOptions['deskQueues'];
  private readonly signingKey = new Gauge({ name: 'portvakt_signing_key_info', help: 'The key this node signs with (1 for its kid): after `portvakt keys rotate`, every node should show the new one', labelNames: ['kid'] as const, registers: [this.registry] });

  constructor(options: MetricsOptions) {
    new Gauge({ name: 'portvakt_info', help: 'This Portvakt: environment, SQL store and where the provider keeps sessions', labelNames: ['environment', 'store', 'sessions'] as const, registers: [this.registry] })
      .set({ environment: options.environment, store: options.store, sessions: options.sessions }, 1);
    const { pendingWrites, pendingEvents } = options;
    this.deskQueues = options.deskQueues;
    if (pendingWrites) this.sampled('portvakt_store_pending_writes', 'Provider state held in memory and not yet written to the embedded database', pendingWrites);
    if (pendingEvents) this.sampled('portvakt_protocol_events_pending', 'Protocol events recorded and not yet written to the database', pendingEvents);
  }

  /** A gauge read from `sample` at each scrape. */
  private sampled(name: string, help: string, sample: () => number): void {
    new Gauge({ name, help, registers: [this.registry], collect() { this.set(sample()); } });
  }

  /** One answered request; `route` is the pattern (e.g. /login/:uid), never the raw URL. */
  observeRequest(route: string, method: string, status: number, seconds: number): void {
    this.requests.inc({ route, method, status: String(status) });
    this.durations.observe({ route }, seconds);
  }

  /** A request answered 503 because `store` could not be reached. */
  storeUnavailable(store: 'database' | 'redis'): void {
    this.unavailable.inc({ store });
  }

  /** The kid this node signs with from now on. */
  signingWith(kid: string): void {
    this.signingKey.reset();
    this.signingKey.set({ kid }, 1);
  }

  /** Protocol events that were recorded and will never be written. */
  protocolEventsLost(count: number): void {
    this.eventsLost.inc(count);
  }

  /** Counts the provider's events (and Portvakt's logins) from now on. */
  watch(provider: Provider): void {
    // Events by name as oidc-provider emits them (its typings list only some), and Portvakt's own.
    const emitter = provider as unknown as { on(event: string, listener: (...args: never[]) => void): void };
    emitter.on(LOGIN_EVENT, (_ctx: unknown, login: LoginEvent) => this.logins.inc({ method: login.method, acr: login.acr }));
    for (const event of PROVIDER_EVENTS) {
      emitter.on(event, (...args: unknown[]) => {
        const err = args.find((arg) => arg instanceof Error) as (Error & { error?: string }) | undefined;
        this.events.inc({ event, error: event.endsWith('.error') || event === 'server_error' ? (typeof err?.error === 'string' ? err.error : 'server_error') : '' });
      });
    }
  }

  contentType(): string {
    return this.registry.contentType;
  }

  async render(): Promise<string> {
    await this.sampleDeskQueues();
    return Registry.merge([this.processRegistry, this.registry]).metrics();
  }

  /** Read once per scrape; a database that does not answer leaves the last figures (its outage shows elsewhere). */
  private async sampleDeskQueues(): Promise<void> {
    const queues = await this.deskQueues?.().catch(() => undefined);
    if (!queues) return;
    const now = Date.now();
    for (const [queue, { waiting, oldest }] of Object.entries(queues)) {
      this.deskWaiting.set({ queue }, waiting);
      this.deskOldest.set({ queue }, oldest ? Math.max(0, (now - oldest.getTime()) / 1000) : 0);
    }
  }
}

/** May this request read /metrics: yes, not without the token (401), or not at all here (404). */
export type MetricsAccess = 'allowed' | 'token-required' | 'off';

/**
 * Who may read /metrics: with a token, whoever sends it as a bearer token (compared in constant
 * time); without one, anyone in a test environment and nobody in production, where the numbers
 * describe a national service's traffic and belong to its operators.
 */
export function metricsAccess(token: string | undefined, testEnvironment: boolean): (authorization: string | undefined) => MetricsAccess {
  if (!token) return () => (testEnvironment ? 'allowed' : 'off');
  const expected = crypto.createHash('sha256').update(token).digest();
  return (authorization) => {
    const presented = /^Bearer (.+)$/.exec(authorization ?? '')?.[1];
    if (!presented) return 'token-required';
    return crypto.timingSafeEqual(crypto.createHash('sha256').update(presented).digest(), expected) ? 'allowed' : 'token-required';
  };
}
