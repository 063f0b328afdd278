// The self-service REST API (/api/v1, profile §7.3): an organisation's machine clients manage its
// integrations with bearer tokens from Portvakt's own token endpoint (Maskinporten's JWT grant, or
// client credentials with private_key_jwt; scopes idporten:dcr.read / .write / .modify). Validation, ownership and the audit
// log live in the domain (registry/integrations.ts); this plugin is HTTP only.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { Type } from '@sinclair/typebox';
import type Provider from 'oidc-provider';
import { ClientInputSchema, OnBehalfOfSchema, RsaJwk, SELF_SERVICE_SCOPES } from '../registry/client-schema.js';
import { ClientValidationError, DomainError } from '../registry/errors.js';
import { ForbiddenError, MAX_EVENTS, NotFoundError, PreconditionFailedError, type Access, type Integrations } from '../registry/integrations.js';
import { PROTOCOL_EVENT_TYPES, type EventQuery } from '../registry/events.js';
import type { ClientRegistry } from '../registry/clients.js';
import { VERIFICATION_TEST_NAMES, type Verification } from '../onboarding/verification-tests.js';
import type { Actor } from '../registry/audit.js';
import { ScopeChangedError, ScopeNotFoundError, type ApiScopes } from '../registry/api-scopes.js';
import { scopeRoutes } from './scopes-api.js';
import { ifMatch, ifMatchHeader, versioned } from './api-versioning.js';
import { ErrorBody } from '../http/error-body.js';
import { challenge, presentedToken, senderConstraintFor } from '../provider/dpop-resource.js';
import { ProductionRequestNotFoundError, REQUEST_STATUSES, type NewProductionRequest, type ProductionRequests } from '../onboarding/production-requests.js';

export const API_PREFIX = '/api/v1';

export interface ApiOptions {
  /** The provider, by the time requests come (it is created after the routes, see app.ts). */
  provider: () => Provider;
  clients: ClientRegistry;
  integrations: Integrations;
  verification: Verification;
  productionRequests: ProductionRequests;
  apiScopes: ApiScopes;
  issuer: string;
}

type Scope = (typeof SELF_SERVICE_SCOPES)[number];

interface Caller {
  access: Access;
  orgno: string;
  actor: Actor;
}

declare module 'fastify' {
  interface FastifyRequest {
    caller?: Caller;
  }
}

const { client_secret: _secret, client_id: _id, ...inputProperties } = ClientInputSchema.properties;
const ClientBody = Type.Object(inputProperties, { additionalProperties: false, description: 'An integration in ID-porten\'s registration format (client_id and client_secret are made by the server)' });
const ClientView = Type.Object(
  {
    ...Type.Omit(ClientInputSchema, ['client_secret']).properties,
    client_orgno: Type.String(),
    created: Type.String({ format: 'date-time' }),
    last_updated: Type.String({ format: 'date-time' }),
    client_secret_expires_at: Type.Optional(Type.String({ format: 'date-time' })),
    client_secret: Type.Optional(Type.String({ description: 'Only in the answer that created it; never shown again' })),
  },
  { additionalProperties: true },
);
const Jwks = Type.Object({ keys: Type.Array(RsaJwk, { maxItems: 5 }) });
const JwksView = Type.Object({ created: Type.Optional(Type.String()), last_updated: Type.Optional(Type.String()), keys: Type.Array(RsaJwk) }, { additionalProperties: true });
const VerificationReportView = Type.Object({
  client_id: Type.String(),
  environment: Type.String(),
  mandatory_passed: Type.Boolean({ description: 'every mandatory test has passed, or (test 8, which the provider cannot see) been confirmed' }),
  evidence_kept_days: Type.Integer({ description: 'events are kept this long; a test seen only before then must be done again' }),
  tests: Type.Array(Type.Object({
    test: Type.Integer({ description: 'ID-porten\'s number for the test' }),
    name: Type.Union(VERIFICATION_TEST_NAMES.map((n) => Type.Literal(n))),
    mandatory: Type.Boolean(),
    status: Type.Union([Type.Literal('passed'), Type.Literal('not_yet'), Type.Literal('check_yourself'), Type.Literal('confirmed')]),
    passed_at: Type.Optional(Type.String({ format: 'date-time', description: 'when the provider last saw it done' })),
    confirmed_at: Type.Optional(Type.String({ format: 'date-time', description: 'when the owner confirmed a test the provider cannot see (PUT …/verification/{test})' })),
    needs: Type.Optional(Type.Literal('frontchannel_logout_uri', { description: 'register this first: the test cannot pass without it' })),
  })),
});
const EventView = Type.Object({
  at: Type.String({ format: 'date-time' }),
  type: Type.Union(PROTOCOL_EVENT_TYPES.map((t) => Type.Literal(t))),
  outcome: Type.Union([Type.Literal('success'), Type.Literal('failure')]),
  detail: Type.Record(Type.String(), Type.Union([Type.String(), Type.Number(), Type.Boolean()]), { description: 'e.g. error and error_description as the client was told, grant_type, redirect_uri' }),
});
const ProductionRequestBody = Type.Object({
  test_client_id: Type.String({ maxLength: 200, description: 'the client_id the service was verified with in the test environment' }),
  go_live: Type.String({ format: 'date', description: 'the day the service is to be in production (YYYY-MM-DD, not before today)' }),
  description: Type.String({ maxLength: 2000, description: 'what the service is, and who will log in' }),
  volume: Type.Optional(Type.String({ maxLength: 1000, description: 'about how many logins, and when the busy periods are' })),
  client: ClientBody,
}, { additionalProperties: false });
const ProductionRequestView = Type.Object({
  id: Type.String(),
  environment: Type.String(),
  orgno: Type.String(),
  status: Type.Union(REQUEST_STATUSES.map((s) => Type.Literal(s)), { description: 'pending (waiting for the service desk), approved (client_id is the integration made), rejected (reason says why), withdrawn' }),
  test_client_id: Type.String(),
  client: Type.Object({}, { additionalProperties: true, description: 'the integration asked for' }),
  go_live: Type.String({ format: 'date' }),
  description: Type.String(),
  volume: Type.Optional(Type.String()),
  requested_by: Type.String(),
  created: Type.String({ format: 'date-time' }),
  last_updated: Type.String({ format: 'date-time' }),
  decided_by: Type.Optional(Type.String()),
  decided: Type.Optional(Type.String({ format: 'date-time' })),
  reason: Type.Optional(Type.String()),
  client_id: Type.Optional(Type.String()),
  credentials_delivered: Type.Optional(Type.String({ format: 'date-time', description: 'when the secret was fetched (POST …/credentials, once)' })),
});
const RequestIdParams = Type.Object({ id: Type.String({ maxLength: 40 }) });
const ClientIdParams = Type.Object({ client_id: Type.String({ maxLength: 200 }) });
const OnBehalfOfParams = Type.Object({ client_id: Type.String({ maxLength: 200 }), onbehalfof: Type.String({ maxLength: 100 }) });
const OnBehalfOfEntry = OnBehalfOfSchema;
const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 412: ErrorBody };

export async function selfServiceApi(app: FastifyInstance, options: ApiOptions): Promise<void> {
  const { clients, integrations, verification, productionRequests } = options;

  await app.register(swagger, {
    openapi: {
      info: { title: 'Portvakt self-service API', version: '1', description: 'Integrations (clients) of your organisation, as in ID-porten\'s self-service API.' },
      servers: [{ url: options.issuer }],
      components: {
        securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: `A token from ${options.issuer}/token with idporten:dcr.* (or idporten:scopes.*) scopes: Maskinporten's JWT grant (grant_type urn:ietf:params:oauth:grant-type:jwt-bearer), or client_credentials with private_key_jwt. A token bound to a DPoP key (token_type DPoP) is sent as Authorization: DPoP <token>, with a DPoP proof of that key (RFC 9449)` } },
      },
      security: [{ bearer: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: `${API_PREFIX}/docs`, uiConfig: { docExpansion: 'list' }, staticCSP: true });
  app.get(`${API_PREFIX}/openapi.json`, { schema: { hide: true } }, async () => app.swagger());

  // The domain validates bodies with the one client schema (clear, field-named messages), so the
  // route schemas document the API without a second, silently different validation.
  app.setValidatorCompiler(() => () => true);

  const senderConstraint = senderConstraintFor(options.issuer, options.provider);

  async function authenticate(request: FastifyRequest, reply: FastifyReply, scope: Scope): Promise<Caller | undefined> {
    const presented = presentedToken(request.headers.authorization);
    const deny = (status: number, error: string, description: string, scheme: 'Bearer' | 'DPoP' = presented?.scheme ?? 'Bearer') => {
      reply.header('www-authenticate', challenge(scheme, error, description, status === 403 ? `, scope="${scope}"` : ''));
      void reply.code(status).send({ error, error_description: description });
      return undefined;
    };
    if (!presented) return deny(401, 'invalid_token', 'send a bearer token from the token endpoint (or a DPoP-bound one as Authorization: DPoP, with its proof)');
    const token = await options.provider().ClientCredentials.find(presented.value);
    if (!token || token.isExpired) return deny(401, 'invalid_token', 'the token is unknown or has expired');
    const refused = await senderConstraint(request, presented, token);
    if (refused) return deny(401, refused.error, refused.description, refused.scheme);
    const client = await clients.find(token.clientId!);
    if (!client?.active || !client.orgno || client.registration.integration_type !== 'maskinporten') {
      return deny(401, 'invalid_token', 'the token was not issued to an active API client of an organisation');
    }
    if (!String(token.scope ?? '').split(' ').includes(scope)) return deny(403, 'insufficient_scope', `this operation needs the scope ${scope}`);
    return { access: { orgnos: new Set([client.orgno]) }, orgno: client.orgno, actor: { kind: 'api_client', id: client.registration.client_id, ip: request.ip } };
  }

  const guard = (scope: Scope) => async (request: FastifyRequest, reply: FastifyReply) => {
    const caller = await authenticate(request, reply, scope);
    if (caller) request.caller = caller;
  };

  app.setErrorHandler(async (error, _request, reply) => {
    if (error instanceof NotFoundError || error instanceof ProductionRequestNotFoundError || error instanceof ScopeNotFoundError) return reply.code(404).send({ error: 'not_found', error_description: error.message });
    if (error instanceof ForbiddenError) return reply.code(403).send({ error: 'forbidden', error_description: error.message });
    if (error instanceof PreconditionFailedError || error instanceof ScopeChangedError) return reply.code(412).send({ error: 'precondition_failed', error_description: error.message });
    if (error instanceof ClientValidationError) return reply.code(400).send({ error: 'invalid_client_metadata', error_description: error.message });
    if (error instanceof DomainError && error.code === 'scope.exists') return reply.code(409).send({ error: 'conflict', error_description: error.message });
    if (error instanceof DomainError) return reply.code(400).send({ error: 'invalid_request', error_description: error.message });
    throw error; // the server's handler turns the rest into clear 4xx or a logged 500
  });

  const tags = ['clients'];
  app.get<{ Querystring: { inactive?: string } }>(`${API_PREFIX}/clients`, {
    schema: { tags, summary: 'List your integrations', querystring: Type.Object({ inactive: Type.Optional(Type.Boolean()) }), response: { 200: Type.Array(ClientView), ...errors } },
    preHandler: guard('idporten:dcr.read'),
  }, async (request) => integrations.list(request.caller!.access, { includeInactive: request.query.inactive === 'true' }));

  app.post<{ Body: unknown }>(`${API_PREFIX}/clients`, {
    schema: { tags, summary: 'Create an integration; a secret, if any, is in this answer only', body: ClientBody, response: { 201: ClientView, ...errors } },
    preHandler: guard('idporten:dcr.write'),
  }, async (request, reply) => {
    const { access, orgno, actor } = request.caller!;
    const { integration, client_secret } = await integrations.create(access, orgno, request.body, actor);
    return reply.code(201).send({ ...integration, ...(client_secret ? { client_secret } : {}) });
  });

  app.get<{ Params: { client_id: string } }>(`${API_PREFIX}/clients/:client_id`, {
    schema: { tags, summary: 'Read an integration', params: ClientIdParams, response: { 200: ClientView, ...errors } },
    preHandler: guard('idporten:dcr.read'),
  }, async (request, reply) => versioned(reply, await integrations.get(request.caller!.access, request.params.client_id)));

  app.put<{ Params: { client_id: string }; Body: unknown }>(`${API_PREFIX}/clients/:client_id`, {
    schema: { tags, summary: 'Replace an integration (integration_type cannot change)', params: ClientIdParams, headers: IfMatch, body: ClientBody, response: { 200: ClientView, ...errors } },
    preHandler: guard('idporten:dcr.modify'),
  }, async (request, reply) => versioned(reply, await integrations.update(request.caller!.access, request.params.client_id, request.body, request.caller!.actor, ifMatch(request))));

  app.delete<{ Params: { client_id: string } }>(`${API_PREFIX}/clients/:client_id`, {
    schema: { tags, summary: 'Delete an integration', params: ClientIdParams, headers: IfMatch, response: { 204: Type.Null(), ...errors } },
    preHandler: guard('idporten:dcr.modify'),
  }, async (request, reply) => {
    await integrations.remove(request.caller!.access, request.params.client_id, request.caller!.actor, ifMatch(request));
    return reply.code(204).send();
  });

  app.post<{ Params: { client_id: string } }>(`${API_PREFIX}/clients/:client_id/secret`, {
    schema: { tags, summary: 'Make a new client_secret (shown in this answer only; valid 360 days)', params: ClientIdParams, headers: IfMatch, response: { 200: ClientView, ...errors } },
    preHandler: guard('idporten:dcr.modify'),
  }, async (request, reply) => {
    const { integration, client_secret } = await integrations.newSecret(request.caller!.access, request.params.client_id, request.caller!.actor, ifMatch(request));
    return versioned(reply, { ...integration, client_secret });
  });

  app.get<{ Params: { client_id: string } }>(`${API_PREFIX}/clients/:client_id/jwks`, {
    schema: { tags, summary: 'Read the key set', params: ClientIdParams, response: { 200: JwksView, ...errors } },
    preHandler: guard('idporten:dcr.read'),
  }, async (request) => integrations.getJwks(request.caller!.access, request.params.client_id));

  app.get<{ Params: { client_id: string }; Querystring: { limit?: number; outcome?: string } }>(`${API_PREFIX}/clients/:client_id/events`, {
    schema: {
      tags,
      summary: 'What the provider did for this integration lately (authorization answers, token calls, userinfo, logout, errors), newest first',
      params: ClientIdParams,
      querystring: Type.Object({
        limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_EVENTS, default: 50 })),
        outcome: Type.Optional(Type.Union([Type.Literal('success'), Type.Literal('failure')], { description: 'only successes, or only failures' })),
      }),
      response: { 200: Type.Array(EventView), ...errors },
    },
    preHandler: guard('idporten:dcr.read'),
  }, async (request) => {
    const query = eventQuery(request.query);
    const events = await integrations.events(request.caller!.access, request.params.client_id, query);
    return events.map(({ at, type, outcome, detail }) => ({ at: at.toISOString(), type, outcome, detail }));
  });

  app.get<{ Params: { client_id: string } }>(`${API_PREFIX}/clients/:client_id/verification`, {
    schema: {
      tags,
      summary: 'ID-porten\'s verification tests (profile §9.3) for a login integration in a test environment: which the service has been seen to do, and when',
      description: 'Each test passes by itself when the provider sees the service do it (from a person in a browser or from end-to-end tests), '
        + 'and stays passed while the events that show it are kept. Test 8 (the service ends its own session after 30 idle minutes) cannot be seen from here: '
        + 'it is check_yourself until the owner confirms it (PUT …/verification/idle_timeout).',
      params: ClientIdParams,
      response: { 200: VerificationReportView, ...errors },
    },
    preHandler: guard('idporten:dcr.read'),
  }, async (request) => verification.report(request.caller!.access, request.params.client_id));

  app.put<{ Params: { client_id: string; test: string }; Body: unknown }>(`${API_PREFIX}/clients/:client_id/verification/:test`, {
    schema: {
      tags,
      summary: 'Confirm (or take back) a verification test the provider cannot see done: idle_timeout (test 8). Audited; answers the report',
      params: Type.Object({ client_id: Type.String({ maxLength: 200 }), test: Type.String({ maxLength: 100, description: 'the test\'s name, e.g. idle_timeout' }) }),
      body: Type.Object({ confirmed: Type.Boolean() }, { additionalProperties: false }),
      response: { 200: VerificationReportView, ...errors },
    },
    preHandler: guard('idporten:dcr.modify'),
  }, async (request) => verification.confirm(request.caller!.access, request.params.client_id, request.params.test, confirmedOf(request.body), request.caller!.actor));

  // A supplier's customers on an integration (profile §7.3): the onbehalfof values a login may name.
  const customers = ['onbehalfof'];
  app.get<{ Params: { client_id: string } }>(`${API_PREFIX}/clients/:client_id/onbehalfof`, {
    schema: { tags: customers, summary: 'List the customers registered on the integration', params: ClientIdParams, response: { 200: Type.Array(OnBehalfOfEntry), ...errors } },
    preHandler: guard('idporten:dcr.read'),
  }, async (request) => integrations.listOnBehalfOf(request.caller!.access, request.params.client_id));

  app.post<{ Params: { client_id: string }; Body: unknown }>(`${API_PREFIX}/clients/:client_id/onbehalfof`, {
    schema: { tags: customers, summary: 'Register a customer (its onbehalfof value must be new on the integration)', params: ClientIdParams, headers: IfMatch, body: OnBehalfOfEntry, response: { 201: OnBehalfOfEntry, ...errors } },
    preHandler: guard('idporten:dcr/onbehalfof:write'),
  }, async (request, reply) => reply.code(201).send(await integrations.addOnBehalfOf(request.caller!.access, request.params.client_id, request.body, request.caller!.actor, ifMatch(request))));

  app.get<{ Params: { client_id: string; onbehalfof: string } }>(`${API_PREFIX}/clients/:client_id/onbehalfof/:onbehalfof`, {
    schema: { tags: customers, summary: 'Read one customer', params: OnBehalfOfParams, response: { 200: OnBehalfOfEntry, ...errors } },
    preHandler: guard('idporten:dcr.read'),
  }, async (request) => integrations.getOnBehalfOf(request.caller!.access, request.params.client_id, request.params.onbehalfof));

  app.put<{ Params: { client_id: string; onbehalfof: string }; Body: unknown }>(`${API_PREFIX}/clients/:client_id/onbehalfof/:onbehalfof`, {
    schema: { tags: customers, summary: 'Replace one customer\'s registration (its onbehalfof value stays)', params: OnBehalfOfParams, headers: IfMatch, body: OnBehalfOfEntry, response: { 200: OnBehalfOfEntry, ...errors } },
    preHandler: guard('idporten:dcr/onbehalfof:write'),
  }, async (request) => integrations.replaceOnBehalfOf(request.caller!.access, request.params.client_id, request.params.onbehalfof, request.body, request.caller!.actor, ifMatch(request)));

  app.delete<{ Params: { client_id: string; onbehalfof: string } }>(`${API_PREFIX}/clients/:client_id/onbehalfof/:onbehalfof`, {
    schema: { tags: customers, summary: 'Remove one customer', params: OnBehalfOfParams, headers: IfMatch, response: { 204: Type.Null(), ...errors } },
    preHandler: guard('idporten:dcr/onbehalfof:write'),
  }, async (request, reply) => {
    await integrations.removeOnBehalfOf(request.caller!.access, request.params.client_id, request.params.onbehalfof, request.caller!.actor, ifMatch(request));
    return reply.code(204).send();
  });

  // Production requests (onboarding/production-requests.ts): where the service desk approves new integrations, an organisation asks here.
  const production = ['production requests'];
  app.post<{ Body: unknown }>(`${API_PREFIX}/production-requests`, {
    schema: {
      tags: production,
      summary: 'Ask the service desk for a new integration, where it approves them (PORTVAKT_INTEGRATION_APPROVAL=desk); elsewhere POST /clients',
      description: 'The integration is checked now, as it will be created. Once approved, POST …/credentials gives its client_secret, once.',
      body: ProductionRequestBody,
      response: { 201: ProductionRequestView, ...errors },
    },
    preHandler: guard('idporten:dcr.write'),
  }, async (request, reply) => {
    const { access, orgno, actor } = request.caller!;
    return reply.code(201).send(await productionRequests.submit(access, { ...productionRequestOf(request.body), orgno }, actor));
  });

  app.get(`${API_PREFIX}/production-requests`, {
    schema: { tags: production, summary: 'List your production requests, pending first', response: { 200: Type.Array(ProductionRequestView), ...errors } },
    preHandler: guard('idporten:dcr.read'),
  }, async (request) => productionRequests.list(request.caller!.access));

  app.get<{ Params: { id: string } }>(`${API_PREFIX}/production-requests/:id`, {
    schema: { tags: production, summary: 'Read a production request', params: RequestIdParams, response: { 200: ProductionRequestView, ...errors } },
    preHandler: guard('idporten:dcr.read'),
  }, async (request) => productionRequests.get(request.caller!.access, request.params.id));

  app.post<{ Params: { id: string } }>(`${API_PREFIX}/production-requests/:id/withdraw`, {
    schema: { tags: production, summary: 'Withdraw a pending production request', params: RequestIdParams, response: { 200: ProductionRequestView, ...errors } },
    preHandler: guard('idporten:dcr.write'),
  }, async (request) => productionRequests.withdraw(request.caller!.access, request.params.id, request.caller!.actor));

  app.post<{ Params: { id: string } }>(`${API_PREFIX}/production-requests/:id/credentials`, {
    schema: {
      tags: production,
      summary: 'Fetch the approved integration\'s client_secret: made now, in this answer only, once per request',
      params: RequestIdParams,
      response: { 200: ClientView, ...errors },
    },
    preHandler: guard('idporten:dcr.modify'),
  }, async (request, reply) => {
    const { integration, client_secret } = await productionRequests.deliverCredentials(request.caller!.access, request.params.id, request.caller!.actor);
    return versioned(reply, { ...integration, client_secret });
  });

  scopeRoutes(app, guard, API_PREFIX, options.apiScopes);

  for (const method of ['post', 'put'] as const) {
    app[method]<{ Params: { client_id: string }; Body: unknown }>(`${API_PREFIX}/clients/:client_id/jwks`, {
      schema: { tags, summary: 'Replace the key set (at most 5 RSA keys; valid a year from upload)', params: ClientIdParams, headers: IfMatch, body: Jwks, response: { 200: JwksView, ...errors } },
      preHandler: guard('idporten:dcr.modify'),
    }, async (request) => integrations.setJwks(request.caller!.access, request.params.client_id, request.body, request.caller!.actor, ifMatch(request)));
  }
}

/** An integration's changes name the version GET /clients/{client_id} answered (api-versioning.ts). */
const IfMatch = ifMatchHeader('GET /clients/{client_id}');

/** `limit` and `outcome` as sent (the route's schema documents them; the domain validates bodies only). */
function eventQuery({ limit: rawLimit, outcome }: { limit?: unknown; outcome?: unknown }): EventQuery {
  const limit = rawLimit === undefined ? 50 : Number(rawLimit);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_EVENTS) throw new DomainError('events.limit', `limit must be a whole number from 1 to ${MAX_EVENTS}`);
  if (outcome !== undefined && outcome !== 'success' && outcome !== 'failure') throw new DomainError('events.outcome', 'outcome must be success or failure');
  return { limit, ...(outcome ? { outcome } : {}) };
}

const PRODUCTION_REQUEST_FIELDS = new Set(Object.keys(ProductionRequestBody.properties));

/** A production request's body: a JSON object of its fields (the domain checks each). */
function productionRequestOf(body: unknown): Omit<NewProductionRequest, 'orgno'> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new DomainError('production.body', 'the body must be a JSON object with test_client_id, go_live, description, volume (optional) and client');
  const unknown = Object.keys(body).filter((key) => !PRODUCTION_REQUEST_FIELDS.has(key));
  if (unknown.length) throw new DomainError('production.body', `unknown field ${JSON.stringify(unknown[0]!.slice(0, 100))}; a production request has test_client_id, go_live, description, volume and client`);
  const fields = body as Record<string, unknown>;
  return { test_client_id: fields.test_client_id, go_live: fields.go_live, description: fields.description, volume: fields.volume, client: fields.client };
}

/** The body of a confirmation: `{ "confirmed": true }` or `false`, nothing else. */
function confirmedOf(body: unknown): boolean {
  const confirmed = (body as { confirmed?: unknown } | null | undefined)?.confirmed;
  if (typeof confirmed !== 'boolean' || typeof body !== 'object' || Object.keys(body!).length !== 1) {
    throw new DomainError('verification.confirmed', 'the body must be {"confirmed": true} or {"confirmed": false}');
  }
  return confirmed;
}
