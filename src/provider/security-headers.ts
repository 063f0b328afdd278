// oidc-provider's own responses (its error pages, the form_post page, JSON) get the headers that
// Fastify's onSend hook gives Portvakt's pages (src/http/server.ts); the provider's paths never pass
// through Fastify. The page policy goes on before oidc-provider runs, with a script-src, because
// oidc-provider adds the hash of an inline script it renders (the form_post auto-submit) to the
// script-src it finds; pages that need another policy (logout) replace it. Responses that are not
// HTML drop the page-only headers again.
import type { KoaContextWithOIDC } from 'oidc-provider';
import { PAGE_CSP } from '../ui/page-policy.js';

export async function securityHeaders(ctx: KoaContextWithOIDC, next: () => Promise<void>): Promise<void> {
  ctx.set('x-content-type-options', 'nosniff');
  ctx.set('referrer-policy', 'no-referrer');
  ctx.set('content-security-policy', `${PAGE_CSP}; script-src 'self'`);
  ctx.set('x-frame-options', 'DENY');
  await next();
  if (!ctx.response.is('html')) {
    ctx.remove('content-security-policy');
    ctx.remove('x-frame-options');
  }
}
