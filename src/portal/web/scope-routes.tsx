// The portal's routes for API scopes (registry/api-scopes.ts): an organisation's administrator
// registers and changes its scopes and gives other organisations access; the service desk gives an
// organisation a prefix. A scope's name may hold '/', so it travels as ?scope=, as in the API.
// Every form carries the session's CSRF token (checked by `person`).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiScopeValidationError, ScopeChangedError, ScopeNotFoundError, type ApiScope, type ApiScopes } from '../../registry/api-scopes.js';
import { DomainError } from '../../registry/errors.js';
import { ForbiddenError, type Access } from '../../registry/integrations.js';
import type { Organisation } from '../../registry/organisations.js';
import type { Actor } from '../../registry/audit.js';
import type { Locale } from '../../provider/locale.js';
import { PORTAL_PREFIX } from './pages.js';
import { newScopePage, scopePage, scopeUrl, type ScopeFormValues } from './scope-pages.js';

interface Person {
  access: Access;
  serviceDesk: boolean;
  actor: Actor;
  locale: Locale;
}

export interface ScopeRouteOptions<P extends Person> {
  apiScopes: ApiScopes;
  person(request: FastifyRequest, reply: FastifyReply): Promise<P | undefined>;
  frame(p: P): { locale: Locale; pid: string; csrf: string; serviceDesk: boolean };
  html(reply: FastifyReply, body: string, status?: number): FastifyReply;
  orgFor(p: P, orgno: string): Promise<Organisation>;
  /** The organisation's page again, with what went wrong when the desk gave it a prefix. */
  orgPage(p: P, org: Organisation, prefixError?: string): Promise<string>;
}

type Body = Record<string, string> | undefined;

const lines = (text: string) => text.split(/[\s,]+/).map((line) => line.trim()).filter(Boolean);

function formValues(body: Body): ScopeFormValues {
  const text = (name: keyof ScopeFormValues) => String(body?.[name] ?? '');
  return {
    prefix: text('prefix'), subscope: text('subscope').trim(), description: text('description').trim(), long_description: text('long_description').trim(),
    accessible_for_all: body?.accessible_for_all === 'yes', at_max_age: text('at_max_age').trim(),
    enforced_aud_for_introspection: text('enforced_aud_for_introspection'), requires_user_authentication: body?.requires_user_authentication === 'yes',
    opaque: body?.opaque === 'yes', requires_pseudonymous_tokens: body?.requires_pseudonymous_tokens === 'yes', requires_user_consent: body?.requires_user_consent === 'yes',
    active: body?.active === 'yes',
  };
}

function valuesOf(scope: ApiScope): ScopeFormValues {
  return {
    prefix: scope.prefix, subscope: scope.subscope, description: scope.description, long_description: scope.long_description ?? '',
    accessible_for_all: scope.accessible_for_all, at_max_age: scope.at_max_age === undefined ? '' : String(scope.at_max_age),
    enforced_aud_for_introspection: scope.enforced_aud_for_introspection.join('\n'), requires_user_authentication: scope.requires_user_authentication,
    opaque: scope.token_type === 'OPAQUE', requires_pseudonymous_tokens: scope.requires_pseudonymous_tokens, requires_user_consent: scope.requires_user_consent, active: scope.active,
  };
}

/** The form in the scope API's format; the domain validates it like any API body. */
function toInput(v: ScopeFormValues): Record<string, unknown> {
  return {
    description: v.description,
    ...(v.long_description ? { long_description: v.long_description } : {}),
    accessible_for_all: v.accessible_for_all,
    // A number as a number; anything else as typed, for the domain to name it.
    ...(v.at_max_age ? { at_max_age: /^\d{1,6}$/.test(v.at_max_age) ? Number(v.at_max_age) : v.at_max_age } : {}),
    enforced_aud_for_introspection: lines(v.enforced_aud_for_introspection),
    requires_user_authentication: v.requires_user_authentication,
    token_type: v.opaque ? 'OPAQUE' : 'SELF_CONTAINED',
    requires_pseudonymous_tokens: v.requires_pseudonymous_tokens,
    requires_user_consent: v.requires_user_consent,
  };
}

/** A domain error as a field of the form, if it is about one. */
function fieldError(err: unknown): { field: string; message: string } | undefined {
  if (err instanceof ApiScopeValidationError) return { field: err.field, message: err.message.replace(/^scope "[^"]*": /, '') };
  if (err instanceof ForbiddenError && err.code === 'scope.prefix_not_owned') return { field: 'prefix', message: err.message };
  if (err instanceof DomainError && err.code === 'scope.exists') return { field: 'subscope', message: err.message };
  return undefined;
}

const scopeName = (query: { scope?: unknown }) => {
  if (typeof query.scope !== 'string' || !query.scope) throw new ScopeNotFoundError('');
  return query.scope;
};

export function scopeRoutes<P extends Person>(app: FastifyInstance, o: ScopeRouteOptions<P>): void {
  const { apiScopes } = o;

  const page = async (p: P, scope: ApiScope, values = valuesOf(scope), errors: { error?: { field: string; message: string }; accessError?: string; changedMeanwhile?: boolean } = {}) => {
    const org = scope.owner_orgno ? await o.orgFor(p, scope.owner_orgno).catch(() => undefined) : undefined;
    return scopePage({ ...o.frame(p), scope, org, values, access: await apiScopes.accessList(p.access, scope.name), ...errors });
  };

  app.get<{ Params: { orgno: string } }>(`${PORTAL_PREFIX}/orgs/:orgno/scopes/new`, async (request, reply) => {
    const p = await o.person(request, reply);
    if (!p) return reply;
    const org = await o.orgFor(p, request.params.orgno);
    const prefixes = await apiScopes.prefixes(org.orgno);
    const values = { ...formValues(undefined), prefix: prefixes[0] ?? '', active: true };
    return o.html(reply, newScopePage({ ...o.frame(p), org, prefixes, values }));
  });

  app.post<{ Params: { orgno: string }; Body: Body }>(`${PORTAL_PREFIX}/orgs/:orgno/scopes/new`, async (request, reply) => {
    const p = await o.person(request, reply);
    if (!p) return reply;
    const org = await o.orgFor(p, request.params.orgno);
    const values = formValues(request.body);
    try {
      const scope = await apiScopes.create(p.access, org.orgno, { prefix: values.prefix, subscope: values.subscope, ...toInput(values) }, p.actor);
      return reply.redirect(scopeUrl(scope.name), 303);
    } catch (err) {
      const error = fieldError(err);
      if (!error) throw err;
      return o.html(reply, newScopePage({ ...o.frame(p), org, prefixes: await apiScopes.prefixes(org.orgno), values, error }), 400);
    }
  });

  app.get<{ Querystring: { scope?: string } }>(`${PORTAL_PREFIX}/scopes`, async (request, reply) => {
    const p = await o.person(request, reply);
    if (!p) return reply;
    return o.html(reply, await page(p, await apiScopes.owned(p.access, scopeName(request.query))));
  });

  app.post<{ Querystring: { scope?: string }; Body: Body }>(`${PORTAL_PREFIX}/scopes`, async (request, reply) => {
    const p = await o.person(request, reply);
    if (!p) return reply;
    const before = await apiScopes.owned(p.access, scopeName(request.query));
    const values = { ...formValues(request.body), prefix: before.prefix, subscope: before.subscope };
    // The version the person edited (a form from before versions were sent has none: saved as before).
    const edited = typeof request.body?.version === 'string' && request.body.version ? request.body.version : undefined;
    try {
      // What the form does not show (visibility, allowed types, …) stays as it is.
      await apiScopes.change(p.access, before.name, { ...before, ...toInput(values), active: values.active }, p.actor, edited);
      return reply.redirect(scopeUrl(before.name), 303);
    } catch (err) {
      // Someone else saved first: show what is there now, and let the person make the change again.
      if (err instanceof ScopeChangedError) return o.html(reply, await page(p, await apiScopes.owned(p.access, before.name), undefined, { changedMeanwhile: true }), 409);
      const error = fieldError(err);
      if (!error) throw err;
      return o.html(reply, await page(p, before, values, { error }), 400);
    }
  });

  app.post<{ Querystring: { scope?: string }; Body: Body }>(`${PORTAL_PREFIX}/scopes/access`, async (request, reply) => {
    const p = await o.person(request, reply);
    if (!p) return reply;
    const scope = await apiScopes.owned(p.access, scopeName(request.query));
    try {
      await apiScopes.grantAccess(p.access, scope.name, String(request.body?.consumer_orgno ?? '').trim(), p.actor);
    } catch (err) {
      if (!(err instanceof DomainError) || err.code !== 'scope.invalid_orgno') throw err;
      return o.html(reply, await page(p, scope, undefined, { accessError: err.message }), 400);
    }
    return reply.redirect(`${scopeUrl(scope.name)}#access-title`, 303);
  });

  app.post<{ Querystring: { scope?: string }; Body: Body }>(`${PORTAL_PREFIX}/scopes/access/remove`, async (request, reply) => {
    const p = await o.person(request, reply);
    if (!p) return reply;
    const name = scopeName(request.query);
    await apiScopes.revokeAccess(p.access, name, String(request.body?.consumer_orgno ?? ''), p.actor);
    return reply.redirect(`${scopeUrl(name)}#access-title`, 303);
  });

  // The service desk gives an organisation a prefix, on the organisation's page.
  app.post<{ Params: { orgno: string }; Body: Body }>(`${PORTAL_PREFIX}/orgs/:orgno/prefixes`, async (request, reply) => {
    const p = await o.person(request, reply);
    if (!p) return reply;
    if (!p.serviceDesk) return reply.code(404).type('text/plain; charset=utf-8').send('Not found'); // as the desk's own pages
    const org = await o.orgFor(p, request.params.orgno);
    try {
      await apiScopes.assignPrefix(String(request.body?.prefix ?? '').trim(), org.orgno, p.actor);
    } catch (err) {
      if (!(err instanceof DomainError) || !(err instanceof ApiScopeValidationError || err.code === 'scope.prefix_taken')) throw err;
      return o.html(reply, await o.orgPage(p, org, err.message.replace(/^scope: /, '')), 400);
    }
    return reply.redirect(`${PORTAL_PREFIX}/orgs/${org.orgno}#scopes-title`, 303);
  });
}
