// A small demo service, a real relying party of this provider, like ID-porten's demo client in its
// test environment: log in with a chosen level and language, see the id_token and userinfo claims,
// log out, and be logged out by front-channel logout. Test environments only.
import crypto from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import formbody from '@fastify/formbody';
import { firstPartyClient, type ProviderBackChannel } from '../rp/first-party.js';
import { createCsrf } from '../login/csrf.js';
import { servedOverHttps } from '../config/index.js';
import type { ClientInput } from '../registry/client-schema.js';
import { ACR_VALUES } from '../provider/acr.js';
import { catalogues } from '../ui/i18n/index.js';
import { chooseLocale, isLocale, LOCALES, type Locale } from '../provider/locale.js';
import { translator } from '../ui/i18n/index.js';
import { Layout, renderPage } from '../ui/layout.js';
import { DemoSessions } from './sessions.js';
import { FULLMAKT_TYPE } from '../identity/fullmakt.js';
import { PROFILE_PREFIX } from '../profile/page.js';

export const DEMO_PREFIX = '/demo';
export const DEMO_CLIENT_ID = 'portvakt-demo';
const FLOW_COOKIE = 'portvakt_demo_flow';
const SESSION_COOKIE = 'portvakt_demo_session';

/** The demo client; its secret is new at every start and known only to this process. */
export function demoClient(issuer: string): ClientInput {
  return firstPartyClient({
    clientId: DEMO_CLIENT_ID, clientName: 'Portvakt demo', issuer, prefix: DEMO_PREFIX,
    postLogoutPath: `${DEMO_PREFIX}/logged-out`, frontchannelPath: `${DEMO_PREFIX}/logout/frontchannel`,
  });
}

export async function demoRoutes(app: FastifyInstance, { issuer, client, backChannel }: { issuer: string; client: ClientInput; backChannel: ProviderBackChannel }) {
  await app.register(formbody, { bodyLimit: 4 * 1024 });
  const sessions = new DemoSessions();
  const secure = servedOverHttps(issuer);
  const csrf = createCsrf([crypto.createSecretKey(crypto.randomBytes(32))], 'demo-logout');

  const localeOf = (request: FastifyRequest<{ Querystring: { lang?: string } }>): Locale =>
    isLocale(request.query?.lang) ? request.query.lang : chooseLocale(undefined, undefined);

  const send = (reply: FastifyReply, locale: Locale, title: string, body: preact.ComponentChildren, status = 200) => {
    const t = translator(locale);
    return reply.code(status).type('text/html; charset=utf-8').send(renderPage(
      <Layout locale={locale} t={t} title={title} languageHref={(l) => `${DEMO_PREFIX}?lang=${l}`}>
        <h1>{title}</h1>
        {body}
      </Layout>,
    ));
  };

  app.get<{ Querystring: { lang?: string } }>(DEMO_PREFIX, async (request, reply) => {
    const session = sessions.find(request.cookies[SESSION_COOKIE]);
    const locale = session && !request.query.lang ? (session.locale as Locale) : localeOf(request);
    const t = translator(locale);
    if (!session) {
      return send(reply, locale, t('demo.title'), (
        <>
          <p>{t('demo.intro')}</p>
          <form method="get" action={`${DEMO_PREFIX}/login`}>
            <fieldset class="ds-fieldset">
              <legend class="ds-label">{t('demo.level')}</legend>
              {ACR_VALUES.map((acr, i) => (
                <div class="ds-field" key={acr}>
                  <input class="ds-input" type="radio" id={`demo-${acr}`} name="acr" value={acr} checked={i === 0} />
                  <label class="ds-label" for={`demo-${acr}`}><code>{acr}</code></label>
                </div>
              ))}
            </fieldset>
            <div class="ds-field">
              <label class="ds-label" for="demo-lang">{t('demo.language')}</label>
              <select class="ds-input" id="demo-lang" name="lang">
                {LOCALES.map((l) => <option value={l} selected={l === locale}>{catalogues[l]['lang.name']}</option>)}
              </select>
            </div>
            <button type="submit" class="ds-button" data-variant="primary">{t('demo.login')}</button>
          </form>
        </>
      ));
    }
    const amr = Array.isArray(session.claims.amr) ? session.claims.amr.join(', ') : String(session.claims.amr);
    const represented = representedBy(session.claims);
    return send(reply, locale, t('demo.loggedIn'), (
      <>
        <p>{t('demo.summary', { pid: String(session.claims.pid), acr: String(session.claims.acr), amr })}</p>
        {represented && <p id="represents">{t('demo.represents', { name: represented.name, pid: represented.pid })}</p>}
        <form method="post" action={`${DEMO_PREFIX}/logout`}>
          <input type="hidden" name="csrf" value={csrf.tokenFor(session.id)} />
          <button type="submit" class="ds-button" data-variant="primary">{t('demo.logout')}</button>
        </form>
        {/* ID-porten's fullmakt journey: logged in as oneself, the person asks to represent someone (provider/fullmakt.ts). */}
        <form method="get" action={`${DEMO_PREFIX}/login`}>
          <input type="hidden" name="lang" value={locale} />
          <div class="ds-field">
            <label class="ds-label" for="demo-roles">{t('demo.fullmakt.roles')}</label>
            <p id="demo-roles-hint" class="hint">{t('demo.fullmakt.rolesHint')}</p>
            <input class="ds-input" id="demo-roles" name="roles" type="text" value="arbeid skatt helse" aria-describedby="demo-roles-hint" />
          </div>
          <button type="submit" class="ds-button" data-variant="secondary">{t('demo.fullmakt.submit')}</button>
        </form>
        {/* Where the person sees this login among their authorizations, and withdraws it (profile/). */}
        <p><a href={`${PROFILE_PREFIX}?lang=${locale}`} id="profile-link">{t('demo.profile')}</a></p>
        <h2>{t('demo.idToken')}</h2>
        <pre id="id-token-claims">{JSON.stringify(session.claims, null, 2)}</pre>
        <h2>{t('demo.userinfo')}</h2>
        <pre id="userinfo">{JSON.stringify(session.userinfo, null, 2)}</pre>
      </>
    ));
  });

  app.get<{ Querystring: { acr?: string; lang?: string; prompt?: string; roles?: string } }>(`${DEMO_PREFIX}/login`, async (request, reply) => {
    const roles = String(request.query.roles ?? '').split(/[\s,]+/).filter(Boolean);
    const state = crypto.randomBytes(16).toString('base64url');
    const nonce = crypto.randomBytes(16).toString('base64url');
    const verifier = crypto.randomBytes(32).toString('base64url');
    const locale = localeOf(request);
    const url = new URL(`${issuer}/authorize`);
    url.search = new URLSearchParams({
      client_id: client.client_id,
      response_type: 'code',
      scope: 'openid profile',
      redirect_uri: client.redirect_uris[0]!,
      state,
      nonce,
      code_challenge: crypto.createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
      acr_values: ACR_VALUES.find((acr) => acr === request.query.acr) ?? 'idporten-loa-substantial',
      ui_locales: locale,
      ...(request.query.prompt === 'login' ? { prompt: 'login' } : {}),
      // A fullmakt login for these roles; the provider checks them and says what is wrong.
      ...(roles.length ? { authorization_details: JSON.stringify([{ type: FULLMAKT_TYPE, permission_roles: roles }]) } : {}),
    }).toString();
    reply.setCookie(FLOW_COOKIE, `${state}.${nonce}.${verifier}.${locale}`, { path: DEMO_PREFIX, httpOnly: true, sameSite: 'lax', maxAge: 1800, secure });
    return reply.redirect(url.toString(), 303);
  });

  app.get<{ Querystring: Record<string, string | undefined> }>(`${DEMO_PREFIX}/callback`, async (request, reply) => {
    const [expectedState, nonce, verifier, flowLocale] = request.cookies[FLOW_COOKIE]?.split('.') ?? [];
    const locale = isLocale(flowLocale) ? flowLocale : 'nb';
    const t = translator(locale);
    const { code, state, error, error_description: description } = request.query;
    reply.clearCookie(FLOW_COOKIE, { path: DEMO_PREFIX });
    const failed = (detail: preact.ComponentChildren, status = 400) =>
      send(reply, locale, t('demo.failed'), <><p>{detail}</p><p><a href={`${DEMO_PREFIX}?lang=${locale}`}>{t('demo.again')}</a></p></>, status);
    if (error) return failed(<><code>{error}</code>{description ? `: ${description}` : ''}</>);
    if (!expectedState || state !== expectedState || !code) return failed('state does not match this browser\'s login');

    const exchanged = await backChannel.exchangeCode(client, { code, verifier: verifier!, nonce: nonce! });
    if ('error' in exchanged) return failed(<code>{exchanged.error}</code>, 502);
    const { claims: payload } = exchanged;
    const userinfo = await backChannel.userinfo(exchanged.accessToken);
    const session = sessions.create({ idToken: exchanged.idToken, claims: payload, userinfo, sid: typeof payload.sid === 'string' ? payload.sid : undefined, locale });
    reply.setCookie(SESSION_COOKIE, session.id, { path: DEMO_PREFIX, httpOnly: true, sameSite: 'lax', secure });
    return reply.redirect(`${DEMO_PREFIX}?lang=${locale}`, 303);
  });

  // RP-initiated logout: end the local session, then let the provider end the SSO session.
  app.post<{ Body: { csrf?: string } }>(`${DEMO_PREFIX}/logout`, async (request, reply) => {
    const session = sessions.find(request.cookies[SESSION_COOKIE]);
    if (!session) return reply.redirect(DEMO_PREFIX, 303);
    if (!csrf.matches(session.id, request.body?.csrf)) return reply.code(400).send({ error: 'invalid_request', error_description: 'bad form token' });
    sessions.end(session.id);
    reply.clearCookie(SESSION_COOKIE, { path: DEMO_PREFIX });
    const url = new URL(`${issuer}/logout`);
    url.search = new URLSearchParams({ id_token_hint: session.idToken, post_logout_redirect_uri: client.post_logout_redirect_uris[0]!, state: session.locale, ui_locales: session.locale }).toString();
    return reply.redirect(url.toString(), 303);
  });

  app.get<{ Querystring: { state?: string; lang?: string } }>(`${DEMO_PREFIX}/logged-out`, async (request, reply) => {
    const locale = isLocale(request.query.state) ? request.query.state : localeOf(request);
    const t = translator(locale);
    return send(reply, locale, t('demo.title'), <><p>{t('demo.loggedOut')}</p><p><a href={`${DEMO_PREFIX}?lang=${locale}`}>{t('demo.again')}</a></p></>);
  });

  // Front-channel logout (OpenID Front-Channel Logout 1.0): loaded by the provider in a hidden frame.
  app.get<{ Querystring: { iss?: string; sid?: string } }>(`${DEMO_PREFIX}/logout/frontchannel`, async (request, reply) => {
    if (request.query.iss === issuer && request.query.sid) sessions.endBySid(request.query.sid);
    reply.clearCookie(SESSION_COOKIE, { path: DEMO_PREFIX });
    return reply
      .header('cache-control', 'no-store')
      .header('content-security-policy', `default-src 'none'; frame-ancestors ${new URL(issuer).origin}`)
      .type('text/html; charset=utf-8')
      .send('<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Logged out</title></head><body></body></html>');
  });
}

/** Whom the logged-in person represents, from the id_token's authorization_details (a fullmakt login). */
function representedBy(claims: Record<string, unknown>): { name: string; pid: string } | undefined {
  const [detail] = Array.isArray(claims.authorization_details) ? claims.authorization_details as Array<{ authorizer?: { name?: unknown; pid?: unknown } }> : [];
  const authorizer = detail?.authorizer;
  return typeof authorizer?.name === 'string' && typeof authorizer.pid === 'string' ? { name: authorizer.name, pid: authorizer.pid } : undefined;
}
