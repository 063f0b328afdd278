// What Portvakt's pages may load: nothing but our stylesheet (and inline images); no scripts unless a
// page adds them by hash, and no one may frame them. One policy for the pages Fastify serves
// (src/http/server.ts), the provider's own pages (src/provider/security-headers.ts) and the logout
// pages (src/ui/pages/logout-pages.tsx), which extend it.
export const PAGE_CSP = "default-src 'none'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'";
