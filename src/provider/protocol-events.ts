// Turns what the provider does into protocol events per client (registry/events.ts): oidc-provider's
// own events for authorization answers, token calls, errors and logout, and a look at each answer
// for what it announces no event for (userinfo, introspection and revocation that succeeded).
//
// One event per answer a client receives, so a login costs two (its authorization answer and its
// token call). Requests that name no known client are not recorded for anyone: nobody could read
// them, and anyone could make them; the log and /metrics count those.
import crypto from 'node:crypto';
import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';
import type { ProtocolEvent, ProtocolEventType } from '../registry/events.js';
import { LOGIN_EVENT, type IsolatedSession, type LoginEvent } from './sessions.js';
import { FRONTCHANNEL_LOGOUT_EVENT, type FrontchannelLogoutEvent } from './logout.js';
import { fullmaktOutcome } from './fullmakt.js';

interface OAuthError extends Error {
  error?: string;
  error_description?: string;
  error_detail?: string;
  allow_redirect?: boolean;
}

/** A reference a person can quote to support: short, random, meaningless. */
export function newReference(): string {
  return crypto.randomBytes(6).toString('hex');
}

const references = new WeakMap<object, string>();

/**
 * The reference of the error page this request shows: the same on the page and in the client's
 * protocol event, so the service desk finds what the person quotes.
 */
export function errorReference(ctx: object): string {
  let reference = references.get(ctx);
  if (!reference) references.set(ctx, (reference = newReference()));
  return reference;
}

type Listener = (...args: never[]) => void;

/**
 * Hands every protocol event to `sink` (the event store, and the log). `failed` hears of a listener
 * that threw: a mistake in recording must never become the answer to the request it records (an
 * emitter's listeners run inside the provider's request handling).
 */
export function recordProtocolEvents(provider: Provider, sink: (event: ProtocolEvent) => void, failed: (err: unknown) => void = () => undefined): void {
  const emitter = provider as unknown as { on(event: string, listener: Listener): void };
  const on = <A extends unknown[]>(event: string, listener: (...args: A) => void) =>
    emitter.on(event, ((...args: A) => {
      try {
        listener(...args);
      } catch (err) {
        failed(err);
      }
    }) as unknown as Listener);
  /** The login method of a login made during this request (absent: the answer reused the SSO session). */
  const freshLogins = new WeakMap<object, LoginEvent>();

  const record = (ctx: KoaContextWithOIDC, type: ProtocolEventType, outcome: ProtocolEvent['outcome'], detail?: ProtocolEvent['detail']) => {
    const clientId = ctx?.oidc?.client?.clientId;
    if (clientId) sink({ clientId, type, outcome, ...(detail ? { detail } : {}) });
  };
  const failure = (ctx: KoaContextWithOIDC, type: ProtocolEventType, err: OAuthError, detail: ProtocolEvent['detail'] = {}) =>
    record(ctx, type, 'failure', { ...detail, error: err.error ?? 'server_error', error_description: describe(err) });
  const param = (ctx: KoaContextWithOIDC, name: string) => {
    const value = ctx?.oidc?.params?.[name];
    return typeof value === 'string' ? value : undefined;
  };

  on(LOGIN_EVENT, (ctx: KoaContextWithOIDC, login: LoginEvent) => { if (ctx) freshLogins.set(ctx, login); });
  on('authorization.success', (ctx: KoaContextWithOIDC) => {
    const login = ctx ? freshLogins.get(ctx) : undefined;
    const session = ctx?.oidc?.session as IsolatedSession | undefined;
    const clientId = ctx?.oidc?.client?.clientId;
    // Whose login an SSO answer reused: this client's own, or another's (verification tests 1–4).
    const ssoFrom = login || !session?.loginFor ? undefined : session.loginFor === clientId ? 'self' : 'another';
    record(ctx, 'authorize', 'success', {
      redirect_uri: param(ctx, 'redirect_uri'),
      scope: param(ctx, 'scope'),
      response_mode: param(ctx, 'response_mode') ?? 'query',
      login: login?.method ?? 'sso',
      acr: session?.acr,
      sso_from: ssoFrom,
      // What the client asked for, as the verification tests look for it.
      acr_values: param(ctx, 'acr_values'),
      prompt: param(ctx, 'prompt') ?? login?.prompt,
      ui_locales: param(ctx, 'ui_locales'),
      onbehalfof: param(ctx, 'onbehalfof'),
      fullmakt: fullmaktOutcome(ctx),
      pkce: param(ctx, 'code_challenge') ? param(ctx, 'code_challenge_method') ?? 'plain' : 'none',
    });
    // The client whose login this was hears that another service used it, without learning which.
    if (ssoFrom === 'another') sink({ clientId: session!.loginFor!, type: 'sso', outcome: 'success', detail: { by: 'another service', acr: session!.acr } });
  });
  on('authorization.error', (ctx: KoaContextWithOIDC, err: OAuthError) => {
    // An error that cannot go back to the client is shown on a page, with a reference to quote.
    const onPage = err.allow_redirect === false || !ctx?.oidc?.client || !param(ctx, 'redirect_uri');
    failure(ctx, 'authorize', err, { redirect_uri: param(ctx, 'redirect_uri'), scope: param(ctx, 'scope'), ...(onPage && ctx ? { reference: errorReference(ctx) } : {}) });
  });
  on('pushed_authorization_request.success', (ctx: KoaContextWithOIDC) => record(ctx, 'par', 'success'));
  on('pushed_authorization_request.error', (ctx: KoaContextWithOIDC, err: OAuthError) => failure(ctx, 'par', err));
  on('grant.success', (ctx: KoaContextWithOIDC) => record(ctx, 'token', 'success', { grant_type: param(ctx, 'grant_type') }));
  on('grant.error', (ctx: KoaContextWithOIDC, err: OAuthError) => failure(ctx, 'token', err, { grant_type: param(ctx, 'grant_type') }));
  on('userinfo.error', (ctx: KoaContextWithOIDC, err: OAuthError) => failure(ctx, 'userinfo', err));
  on('introspection.error', (ctx: KoaContextWithOIDC, err: OAuthError) => failure(ctx, 'introspection', err));
  on('revocation.error', (ctx: KoaContextWithOIDC, err: OAuthError) => failure(ctx, 'revocation', err));
  on('end_session.success', (ctx: KoaContextWithOIDC) => {
    // How many other services the ended session held (a logout from this one logs them out too).
    const clientId = ctx?.oidc?.client?.clientId;
    const services = Object.keys(ctx?.oidc?.session?.authorizations ?? {}).filter((id) => id !== clientId).length;
    record(ctx, 'logout', 'success', { other_services: services });
  });
  on(FRONTCHANNEL_LOGOUT_EVENT, (_ctx: KoaContextWithOIDC, clientId: string, event: FrontchannelLogoutEvent) =>
    sink({ clientId, type: 'frontchannel_logout', outcome: 'success', detail: { initiated_by: event.initiatedBy, sid: event.sid } }));
  on('end_session.error', (ctx: KoaContextWithOIDC, err: OAuthError) => failure(ctx, 'logout', err));
  on('backchannel.success', (ctx: KoaContextWithOIDC, client: { clientId: string; backchannelLogoutUri?: string }) =>
    sink({ clientId: client.clientId, type: 'backchannel_logout', outcome: 'success', detail: { uri: client.backchannelLogoutUri } }));
  on('backchannel.error', (ctx: KoaContextWithOIDC, err: Error, client: { clientId: string; backchannelLogoutUri?: string }) =>
    sink({ clientId: client.clientId, type: 'backchannel_logout', outcome: 'failure', detail: { uri: client.backchannelLogoutUri, error: err?.message ?? String(err) } }));
  // What went wrong inside is in the server's log (with its stack), not in the client's events.
  on('server_error', (ctx: KoaContextWithOIDC) => record(ctx, 'server_error', 'failure', { error: 'server_error', route: ctx?.oidc?.route }));

  // Successes oidc-provider announces no event for (an introspection's with why a valid token was not active to the caller). Failures are left to its error events above
  // (which carry the error), so nothing is recorded twice.
  const answered: Partial<Record<string, ProtocolEventType>> = { userinfo: 'userinfo', introspection: 'introspection', revocation: 'revocation' };
  provider.use(async (ctx, next) => {
    await next();
    const type = ctx.oidc?.route ? answered[ctx.oidc.route] : undefined;
    if (!type || ctx.status !== 200) return;
    try {
      const active = type === 'introspection' ? (ctx.body as { active?: unknown } | undefined)?.active === true : undefined;
      const reason = inactiveBecause.get(ctx);
      record(ctx as KoaContextWithOIDC, type, 'success', active === undefined ? undefined : { active, ...(reason && !active ? { reason } : {}) });
    } catch (err) {
      failed(err);
    }
  });
}

const inactiveBecause = new WeakMap<object, string>();

/**
 * Why this introspection answers a valid token as not active (it may not tell the caller why): its
 * protocol event says so, for the API's developers and the service desk.
 */
export function introspectionRefused(ctx: object, reason: string): void {
  inactiveBecause.set(ctx, reason);
}

/** error_description and, where oidc-provider has it, the detail it keeps apart (e.g. which value was wrong). */
function describe(err: OAuthError): string | undefined {
  const parts = new Set([err.error_description ?? (err.error ? undefined : err.message), err.error_detail].filter(Boolean));
  return parts.size ? [...parts].join(': ') : undefined; // once, where an error's description is its detail
}

/** One line for a person reading the log: what failed for which client, and what it was told. */
export function describeFailure(event: ProtocolEvent): string {
  const { error, error_description: description } = event.detail ?? {};
  return `${event.type} failed for client ${event.clientId}: ${error ?? 'error'}${description ? ` (${description})` : ''}`;
}
