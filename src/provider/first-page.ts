// An authorization request that needs the person (a login, a consent) is answered with the page
// that asks them, rather than with oidc-provider's redirect to that page: the browser saves a round
// trip, and the provider a request and a lookup of the interaction it has just made. The page's
// forms and links point at the interaction's own address (routes.ts interactionPath), where the
// login routes take them, exactly as if the browser had followed the redirect.
//
// Only a GET: a POSTed authorization request keeps the redirect, so that reloading the page does not
// post the request again.
import type { KoaContextWithOIDC } from 'oidc-provider';
import type Provider from 'oidc-provider';
import { LANGUAGE_COOKIE } from './locale.js';
import { interactionPath } from './routes.js';

type Interaction = InstanceType<Provider['Interaction']>;

/** The page an interaction starts with (src/login/interaction-pages.ts), or undefined for none. */
export type FirstPage = (interaction: Interaction, languageCookie: string | undefined) => Promise<{ status: number; html: string } | undefined>;

export function answeringWithFirstPage(firstPage: FirstPage) {
  return async function firstPageInstead(ctx: KoaContextWithOIDC, next: () => Promise<void>): Promise<void> {
    await next();
    if (ctx.method !== 'GET' || ctx.status !== 303 || ctx.oidc?.route !== 'authorization') return;
    const interaction = ctx.oidc.entities.Interaction;
    if (!interaction || ctx.response.get('location') !== interactionPath(interaction.uid)) return;
    // The language cookie is the login pages' own, not signed as the provider's cookies are.
    const page = await firstPage(interaction, ctx.cookies.get(LANGUAGE_COOKIE, { signed: false })).catch(() => undefined);
    // No page (nothing to ask), or none could be made now: the redirect stands, and the page's own
    // address answers as it always does.
    if (!page) return;
    ctx.remove('location');
    ctx.status = page.status;
    ctx.type = 'text/html; charset=utf-8';
    ctx.set('cache-control', 'no-store');
    // As bytes, not a string: as a string the page (10 KB on V8's heap: its en dashes make it two
    // bytes a character) survived young-generation collections and was copied into the old
    // generation on every login (`npm run bench` with BENCH_GC=1: 45 KB promoted per login, 34 with
    // bytes, as the reference); a Buffer's bytes live outside the JavaScript heap.
    ctx.body = Buffer.from(page.html);
  };
}
