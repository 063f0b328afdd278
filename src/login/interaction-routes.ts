// The login pages oidc-provider sends people to (its "interactions"). TestID is the one login
// method so far; with more methods, this becomes the method chooser.
import crypto from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import formbody from '@fastify/formbody';
import type Provider from 'oidc-provider';
import { errors } from 'oidc-provider';
import { ACR_VALUES, requiredAcr, type Acr } from '../provider/acr.js';
import { chooseLocale, isLocale, LANGUAGE_COOKIE, type Locale } from '../provider/locale.js';
import { testIdPidProblem } from '../provider/testid-hint.js';
import { InvalidPidError, parsePid } from '../identity/pid.js';
import { testPersons, ageOfPid } from '../identity/test-persons.js';
import { renderTestIdPage } from '../ui/pages/testid-page.js';
import type { MessageKey } from '../ui/i18n/index.js';

export const INTERACTION_PREFIX = '/login';

export interface LoginOptions {
  provider: Provider;
  /** Keys the CSRF token of each login form. */
  csrfKey: string;
  secureCookies: boolean;
}

type Details = Awaited<ReturnType<Provider['interactionDetails']>>;

export async function loginRoutes(app: FastifyInstance, options: LoginOptions): Promise<void> {
  const { provider } = options;
  await app.register(formbody, { bodyLimit: 8 * 1024 });

  const csrfFor = (uid: string) => crypto.createHmac('sha256', options.csrfKey).update(`login-form:${uid}`).digest('base64url');
  const csrfMatches = (uid: string, value: unknown) => {
    const expected = Buffer.from(csrfFor(uid));
    const actual = Buffer.from(typeof value === 'string' ? value : '');
    return expected.length === actual.length && crypto.timingSafeEqual(expected, actual);
  };

  const localeOf = (request: FastifyRequest, details: Details): Locale =>
    chooseLocale(details.params.ui_locales as string | undefined, readCookie(request, LANGUAGE_COOKIE));

  async function renderLogin(request: FastifyRequest, reply: FastifyReply, details: Details, locale: Locale, state: { pid?: string; error?: MessageKey; acr?: Acr } = {}) {
    const client = await provider.Client.find(String(details.params.client_id));
    const required = requiredAcr(details.params.acr_values as string | undefined) ?? 'idporten-loa-substantial';
    const levels = ACR_VALUES.filter((l) => required === 'idporten-loa-substantial' || l === 'idporten-loa-high');
    const path = `${INTERACTION_PREFIX}/${details.uid}`;
    return reply
      .code(state.error ? 400 : 200)
      .header('content-type', 'text/html; charset=utf-8')
      .send(renderTestIdPage({
        locale,
        action: path,
        csrf: csrfFor(details.uid),
        serviceName: client?.clientName ?? String(details.params.client_id),
        levels: [...levels],
        selectedLevel: state.acr && levels.includes(state.acr) ? state.acr : required,
        pid: state.pid,
        error: state.error,
        persons: testPersonsWithAge(),
        today: new Date().toISOString().slice(0, 10),
        languageHref: (l) => `${path}?lang=${l}`,
      }));
  }

  app.get<{ Params: { uid: string }; Querystring: { lang?: string } }>(`${INTERACTION_PREFIX}/:uid`, async (request, reply) => {
    const details = await provider.interactionDetails(request.raw, reply.raw);
    let locale = localeOf(request, details);
    if (isLocale(request.query.lang)) {
      locale = request.query.lang;
      reply.header('set-cookie', `${LANGUAGE_COOKIE}=${locale}; Path=/; Max-Age=31536000; SameSite=Lax; HttpOnly${options.secureCookies ? '; Secure' : ''}`);
    }
    if (details.prompt.name !== 'login') {
      // Consent is implicit in ID-porten; the grant is made when the request resumes.
      return reply.redirect(await provider.interactionResult(request.raw, reply.raw, {}, { mergeWithLastSubmission: true }), 303);
    }
    return renderLogin(request, reply, details, locale);
  });

  app.post<{ Params: { uid: string }; Body: Record<string, unknown> }>(`${INTERACTION_PREFIX}/:uid`, async (request, reply) => {
    const details = await provider.interactionDetails(request.raw, reply.raw);
    const locale = localeOf(request, details);
    const body = request.body ?? {};
    if (!csrfMatches(details.uid, body.csrf)) return renderLogin(request, reply, details, locale, { error: 'login.error.csrf' });

    if (body.action === 'cancel') {
      const url = await provider.interactionResult(request.raw, reply.raw, { error: 'access_denied', error_description: 'The person cancelled the login' });
      return reply.redirect(url, 303);
    }

    const pid = String(body.pick ?? body.pid ?? '').replace(/\s+/g, '');
    const acr = ACR_VALUES.find((l) => l === body.acr);
    const problem = pidProblem(pid);
    if (problem) return renderLogin(request, reply, details, locale, { pid, error: problem, ...(acr ? { acr } : {}) });
    const required = requiredAcr(details.params.acr_values as string | undefined);
    if (!acr || (required === 'idporten-loa-high' && acr !== 'idporten-loa-high')) {
      return renderLogin(request, reply, details, locale, { pid, error: 'login.error.level' });
    }
    const url = await provider.interactionResult(request.raw, reply.raw, {
      login: { accountId: pid, acr, amr: ['TestID'], remember: true },
    });
    return reply.redirect(url, 303);
  });
}

let personsOfDay: { day: string; persons: Array<(typeof testPersons)[number] & { age: number }> } | undefined;

/** The test population with today's ages, computed once a day. */
function testPersonsWithAge() {
  const day = new Date().toISOString().slice(0, 10);
  if (personsOfDay?.day !== day) personsOfDay = { day, persons: testPersons.map((p) => ({ ...p, age: ageOfPid(p.pid) })) };
  return personsOfDay.persons;
}

function pidProblem(pid: string): MessageKey | undefined {
  try {
    parsePid(pid);
  } catch (err) {
    if (err instanceof InvalidPidError) return `login.error.${err.problem}`;
    throw err;
  }
  return testIdPidProblem(pid) ? 'login.error.notSynthetic' : undefined;
}

function readCookie(request: FastifyRequest, name: string): string | undefined {
  const header = request.headers.cookie ?? '';
  for (const part of header.split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return value.join('=');
  }
  return undefined;
}

/** oidc-provider's "interaction not found / expired" errors become a clear page, not a 500. */
export function isInteractionError(err: unknown): err is InstanceType<typeof errors.OIDCProviderError> {
  return err instanceof errors.SessionNotFound || err instanceof errors.OIDCProviderError;
}
