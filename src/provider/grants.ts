// ID-porten asks no consent for login: a logged-in person's grant for a client is created (or
// widened) with the scopes the client is registered for and asked for, and it remembers the
// language of the login for the `locale` claim. The exception is an API scope that asks for the
// person's consent (requires_user_consent): it joins the grant once the person has said yes on the
// consent page (login/interaction-routes.ts), or at once in a headless TestID login (profile §9.2),
// and the grant then remembers it for its lifetime.
import type { KoaContextWithOIDC, Provider } from 'oidc-provider';
import { chooseLocale, LANGUAGE_COOKIE } from './locale.js';
import { completeLogin, type IsolatedSession } from './sessions.js';
import { isLoggedInByHint } from './policies.js';

type Grant = InstanceType<KoaContextWithOIDC['oidc']['provider']['Grant']> & { locale?: string; onbehalfof?: string; userAgent?: string };

/** As much of the browser's User-Agent as a grant keeps, to show the person where they gave it (authorizations.ts). */
const USER_AGENT_MAX = 300;

/**
 * Ends a grant: the grant and every code and token issued from it (what oidc-provider's own revoke
 * does, for the grant types ID-porten has). Its client's next login makes a new grant, and asks
 * again for any consent the old one held.
 */
export async function revokeGrant(provider: Provider, grantId: string): Promise<void> {
  await Promise.all([
    provider.AccessToken.revokeByGrantId(grantId),
    provider.RefreshToken.revokeByGrantId(grantId),
    provider.AuthorizationCode.revokeByGrantId(grantId),
    provider.Grant.adapter.destroy(grantId),
  ]);
}

export async function loadOrCreateGrant(ctx: KoaContextWithOIDC, needsConsent: (scope: string) => boolean): Promise<Grant | undefined> {
  const oidc = ctx.oidc as KoaContextWithOIDC['oidc'] & { session: NonNullable<KoaContextWithOIDC['oidc']['session']> };
  const accountId = oidc.session.accountId;
  const clientId = oidc.client!.clientId;
  if (!accountId) return undefined;
  if (oidc.result?.login) completeLogin(ctx, oidc.session as IsolatedSession);

  const grantId = (oidc.result?.consent as { grantId?: string } | undefined)?.grantId ?? oidc.session.grantIdFor(clientId);
  let grant = grantId ? ((await oidc.provider.Grant.find(grantId)) as Grant | undefined) : undefined;
  if (grant && grant.accountId !== accountId) grant = undefined;
  // A grant is made for one onbehalfof customer (or none): a login for another gets a grant of its
  // own, so a code issued for the first still yields the first customer's claims.
  const onbehalfof = oidc.params!.onbehalfof as string | undefined;
  if (grant && grant.onbehalfof !== onbehalfof) grant = undefined;
  const isNew = !grant;
  if (!grant) {
    grant = new oidc.provider.Grant({ accountId, clientId }) as Grant;
    if (onbehalfof) grant.onbehalfof = onbehalfof;
    const userAgent = ctx.get('user-agent');
    if (userAgent) grant.userAgent = userAgent.slice(0, USER_AGENT_MAX);
  }

  const granted = new Set(grant.getOIDCScope().split(' '));
  const consented = (oidc.result?.consent as { approved?: boolean } | undefined)?.approved === true || isLoggedInByHint(ctx);
  const missing = [...oidc.requestParamOIDCScopes].filter((scope) => !granted.has(scope) && (consented || !needsConsent(scope)));
  if (missing.length) grant.addOIDCScope(missing.join(' '));

  // A requested resource (RFC 8707) gets the same scopes; it only becomes the access token's aud.
  let resourceAdded = false;
  for (const [resource, server] of Object.entries(oidc.resourceServers ?? {})) {
    const scopes = [...oidc.requestParamScopes].filter((scope) => String(server.scope ?? '').split(' ').includes(scope));
    const has = new Set((grant.getResourceScope(resource) ?? '').split(' '));
    const add = scopes.filter((scope) => !has.has(scope));
    if (add.length) {
      grant.addResourceScope(resource, add.join(' '));
      resourceAdded = true;
    }
  }

  const locale = chooseLocale(oidc.params!.ui_locales as string | undefined, ctx.cookies.get(LANGUAGE_COOKIE));
  const localeChanged = grant.locale !== locale;
  grant.locale = locale;

  if (isNew || missing.length || resourceAdded || localeChanged) await grant.save();
  return grant;
}
