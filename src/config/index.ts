// One validated Config object, read once from the environment and passed down.
// Nothing else in Portvakt reads process.env (store-location.ts reads the store's two values, for
// this and for the CLI, which needs them before this module has loaded).
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { ConfigError } from './error.js';
import { storeLocation } from './store-location.js';

export { ConfigError } from './error.js';

export const ENVIRONMENTS = ['test', 'prod'] as const;
/** Which protocol events are recorded per client: everything, failures only (a busy production), or nothing. */
export const EVENT_RECORDING = ['all', 'errors', 'off'] as const;
export type EventRecording = (typeof EVENT_RECORDING)[number];
export const INTEGRATION_APPROVAL = ['self-service', 'desk'] as const;

const ConfigSchema = Type.Object({
  port: Type.Integer({ minimum: 0, maximum: 65535 }),
  host: Type.String({ minLength: 1 }),
  issuer: Type.String({ pattern: '^https?://[^/?#]+$' }),
  environment: Type.Union(ENVIRONMENTS.map((e) => Type.Literal(e))),
  dataDir: Type.String({ minLength: 1 }),
  databaseUrl: Type.Optional(Type.String({ pattern: '^postgres(ql)?://' })),
  redisUrl: Type.Optional(Type.String({ pattern: '^rediss?://' })),
  /** Before every Redis key; every node of one installation shares it, installations must not. */
  redisPrefix: Type.String({ pattern: '^[\\x21-\\x7e]{1,64}$' }),
  secret: Type.Optional(Type.String({ minLength: 32 })),
  /** The root secret being replaced by `secret`: what it sealed is opened and sealed again under the new one. */
  previousSecret: Type.Optional(Type.String({ minLength: 32 })),
  /** The root secret that is to replace `secret`: already accepted, not yet used (the first step of changing it on many nodes). */
  nextSecret: Type.Optional(Type.String({ minLength: 32 })),
  /** Bearer token that reads /metrics; without one, /metrics is open in test environments and off in production. */
  metricsToken: Type.Optional(Type.String({ minLength: 16 })),
  clientsFile: Type.Optional(Type.String({ minLength: 1 })),
  /** SSO session: ended after this long without an authorization request, and this long after login (profile §5). */
  sessionIdleMinutes: Type.Integer({ minimum: 1, maximum: 1440 }),
  sessionMaxMinutes: Type.Integer({ minimum: 1, maximum: 10080 }),
  logLevel: Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l))),
  /** Behind a load balancer that terminates TLS: trust X-Forwarded-Proto/-For. */
  trustProxy: Type.Boolean(),
  /** Allow a production environment to run with test-only login methods (a public demo). */
  allowTestLoginInProduction: Type.Boolean(),
  /** Which protocol events are kept per client (registry/events.ts): all, failures only, or none. */
  protocolEvents: Type.Union(EVENT_RECORDING.map((r) => Type.Literal(r))),
  /** Protocol events older than this are deleted. */
  eventRetentionDays: Type.Integer({ minimum: 1, maximum: 3650 }),
  /**
   * The operator's terms of use (onboarding/terms.ts): where organisations read them. Without it an
   * installation has no terms step.
   */
  termsUrl: Type.Optional(Type.String({ pattern: '^https?://[^\\s]+$', maxLength: 2000 })),
  /** The terms' version: when it changes, every organisation accepts again. */
  termsVersion: Type.String({ pattern: '^[\\x21-\\x7e]{1,50}$' }),
  /**
   * How an organisation gets a new integration here: by itself (`self-service`), or by a production
   * request the service desk approves (`desk`; onboarding/production-requests.ts). Not in test environments.
   */
  integrationApproval: Type.Union(INTEGRATION_APPROVAL.map((a) => Type.Literal(a))),
  /** The test environment's Portvakt, where the desk reads a production request's verification tests. */
  testPortalUrl: Type.Optional(Type.String({ pattern: '^https?://[^\\s/?#]+$', maxLength: 2000 })),
  /** The production environment's Portvakt, where an integration that passed its verification tests here is requested. */
  productionPortalUrl: Type.Optional(Type.String({ pattern: '^https?://[^\\s/?#]+$', maxLength: 2000 })),
});

export type Config = Static<typeof ConfigSchema>;
export type EnvironmentName = Config['environment'];

/** True where organisations get new integrations only by a production request the service desk approves. */
export function requestsRequired(config: Pick<Config, 'integrationApproval'>): boolean {
  return config.integrationApproval === 'desk';
}

/**
 * Whether people reach Portvakt over https (through a TLS-terminating proxy: Portvakt itself speaks
 * plain http). Its cookies are Secure then, and only then: a browser drops Secure cookies over http.
 */
export function servedOverHttps(issuer: string): boolean {
  return issuer.startsWith('https:');
}

/** True where synthetic test identities (TestID) may be used. */
export function isTestEnvironment(config: Pick<Config, 'environment'>): boolean {
  return config.environment !== 'prod';
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<Config> = {}): Config {
  const port = env.PORT === undefined ? 8080 : Number(env.PORT);
  const candidate: Record<string, unknown> = {
    port,
    host: env.HOST ?? '0.0.0.0',
    issuer: (env.PORTVAKT_ISSUER ?? `http://localhost:${port}`).replace(/\/+$/, ''),
    environment: env.PORTVAKT_ENVIRONMENT ?? 'test',
    ...storeLocation(env),
    redisUrl: env.REDIS_URL || undefined,
    redisPrefix: env.PORTVAKT_REDIS_PREFIX ?? `portvakt:${env.PORTVAKT_ENVIRONMENT ?? 'test'}:`,
    secret: env.PORTVAKT_SECRET || undefined,
    previousSecret: env.PORTVAKT_PREVIOUS_SECRET || undefined,
    nextSecret: env.PORTVAKT_NEXT_SECRET || undefined,
    metricsToken: env.PORTVAKT_METRICS_TOKEN || undefined,
    clientsFile: env.PORTVAKT_CONFIG || undefined,
    logLevel: env.LOG_LEVEL ?? 'info',
    sessionIdleMinutes: env.PORTVAKT_SESSION_IDLE_MINUTES === undefined ? 30 : Number(env.PORTVAKT_SESSION_IDLE_MINUTES),
    sessionMaxMinutes: env.PORTVAKT_SESSION_MAX_MINUTES === undefined ? 120 : Number(env.PORTVAKT_SESSION_MAX_MINUTES),
    allowTestLoginInProduction: env.PORTVAKT_DEMO === 'true',
    trustProxy: env.PORTVAKT_TRUST_PROXY === 'true',
    // Every event in a test environment, where service owners find out why their login fails; only
    // failures in production, where every login would otherwise add rows.
    protocolEvents: env.PORTVAKT_PROTOCOL_EVENTS ?? ((env.PORTVAKT_ENVIRONMENT ?? 'test') === 'prod' ? 'errors' : 'all'),
    eventRetentionDays: env.PORTVAKT_EVENT_RETENTION_DAYS === undefined ? 30 : Number(env.PORTVAKT_EVENT_RETENTION_DAYS),
    termsUrl: env.PORTVAKT_TERMS_URL || undefined,
    termsVersion: env.PORTVAKT_TERMS_VERSION ?? '1',
    integrationApproval: env.PORTVAKT_INTEGRATION_APPROVAL ?? 'self-service',
    testPortalUrl: env.PORTVAKT_TEST_PORTAL_URL?.replace(/\/+$/, '') || undefined,
    productionPortalUrl: env.PORTVAKT_PRODUCTION_PORTAL_URL?.replace(/\/+$/, '') || undefined,
    ...overrides,
  };
  for (const key of Object.keys(candidate)) if (candidate[key] === undefined) delete candidate[key];

  // Portvakt serves its endpoints, pages and discovery at the root of its host, as ID-porten does
  // (https://test.idporten.no); an issuer with a path would advertise addresses nothing answers.
  const issuerPath = /^https?:\/\/[^/?#]+(\/[^?#]*)$/.exec(String(candidate.issuer))?.[1];
  if (issuerPath) {
    throw new ConfigError(`Invalid configuration:\n  PORTVAKT_ISSUER: must be the scheme, host and port only, without a path (got ${JSON.stringify(candidate.issuer)}); Portvakt answers at the root of its host, e.g. https://login.example.no, not ${JSON.stringify(`https://login.example.no${issuerPath}`)}`);
  }
  const errors = [...Value.Errors(ConfigSchema, candidate)];
  if (errors.length) {
    const lines = errors.map((e) => `  ${NAMES[e.path] ?? e.path}: ${e.message} (got ${JSON.stringify(e.value)})`);
    throw new ConfigError(`Invalid configuration:\n${[...new Set(lines)].join('\n')}`);
  }
  const config = candidate as Config;
  if (config.sessionIdleMinutes > config.sessionMaxMinutes) {
    throw new ConfigError('Invalid configuration:\n  PORTVAKT_SESSION_IDLE_MINUTES: cannot be longer than PORTVAKT_SESSION_MAX_MINUTES');
  }
  if (config.previousSecret && !config.secret) {
    throw new ConfigError('Invalid configuration:\n  PORTVAKT_PREVIOUS_SECRET: set it together with PORTVAKT_SECRET, the secret that replaces it');
  }
  if (config.nextSecret && !config.secret) {
    throw new ConfigError('Invalid configuration:\n  PORTVAKT_NEXT_SECRET: set it together with PORTVAKT_SECRET, the secret it is to replace');
  }
  if (config.nextSecret && config.previousSecret) {
    throw new ConfigError('Invalid configuration:\n  PORTVAKT_NEXT_SECRET: not together with PORTVAKT_PREVIOUS_SECRET; finish one change of PORTVAKT_SECRET before the next');
  }
  if (servedOverHttps(config.issuer) && !config.trustProxy) {
    // Portvakt speaks plain http; only a TLS-terminating proxy's X-Forwarded-Proto tells it that a
    // request came over https. Without believing it, no Secure cookie can be set: every login fails.
    throw new ConfigError('Invalid configuration:\n  PORTVAKT_TRUST_PROXY: must be true with an https PORTVAKT_ISSUER. Portvakt itself speaks plain http, so it runs behind a proxy that terminates TLS, and it must trust that proxy\'s X-Forwarded-Proto (otherwise every login fails on its Secure cookies). For local use without TLS, use an http issuer.');
  }
  if (requestsRequired(config) && isTestEnvironment(config)) {
    throw new ConfigError('Invalid configuration:\n  PORTVAKT_INTEGRATION_APPROVAL: desk is for production environments; a test environment is where services try first, without asking anyone');
  }
  if (config.environment === 'prod' && !config.secret) {
    throw new ConfigError('Invalid configuration:\n  PORTVAKT_SECRET: required in production (at least 32 characters); it encrypts signing keys at rest');
  }
  return config;
}

/** Environment variable names for error messages, so a user sees what to change. */
const NAMES: Record<string, string> = {
  '/port': 'PORT',
  '/host': 'HOST',
  '/issuer': 'PORTVAKT_ISSUER',
  '/environment': 'PORTVAKT_ENVIRONMENT',
  '/dataDir': 'PORTVAKT_DATA_DIR',
  '/databaseUrl': 'DATABASE_URL',
  '/redisUrl': 'REDIS_URL',
  '/redisPrefix': 'PORTVAKT_REDIS_PREFIX',
  '/secret': 'PORTVAKT_SECRET',
  '/previousSecret': 'PORTVAKT_PREVIOUS_SECRET',
  '/nextSecret': 'PORTVAKT_NEXT_SECRET',
  '/metricsToken': 'PORTVAKT_METRICS_TOKEN',
  '/clientsFile': 'PORTVAKT_CONFIG',
  '/logLevel': 'LOG_LEVEL',
  '/sessionIdleMinutes': 'PORTVAKT_SESSION_IDLE_MINUTES',
  '/sessionMaxMinutes': 'PORTVAKT_SESSION_MAX_MINUTES',
  '/protocolEvents': 'PORTVAKT_PROTOCOL_EVENTS',
  '/eventRetentionDays': 'PORTVAKT_EVENT_RETENTION_DAYS',
  '/termsUrl': 'PORTVAKT_TERMS_URL',
  '/termsVersion': 'PORTVAKT_TERMS_VERSION',
  '/integrationApproval': 'PORTVAKT_INTEGRATION_APPROVAL',
  '/testPortalUrl': 'PORTVAKT_TEST_PORTAL_URL',
  '/productionPortalUrl': 'PORTVAKT_PRODUCTION_PORTAL_URL',
};
