// The portal's routes for production requests (onboarding/production-requests.ts): an
// organisation's administrator sends one from the organisation's page; the service desk approves
// or rejects it; the administrator fetches the approved integration's secret once. Every form
// carries the session's CSRF token (checked by `person`).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ClientValidationError, DomainError } from '../../registry/errors.js';
import type { Access, IntegrationView } from '../../registry/integrations.js';
import type { Organisation } from '../../registry/organisations.js';
import type { Actor } from '../../registry/audit.js';
import { TEST_CLIENT_ID_MAX, type ProductionRequest, type ProductionRequests } from '../../onboarding/production-requests.js';
import type { Locale } from '../../provider/locale.js';
import { MACHINE_TYPE, PORTAL_PREFIX, secretPage, type IntegrationFormValues } from './pages.js';
import { emptyValues, formValues, problem, toInput } from './integration-form.js';
import { PLANNING_FIELDS, productionRequestPage, requestFormPage, type PlanningValues } from './production-pages.js';

interface Person {
  access: Access;
  serviceDesk: boolean;
  actor: Actor;
  locale: Locale;
}

export interface ProductionRouteOptions<P extends Person> {
  requests: ProductionRequests;
  environment: string;
  issuer: string;
  /** The test environment's Portvakt, where the desk reads the test integration's verification tests. */
  testPortalUrl: string | undefined;
  person(request: FastifyRequest, reply: FastifyReply): Promise<P | undefined>;
  frame(p: P): { locale: Locale; pid: string; csrf: string; serviceDesk: boolean };
  html(reply: FastifyReply, body: string, status?: number): FastifyReply;
  orgFor(p: P, orgno: string): Promise<Organisation>;
}

type Body = Record<string, string> | undefined;

const noPlanning: PlanningValues = { test_client_id: '', go_live: '', description: '', volume: '' };

/** What was typed in the planning fields, kept as typed (the domain checks it). */
function planningValues(body: Body): PlanningValues {
  const text = (name: keyof PlanningValues) => String(body?.[name] ?? '');
  return { test_client_id: text('test_client_id'), go_live: text('go_live'), description: text('description'), volume: text('volume') };
}

export function productionRoutes<P extends Person>(app: FastifyInstance, o: ProductionRouteOptions<P>): void {
  const { requests } = o;
  /** Which planning field a domain error is about, if it is about one. */
  const planningField = (err: DomainError) => PLANNING_FIELDS.find((name) => err.code === `production.${name}`);

  const formPage = (p: P, org: Organisation, values: IntegrationFormValues, planning: PlanningValues, error?: { field: string; message: string }) =>
    requestFormPage({ ...o.frame(p), org, environment: o.environment, issuer: o.issuer, values, planning, error });

  const requestPage = async (p: P, request: ProductionRequest, error?: string) => {
    const org = await o.orgFor(p, request.orgno);
    const testVerification = o.testPortalUrl && `${o.testPortalUrl}${PORTAL_PREFIX}/clients/${encodeURIComponent(request.test_client_id)}/verification`;
    return productionRequestPage({ ...o.frame(p), request, org: `${org.name} (${org.orgno})`, environment: o.environment, testVerification, error });
  };

  // Linked from the test environment's verification tests with the test client_id and name filled in.
  app.get<{ Params: { orgno: string }; Querystring: { type?: string; test_client_id?: string; client_name?: string } }>(`${PORTAL_PREFIX}/orgs/:orgno/request`, async (request, reply) => {
    const p = await o.person(request, reply);
    if (!p) return reply;
    const org = await o.orgFor(p, request.params.orgno);
    const given = (value: unknown, max: number) => (typeof value === 'string' ? value.slice(0, max) : '');
    const values = { ...emptyValues(request.query.type === MACHINE_TYPE ? MACHINE_TYPE : 'idporten'), client_name: given(request.query.client_name, 200) };
    return o.html(reply, formPage(p, org, values, { ...noPlanning, test_client_id: given(request.query.test_client_id, TEST_CLIENT_ID_MAX) }));
  });

  app.post<{ Params: { orgno: string }; Body: Body }>(`${PORTAL_PREFIX}/orgs/:orgno/request`, async (request, reply) => {
    const p = await o.person(request, reply);
    if (!p) return reply;
    const org = await o.orgFor(p, request.params.orgno);
    const values = formValues(request.body);
    const planning = planningValues(request.body);
    try {
      const sent = await requests.submit(p.access, { orgno: org.orgno, client: toInput(values), ...planning }, p.actor);
      return reply.redirect(`${PORTAL_PREFIX}/requests/${sent.id}`, 303);
    } catch (err) {
      if (err instanceof ClientValidationError) return o.html(reply, formPage(p, org, values, planning, problem(err, p.locale)), 400);
      const field = err instanceof DomainError ? planningField(err) : undefined;
      if (!field) throw err;
      return o.html(reply, formPage(p, org, values, planning, { field, message: (err as DomainError).message }), 400);
    }
  });

  app.get<{ Params: { id: string } }>(`${PORTAL_PREFIX}/requests/:id`, async (request, reply) => {
    const p = await o.person(request, reply);
    if (!p) return reply;
    return o.html(reply, await requestPage(p, await requests.get(p.access, request.params.id)));
  });

  /** A decision on the request, then its page again: with why, if it could not be made. */
  const deciding = (path: string, decide: (p: P, id: string, body: Body) => Promise<unknown>) =>
    app.post<{ Params: { id: string }; Body: Body }>(`${PORTAL_PREFIX}/requests/:id/${path}`, async (request, reply) => {
      const p = await o.person(request, reply);
      if (!p) return reply;
      const { id } = request.params;
      try {
        await decide(p, id, request.body);
        return reply.redirect(`${PORTAL_PREFIX}/requests/${id}`, 303);
      } catch (err) {
        if (!(err instanceof DomainError) || err.code === 'production.not_found') throw err;
        return o.html(reply, await requestPage(p, await requests.get(p.access, id), err.message), 400);
      }
    });
  deciding('approve', (p, id) => requests.approve(p.access, id, p.actor));
  deciding('reject', (p, id, body) => requests.reject(p.access, id, body?.reason ?? '', p.actor));
  deciding('withdraw', (p, id) => requests.withdraw(p.access, id, p.actor));

  app.post<{ Params: { id: string } }>(`${PORTAL_PREFIX}/requests/:id/credentials`, async (request, reply) => {
    const p = await o.person(request, reply);
    if (!p) return reply;
    let delivered: { integration: IntegrationView; client_secret: string };
    try {
      delivered = await requests.deliverCredentials(p.access, request.params.id, p.actor);
    } catch (err) {
      if (!(err instanceof DomainError) || err.code === 'production.not_found') throw err;
      return o.html(reply, await requestPage(p, await requests.get(p.access, request.params.id), err.message), 400);
    }
    // Shown once, to this person, and not kept: as when an integration is created.
    return o.html(reply, secretPage({ ...o.frame(p), integration: delivered.integration, secret: delivered.client_secret }));
  });
}
