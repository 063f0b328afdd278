// ID-porten's SSO session (profile §5): one session for all clients of the environment, ended after
// a period without authorization requests (each one extends it) and at an absolute limit after the
// login. Clients registered with sso_disabled keep their login to themselves.
import { interactionPolicy, type KoaContextWithOIDC } from 'oidc-provider';

export interface SessionLimits {
  idleSeconds: number;
  maxSeconds: number;
}

/** Marks which login a session holds: the shared one, or one isolated to an sso_disabled client. */
export interface IsolatedSession {
  accountId?: string;
  loginTs?: number;
  acr?: string;
  amr?: string[];
  isolatedFor?: string;
  /** The client the session's latest login was made for: whose login another service reuses by SSO. */
  loginFor?: string;
}

/** Emitted on the provider when a person has logged in (not for SSO): (ctx, { method, acr }). */
export const LOGIN_EVENT = 'portvakt.login';
export interface LoginEvent {
  method: string;
  acr: string;
  /** The prompt the request asked for, as it was when the person logged in (a headless login takes `login` off it). */
  prompt?: string | undefined;
}

/**
 * The session's time to live at each save. oidc-provider saves a known session on every request
 * that touches it, so every authorization request restarts the idle timer, never past the maximum.
 */
export function sessionTtl(limits: SessionLimits) {
  return (_ctx: KoaContextWithOIDC, session: IsolatedSession): number => {
    if (!session.loginTs) return limits.idleSeconds;
    const untilMax = session.loginTs + limits.maxSeconds - Math.floor(Date.now() / 1000);
    return Math.max(1, Math.min(limits.idleSeconds, untilMax));
  };
}

function isolatedClientId(ctx: KoaContextWithOIDC): string | undefined {
  const client = ctx.oidc.client as { clientId: string; sso_disabled?: boolean } | undefined;
  return client?.sso_disabled ? client.clientId : undefined;
}

/**
 * A client with sso_disabled reuses only a login made for it; any other client does not reuse such
 * a login (profile §5). A login just made in this request always counts.
 */
export const ssoIsolationCheck = new interactionPolicy.Check(
  'sso_isolated',
  'the existing login belongs to another SSO session',
  (ctx) => {
    const session = ctx.oidc.session as (IsolatedSession & object) | undefined;
    if (!session?.accountId || ctx.oidc.result?.login) return interactionPolicy.Check.NO_NEED_TO_PROMPT;
    return session.isolatedFor !== isolatedClientId(ctx) ? interactionPolicy.Check.REQUEST_PROMPT : interactionPolicy.Check.NO_NEED_TO_PROMPT;
  },
);

/** After a fresh login: records whose login it is, and tells whoever counts logins. */
export function completeLogin(ctx: KoaContextWithOIDC, session: IsolatedSession): void {
  session.isolatedFor = isolatedClientId(ctx);
  session.loginFor = ctx.oidc.client?.clientId;
  const prompt = ctx.oidc.params?.prompt;
  const event: LoginEvent = { method: session.amr?.[0] ?? 'unknown', acr: session.acr ?? 'unknown', ...(typeof prompt === 'string' ? { prompt } : {}) };
  ctx.oidc.provider.emit(LOGIN_EVENT, ctx, event);
}
