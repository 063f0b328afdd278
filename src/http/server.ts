// Assembles the HTTP server: the provider (oidc-provider, a Koa app) at its own paths, the login
// pages, static files, health, and one error handler that turns every failure into a clear 4xx
// (a 503 while the store cannot be reached, or a logged 500 with a reference; never a stack trace).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import Fastify, { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import cookie from '@fastify/cookie';
import type Provider from 'oidc-provider';
import { AUTHORIZATION_SERVER_METADATA_PATH, DISCOVERY_PATH } from '../provider/profile.js';
import { isInteractionPath, ROUTES } from '../provider/routes.js';
import { newReference } from '../provider/protocol-events.js';
import { chooseLocale, LANGUAGE_COOKIE } from '../provider/locale.js';
import { loginRoutes, isInteractionError } from '../login/interaction-routes.js';
import type { InteractionPages } from '../login/interaction-pages.js';
import { DEMO_PREFIX } from '../demo/routes.js';
import { PORTAL_PREFIX } from '../portal/web/routes.js';
import { renderErrorPage } from '../ui/pages/error-page.js';
import { RETRY_AFTER_SECONDS, TEMPORARILY_UNAVAILABLE, UNAVAILABLE_DESCRIPTION, isTemporarilyUnavailable } from '../provider/unavailable.js';
import { isStoreUnavailable } from '../store/unavailable.js';
import { PAGE_CSP } from '../ui/page-policy.js';
import { STYLESHEET, STYLESHEET_PATH } from '../ui/stylesheet.js';
import { lazySerializers } from './lazy-serializers.js';
import { postAsGet } from './post-as-get.js';
import { mayNameNoClient, namingJwtBearerClient } from './jwt-bearer-client.js';
import { answerUnparsableRequest } from './unparsable-request.js';
import type { Metrics, MetricsAccess } from './metrics.js';

const gzip = promisify(zlib.gzip);
/** The stylesheet gzipped (a tenth of its size), made when a browser first asks for it. */
let gzippedStylesheet: Promise<Buffer> | undefined;

export interface ServerOptions {
  /** The provider serving requests now: built after the server once the signing keys are loaded, and anew when they change (app.ts). */
  provider: () => Provider;
  logLevel: string;
  /** The login pages (src/login/interaction-pages.ts). */
  interactionPages: InteractionPages;
  /**
   * The issuer is https: cookies are Secure, and every answer tells browsers to use nothing else
   * (HSTS). Never over http, where HSTS would pin localhost.
   */
  httpsIssuer: boolean;
  trustProxy: boolean;
  /** Whether each thing Portvakt needs answers (the SQL store, Redis when used), for /health/ready. */
  ready: () => Promise<Record<string, boolean>>;
  metrics: Metrics;
  /** Whether a request with this Authorization header may read /metrics (see metricsAccess). */
  metricsAccess: (authorization: string | undefined) => MetricsAccess;
}

const PROVIDER_PATHS = new Set([...Object.values(ROUTES), DISCOVERY_PATH, AUTHORIZATION_SERVER_METADATA_PATH]);
/** A year; no includeSubDomains, which would bind the operator's other hosts too. */
const HSTS = 'max-age=31536000';

/**
 * Where browsers are given cookies. With an https issuer the cookies are Secure, so a request that
 * reached Portvakt over plain http (around the TLS proxy, or through one that sends no
 * X-Forwarded-Proto) cannot log anyone in: it gets a page that says why instead of a failed login.
 * Machines' endpoints (token, keys, discovery, health, metrics) answer over http as before.
 */
const BROWSER_PATHS = [ROUTES.authorization, ROUTES.end_session, DEMO_PREFIX, PORTAL_PREFIX];
const isBrowserPath = (pathname: string) => BROWSER_PATHS.some((p) => pathname === p || pathname.startsWith(`${p}/`));

/** Where ID-porten takes POST as well as GET; over plain http Portvakt turns the POST into a GET (post-as-get.ts). */
const POST_OR_GET_PATHS: readonly string[] = [ROUTES.authorization, ROUTES.end_session];

const PLAIN_HTTP = Symbol('a browser request over plain http to an https issuer');
type PlainHttpMark = http.IncomingMessage & { [PLAIN_HTTP]?: true };

/**
 * The proxy's first X-Forwarded-Proto, as Koa and Fastify read it: Portvakt itself speaks plain
 * http, and an https issuer requires trusting its proxy (config/index.ts).
 */
function cameOverHttps(req: http.IncomingMessage): boolean {
  const forwarded = req.headers['x-forwarded-proto'];
  return (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0]?.trim() === 'https';
}

/**
 * The provider's route pattern for a path (/token/introspect itself, /authorize/* for a resumed
 * authorization), or undefined if the path is not the provider's (the login pages under
 * /authorize/<uid>/login are Fastify's).
 */
function providerRoute(pathname: string): string | undefined {
  if (PROVIDER_PATHS.has(pathname)) return pathname;
  if (isInteractionPath(pathname)) return undefined;
  for (const p of PROVIDER_PATHS) if (pathname.startsWith(p + '/')) return `${p}/*`;
  return undefined;
}


/**
 * Where this process answers, for requests it makes to itself (providerBackChannel in
 * rp/first-party.ts): its listening address, a wildcard replaced by loopback.
 */
export function localAddress(address: string | AddressInfo | null): string {
  if (!address || typeof address === 'string') throw new Error('the server is not listening on a TCP port yet');
  // A dual-stack wildcard (::) takes IPv4 too, and IPv4 loopback exists where IPv6 may be off.
  const host = address.address === '0.0.0.0' || address.address === '::' ? '127.0.0.1' : address.address;
  return `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`;
}

/** A token request refused before oidc-provider saw it, in the shape of its own errors. */
function refuseToken(req: http.IncomingMessage, res: http.ServerResponse, description: string): void {
  const body = JSON.stringify({ error: 'invalid_request', error_description: description });
  res.writeHead(400, {
    'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer', 'content-length': Buffer.byteLength(body),
    // A body not read to its end leaves the connection unusable for another request.
    ...(req.readableEnded ? {} : { connection: 'close' }),
  });
  res.end(body);
}

/** A browser's request (it takes HTML), which gets an error as a page rather than as JSON. */
const wantsHtml = (request: FastifyRequest) => (request.headers.accept ?? '').includes('text/html');

/** A 4xx as JSON with an OAuth-style error, or as the error page for a browser. */
function answerClientError(request: FastifyRequest, reply: FastifyReply, status: number, error: string, description: string) {
  if (!wantsHtml(request)) return reply.code(status).send({ error, error_description: description });
  return reply.code(status).type('text/html; charset=utf-8').send(renderErrorPage({ locale: 'nb', error, description, reference: newReference() }));
}

export async function buildServer(options: ServerOptions): Promise<FastifyInstance> {
  // The provider's request handler, made once per provider (a new one serves after the signing keys change).
  let handling: { provider: Provider; callback: ReturnType<Provider['callback']> } | undefined;
  const providerCallback = () => {
    const provider = options.provider();
    if (handling?.provider !== provider) handling = { provider, callback: provider.callback() };
    return handling.callback;
  };
  const app = Fastify({
    // oidc-provider's own paths go straight from the HTTP server to its Koa app: routing them
    // through Fastify's request pipeline first cost a tenth of a login's CPU and added nothing
    // (the provider writes its own responses; src/provider/security-headers.ts sets their headers). Fastify serves everything else.
    serverFactory: (fastifyHandler) => {
      const server = http.createServer((req, res) => {
        const pathname = (req.url ?? '/').split('?')[0]!;
        if (options.httpsIssuer) {
          res.setHeader('strict-transport-security', HSTS); // the provider's answers and Fastify's alike
          if (!cameOverHttps(req) && isBrowserPath(pathname)) {
            (req as PlainHttpMark)[PLAIN_HTTP] = true; // answered by the onRequest hook below, with the pages' headers
            return fastifyHandler(req, res);
          }
        }
        const route = providerRoute(pathname);
        // Fastify's routes (measured by its onResponse hook below), and over plain http the POSTs
        // to /authorize and /logout that it turns into GETs.
        if (!route || (!options.httpsIssuer && req.method === 'POST' && POST_OR_GET_PATHS.includes(pathname))) return fastifyHandler(req, res);
        const started = performance.now();
        res.once('finish', () => options.metrics.observeRequest(route, req.method ?? '', res.statusCode, (performance.now() - started) / 1000));
        if (route === ROUTES.token && mayNameNoClient(req)) {
          // Maskinporten's JWT grant names its client only inside the JWT (jwt-bearer-client.ts).
          return void namingJwtBearerClient(req).then(
            (named) => ('request' in named ? providerCallback()(named.request, res) : refuseToken(req, res, named.refused)),
            () => req.destroy(), // the client went away while sending
          );
        }
        return providerCallback()(req, res);
      });
      // Fastify's default: longer than the idle timeout of common load balancers, so they never
      // reuse a connection we are closing.
      server.keepAliveTimeout = 72_000;
      return server;
    },
    logger: { level: options.logLevel },
    // One line per request only when debugging; errors are always logged.
    logController: new LogController({ disableRequestLogging: options.logLevel !== 'debug' && options.logLevel !== 'trace' }),
    bodyLimit: 64 * 1024,
    trustProxy: options.trustProxy,
    schemaController: { compilersFactory: { buildSerializer: lazySerializers() } },
    // What Fastify refuses before routing (a path with a malformed %-escape), answered as every
    // other 4xx is, instead of Fastify's own body ({"error":"Bad Request","code":…}).
    frameworkErrors: (error, request, reply) => answerClientError(request, reply, 400, 'invalid_request', error.message),
    clientErrorHandler: answerUnparsableRequest,
  });

  app.addHook('onRequest', async (request, reply) => {
    if (!(request.raw as PlainHttpMark)[PLAIN_HTTP]) return;
    const reference = newReference();
    request.log.warn({ reference }, 'a browser request came over plain http to an https issuer (no X-Forwarded-Proto: https from the proxy?)');
    const description = 'This Portvakt is served over https, and this request reached it over plain http: its Secure cookies cannot be kept. Use the https address; behind a TLS proxy, the proxy must send X-Forwarded-Proto: https.';
    return reply.code(400).type('text/html; charset=utf-8').send(renderErrorPage({ locale: 'nb', error: 'invalid_request', description, reference }));
  });

  app.addHook('onSend', async (_request, reply, payload) => {
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
    // Pages carry CSRF tokens and personal data, answers belong to one login: no cache keeps them
    // unless a route says otherwise (the stylesheet).
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
    // Our pages load nothing but our stylesheet, run no script and are framed by no one; a route
    // that must be framed (front-channel logout) sets its own policy.
    if (!reply.hasHeader('content-security-policy')) {
      reply.header('x-frame-options', 'DENY');
      if (String(reply.getHeader('content-type') ?? '').startsWith('text/html')) reply.header('content-security-policy', PAGE_CSP);
    }
    return payload;
  });

  // Registered before any plugin, so every plugin inherits them (Fastify copies them at register time).
  app.setNotFoundHandler(async (request, reply) =>
    answerClientError(request, reply, 404, 'not_found', `no page or endpoint at ${request.method} ${request.url.split('?')[0]}`));

  app.setErrorHandler(async (error: Error, request, reply) => {
    const reference = newReference();
    const locale = chooseLocale(undefined, request.cookies?.[LANGUAGE_COOKIE]);
    const isLoginPage = isInteractionPath(request.url.split('?')[0]!);
    const page = (status: number, error: string, description: string | undefined) =>
      reply.code(status).type('text/html; charset=utf-8').send(renderErrorPage({ locale, error, description, reference }));
    if (isStoreUnavailable(error) || isTemporarilyUnavailable(error)) {
      // Nobody's fault, and over soon (a restart, a failover): a 503 that says so, not a 500.
      request.log.warn({ reference, err: error }, 'the store cannot be reached');
      // (The provider's adapters count what they turned into temporarily_unavailable themselves.)
      if (isStoreUnavailable(error)) options.metrics.storeUnavailable(error.store);
      reply.header('retry-after', String(RETRY_AFTER_SECONDS));
      if (isLoginPage || wantsHtml(request)) return page(503, TEMPORARILY_UNAVAILABLE, UNAVAILABLE_DESCRIPTION);
      return reply.code(503).send({ error: TEMPORARILY_UNAVAILABLE, error_description: `${UNAVAILABLE_DESCRIPTION} (reference ${reference})` });
    }
    if (isInteractionError(error)) {
      const oidcError = error as { error?: string; error_description?: string; statusCode?: number };
      request.log.info({ reference, err: error }, 'login page error');
      return page(oidcError.statusCode && oidcError.statusCode < 500 ? oidcError.statusCode : 400, oidcError.error ?? 'invalid_request', oidcError.error_description);
    }
    const status = (error as { statusCode?: number }).statusCode;
    if (status && status >= 400 && status < 500) {
      request.log.info({ reference, err: error }, 'bad request');
      if (isLoginPage) return page(status, 'invalid_request', error.message);
      return reply.code(status).send({ error: 'invalid_request', error_description: error.message });
    }
    request.log.error({ reference, err: error }, 'unexpected error');
    if (isLoginPage || wantsHtml(request)) return page(500, 'server_error', 'unexpected error'); // the page shows the reference
    return reply.code(500).send({ error: 'server_error', error_description: `unexpected error (reference ${reference})` });
  });

  // Every route, including those that plugins register later; 404s as 'unmatched', never the raw URL.
  app.addHook('onResponse', async (request, reply) => {
    options.metrics.observeRequest(request.routeOptions.url ?? 'unmatched', request.method, reply.statusCode, reply.elapsedTime / 1000);
  });

  await app.register(cookie);
  if (!options.httpsIssuer) await app.register(postAsGet, { paths: POST_OR_GET_PATHS });
  await app.register(loginRoutes, {
    provider: options.provider, pages: options.interactionPages, secureCookies: options.httpsIssuer,
    resume: (request, reply, returnTo) => {
      // The provider answers this request as the GET of its resume address that a redirect would
      // have made: the body is read, and the request's cookies (the resume cookie among them) are
      // what that GET would carry, the login pages being under the resume cookie's path.
      reply.hijack();
      request.raw.method = 'GET';
      request.raw.url = new URL(returnTo).pathname;
      void providerCallback()(request.raw, reply.raw);
      return reply;
    },
  });

  app.get(STYLESHEET_PATH, async (request, reply) => {
    // Pages link it with its content's digest (?v=…): that address never changes meaning.
    const versioned = typeof (request.query as { v?: unknown }).v === 'string';
    reply
      .header('content-type', 'text/css; charset=utf-8')
      .header('cache-control', versioned ? 'public, max-age=31536000, immutable' : 'public, max-age=3600')
      .header('vary', 'accept-encoding');
    if (!/\bgzip\b/.test(request.headers['accept-encoding'] ?? '')) return reply.send(STYLESHEET);
    gzippedStylesheet ??= gzip(STYLESHEET, { level: 9 });
    return reply.header('content-encoding', 'gzip').send(await gzippedStylesheet);
  });
  app.get('/health/live', async () => ({ status: 'ok' }));
  app.get('/metrics', async (request, reply) => {
    const access = options.metricsAccess(request.headers.authorization);
    if (access === 'token-required') return reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'unauthorized', error_description: 'send the metrics token (PORTVAKT_METRICS_TOKEN) as a bearer token' });
    if (access === 'off') return reply.code(404).send({ error: 'not_found', error_description: 'metrics are off in production unless PORTVAKT_METRICS_TOKEN is set' });
    return reply.header('content-type', options.metrics.contentType()).header('cache-control', 'no-store').send(await options.metrics.render());
  });
  // Says which dependency is missing, so that an operator looking at a 503 knows where to look.
  app.get('/health/ready', async (_request, reply) => {
    const checks = await options.ready();
    const status = Object.fromEntries(Object.entries(checks).map(([name, ok]) => [name, ok ? 'ok' : 'unavailable']));
    const ready = Object.values(checks).every(Boolean);
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ok' : 'unavailable', ...status });
  });

  return app;
}
