// Logout as ID-porten does it (profile §6.1): end the SSO session, revoke the grants that were only
// for logging in, load every session client's front-channel logout URI (the initiator's too), then
// go to the post_logout_redirect_uri or show "you are logged out". oidc-provider ends the session and
// revokes; this module decides which grants survive and renders the pages around it.
import type { KoaContextWithOIDC, Provider } from 'oidc-provider';
import { chooseLocale, LANGUAGE_COOKIE, type Locale } from './locale.js';

const LOGIN_SCOPES = new Set(['openid', 'profile']);

/**
 * Emitted on the provider for each client whose front-channel logout URI a logout loads:
 * (ctx, clientId, FrontchannelLogoutEvent).
 */
export const FRONTCHANNEL_LOGOUT_EVENT = 'portvakt.frontchannel_logout';
export interface FrontchannelLogoutEvent {
  /** Who asked for the logout: this client, another one, or nobody named (the person, at /logout). */
  initiatedBy: 'self' | 'another' | 'person';
  /** Whether the URI carried iss and sid. */
  sid: boolean;
}

export interface LogoutPages {
  /** automatic: the request named its client (id_token_hint or client_id), so no question is asked. */
  logout(p: { locale: Locale; action: string; xsrf: string; automatic: boolean }): { html: string; csp: string };
  frontchannel(p: { locale: Locale; frames: Array<{ url: string; serviceName: string }>; next: string }): { html: string; csp: string };
  loggedOut(p: { locale: Locale }): { html: string; csp: string };
}

type Authorizations = Record<string, { grantId?: string; sid?: string; persistsLogout?: boolean }>;

function localeOf(ctx: KoaContextWithOIDC): Locale {
  return chooseLocale(ctx.oidc?.params?.ui_locales as string | undefined, ctx.cookies.get(LANGUAGE_COOKIE, { signed: false }));
}

function send(ctx: KoaContextWithOIDC, page: { html: string; csp: string }, status = 200): void {
  ctx.status = status;
  ctx.type = 'html';
  ctx.set('content-security-policy', page.csp); // x-frame-options and nosniff: security-headers.ts
  ctx.body = page.html;
}

/** Grants holding API scopes survive a logout; pure login grants (openid, profile) are revoked. */
async function markGrantsThatSurvive(ctx: KoaContextWithOIDC): Promise<void> {
  const authorizations = (ctx.oidc.session?.authorizations ?? {}) as Authorizations;
  await Promise.all(Object.values(authorizations).map(async (authorization) => {
    if (!authorization.grantId) return;
    const grant = await ctx.oidc.provider.Grant.find(authorization.grantId);
    const scopes = [
      ...(grant?.getOIDCScope().split(' ') ?? []),
      ...Object.keys(grant?.resources ?? {}).flatMap((resource) => grant!.getResourceScope(resource).split(' ')),
    ].filter(Boolean);
    authorization.persistsLogout = scopes.some((scope) => !LOGIN_SCOPES.has(scope));
  }));
}

export function logoutSource(pages: LogoutPages) {
  return async (ctx: KoaContextWithOIDC, form: string): Promise<void> => {
    await markGrantsThatSurvive(ctx);
    const action = /action="([^"]+)"/.exec(form)?.[1] ?? '';
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(form)?.[1] ?? '';
    const automatic = !!(ctx.oidc.entities.IdTokenHint || ctx.oidc.entities.Client);
    send(ctx, pages.logout({ locale: localeOf(ctx), action, xsrf, automatic }));
  };
}

export function postLogoutSuccessSource(pages: LogoutPages) {
  return async (ctx: KoaContextWithOIDC): Promise<void> => send(ctx, pages.loggedOut({ locale: localeOf(ctx) }));
}

/**
 * Koa middleware around oidc-provider: when a logout has ended the session and is about to
 * redirect, answer instead with the page that loads every client's front-channel logout URI and
 * then follows that redirect.
 */
export function frontchannelLogout(provider: Provider, pages: LogoutPages) {
  return async function frontchannel(ctx: KoaContextWithOIDC, next: () => Promise<void>): Promise<void> {
    await next();
    if (ctx.oidc?.route !== 'end_session_confirm' || ctx.status !== 303) return;
    const session = ctx.oidc.session as { destroyed?: boolean; authorizations?: Authorizations } | undefined;
    if (!session?.destroyed) return;
    const frames: Array<{ url: string; serviceName: string }> = [];
    const initiator = ctx.oidc.client?.clientId;
    const loaded: Array<[string, FrontchannelLogoutEvent]> = [];
    for (const [clientId, { sid }] of Object.entries(session.authorizations ?? {})) {
      const client = (await provider.Client.find(clientId)) as
        | { clientName?: string; frontchannel_logout_uri?: string; frontchannel_logout_session_required?: boolean }
        | undefined;
      if (!client?.frontchannel_logout_uri) continue;
      const url = new URL(client.frontchannel_logout_uri);
      const withSid = !!(client.frontchannel_logout_session_required && sid);
      if (withSid) {
        url.searchParams.set('iss', provider.issuer);
        url.searchParams.set('sid', sid!);
      }
      frames.push({ url: url.href, serviceName: client.clientName ?? clientId });
      loaded.push([clientId, { initiatedBy: !initiator ? 'person' : initiator === clientId ? 'self' : 'another', sid: withSid }]);
    }
    if (!frames.length) return;
    for (const [clientId, event] of loaded) provider.emit(FRONTCHANNEL_LOGOUT_EVENT, ctx, clientId, event);
    const destination = ctx.response.get('location');
    ctx.remove('location');
    send(ctx, pages.frontchannel({ locale: localeOf(ctx), frames, next: destination }));
  };
}
