// ID-porten's rules that oidc-provider does not have, each a small named step (profile §2).
// They run as oidc-provider `extraParams` validators, i.e. at /authorize and at /par, before any
// interaction, so a request that breaks one is refused with a clear invalid_request.
import { errors, type KoaContextWithOIDC } from 'oidc-provider';
import { ACR_VALUES, KNOWN_UNSUPPORTED_ACR, isAcr } from './acr.js';
import { loginFromTestIdHint, parseTestIdHint } from './testid-hint.js';
import { completeLogin, type IsolatedSession } from './sessions.js';

type Validator = (ctx: KoaContextWithOIDC, value: string | undefined) => void | Promise<void>;

/** ID-porten requires state and nonce from every client. */
export const requireState: Validator = (_ctx, value) => {
  if (!value) throw new errors.InvalidRequest('missing required parameter state: ID-porten requires state on every authorization request');
};

export const requireNonce: Validator = (_ctx, value) => {
  if (!value) throw new errors.InvalidRequest('missing required parameter nonce: ID-porten requires nonce on every authorization request');
};

/** ID-porten's response modes (profile §1.2), JARM's signed ones among them. */
export const RESPONSE_MODES = ['query', 'form_post', 'query.jwt', 'form_post.jwt'] as const;

/** Only ID-porten's response modes; a refused mode must not be used to deliver the refusal itself. */
export const responseModeSupported: Validator = (ctx, value) => {
  if (value === undefined || (RESPONSE_MODES as readonly string[]).includes(value)) return;
  ctx.oidc.params!.response_mode = undefined;
  throw new errors.InvalidRequest(`unsupported response_mode ${value}; supported: ${RESPONSE_MODES.join(', ')}`);
};

/** acr_values may only name levels Portvakt can deliver; a clear error beats silently logging in at another level. */
export const acrValuesSupported: Validator = (_ctx, value) => {
  if (value === undefined) return;
  const values = value.split(' ').filter(Boolean);
  if (!values.length) throw new errors.InvalidRequest('acr_values is empty');
  const unsupported = values.filter((v) => !isAcr(v));
  if (unsupported.length) {
    const known = unsupported.filter((v) => KNOWN_UNSUPPORTED_ACR.includes(v));
    const why = known.length ? ' (this Portvakt does not offer that level)' : '';
    throw new errors.InvalidRequest(`unsupported acr_values ${unsupported.join(' ')}${why}; supported: ${ACR_VALUES.join(', ')}`);
  }
};

/**
 * login_hint=testid:<pid>_<acr> (test environments only, profile §9.2) must be well formed; at
 * /authorize a valid one logs the session in right here, before oidc-provider loads the account and
 * checks whether to prompt, so the response is the redirect with a code and no page is shown.
 */
/** Requests whose person logged in by a TestID hint this very moment (consent is implicit, profile §9.2). */
const loggedInByHint = new WeakSet<object>();
export const isLoggedInByHint = (ctx: object): boolean => loggedInByHint.has(ctx);

export function headlessTestIdLogin(testEnvironment: boolean): Validator {
  return (ctx, value) => {
    if (!value?.startsWith('testid:')) return;
    if (!testEnvironment) throw new errors.InvalidRequest('login_hint testid: is only available in test environments');
    const parsed = parseTestIdHint(value);
    if ('error' in parsed) throw new errors.InvalidRequest(`invalid login_hint: ${parsed.error}`);
    if (ctx.oidc.route === 'authorization' && loginFromTestIdHint(ctx.oidc.session as never, value)) {
      completeLogin(ctx, ctx.oidc.session as IsolatedSession);
      loggedInByHint.add(ctx);
      // The person has logged in this very moment and consent is implicit (profile §9.2), so
      // prompt=login or consent has nothing left to ask: the answer is the code, not a page.
      // (oidc-provider has validated prompt before the extra parameters.)
      const prompt = ctx.oidc.params!.prompt as string | undefined;
      if (prompt) {
        const left = prompt.split(' ').filter((p) => p !== 'login' && p !== 'consent');
        ctx.oidc.params!.prompt = left.length ? left.join(' ') : undefined;
      }
    }
  };
}
