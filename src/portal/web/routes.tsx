// The self-service portal for people (issue 5): they log in through Portvakt itself (the portal is a
// first-party client of its own provider, talking only to its public endpoints), see their
// organisations and manage the integrations of this environment. Service desk staff find any
// integration and read the change log. Every form carries the session's CSRF token.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import formbody from '@fastify/formbody';
import { firstPartyClient, type ProviderBackChannel } from '../../rp/first-party.js';
import type { ClientInput } from '../../registry/client-schema.js';
import { ClientValidationError, DomainError } from '../../registry/errors.js';
import { canSee, ERROR_REFERENCE, NotFoundError, PreconditionFailedError, type Access, type Integrations, type IntegrationView } from '../../registry/integrations.js';
import type { Organisation, Organisations } from '../../registry/organisations.js';
import type { Verification } from '../../onboarding/verification-tests.js';
import { SupportNotFoundError, type Support } from '../../onboarding/support.js';
import { supportRoutes } from './support-routes.js';
import type { Terms } from '../../onboarding/terms.js';
import { ProductionRequestNotFoundError, type ProductionRequests } from '../../onboarding/production-requests.js';
import { productionRoutes } from './production-routes.js';
import { scopeRoutes } from './scope-routes.js';
import { PrefixTable, ScopeSection } from './scope-pages.js';
import { ScopeNotFoundError, type ApiScopes } from '../../registry/api-scopes.js';
import { ProductionRequestTable } from './production-pages.js';
import { SupportTable } from './support-pages.js';
import type { AuditLog, Actor } from '../../registry/audit.js';
import type { Secrets } from '../../store/secrets.js';
import type { Locale } from '../../provider/locale.js';
import { translator } from '../../ui/i18n/index.js';
import { firstPartySignIn, type SignedInSession } from '../../rp/sign-in.js';
import { keyFromUpload } from '../../registry/key-upload.js';
import { deskPage, homePage, integrationFormPage, loginPage, MACHINE_TYPE, orgPage, PORTAL_PREFIX, problemPage, secretPage, type IntegrationFormValues } from './pages.js';
import { verificationPage } from './verification-page.js';
import { emptyValues, formValues, problem, toInput, valuesOf, withoutClientName } from './integration-form.js';
import { API_PREFIX } from '../api.js';
import { DEMO_PREFIX } from '../../demo/routes.js';

export { PORTAL_PREFIX };

/** Integrations the service desk's search shows at most. */
const DESK_RESULTS_SHOWN = 100;
export const PORTAL_CLIENT_ID = 'portvakt-portal';
const PORTAL_COOKIE = 'portvakt_portal'; // and portvakt_portal_lang, portvakt_portal_flow (rp/sign-in.ts)

/** The portal's own client; its secret is new at every start and known only to this process. */
export function portalClient(issuer: string): ClientInput {
  return firstPartyClient({ clientId: PORTAL_CLIENT_ID, clientName: 'Portvakt selvbetjening', issuer, prefix: PORTAL_PREFIX, postLogoutPath: PORTAL_PREFIX });
}

export interface PortalOptions {
  issuer: string;
  backChannel: ProviderBackChannel;
  environment: string;
  client: ClientInput;
  secrets: Secrets;
  integrations: Integrations;
  verification: Verification;
  support: Support;
  terms: Terms;
  productionRequests: ProductionRequests;
  apiScopes: ApiScopes;
  /** The test environment's Portvakt (PORTVAKT_TEST_PORTAL_URL), linked from production requests. */
  testPortalUrl: string | undefined;
  /** The production environment's Portvakt (PORTVAKT_PRODUCTION_PORTAL_URL), linked from verification tests once passed. */
  productionPortalUrl: string | undefined;
  organisations: Organisations;
  audit: AuditLog;
  testEnvironment: boolean;
}

interface Person {
  session: SignedInSession;
  access: Access;
  serviceDesk: boolean;
  actor: Actor;
  locale: Locale;
}

export async function portalRoutes(app: FastifyInstance, options: PortalOptions): Promise<void> {
  await app.register(formbody, { bodyLimit: 16 * 1024 });
  const { issuer, client, integrations, organisations } = options;
  const signIn = firstPartySignIn(app, { issuer, client, backChannel: options.backChannel, secrets: options.secrets, prefix: PORTAL_PREFIX, cookie: PORTAL_COOKIE, scope: 'openid profile' });
  const { localeOf } = signIn;
  const html = (reply: FastifyReply, body: string, status = 200) => reply.code(status).type('text/html; charset=utf-8').send(body);

  /** The logged-in person, or a redirect to the start page. A POST must carry the session's CSRF token. */
  async function person(request: FastifyRequest, reply: FastifyReply): Promise<Person | undefined> {
    const session = signIn.session(request);
    if (!session) {
      await reply.redirect(PORTAL_PREFIX, 303);
      return undefined;
    }
    if (request.method === 'POST') {
      if (!signIn.formIsGenuine(request, session)) {
        await html(reply, problemPage({ locale: localeOf(request), message: 'portal.problem.expired' }), 403);
        return undefined;
      }
    }
    const { orgnos, serviceDesk } = await organisations.accessOf(session.pid);
    return { session, access: serviceDesk ? 'all' : { orgnos: new Set(orgnos) }, serviceDesk, actor: { kind: 'person', id: session.pid, ip: request.ip }, locale: localeOf(request) };
  }

  const requestsRequired = options.productionRequests.required;
  const frame = (p: Person) => ({ locale: p.locale, pid: p.session.pid, csrf: p.session.csrf, serviceDesk: p.serviceDesk });

  app.get(PORTAL_PREFIX, async (request, reply) => {
    const locale = localeOf(request);
    signIn.keepLocale(request, reply);
    if (!signIn.session(request)) return html(reply, loginPage(locale));
    const p = await person(request, reply);
    if (!p) return reply;
    const all = await organisations.list();
    const orgs = p.access === 'all' ? all : all.filter((o) => (p.access as { orgnos: ReadonlySet<string> }).orgnos.has(o.orgno));
    const support = <SupportTable t={translator(p.locale)} requests={await options.support.list(p.access, { limit: 20 })} id="support-title" showOrg={orgs.length > 1} />;
    const requests = requestsRequired ? <ProductionRequestTable t={translator(p.locale)} requests={await options.productionRequests.list(p.access, { limit: 20 })} id="requests-title" showOrg={orgs.length > 1} /> : undefined;
    return html(reply, homePage({ ...frame(p), orgs, support, requests }));
  });

  app.post(`${PORTAL_PREFIX}/logout`, async (request, reply) => {
    const p = await person(request, reply);
    if (!p) return reply;
    return signIn.signOut(reply, p.session, p.locale);
  });

  async function orgFor(p: Person, orgno: string) {
    const org = await organisations.find(orgno);
    if (!org || !canSee(p.access, orgno)) throw new NotFoundError(orgno);
    return org;
  }

  app.get<{ Params: { orgno: string } }>(`${PORTAL_PREFIX}/orgs/:orgno`, async (request, reply) => {
    const p = await person(request, reply);
    if (!p) return reply;
    return html(reply, await orgPageOf(p, await orgFor(p, request.params.orgno)));
  });

  const orgPageOf = async (p: Person, org: Organisation, termsError = false, prefixError?: string) => orgPage({
    ...frame(p), org, environment: options.environment, termsError,
    scopes: <ScopeSection t={translator(p.locale)} org={org} scopes={await options.apiScopes.list({ owner: org.orgno, includeInactive: true })} prefixes={await options.apiScopes.prefixes(org.orgno)} serviceDesk={p.serviceDesk} csrf={p.session.csrf} prefixError={prefixError} />,
    integrations: await integrations.list(p.access, { orgno: org.orgno, includeInactive: true }),
    terms: await options.terms.status(p.access, org.orgno),
    // Where the desk approves new integrations, the organisation's way to one is a request (the desk may still make one itself).
    ...(requestsRequired ? {
      newPath: p.serviceDesk ? 'new' : 'request',
      requests: <ProductionRequestTable t={translator(p.locale)} requests={await options.productionRequests.list(p.access, { orgno: org.orgno, limit: 50 })} id="requests-title" showOrg={false} />,
    } : {}),
  });

  // The organisation's administrator accepts the operator's terms of use (onboarding/terms.ts).
  app.post<{ Params: { orgno: string }; Body: { agree?: string } }>(`${PORTAL_PREFIX}/orgs/:orgno/terms`, async (request, reply) => {
    const p = await person(request, reply);
    if (!p) return reply;
    const org = await orgFor(p, request.params.orgno);
    // The box says the person has read them and may bind the organisation; without it, nothing is accepted.
    if (request.body?.agree !== 'yes') return html(reply, await orgPageOf(p, org, true), 400);
    await options.terms.accept(p.access, org.orgno, p.actor);
    return reply.redirect(`${PORTAL_PREFIX}/orgs/${org.orgno}#terms-title`, 303);
  });

  /** The form for a new integration of the organisation: a login's, or a machine client's (`?type=maskinporten`). */
  const newPage = (p: Person, org: { orgno: string; name: string }, values: IntegrationFormValues, error?: { field: string; message: string }) => {
    const t = translator(p.locale);
    const title = `${t(values.integration_type === MACHINE_TYPE ? 'portal.newApiClient' : 'portal.new')} – ${org.name}`;
    return integrationFormPage({ ...frame(p), issuer, title, action: `${PORTAL_PREFIX}/orgs/${org.orgno}/new`, values, creating: true, error });
  };

  app.get<{ Params: { orgno: string }; Querystring: { type?: string } }>(`${PORTAL_PREFIX}/orgs/:orgno/new`, async (request, reply) => {
    const p = await person(request, reply);
    if (!p) return reply;
    const org = await orgFor(p, request.params.orgno);
    if (requestsRequired && !p.serviceDesk) return reply.redirect(`${PORTAL_PREFIX}/orgs/${org.orgno}/request${request.query.type === MACHINE_TYPE ? `?type=${MACHINE_TYPE}` : ''}`, 303);
    return html(reply, newPage(p, org, emptyValues(request.query.type === MACHINE_TYPE ? MACHINE_TYPE : 'idporten')));
  });

  app.post<{ Params: { orgno: string }; Body: Record<string, string> }>(`${PORTAL_PREFIX}/orgs/:orgno/new`, async (request, reply) => {
    const p = await person(request, reply);
    if (!p) return reply;
    const org = await orgFor(p, request.params.orgno);
    const values = formValues(request.body);
    try {
      const { integration, client_secret } = await integrations.create(p.access, org.orgno, toInput(values), p.actor);
      if (client_secret) return html(reply, secretPage({ ...frame(p), integration, secret: client_secret }), 201);
      return reply.redirect(`${PORTAL_PREFIX}/clients/${encodeURIComponent(integration.client_id)}`, 303);
    } catch (err) {
      if (!(err instanceof ClientValidationError)) throw err;
      return html(reply, newPage(p, org, values, problem(err, p.locale)), 400);
    }
  });

  app.get<{ Params: { id: string }; Querystring: { events?: string } }>(`${PORTAL_PREFIX}/clients/:id`, async (request, reply) => {
    const p = await person(request, reply);
    if (!p) return reply;
    const integration = await integrations.get(p.access, request.params.id);
    return html(reply, await editPage(p, integration, valuesOf(integration), { failuresOnly: request.query.events === 'failures' }));
  });

  app.get<{ Params: { id: string } }>(`${PORTAL_PREFIX}/clients/:id/verification`, async (request, reply) => {
    const p = await person(request, reply);
    if (!p) return reply;
    const integration = await integrations.get(p.access, request.params.id);
    const report = await options.verification.report(p.access, integration.client_id);
    const api = `${issuer}${API_PREFIX}/clients/${encodeURIComponent(integration.client_id)}/verification`;
    // Done here: the next step is the production request, with this client_id filled in.
    const production = options.productionPortalUrl && report.mandatory_passed && integration.client_orgno
      ? `${options.productionPortalUrl}${PORTAL_PREFIX}/orgs/${integration.client_orgno}/request?${new URLSearchParams({ test_client_id: integration.client_id, client_name: integration.client_name ?? '' })}`
      : undefined;
    return html(reply, verificationPage({ ...frame(p), integration, report, demo: options.testEnvironment ? `${issuer}${DEMO_PREFIX}` : undefined, api, production }));
  });

  app.post<{ Params: { id: string; test: string }; Body: { confirmed?: string } }>(`${PORTAL_PREFIX}/clients/:id/verification/:test`, async (request, reply) => {
    const p = await person(request, reply);
    if (!p) return reply;
    const integration = await integrations.get(p.access, request.params.id);
    const report = await options.verification.confirm(p.access, integration.client_id, request.params.test, request.body?.confirmed === 'yes', p.actor);
    const number = report.tests.find((test) => test.name === request.params.test)!.test;
    return reply.redirect(`${PORTAL_PREFIX}/clients/${encodeURIComponent(integration.client_id)}/verification#test-${number}`, 303);
  });

  /** The integration page lists this many of its latest protocol events (the API gives more). */
  const EVENTS_ON_PAGE = 20;
  interface EditPageExtras {
    error?: { field: string; message: string };
    keyError?: string;
    onBehalfOfError?: string;
    /** List only the failures among the events (`?events=failures`). */
    failuresOnly?: boolean;
    changedMeanwhile?: boolean;
  }
  const editPage = async (p: Person, integration: IntegrationView, values: IntegrationFormValues, { error, keyError, onBehalfOfError, failuresOnly = false, changedMeanwhile = false }: EditPageExtras = {}) =>
    integrationFormPage({
      ...frame(p), issuer, title: `${translator(p.locale)('portal.edit')}: ${integration.client_name ?? integration.client_id}`,
      action: `${PORTAL_PREFIX}/clients/${encodeURIComponent(integration.client_id)}`, values, creating: false, integration, error, keyError, onBehalfOfError, changedMeanwhile,
      keys: (await integrations.getJwks(p.access, integration.client_id)).keys,
      events: await integrations.events(p.access, integration.client_id, { limit: EVENTS_ON_PAGE, ...(failuresOnly ? { outcome: 'failure' } : {}) }),
      failuresOnly,
    });

  /**
   * Makes a change to one part of an integration's page (its keys, its customers), then shows the
   * page again (at `anchor`): with why, in that part, if the change could not be made.
   */
  async function changingPart(p: Person, reply: FastifyReply, integration: IntegrationView, errorIn: 'keyError' | 'onBehalfOfError', anchor: string, change: () => Promise<unknown>) {
    try {
      await change();
      return reply.redirect(`${PORTAL_PREFIX}/clients/${encodeURIComponent(integration.client_id)}${anchor}`, 303);
    } catch (err) {
      if (!(err instanceof DomainError)) throw err;
      return html(reply, await editPage(p, integration, valuesOf(integration), { [errorIn]: withoutClientName(err.message) }), 400);
    }
  }

  // Keys: add one (JWK, PEM key or certificate) or remove one; the whole set is replaced each time.
  app.post<{ Params: { id: string }; Body: { kid?: string; key?: string } }>(`${PORTAL_PREFIX}/clients/:id/keys`, async (request, reply) => {
    const p = await person(request, reply);
    if (!p) return reply;
    const integration = await integrations.get(p.access, request.params.id);
    const { keys } = await integrations.getJwks(p.access, integration.client_id);
    return changingPart(p, reply, integration, 'keyError', '', async () => {
      const added = keyFromUpload(String(request.body?.key ?? ''), String(request.body?.kid ?? '').trim());
      await integrations.setJwks(p.access, integration.client_id, { keys: [...keys, added] }, p.actor);
    });
  });

  app.post<{ Params: { id: string }; Body: { kid?: string } }>(`${PORTAL_PREFIX}/clients/:id/keys/remove`, async (request, reply) => {
    const p = await person(request, reply);
    if (!p) return reply;
    const integration = await integrations.get(p.access, request.params.id);
    const { keys } = await integrations.getJwks(p.access, integration.client_id);
    const remaining = keys.filter((k) => k.kid !== request.body?.kid);
    return changingPart(p, reply, integration, 'keyError', '', () => integrations.setJwks(p.access, integration.client_id, { keys: remaining }, p.actor));
  });

  // A supplier's customers (onbehalfof): add one, or remove one.
  app.post<{ Params: { id: string }; Body: { onbehalfof?: string; name?: string; orgno?: string } }>(`${PORTAL_PREFIX}/clients/:id/onbehalfof`, async (request, reply) => {
    const p = await person(request, reply);
    if (!p) return reply;
    const integration = await integrations.get(p.access, request.params.id);
    const text = (value: unknown) => String(value ?? '').trim();
    const entry = { onbehalfof: text(request.body?.onbehalfof), name: text(request.body?.name), ...(text(request.body?.orgno) ? { orgno: text(request.body?.orgno) } : {}) };
    return changingPart(p, reply, integration, 'onBehalfOfError', '#onbehalfof-title', () => integrations.addOnBehalfOf(p.access, integration.client_id, entry, p.actor));
  });

  app.post<{ Params: { id: string }; Body: { onbehalfof?: string } }>(`${PORTAL_PREFIX}/clients/:id/onbehalfof/remove`, async (request, reply) => {
    const p = await person(request, reply);
    if (!p) return reply;
    const integration = await integrations.get(p.access, request.params.id);
    return changingPart(p, reply, integration, 'onBehalfOfError', '#onbehalfof-title', () => integrations.removeOnBehalfOf(p.access, integration.client_id, String(request.body?.onbehalfof ?? ''), p.actor));
  });

  app.post<{ Params: { id: string }; Body: Record<string, string> }>(`${PORTAL_PREFIX}/clients/:id`, async (request, reply) => {
    const p = await person(request, reply);
    if (!p) return reply;
    const before = await integrations.get(p.access, request.params.id);
    const values = { ...formValues(request.body), integration_type: before.integration_type };
    // The version the person edited (a form from before versions were sent has none: saved as before).
    const edited = typeof request.body?.version === 'string' && request.body.version ? request.body.version : undefined;
    try {
      await integrations.update(p.access, before.client_id, { ...before, ...toInput(values) }, p.actor, edited);
      return reply.redirect(`${PORTAL_PREFIX}/clients/${encodeURIComponent(before.client_id)}`, 303);
    } catch (err) {
      if (err instanceof PreconditionFailedError) {
        // Someone else saved first: show what is there now, and let the person make the change again.
        const current = await integrations.get(p.access, before.client_id);
        return html(reply, await editPage(p, current, valuesOf(current), { changedMeanwhile: true }), 409);
      }
      if (!(err instanceof ClientValidationError)) throw err;
      return html(reply, await editPage(p, before, values, { error: problem(err, p.locale) }), 400);
    }
  });

  app.post<{ Params: { id: string } }>(`${PORTAL_PREFIX}/clients/:id/secret`, async (request, reply) => {
    const p = await person(request, reply);
    if (!p) return reply;
    const { integration, client_secret } = await integrations.newSecret(p.access, request.params.id, p.actor);
    return html(reply, secretPage({ ...frame(p), integration, secret: client_secret }));
  });

  app.post<{ Params: { id: string }; Body: { active?: string } }>(`${PORTAL_PREFIX}/clients/:id/active`, async (request, reply) => {
    const p = await person(request, reply);
    if (!p) return reply;
    const before = await integrations.get(p.access, request.params.id);
    await integrations.update(p.access, before.client_id, { ...before, active: request.body?.active === 'yes' }, p.actor);
    return reply.redirect(`${PORTAL_PREFIX}/clients/${encodeURIComponent(before.client_id)}`, 303);
  });

  app.post<{ Params: { id: string } }>(`${PORTAL_PREFIX}/clients/:id/delete`, async (request, reply) => {
    const p = await person(request, reply);
    if (!p) return reply;
    const before = await integrations.get(p.access, request.params.id);
    await integrations.remove(p.access, before.client_id, p.actor);
    return reply.redirect(before.client_orgno ? `${PORTAL_PREFIX}/orgs/${before.client_orgno}` : PORTAL_PREFIX, 303);
  });

  app.get<{ Querystring: { q?: string } }>(`${PORTAL_PREFIX}/desk`, async (request, reply) => {
    const p = await person(request, reply);
    if (!p) return reply;
    if (!p.serviceDesk) return reply.code(404).type('text/plain; charset=utf-8').send('Not found');
    const query = String(request.query.q ?? '').trim().slice(0, 200);
    const needle = query.toLowerCase();
    const matches = query ? (await integrations.list('all', { includeInactive: true })).filter((i) =>
      i.client_id.toLowerCase().includes(needle) || (i.client_orgno ?? '').includes(needle) || (i.client_name ?? '').toLowerCase().includes(needle)) : [];
    // A short query matches most of a large installation: the page shows the first ones and how many there are.
    const results = matches.slice(0, DESK_RESULTS_SHOWN);
    // A reference quoted from an error page (12 hex digits, however the person wrote them).
    const reference = ERROR_REFERENCE.test(needle) ? { value: needle, event: await integrations.withReference('all', needle) } : undefined;
    const support = <SupportTable t={translator(p.locale)} requests={await options.support.list('all', { status: 'open', limit: 50 })} id="desk-support-title" showOrg />;
    const requests = requestsRequired ? <ProductionRequestTable t={translator(p.locale)} requests={await options.productionRequests.list('all', { status: 'pending', limit: 50 })} id="desk-requests-title" showOrg /> : undefined;
    return html(reply, deskPage({ locale: p.locale, pid: p.session.pid, csrf: p.session.csrf, query, results, matches: matches.length, failing: await integrations.failing('all'), audit: await options.audit.list({ limit: 50 }), reference, support, requests,
      prefixes: <PrefixTable t={translator(p.locale)} prefixes={await options.apiScopes.allPrefixes()} /> }));
  });

  supportRoutes(app, { support: options.support, integrations, environment: options.environment, person, frame, html, orgFor });
  productionRoutes(app, {
    requests: options.productionRequests, environment: options.environment, issuer, testPortalUrl: options.testPortalUrl,
    person, frame, html, orgFor,
  });
  scopeRoutes(app, { apiScopes: options.apiScopes, person, frame, html, orgFor, orgPage: (p, org, prefixError) => orgPageOf(p, org, false, prefixError) });

  app.setErrorHandler(async (error, request, reply) => {
    if (error instanceof NotFoundError || error instanceof SupportNotFoundError || error instanceof ProductionRequestNotFoundError || error instanceof ScopeNotFoundError) return html(reply, problemPage({ locale: localeOf(request), message: 'portal.problem.notFound' }), 404);
    if (error instanceof DomainError) return html(reply, problemPage({ locale: localeOf(request), message: 'portal.problem.invalid', detail: error.message }), 400);
    throw error;
  });
}
