// The self-service API's scope management (profile §7.3), at ID-porten's paths: an API's owner
// registers scopes under its prefixes and gives other organisations access to them; any organisation
// reads which scopes it may use. A scope name may hold '/', so it travels as ?scope=, as ID-porten
// has it. The rules live in registry/api-scopes.ts; this is HTTP only, inside selfServiceApi (its
// authentication and error answers).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import { ApiScopeInputSchema, type ApiScopes } from '../registry/api-scopes.js';
import { ifMatch, ifMatchHeader, versioned } from './api-versioning.js';
import { ErrorBody } from '../http/error-body.js';
import { DomainError } from '../registry/errors.js';
import type { SELF_SERVICE_SCOPES } from '../registry/client-schema.js';

type Guard = (scope: (typeof SELF_SERVICE_SCOPES)[number]) => (request: FastifyRequest, reply: FastifyReply) => Promise<void>;

const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody };
const { name: _name, prefix: _prefix, subscope: _subscope, ...definition } = ApiScopeInputSchema.properties;
const ScopeBody = Type.Object({
  prefix: Type.String({ description: 'one of your prefixes (GET /prefix)' }), subscope: Type.String({ description: 'letters, digits and . _ / -' }), ...definition,
}, { additionalProperties: false, description: 'An API scope in ID-porten\'s scope format' });
const ScopeView = Type.Object({
  name: Type.String({ description: 'prefix:subscope' }), prefix: Type.String(), subscope: Type.String(), ...definition,
  enforced_aud_for_introspection: Type.Array(Type.String()),
  created: Type.String({ format: 'date-time' }), last_updated: Type.String({ format: 'date-time' }),
}, { additionalProperties: true });
const AccessView = Type.Object({
  scope: Type.String(), consumer_orgno: Type.String(), state: Type.Literal('APPROVED'),
  created: Type.String({ format: 'date-time' }), last_updated: Type.String({ format: 'date-time' }),
});
const ScopeQuery = Type.Object({ scope: Type.String({ maxLength: 241, description: 'the scope\'s name, prefix:subscope' }) });

/** A scope's changes name the version GET /scopes?scope= answered, as for integrations (api-versioning.ts). */
const IfMatch = ifMatchHeader('GET /scopes?scope=');

/** ?scope= as sent, or a clear 400. */
function scopeParam(query: { scope?: unknown }): string {
  if (typeof query.scope !== 'string' || !query.scope) throw new DomainError('scope.query', 'the query parameter scope (prefix:subscope) is required');
  return query.scope;
}

export function scopeRoutes(app: FastifyInstance, guard: Guard, apiPrefix: string, apiScopes: ApiScopes): void {
  const tags = ['scopes'];

  app.get<{ Querystring: { prefix?: string } }>(`${apiPrefix}/scopes/all`, {
    schema: {
      tags, summary: 'The public scopes of this environment, active ones (no token needed)', security: [],
      querystring: Type.Object({ prefix: Type.Optional(Type.String({ maxLength: 40 })) }),
      response: { 200: Type.Array(ScopeView), 400: ErrorBody },
    },
  }, async (request) => (await apiScopes.list(request.query.prefix ? { prefix: request.query.prefix } : {})).filter((scope) => scope.visibility === 'PUBLIC'));

  app.get(`${apiPrefix}/prefix`, {
    schema: { tags, summary: 'The prefixes your organisation may register scopes under (the service desk gives them)', response: { 200: Type.Array(Type.String()), ...errors } },
    preHandler: guard('idporten:scopes.read'),
  }, async (request) => apiScopes.prefixes(request.caller!.orgno));

  app.post<{ Body: unknown }>(`${apiPrefix}/scopes`, {
    schema: { tags, summary: 'Register a scope under one of your prefixes', body: ScopeBody, response: { 201: ScopeView, 409: ErrorBody, ...errors } },
    preHandler: guard('idporten:scopes.write'),
  }, async (request, reply) => {
    const { access, orgno, actor } = request.caller!;
    return reply.code(201).send(await apiScopes.create(access, orgno, request.body, actor));
  });

  app.get<{ Querystring: { scope?: string } }>(`${apiPrefix}/scopes`, {
    schema: { tags, summary: 'Read one of your scopes (its version is the ETag)', querystring: ScopeQuery, response: { 200: ScopeView, ...errors } },
    preHandler: guard('idporten:scopes.read'),
  }, async (request, reply) => versioned(reply, await apiScopes.owned(request.caller!.access, scopeParam(request.query))));

  app.put<{ Querystring: { scope?: string }; Body: unknown }>(`${apiPrefix}/scopes`, {
    schema: { tags, summary: 'Replace what one of your scopes says (its name stays); active: true takes it back in use', querystring: ScopeQuery, headers: IfMatch, body: ScopeBody, response: { 200: ScopeView, 412: ErrorBody, ...errors } },
    preHandler: guard('idporten:scopes.write'),
  }, async (request, reply) => versioned(reply, await apiScopes.change(request.caller!.access, scopeParam(request.query), request.body, request.caller!.actor, ifMatch(request))));

  app.delete<{ Querystring: { scope?: string } }>(`${apiPrefix}/scopes`, {
    schema: { tags, summary: 'Deactivate one of your scopes: no token carries it from now on; clients keep it registered', querystring: ScopeQuery, headers: IfMatch, response: { 200: ScopeView, 412: ErrorBody, ...errors } },
    preHandler: guard('idporten:scopes.write'),
  }, async (request, reply) => {
    const { access, actor } = request.caller!;
    const name = scopeParam(request.query);
    const scope = await apiScopes.owned(access, name);
    return versioned(reply, await apiScopes.change(access, name, { ...scope, active: false }, actor, ifMatch(request)));
  });

  app.get<{ Querystring: { scope?: string } }>(`${apiPrefix}/scopes/access`, {
    schema: { tags, summary: 'Which organisations have been given access to one of your scopes', querystring: ScopeQuery, response: { 200: Type.Array(AccessView), ...errors } },
    preHandler: guard('idporten:scopes.read'),
  }, async (request) => apiScopes.accessList(request.caller!.access, scopeParam(request.query)));

  app.get<{ Querystring: { accessible_for_all?: string } }>(`${apiPrefix}/scopes/access/all`, {
    schema: {
      tags, summary: 'The scopes your organisation has been given access to; with accessible_for_all=true also those open to all',
      querystring: Type.Object({ accessible_for_all: Type.Optional(Type.Boolean()) }),
      response: { 200: Type.Array(AccessView), ...errors },
    },
    preHandler: guard('idporten:dcr.read'),
  }, async (request) => apiScopes.accessOf(request.caller!.orgno, { accessibleForAll: request.query.accessible_for_all === 'true' }));

  const ConsumerParams = Type.Object({ consumer_orgno: Type.String({ maxLength: 20 }) });
  app.put<{ Params: { consumer_orgno: string }; Querystring: { scope?: string } }>(`${apiPrefix}/scopes/access/:consumer_orgno`, {
    schema: { tags, summary: 'Give an organisation access to one of your scopes: its clients may register it', params: ConsumerParams, querystring: ScopeQuery, response: { 200: AccessView, ...errors } },
    preHandler: guard('idporten:scopes.write'),
  }, async (request) => apiScopes.grantAccess(request.caller!.access, scopeParam(request.query), request.params.consumer_orgno, request.caller!.actor));

  app.delete<{ Params: { consumer_orgno: string }; Querystring: { scope?: string } }>(`${apiPrefix}/scopes/access/:consumer_orgno`, {
    schema: { tags, summary: 'Take an organisation\'s access back: its clients are no longer given the scope', params: ConsumerParams, querystring: ScopeQuery, response: { 204: Type.Null(), ...errors } },
    preHandler: guard('idporten:scopes.write'),
  }, async (request, reply) => {
    await apiScopes.revokeAccess(request.caller!.access, scopeParam(request.query), request.params.consumer_orgno, request.caller!.actor);
    return reply.code(204).send();
  });
}
