// ID-porten takes /authorize and /logout as GET or POST (POST is what it recommends for logout, so
// that the id_token_hint stays out of URLs). oidc-provider serves POST there only when the session
// cookie is SameSite=None, which browsers accept only with Secure, that is over https. Over plain
// http (a laptop, CI) Portvakt answers such a POST with a redirect to the same request as a GET: a
// top-level GET carries the SameSite=Lax session cookie, so a relying party that POSTs, as it would
// to ID-porten, works unchanged. Over https oidc-provider takes the POST itself.
import type { FastifyInstance } from 'fastify';
import formbody from '@fastify/formbody';

/**
 * The parameters become the redirect's query string, which must fit in a request line the server
 * accepts (Node's header limit is 16 KiB); 8 KiB holds any real request (an id_token_hint is 1–2).
 */
const BODY_LIMIT = 8 * 1024;

export interface PostAsGetOptions {
  paths: readonly string[];
}

export async function postAsGet(app: FastifyInstance, { paths }: PostAsGetOptions): Promise<void> {
  // A form, as a browser sends it, and nothing else (Fastify answers 415 to other content types).
  app.removeAllContentTypeParsers();
  await app.register(formbody, { bodyLimit: BODY_LIMIT });
  for (const path of paths) {
    app.post<{ Body: Record<string, string | string[]> | undefined }>(path, async (request, reply) => {
      // Repeated parameters stay repeated, so that the provider refuses them as it would the POST.
      const query = new URLSearchParams();
      for (const [name, value] of Object.entries(request.body ?? {})) {
        for (const one of Array.isArray(value) ? value : [value]) query.append(name, one);
      }
      return reply.redirect(query.size ? `${path}?${query}` : path, 303);
    });
  }
}
