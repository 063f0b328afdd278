// What oidc-provider makes of a store it cannot reach. Left alone, it answers every such failure as
// a bug of its own ("server_error: oops! something went wrong", 500); an error it knows as the
// caller's instead travels its usual paths. So a StoreUnavailableError leaves the adapters as
// OAuth's temporarily_unavailable (RFC 6749 §4.1.2.1) with status 503: the authorization endpoint
// returns it to the client's redirect_uri with state and iss when it can (the service then tells
// the person to try again), shows it on the error page when it cannot, and the token, userinfo,
// introspection and revocation endpoints answer it as JSON.
import { errors, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import type { AdapterFactory, StoreAdapter } from './adapters.js';
import { isStoreUnavailable, type StoreUnavailableError } from '../store/unavailable.js';

/** Seconds a client or browser is asked to wait before it tries again (Retry-After). */
export const RETRY_AFTER_SECONDS = 5;

export const TEMPORARILY_UNAVAILABLE = 'temporarily_unavailable';

export const UNAVAILABLE_DESCRIPTION = 'the service cannot reach its store right now; try again in a few seconds';

/** The OAuth error below (from the provider's adapters, as an OAuth error of any kind may carry it). */
export const isTemporarilyUnavailable = (err: unknown): boolean => (err as { error?: unknown } | undefined)?.error === TEMPORARILY_UNAVAILABLE;

/** The OAuth error a request gets while the store cannot be reached. */
export function temporarilyUnavailable(cause: unknown): InstanceType<typeof errors.TemporarilyUnavailable> {
  const err = new errors.TemporarilyUnavailable(UNAVAILABLE_DESCRIPTION, { cause });
  // oidc-provider's errors are 400s that it shows to the caller (expose); this one stays shown, as a 503.
  Object.assign(err, { status: 503, statusCode: 503 });
  return err;
}

const METHODS = ['upsert', 'find', 'findByUid', 'findByUserCode', 'consume', 'claim', 'take', 'destroy', 'revokeByGrantId', 'findByAccount'] as const;

/** `adapter`, with every failure passed through `map` before it is thrown. */
export function mappingFailures(adapter: StoreAdapter, map: (err: unknown) => unknown): StoreAdapter {
  const mapped: Partial<Record<(typeof METHODS)[number], unknown>> = {};
  for (const name of METHODS) {
    const method = (adapter[name] as (...args: unknown[]) => Promise<unknown>).bind(adapter);
    mapped[name] = (...args: unknown[]) => method(...args).catch((err: unknown) => { throw map(err); });
  }
  return mapped as StoreAdapter;
}

/**
 * What oidc-provider is to meet instead of a failure: a store that cannot be reached becomes
 * temporarily_unavailable, and is reported (logged) where it happened; anything else stays as it is.
 */
export function providerErrors(report: (err: StoreUnavailableError) => void): (err: unknown) => unknown {
  return (err) => {
    if (!isStoreUnavailable(err)) return err;
    report(err);
    return temporarilyUnavailable(err);
  };
}

/** The adapters oidc-provider gets, their failures as `toProviderError` makes them. */
export function reportingUnavailable(factory: AdapterFactory, toProviderError: (err: unknown) => unknown): AdapterFactory {
  return (name) => mappingFailures(factory(name), toProviderError);
}

/**
 * Koa middleware around oidc-provider's routes: a temporarily_unavailable that escapes their own
 * error handling (oidc-provider saves a changed session after the route has answered, outside it)
 * is answered as they answer it, with the error page for a browser and JSON otherwise, instead of
 * Koa's bare text; and every 503 says when to try again.
 */
export function answeringUnavailable(renderError: NonNullable<Configuration['renderError']>) {
  return async function unavailable(ctx: KoaContextWithOIDC, next: () => Promise<void>): Promise<void> {
    try {
      await next();
    } catch (err) {
      if (!isTemporarilyUnavailable(err)) throw err;
      const out = { error: TEMPORARILY_UNAVAILABLE, error_description: UNAVAILABLE_DESCRIPTION };
      ctx.status = 503;
      ctx.remove('location'); // a redirect made before the save failed does not go out
      if (ctx.accepts('json', 'html') === 'html') {
        await renderError(ctx, out, err as Error);
      } else {
        ctx.type = 'json';
        ctx.body = out;
      }
    }
    if (ctx.status === 503) ctx.set('retry-after', String(RETRY_AFTER_SECONDS));
  };
}
