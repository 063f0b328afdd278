// ID-porten's authorizations API ("REST-API for autorisasjoner"): an organisation reads the
// authorizations a person has given its services, or given other services to its APIs, to show
// them in its own pages, and withdraws one for the person (its support desk, a "log out
// everywhere" in its app). At ID-porten's paths under its base URL, `<issuer>/authorizations`:
//
//   GET    /authorizations/clients/authorizations       a person's token (login with the scope)
//   POST   /authorizations/clients/authorizations       a Maskinporten token; body {"pid": "…"}
//   GET    /authorizations/api-provider/authorizations  as above, for the organisation's API scopes
//   POST   /authorizations/api-provider/authorizations
//   DELETE /authorizations/authorizations/{authorization_id}   either token
//
// The scope is idporten:authorizations (or, as ID-porten once named them, .read and .revoke).
// ?require_user_consent=false lists every authorization, not only those with a consent scope, and
// ?visibility= only those with a scope of that visibility.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { Type } from '@sinclair/typebox';
import type Provider from 'oidc-provider';
import type { ClientRegistry } from '../registry/clients.js';
import { AUTHORIZATION_SCOPES } from '../registry/client-schema.js';
import { parsePid, InvalidPidError } from '../identity/pid.js';
import { challenge, presentedToken, senderConstraintFor } from './dpop-resource.js';
import { ErrorBody } from '../http/error-body.js';
import { VISIBILITIES, type AuthorizationFilter, type Authorizations, type Concerning, type Visibility } from './authorizations.js';

export const AUTHORIZATIONS_PREFIX = '/authorizations';

type Need = 'read' | 'revoke';
/** The scopes that allow each: the current one allows both. */
const ALLOWING: Record<Need, readonly string[]> = {
  read: AUTHORIZATION_SCOPES,
  revoke: ['idporten:authorizations', 'idporten:authorizations.revoke'],
};

/** Who calls: a person through a service of an organisation, or an organisation's machine client. */
type Caller =
  | { kind: 'person'; pid: string; orgno: string; clientId: string }
  | { kind: 'organisation'; orgno: string; clientId: string };

export interface AuthorizationsApiOptions {
  provider: () => Provider;
  clients: ClientRegistry;
  authorizations: Authorizations;
  issuer: string;
}

// The API as its OpenAPI document (<issuer>/authorizations/docs) describes it. Requests are checked
// by the handlers below, with messages that name what is wrong; the schemas document and shape.
const AuthorizationView = Type.Object({
  authorization_id: Type.String({ description: 'names it in DELETE /authorizations/authorizations/{authorization_id}' }),
  client_id: Type.String(),
  client_name: Type.Optional(Type.String()),
  description: Type.Optional(Type.String()),
  authorized_at: Type.Integer({ description: 'when the person logged in (epoch milliseconds)' }),
  expires: Type.Optional(Type.Integer({ description: 'when it ends unless withdrawn (epoch milliseconds): the client\'s authorization_lifetime' })),
  scopes: Type.Array(Type.Object({
    name: Type.String(),
    description: Type.String(),
    long_description: Type.Optional(Type.String()),
    requires_user_consent: Type.Boolean(),
    visibility: Type.Union(VISIBILITIES.map((v) => Type.Literal(v))),
    owner_orgno: Type.Optional(Type.String()),
  })),
  user_agent: Type.Optional(Type.String({ description: 'the browser the person logged in with' })),
  consumer: Type.Optional(Type.Object({ authority: Type.Literal('iso6523-actorid-upis'), ID: Type.String({ description: '0192:<organisation number> of the service' }) })),
});
const Filter = Type.Object({
  require_user_consent: Type.Optional(Type.Boolean({ default: true, description: 'false: every authorization, not only those with a scope the person consented to' })),
  visibility: Type.Optional(Type.Union(VISIBILITIES.map((v) => Type.Literal(v)), { description: 'only those with a scope of this visibility' })),
});
const listed = { 200: Type.Array(AuthorizationView), 400: ErrorBody, 401: ErrorBody, 403: ErrorBody };

/** A request the API refuses, with the OAuth error and what to do about it. */
class Refusal extends Error {
  /** scheme: the challenge's, when it is not the one the token came in (a bound token sent as Bearer is told to use DPoP). */
  constructor(readonly status: number, readonly error: string, description: string, readonly scheme?: 'Bearer' | 'DPoP') {
    super(description);
  }
}

const COLLECTIONS: Record<string, (orgno: string) => Concerning> = {
  clients: (orgno) => ({ clientsOf: orgno }),
  'api-provider': (orgno) => ({ apisOf: orgno }),
};

export async function authorizationsApi(app: FastifyInstance, options: AuthorizationsApiOptions): Promise<void> {
  const { provider, clients, authorizations } = options;
  const senderConstraint = senderConstraintFor(options.issuer, provider);
  await app.register(swagger, {
    openapi: {
      info: { title: 'Portvakt authorizations API', version: '1', description: 'A person\'s authorizations (logins, consents) to your services and APIs, as in ID-porten\'s authorizations API.' },
      servers: [{ url: options.issuer }],
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: `A token from ${options.issuer}/token with the scope idporten:authorizations: a person's (a login to your service), or your Maskinporten client's. A token bound to a DPoP key (token_type DPoP) is sent as Authorization: DPoP <token>, with a DPoP proof of that key (RFC 9449)` } } },
      security: [{ bearer: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: `${AUTHORIZATIONS_PREFIX}/docs`, uiConfig: { docExpansion: 'list' }, staticCSP: true });
  app.get(`${AUTHORIZATIONS_PREFIX}/openapi.json`, { schema: { hide: true } }, async () => app.swagger());
  app.setValidatorCompiler(() => () => true); // the handlers check, and say what is wrong

  /** The token's caller, if it may do `need`; a Refusal otherwise. */
  async function callerOf(request: FastifyRequest, need: Need): Promise<Caller> {
    const presented = presentedToken(request.headers.authorization);
    if (!presented) throw new Refusal(401, 'invalid_token', `send an access token with the scope ${ALLOWING[need][0]} as Authorization: Bearer (or a DPoP-bound one as Authorization: DPoP, with its proof)`);
    const current = provider();
    // A person's access token (from a login), or else a machine client's (Maskinporten's JWT grant, client credentials).
    const personal = await current.AccessToken.find(presented.value);
    const token = personal ?? (await current.ClientCredentials.find(presented.value));
    if (!token || token.isExpired) throw new Refusal(401, 'invalid_token', 'the token is unknown or has expired');
    const refused = await senderConstraint(request, presented, token);
    if (refused) throw new Refusal(401, refused.error, refused.description, refused.scheme);
    const client = await clients.find(token.clientId!);
    if (!client?.active) throw new Refusal(401, 'invalid_token', 'the token\'s client is no longer active');
    if (!client.orgno) throw new Refusal(403, 'insufficient_scope', `the client ${client.registration.client_id} belongs to no organisation (register it with client_orgno): whose authorizations it may see follows from it`);
    const scopes = String(token.scope ?? '').split(' ');
    if (!ALLOWING[need].some((scope) => scopes.includes(scope))) {
      throw new Refusal(403, 'insufficient_scope', `this needs the scope ${ALLOWING[need].join(' or ')}`);
    }
    const accountId = personal ? (personal as { accountId?: string }).accountId : undefined;
    if (accountId) return { kind: 'person', pid: accountId, orgno: client.orgno, clientId: client.registration.client_id };
    return { kind: 'organisation', orgno: client.orgno, clientId: client.registration.client_id };
  }

  const refuse = (request: FastifyRequest, reply: FastifyReply, refusal: Refusal) => {
    if (refusal.status === 401 || refusal.status === 403) {
      const scheme = refusal.scheme ?? presentedToken(request.headers.authorization)?.scheme ?? 'Bearer';
      reply.header('www-authenticate', challenge(scheme, refusal.error, refusal.message));
    }
    return reply.code(refusal.status).header('cache-control', 'no-store').send({ error: refusal.error, error_description: refusal.message });
  };

  // A Refusal is this API's answer; anything else is the server's (a 503 while the store is away, …).
  app.setErrorHandler(async (error, request, reply) => {
    if (error instanceof Refusal) return refuse(request, reply, error);
    throw error;
  });

  for (const [collection, concerning] of Object.entries(COLLECTIONS)) {
    const path = `${AUTHORIZATIONS_PREFIX}/${collection}/authorizations`;
    const given = collection === 'clients' ? 'to your organisation\'s services' : 'that include a scope of your organisation\'s APIs';

    // With a person's token: that person's authorizations.
    app.get(path, { schema: { tags: [collection], summary: `The authorizations the person whose token this is has given ${given}`, querystring: Filter, response: listed } }, async (request, reply) => {
      const filter = filterOf(request.query as Record<string, unknown>);
      const caller = await callerOf(request, 'read');
      if (caller.kind !== 'person') {
        throw new Refusal(400, 'invalid_request', 'this token is an organisation\'s, not a person\'s: POST the person\'s pid as {"pid": "…"} to this address instead');
      }
      return reply.header('cache-control', 'no-store').send(await authorizations.list(caller.pid, concerning(caller.orgno), filter));
    });

    // With an organisation's (Maskinporten) token: the authorizations of the person the body names.
    app.post(path, {
      schema: { tags: [collection], summary: `With your Maskinporten token: the authorizations the person named has given ${given}`, querystring: Filter, body: Type.Object({ pid: Type.String({ description: 'the person\'s national identity number' }) }), response: listed },
    }, async (request, reply) => {
      const filter = filterOf(request.query as Record<string, unknown>);
      const caller = await callerOf(request, 'read');
      if (caller.kind !== 'organisation') {
        throw new Refusal(400, 'invalid_request', 'this token is a person\'s: GET this address for their authorizations (POST is for an organisation\'s Maskinporten token)');
      }
      const pid = pidIn(request.body);
      return reply.header('cache-control', 'no-store').send(await authorizations.list(pid, concerning(caller.orgno), filter));
    });
  }

  app.delete<{ Params: { authorization_id: string } }>(`${AUTHORIZATIONS_PREFIX}/authorizations/:authorization_id`, {
    schema: {
      tags: ['authorizations'],
      summary: 'Withdraw an authorization: the grant and every token issued from it end (a person\'s token withdraws only their own)',
      params: Type.Object({ authorization_id: Type.String() }),
      response: { 204: Type.Null(), 401: ErrorBody, 403: ErrorBody, 404: ErrorBody },
    },
  }, async (request, reply) => {
    const caller = await callerOf(request, 'revoke');
    const { authorization_id: id } = request.params;
    const by = { clientId: caller.clientId };
    const pid = caller.kind === 'person' ? caller.pid : undefined; // a person withdraws only their own
    // The organisation's service's authorization, or one that includes its API.
    if (!(await authorizations.withdraw(id, { organisation: caller.orgno }, by, pid))) throw new Refusal(404, 'not_found', 'no such authorization that you may withdraw (it may have expired, or been withdrawn already)');
    return reply.code(204).send();
  });
}

/** The query's filter; a value that is not one is refused, naming it. */
function filterOf(query: Record<string, unknown>): AuthorizationFilter {
  const one = (name: string): string | undefined => {
    const value = query[name];
    if (Array.isArray(value)) throw new Refusal(400, 'invalid_request', `${name} is given more than once`);
    return value === undefined ? undefined : String(value);
  };
  const consent = one('require_user_consent');
  if (consent !== undefined && consent !== 'true' && consent !== 'false') {
    throw new Refusal(400, 'invalid_request', `require_user_consent must be true or false (got ${JSON.stringify(consent.slice(0, 50))})`);
  }
  const visibility = one('visibility');
  if (visibility !== undefined && !(VISIBILITIES as readonly string[]).includes(visibility)) {
    throw new Refusal(400, 'invalid_request', `visibility must be one of ${VISIBILITIES.join(', ')} (got ${JSON.stringify(visibility.slice(0, 50))})`);
  }
  return { requireUserConsent: consent !== 'false', ...(visibility ? { visibility: visibility as Visibility } : {}) };
}

/** The body's pid: a valid national identity number (fødselsnummer or D-number). */
function pidIn(body: unknown): string {
  const pid = (body as { pid?: unknown } | null | undefined)?.pid;
  if (typeof body !== 'object' || body === null || Array.isArray(body) || typeof pid !== 'string') {
    throw new Refusal(400, 'invalid_request', 'send the person as a JSON body {"pid": "<national identity number>"} (Content-Type: application/json)');
  }
  try {
    return parsePid(pid).pid;
  } catch (err) {
    if (err instanceof InvalidPidError) throw new Refusal(400, 'invalid_request', `pid is not a national identity number: ${err.message}`);
    throw err;
  }
}
