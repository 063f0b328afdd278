// Composes Portvakt: config → store → secrets → registry → provider → HTTP server.
import type { FastifyInstance } from 'fastify';
import type Provider from 'oidc-provider';
import { isTestEnvironment, requestsRequired, servedOverHttps, ConfigError, type Config } from './config/index.js';
import { readClientsFile } from './config/clients-file.js';
import { FullmaktRegister, SEEDED_FULLMAKTER, validateFullmakt, type Fullmakt } from './identity/fullmakt.js';
import { startOpeningStore, type Store } from './store/db.js';
import { migrateToLatest } from './store/migrations.js';
import { createSecrets, resolveRootSecret, type Secrets } from './store/secrets.js';
import { createClientRegistry, type ClientRegistry } from './registry/clients.js';
import { validateClient, type ClientInput } from './registry/client-schema.js';
import { ClientValidationError, DomainError } from './registry/errors.js';
import { createProtocolEvents, deleteProtocolEventsOlderThan, type ProtocolEvents } from './registry/events.js';
import { describeFailure, errorReference, recordProtocolEvents } from './provider/protocol-events.js';
import { createOrganisations, type Organisations } from './registry/organisations.js';
import { createAuditLog, type AuditLog } from './registry/audit.js';
import { createIntegrations, type Integrations } from './registry/integrations.js';
import { checkClientApiScopes, createApiScopes, validateApiScope, type ApiScope, type ApiScopeCatalog, type ApiScopes } from './registry/api-scopes.js';
import { PROVIDER_SCOPES } from './provider/client-mapping.js';
import { createVerification, type Verification } from './onboarding/verification-tests.js';
import { createSupport, type Support } from './onboarding/support.js';
import { createTerms, type Terms } from './onboarding/terms.js';
import { createProductionRequests, refuseUnlessDesk, type ProductionRequests } from './onboarding/production-requests.js';
import { selfServiceApi } from './portal/api.js';
import { portalClient, portalRoutes } from './portal/web/routes.js';
import { profileClient, profileRoutes, PROFILE_PREFIX } from './profile/routes.js';
import { testPersons } from './identity/test-persons.js';
import { SESSION_MODEL, sessionAdapter } from './provider/session-store.js';
import { bindToEnvironment } from './store/environment-binding.js';
import { ensureSigningKeys, loadSigningKeys, type SigningKeys } from './provider/keys.js';
import { announceKeyChange, CHECK_INTERVAL_MS, watchSigningKeys } from './provider/key-watch.js';
import { EPHEMERAL_MODELS, MemoryAdapter, PERSON_INDEXED_MODELS, SqlAdapter, deleteExpiredPayloads, namingOwnGrant, type AdapterFactory } from './provider/adapters.js';
import { createProvider } from './provider/profile.js';
import { createAuthorizations } from './provider/authorizations.js';
import { authorizationsApi } from './provider/authorizations-api.js';
import { WriteBehindStore } from './provider/write-behind.js';
import { RedisAdapter } from './provider/redis-adapter.js';
import { storingDigests } from './provider/token-digests.js';
import type { RedisStore } from './store/redis.js';
import { redisFailure } from './store/unavailable.js';
import { mappingFailures } from './provider/unavailable.js';
import { buildServer, localAddress } from './http/server.js';
import { Metrics, metricsAccess } from './http/metrics.js';
import { createInteractionPages } from './login/interaction-pages.js';
import { demoRoutes, demoClient, DEMO_PREFIX } from './demo/routes.js';
import { providerBackChannel } from './rp/first-party.js';
import { renderErrorPage } from './ui/pages/error-page.js';
import { renderFrontchannelPage, renderLoggedOutPage, renderLogoutPage } from './ui/pages/logout-pages.js';
import { chooseLocale } from './provider/locale.js';

/**
 * With a shared PostgreSQL store, the longest a node serves a client from memory. A change made on
 * another node reaches it at once (LISTEN/NOTIFY, src/store/change-feed.ts); this bounds what a
 * notification lost without a dropped connection could leave stale.
 */
export const CLIENT_CACHE_SECONDS_SHARED = 5;

export interface Portvakt {
  config: Config;
  store: Store;
  /** With REDIS_URL: where the provider keeps sessions, codes, tokens and grants. */
  redis: RedisStore | undefined;
  secrets: Secrets;
  clients: ClientRegistry;
  events: ProtocolEvents;
  organisations: Organisations;
  audit: AuditLog;
  integrations: Integrations;
  /** API scopes (profile §7.3) that clients may ask for. */
  apiScopes: ApiScopes;
  /** ID-porten's verification tests, as this environment's events show them done. */
  verification: Verification;
  /** Support requests between organisations and the service desk. */
  support: Support;
  /** The operator's terms of use, and which organisations have accepted them. */
  terms: Terms;
  /** Organisations' requests for production integrations, where the desk approves them. */
  productionRequests: ProductionRequests;
  /** The keys it signs with now (they change when `portvakt keys rotate` runs; key-watch.ts). */
  readonly keys: SigningKeys;
  /** The provider serving requests now (a new one after the keys change). */
  readonly provider: Provider;
  server: FastifyInstance;
  metrics: Metrics;
  demoClient: ClientInput | undefined;
  close(): Promise<void>;
}

/** How long /health/ready waits for each dependency. */
export const READINESS_TIMEOUT_MS = 2_000;

/** `check`'s answer, or false if there is none within `ms`. */
function answersWithin(check: Promise<boolean>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => { timer = setTimeout(() => resolve(false), ms); });
  return Promise.race([check, late]).finally(() => clearTimeout(timer));
}

export interface OpenOptions {
  /** PostgreSQL schema to use (tests give each run its own). */
  databaseSchema?: string;
  /** A store the caller began opening already (the CLI starts it before the rest of Portvakt loads). */
  store?: Promise<Store>;
}

/** The store, maybe still opening, and the secrets: neither waits for the database. */
async function startData(config: Config, options: OpenOptions) {
  const store = await (options.store ?? startOpeningStore({ databaseUrl: config.databaseUrl, databaseSchema: options.databaseSchema, dataDir: config.dataDir }));
  try {
    const secrets = await createSecrets(await resolveRootSecret(config.secret, config.dataDir), { previous: config.previousSecret, next: config.nextSecret });
    return { store, secrets };
  } catch (err) {
    await store.close();
    throw err;
  }
}

/**
 * Waits for the database to open, brings its schema up to date, refuses it if it belongs to another
 * environment, and loads the data keys kept there.
 */
async function openAndMigrate(store: Store, secrets: Secrets, environment: string): Promise<void> {
  await store.opened;
  await migrateToLatest(store.maintenance, store.schema);
  await bindToEnvironment(store.db, environment);
  await secrets.loadDataKeys(store.db);
}

/** Store (open and migrated) and secrets: what every command (start, keys, clients) needs. */
export async function openData(config: Config, options: OpenOptions = {}) {
  const { store, secrets } = await startData(config, options);
  try {
    await openAndMigrate(store, secrets, config.environment);
    return { store, secrets };
  } catch (err) {
    await store.close();
    throw err;
  }
}

/**
 * The integrations of this environment with the rules the onboarding adds to them — the terms of
 * use, and approval by the service desk where the operator wants it — the same for the server and
 * the command line.
 */
export function integrationsWithRules(config: Config, clients: ClientRegistry, audit: AuditLog, apiScopes: () => ApiScopeCatalog, events?: ProtocolEvents): { integrations: Integrations; terms: Terms } {
  const terms = createTerms(audit, { url: config.termsUrl, version: config.termsVersion, required: !isTestEnvironment(config) });
  const integrations = createIntegrations(clients, audit, { testEnvironment: isTestEnvironment(config), keysLater: true }, events, {
    async beforeCreate(orgno, access) {
      if (requestsRequired(config)) refuseUnlessDesk(orgno, access);
      await terms.checkMayCreate(orgno);
    },
    checkClient: (client) => checkClientApiScopes(client, apiScopes(), PROVIDER_SCOPES),
  });
  return { integrations, terms };
}

export async function createPortvakt(config: Config, options: OpenOptions = {}): Promise<Portvakt> {
  if (config.environment === 'prod' && !config.allowTestLoginInProduction) {
    throw new ConfigError('PORTVAKT_ENVIRONMENT=prod has no login method but TestID, which exists only in test environments. Set PORTVAKT_DEMO=true to run a public demo with test identities anyway.');
  }
  const testEnvironment = isTestEnvironment(config) || config.allowTestLoginInProduction;
  const { store, secrets } = await startData(config, options);
  let server: FastifyInstance | undefined;
  let redis: RedisStore | undefined;
  try {
    // Loaded only when used: ioredis is no part of an embedded start.
    if (config.redisUrl) redis = await (await import('./store/redis.js')).openRedis(config.redisUrl, config.redisPrefix);
    const clients = createClientRegistry(store.db, secrets, config.environment, store.kind === 'pglite' ? {} : { cacheSeconds: CLIENT_CACHE_SECONDS_SHARED, changes: store.changes });
    // The log is the server's; until it exists, failures to write events have nobody to tell.
    let warn: (err: unknown, lost: number) => void = () => undefined;
    const events = createProtocolEvents(store.db, config.environment, { recording: config.protocolEvents, onError: (err, lost) => warn(err, lost) });
    const audit = createAuditLog(store.db, config.environment);
    const organisations = createOrganisations(store.db, audit);
    const apiScopes = createApiScopes(store.db, audit, config.environment, store.changes);
    // The API scopes as the provider and the integrations' rules see them: loaded before the
    // provider is made, and again (with a new provider) after every change (registry/api-scopes.ts).
    let scopeCatalog: ApiScopeCatalog | undefined;
    const currentScopes = () => {
      if (!scopeCatalog) throw new Error('the API scopes are used before they were loaded');
      return scopeCatalog;
    };
    const { integrations, terms } = integrationsWithRules(config, clients, audit, currentScopes, events);
    const verification = createVerification(integrations, events, audit, { environment: config.environment, evidenceKeptDays: config.eventRetentionDays });
    const support = createSupport(store.db, integrations, audit, config.environment);
    const productionRequests = createProductionRequests(store.db, integrations, audit, { environment: config.environment, required: requestsRequired(config), checkMayCreate: terms.checkMayCreate });
    const demo = testEnvironment ? demoClient(config.issuer) : undefined;
    // Who may log in on behalf of whom (fullmakt): the seeded test relations, and those declared.
    const fullmakter = new FullmaktRegister(testEnvironment ? SEEDED_FULLMAKTER : []);
    const portal = portalClient(config.issuer);
    const profile = profileClient(config.issuer);

    // What needs the database runs as a chain of its own, since the database may still be opening
    // (the embedded one takes most of a second, in its own thread). The HTTP server, a few tenths
    // of a second of route building, is built meanwhile; the provider, which signs with the keys
    // stored there, is created once they are loaded and bound to the server before it serves.
    const loadingKeys = (async () => {
      await openAndMigrate(store, secrets, config.environment);
      // Keys made or repaired here reach the nodes already running (key-watch.ts).
      if (await ensureSigningKeys(store.db, secrets)) await announceKeyChange(store.changes).catch(() => undefined);
      return loadSigningKeys(store.db, secrets);
    })();
    loadingKeys.catch(() => undefined); // awaited below
    // The records a start declares; awaited before anything is served, so an invalid client in
    // PORTVAKT_CONFIG still stops the start.
    const declaring = loadingKeys.then(async () => {
      if (testEnvironment) await seedDemoOrganisation(organisations);
      await declareClients(config, clients, apiScopes, demo, fullmakter);
      await clients.upsert(portal, 'portal');
      await clients.upsert(profile, 'portal');
      scopeCatalog = await apiScopes.catalog();
    });
    declaring.catch(() => undefined); // awaited below

    // Where the provider keeps its state (see the adapter factory below).
    const sessionsIn = redis ? 'redis' : store.kind === 'pglite' ? 'memory+sql' : 'sql';
    let writeBehind: WriteBehindStore | undefined;
    const metrics = new Metrics({
      environment: config.environment, store: store.kind, sessions: sessionsIn,
      pendingWrites: () => writeBehind?.pendingWrites ?? 0, pendingEvents: () => events.pending,
      deskQueues: async () => ({ support: await support.waiting(), production_requests: await productionRequests.waiting() }),
    });
    let provider: Provider | undefined;
    const boundProvider = (): Provider => {
      if (!provider) throw new Error('the provider is used before its signing keys were loaded');
      return provider;
    };
    const interactionPages = createInteractionPages({ provider: boundProvider, csrfKeys: secrets.formKeys, fullmakter });
    server = await buildServer({
      provider: boundProvider,
      logLevel: config.logLevel,
      interactionPages,
      httpsIssuer: servedOverHttps(config.issuer),
      trustProxy: config.trustProxy,
      ready: async () => {
        // An answer within READINESS_TIMEOUT_MS, or "unavailable": a database that has stopped
        // answering must not hold the load balancer's check (a query on a connection that went
        // silent waits out QUERY_TIMEOUT_MS, longer than such a check waits; postgres-timeouts.ts).
        const [database, sessions] = await Promise.all([
          answersWithin(store.db.selectFrom('settings').select('name').limit(1).execute().then(() => true, () => false), READINESS_TIMEOUT_MS),
          redis && answersWithin(redis.ping(), READINESS_TIMEOUT_MS),
        ]);
        return { database, ...(sessions === undefined ? {} : { redis: sessions }) };
      },
      metrics,
      metricsAccess: metricsAccess(config.metricsToken, isTestEnvironment(config)),
    });
    const log = server.log;
    const listening = server;
    const backChannel = providerBackChannel(config.issuer, () => localAddress(listening.server.address()));
    if (demo) await server.register(demoRoutes, { issuer: config.issuer, client: demo, backChannel });
    await server.register(selfServiceApi, { provider: boundProvider, clients, integrations, verification, productionRequests, apiScopes, issuer: config.issuer });
    const authorizations = createAuthorizations({ provider: boundProvider, clients, apiScopes: currentScopes, events });
    await server.register(authorizationsApi, { provider: boundProvider, clients, authorizations, issuer: config.issuer });
    await server.register(profileRoutes, { issuer: config.issuer, client: profile, backChannel, secrets, authorizations });
    await server.register(portalRoutes, { issuer: config.issuer, backChannel, environment: config.environment, client: portal, secrets, integrations, verification, support, terms, productionRequests, apiScopes, testPortalUrl: config.testPortalUrl, productionPortalUrl: config.productionPortalUrl, organisations, audit, testEnvironment });

    // Redis: every model there, shared by all nodes.
    // Embedded (single process): short-lived models in memory, durable ones written behind.
    // PostgreSQL (many nodes): everything written through to SQL.
    writeBehind = sessionsIn === 'memory+sql'
      ? new WriteBehindStore(store.db, {
          onError: (err) => log.error({ err }, 'writing provider state to the store failed; retrying'),
          onDropped: (model, id, err) => log.error({ err, model, id }, 'the store refused a value of this entry; it is kept in memory only'),
        })
      : undefined;
    const ephemeral = new Map<string, MemoryAdapter>();
    // What is kept outside the process is keyed by digests of the token values (token-digests.ts).
    const stored: AdapterFactory = (name) => {
      if (redis) return storingDigests(mappingFailures(new RedisAdapter(redis, name), redisFailure));
      if (!writeBehind) return storingDigests(new SqlAdapter(store.db, name));
      if (!EPHEMERAL_MODELS.has(name)) return storingDigests(writeBehind.adapter(name));
      if (!ephemeral.has(name)) ephemeral.set(name, new MemoryAdapter());
      return ephemeral.get(name)!;
    };
    // A destroyed session stays destroyed (session-store.ts); a grant names itself, so it can be
    // listed by person and withdrawn (adapters.ts).
    const adapter: AdapterFactory = (name) => {
      if (name === SESSION_MODEL) return sessionAdapter(stored(name));
      return PERSON_INDEXED_MODELS.has(name) ? namingOwnGrant(stored(name)) : stored(name);
    };

    warn = (err, lost) => {
      metrics.protocolEventsLost(lost);
      log.warn({ err, lost }, lost ? 'protocol events were lost' : 'writing protocol events failed; retrying');
    };
    // Each failure is also logged: at info in test environments, where a developer watching the
    // terminal of `npm start` learns at once why the token call failed; at debug in production.
    const logFailure = (isTestEnvironment(config) ? log.info : log.debug).bind(log);

    /** A provider signing with `keys`, with the listeners that log, count and record what it does. */
    const buildProvider = (keys: SigningKeys, scopes: ApiScopeCatalog): Provider => {
      const built = createProvider({
        issuer: config.issuer,
        testEnvironment,
        secrets,
        keys,
        clients,
        apiScopes: scopes,
        adapter,
        firstPage: (interaction, languageCookie) => interactionPages.pageFor(interaction, interactionPages.localeOf(interaction, languageCookie)),
        logoutPages: { logout: renderLogoutPage, frontchannel: renderFrontchannelPage, loggedOut: renderLoggedOutPage },
        trustProxy: config.trustProxy,
        sessions: { idleSeconds: config.sessionIdleMinutes * 60, maxSeconds: config.sessionMaxMinutes * 60 },
        onStoreUnavailable: (err) => {
          metrics.storeUnavailable(err.store);
          log.warn({ err: err.cause }, `the ${err.store} cannot be reached; the request is answered 503 temporarily_unavailable`);
        },
        renderError: async (ctx, out, error) => {
          const reference = errorReference(ctx); // the one in the client's protocol event, if any
          // oidc-provider's status: 400 for what the request got wrong, 503 while the store cannot be
          // reached (provider/unavailable.ts), 500 for a fault of ours.
          ctx.status = ctx.status >= 400 ? ctx.status : 400;
          ctx.type = 'html';
          const locale = chooseLocale(ctx.oidc?.params?.ui_locales as string | undefined, undefined);
          // error_detail says what exactly was wrong (e.g. which client_id is unknown); safe to show.
          const detail = (error as { error_detail?: string }).error_detail;
          const description = [out.error_description, detail].filter(Boolean).join(': ') || undefined;
          // A request's own fault (an OAuth error meant for the caller) needs no stack trace in the log;
          // anything else keeps it.
          const expected = (error as { expose?: boolean }).expose === true;
          log.info({ reference, error: out.error, description, ...(expected ? {} : { err: error }) }, 'authorization error page');
          ctx.body = renderErrorPage({ locale, error: String(out.error), description, reference });
        },
      });
      built.on('server_error', (_ctx, err) => log.error({ err }, 'provider server_error'));
      // What fails outside oidc-provider's own error handling (e.g. saving the session after the
      // response, with the store gone) reaches Koa (the provider is its Koa app), which would print it
      // to stderr: log it.
      (built as unknown as { on(event: 'error', listener: (err: Error & { expose?: boolean; status?: number }) => void): void }).on('error', (err) => {
        if (!err.expose && err.status !== 404) log.error({ err }, 'provider error');
      });
      metrics.watch(built);
      metrics.signingWith(keys.currentKid);
      recordProtocolEvents(built, (event) => {
        events.record(event);
        if (event.outcome === 'failure') logFailure({ client_id: event.clientId, event: event.type, ...event.detail }, describeFailure(event));
      }, (err) => log.error({ err }, 'recording a protocol event failed'));
      return built;
    };
    let keys = await loadingKeys;
    await declaring;
    provider = buildProvider(keys, currentScopes());
    // A scope registered, changed or given to an organisation: the provider knows it from now on.
    // Loads that overlap are applied in the order they began, so an older one never wins; a load
    // that finds what is known already (the change feed's echo of this node's own change) changes nothing.
    let scopeLoads = 0;
    const reloadScopes = async () => {
      const load = ++scopeLoads;
      let loaded: ApiScopeCatalog;
      try {
        loaded = await apiScopes.catalog();
      } catch (err) {
        // The change is stored; this node serves the scopes it knew until it next loads them.
        log.warn({ err }, 'loading the API scopes failed; the provider keeps the ones it knew');
        return;
      }
      if (load !== scopeLoads || loaded.fingerprint === currentScopes().fingerprint) return;
      scopeCatalog = loaded;
      provider = buildProvider(keys, loaded);
      log.info({ activeScopes: loaded.activeNames().length }, 'API scopes changed; the provider now knows them');
    };
    apiScopes.onChange(reloadScopes);
    // Over a shared store, a look now and then catches what a lost notification would miss (as key-watch.ts does).
    const scopeWatch = store.changes ? setInterval(() => void reloadScopes(), CHECK_INTERVAL_MS) : undefined;
    scopeWatch?.unref();
    // `portvakt keys rotate` on another node or in the CLI: requests from now on are served by a
    // provider with the new keys (key-watch.ts).
    const keyWatch = watchSigningKeys({
      initial: keys,
      load: () => loadSigningKeys(store.db, secrets),
      changes: store.changes,
      onChange: (changed) => {
        provider = buildProvider(changed, currentScopes());
        keys = changed;
        log.info({ signingKid: changed.currentKid, published: changed.privateJwks.map((jwk) => jwk.kid) }, 'signing keys changed; now signing with the current key');
      },
      onError: (err) => log.warn({ err }, 'checking the signing keys failed; trying again later'),
    });

    // Over a large table these may take a while; nobody waits for them (no time limit, db.ts).
    const sweep = () => {
      void deleteExpiredPayloads(store.maintenance).catch((err) => log.warn({ err }, 'expired payload cleanup failed'));
      void deleteProtocolEventsOlderThan(store.maintenance, config.eventRetentionDays).catch((err) => log.warn({ err }, 'old protocol event cleanup failed'));
    };
    const sweeper = setInterval(sweep, 10 * 60_000);
    sweeper.unref();

    const running = server;
    return {
      config, store, redis, secrets, clients, events, organisations, audit, integrations, apiScopes, verification, support, terms, productionRequests, server: running, metrics, demoClient: demo,
      get keys() { return keys; },
      get provider() { return boundProvider(); },
      async close() {
        keyWatch.stop();
        clearInterval(scopeWatch);
        clearInterval(sweeper);
        await running.close();
        await writeBehind?.close();
        await events.close();
        await redis?.close();
        await store.close();
      },
    };
  } catch (err) {
    await server?.close();
    await redis?.close();
    await store.close();
    throw err;
  }
}

/**
 * A client file's secret is the only one a person picks (the API and the CLI generate theirs, 256
 * bits). In a test environment anything goes, as with the other mock servers; in production a
 * short one would be guessed at the token endpoint, so it stops the start.
 */
const MIN_DECLARED_SECRET_LENGTH = 32;

/**
 * Upserts the API scopes and clients of PORTVAKT_CONFIG and the demo client. Everything is checked
 * before anything is written, the clients against the scopes as they will be: any invalid entry
 * stops the start with the store unchanged.
 */
async function declareClients(config: Config, clients: ClientRegistry, apiScopes: ApiScopes, demo: ClientInput | undefined, fullmakter: FullmaktRegister): Promise<void> {
  const context = { testEnvironment: isTestEnvironment(config) };
  const declared: ClientInput[] = [];
  const scopes: ApiScope[] = [];
  const relations: Fullmakt[] = [];
  if (config.clientsFile) {
    const file = config.clientsFile;
    const entries = await readClientsFile(file);
    const invalid = (what: string, index: number, err: unknown): never => {
      if (err instanceof DomainError) throw new ConfigError(`PORTVAKT_CONFIG ${file}, ${what}[${index}]: ${err.message}`);
      throw err;
    };
    entries.scopes.forEach((entry, index) => {
      try {
        scopes.push(validateApiScope(entry));
      } catch (err) {
        invalid('scopes', index, err);
      }
    });
    entries.fullmakter.forEach((entry, index) => {
      const checked = validateFullmakt(entry);
      if ('error' in checked) throw new ConfigError(`PORTVAKT_CONFIG ${file}, fullmakter[${index}]: ${checked.error}`);
      relations.push(checked.fullmakt);
    });
    const names = scopes.map((s) => s.name);
    const scopeTwice = names.find((name, i) => names.indexOf(name) !== i);
    if (scopeTwice) throw new ConfigError(`PORTVAKT_CONFIG ${file}: scope "${scopeTwice}" is declared twice`);
    const catalog = (await apiScopes.catalog()).withScopes(scopes);
    entries.clients.forEach((entry, index) => {
      try {
        const client = validateClient(entry, context);
        if (!context.testEnvironment && client.client_secret && client.client_secret.length < MIN_DECLARED_SECRET_LENGTH) {
          throw new ClientValidationError(client.client_id, 'client_secret', `must be at least ${MIN_DECLARED_SECRET_LENGTH} characters in a production environment (a random one: openssl rand -base64 32)`);
        }
        checkClientApiScopes(client, catalog, PROVIDER_SCOPES);
        declared.push(client);
      } catch (err) {
        invalid('clients', index, err);
      }
    });
    const ids = declared.map((c) => c.client_id);
    const twice = ids.find((id, i) => ids.indexOf(id) !== i);
    if (twice) throw new ConfigError(`PORTVAKT_CONFIG ${file}: client "${twice}" is declared twice`);
  }
  for (const scope of scopes) await apiScopes.upsert(scope, { kind: 'file', id: config.clientsFile! });
  fullmakter.add(relations);
  if (demo) await clients.upsert(demo, 'demo');
  for (const client of declared) await clients.upsert(client, 'file');
}

export { DEMO_PREFIX, PROFILE_PREFIX };

/** In test environments: an organisation and an administrator test person, to try self-service at once. */
export const DEMO_ORGANISATION = { orgno: '312000008', name: 'Demo Organisasjon AS' };
export const DEMO_ADMIN = testPersons[0]!;

async function seedDemoOrganisation(organisations: Organisations): Promise<void> {
  await organisations.upsert(DEMO_ORGANISATION);
  await organisations.grant(DEMO_ADMIN.pid, 'integration_admin', DEMO_ORGANISATION.orgno);
}
