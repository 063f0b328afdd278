// The portal's routes for support requests (onboarding/support.ts): an organisation asks the service
// desk about an integration or about itself; both sides reply; either closes. Every form carries
// the session's CSRF token (checked by `person`).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DomainError } from '../../registry/errors.js';
import { NotFoundError, type Access, type Integrations, type IntegrationView } from '../../registry/integrations.js';
import type { Organisation } from '../../registry/organisations.js';
import type { Actor } from '../../registry/audit.js';
import type { Support, SupportRequest } from '../../onboarding/support.js';
import type { Locale } from '../../provider/locale.js';
import { PORTAL_PREFIX } from './pages.js';
import { supportNewPage, supportRequestPage } from './support-pages.js';

interface Person {
  access: Access;
  serviceDesk: boolean;
  actor: Actor;
  locale: Locale;
}

export interface SupportRouteOptions<P extends Person> {
  support: Support;
  integrations: Integrations;
  environment: string;
  /** The logged-in person (a POST's CSRF token checked), or undefined when the reply is sent already. */
  person(request: FastifyRequest, reply: FastifyReply): Promise<P | undefined>;
  frame(p: P): { locale: Locale; pid: string; csrf: string; serviceDesk: boolean };
  html(reply: FastifyReply, body: string, status?: number): FastifyReply;
  /** The organisation, if the person may see it (else NotFoundError). */
  orgFor(p: P, orgno: string): Promise<Organisation>;
}

type Body = Record<string, string | undefined> | undefined;

export function supportRoutes<P extends Person>(app: FastifyInstance, o: SupportRouteOptions<P>): void {
  const { support, integrations } = o;
  const field = (err: DomainError) => (err.code === 'support.subject' ? 'subject' : err.code === 'support.text' ? 'text' : undefined);

  /** What a request is about: its organisation and, if it names one, its integration. */
  async function subjectOf(p: P, orgno: string, clientId: string | undefined): Promise<{ org: Organisation; integration: IntegrationView | undefined }> {
    const integration = clientId ? await integrations.get(p.access, clientId) : undefined;
    return { org: await o.orgFor(p, integration?.client_orgno ?? orgno), integration };
  }

  const requestPage = async (p: P, request: SupportRequest, error?: string) => {
    // An integration deleted since is named by its client_id alone; any other failure is the page's.
    const { org, integration } = await subjectOf(p, request.orgno, request.client_id).catch((err: unknown) => {
      if (err instanceof NotFoundError) return { org: undefined, integration: undefined };
      throw err;
    });
    const orgName = org ? `${org.name} (${org.orgno})` : request.orgno;
    return supportRequestPage({ ...o.frame(p), request, org: orgName, integration, environment: o.environment, error });
  };

  app.get<{ Querystring: { client_id?: string; orgno?: string } }>(`${PORTAL_PREFIX}/support/new`, async (request, reply) => {
    const p = await o.person(request, reply);
    if (!p) return reply;
    const { org, integration } = await subjectOf(p, String(request.query.orgno ?? ''), request.query.client_id);
    return o.html(reply, supportNewPage({ ...o.frame(p), org, integration, environment: o.environment, values: { subject: '', text: '' } }));
  });

  app.post<{ Body: Body }>(`${PORTAL_PREFIX}/support`, async (request, reply) => {
    const p = await o.person(request, reply);
    if (!p) return reply;
    const body = request.body ?? {};
    const clientId = body.client_id || undefined;
    const { org, integration } = await subjectOf(p, String(body.orgno ?? ''), clientId);
    const values = { subject: String(body.subject ?? ''), text: String(body.text ?? '') };
    try {
      const opened = await support.open(p.access, { orgno: org.orgno, clientId, ...values }, p.actor);
      return reply.redirect(`${PORTAL_PREFIX}/support/${opened.id}`, 303);
    } catch (err) {
      if (!(err instanceof DomainError) || !field(err)) throw err;
      return o.html(reply, supportNewPage({ ...o.frame(p), org, integration, environment: o.environment, values, error: { field: field(err)!, message: err.message } }), 400);
    }
  });

  app.get<{ Params: { id: string } }>(`${PORTAL_PREFIX}/support/:id`, async (request, reply) => {
    const p = await o.person(request, reply);
    if (!p) return reply;
    return o.html(reply, await requestPage(p, await support.get(p.access, request.params.id)));
  });

  app.post<{ Params: { id: string }; Body: Body }>(`${PORTAL_PREFIX}/support/:id/reply`, async (request, reply) => {
    const p = await o.person(request, reply);
    if (!p) return reply;
    try {
      await support.reply(p.access, request.params.id, String(request.body?.text ?? ''), p.actor);
      return reply.redirect(`${PORTAL_PREFIX}/support/${request.params.id}`, 303);
    } catch (err) {
      if (!(err instanceof DomainError) || !field(err)) throw err;
      return o.html(reply, await requestPage(p, await support.get(p.access, request.params.id), err.message), 400);
    }
  });

  app.post<{ Params: { id: string } }>(`${PORTAL_PREFIX}/support/:id/close`, async (request, reply) => {
    const p = await o.person(request, reply);
    if (!p) return reply;
    await support.close(p.access, request.params.id, p.actor);
    return reply.redirect(`${PORTAL_PREFIX}/support/${request.params.id}`, 303);
  });
}
